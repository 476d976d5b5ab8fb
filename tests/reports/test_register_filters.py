"""The incoming register, list and print-outs: one register at a time (secret documents have their own, opened only
by people who may see secret documents), filtered by arrival date (print a month), channel and status, the print
links carrying the list's filters."""

from __future__ import annotations

import io
import subprocess

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from eoffice.documents.models import Channel, Confidentiality
from eoffice.incoming.models import DocumentStatus

from .conftest import at, make_doc


def pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode()


def xlsx_notations(response) -> list[str]:
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return [row[3] for row in list(workbook.worksheets[1].iter_rows(values_only=True))[1:]]


def cells(html: str, notations) -> set[str]:
    """Which of ``notations`` the register list shows (as a cell of its own)."""
    return {n for n in notations if f"<td>{n}</td>" in html}


@pytest.fixture
def registers(org):
    ordinary = [make_doc(org, arrived=at(2026, 1, 5 + i), summary=f"Văn bản thường {i}") for i in range(2)]
    secret = make_doc(org, arrived=at(2026, 1, 8), summary="Văn bản mật về quốc phòng", series_code="den-mat",
                      confidentiality=Confidentiality.SECRET)
    secret.named_people.add(org.leader)  # the leader may see it; the clerk is not named on it
    return ordinary, secret


def test_the_printed_register_is_the_ordinary_one_unless_the_secret_one_is_asked_for(client, org, registers):
    ordinary, secret = registers
    client.force_login(org.leader)  # sees the secret document too: it must still not enter the ordinary register
    for fmt in ("pdf", "xlsx"):
        response = client.get(reverse("reports:incoming-register", args=[2026, fmt]))
        assert response.status_code == 200
        if fmt == "xlsx":
            assert xlsx_notations(response) == [d.number_notation for d in ordinary]
        else:
            text = pdf_text(b"".join(response.streaming_content))
            assert "Văn bản thường 0" in text and "Văn bản mật" not in text
            assert "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN" in text
    url = reverse("reports:incoming-register", args=[2026, "xlsx"])
    assert xlsx_notations(client.get(url, {"so": "den"})) == [d.number_notation for d in ordinary]
    secret_register = client.get(url, {"so": "den-mat"})
    assert secret_register.status_code == 200 and "den-mat" in secret_register["Content-Disposition"]
    assert xlsx_notations(secret_register) == [secret.number_notation]
    pdf = pdf_text(b"".join(client.get(reverse("reports:incoming-register", args=[2026, "pdf"]),
                                       {"so": "den-mat"}).streaming_content))
    assert "SỔ ĐĂNG KÝ VĂN BẢN MẬT ĐẾN" in pdf and "Văn bản mật về quốc phòng" in pdf
    assert "Văn bản thường" not in pdf


def test_the_secret_register_is_not_found_for_people_who_may_not_see_secret_documents(client, org, registers):
    for person in (org.clerk, org.head, org.spec1, org.outsider):
        client.force_login(person)
        for fmt in ("pdf", "xlsx"):
            response = client.get(reverse("reports:incoming-register", args=[2026, fmt]), {"so": "den-mat"})
            assert response.status_code == 404, (person, fmt)
        assert client.get(reverse("incoming:register-list"), {"nam": 2026, "so": "den-mat"}).status_code == 404
    client.force_login(org.clerk)
    html = client.get(reverse("incoming:register-list"), {"nam": 2026}).content.decode()
    assert 'value="den-mat"' not in html  # not even offered


def test_the_register_list_shows_one_register_at_a_time(client, org, registers):
    ordinary, secret = registers
    notations = [d.number_notation for d in (*ordinary, secret)]
    client.force_login(org.leader)
    url = reverse("incoming:register-list")
    html = client.get(url, {"nam": 2026}).content.decode()
    assert cells(html, notations) == {d.number_notation for d in ordinary}
    assert 'value="den-mat"' in html  # offered to someone who may see secret documents
    html = client.get(url, {"nam": 2026, "so": "den-mat"}).content.decode()
    assert cells(html, notations) == {secret.number_notation}
    assert "Sổ đăng ký văn bản mật đến" in html
    assert f'{reverse("reports:incoming-register", args=[2026, "pdf"])}?so=den-mat"' in html


@pytest.fixture
def months(org):
    """Documents of January, February (one late in the evening of its last day) and just after midnight on 1 March
    (still 28 February in UTC): the arrival date is the date in Vietnam."""
    return {
        "jan": make_doc(org, arrived=at(2026, 1, 31, 16), channel=Channel.PAPER),
        "feb_paper": make_doc(org, arrived=at(2026, 2, 1, 8), channel=Channel.PAPER, status=DocumentStatus.DONE),
        "feb_online": make_doc(org, arrived=at(2026, 2, 14), channel=Channel.INTERCONNECTION),
        "feb_last": make_doc(org, arrived=at(2026, 2, 28, 23, 30), channel=Channel.EMAIL),
        "mar": make_doc(org, arrived=at(2026, 3, 1, 0, 10), channel=Channel.INTERCONNECTION),
    }


def test_the_register_list_filters_by_arrival_date_and_the_print_links_carry_the_filters(client, org, months):
    notations = {key: d.number_notation for key, d in months.items()}
    client.force_login(org.clerk)
    url = reverse("incoming:register-list")
    page = client.get(url, {"nam": 2026, "tu_ngay": "2026-02-01", "den_ngay": "2026-02-28"})
    assert page.status_code == 200
    html = page.content.decode()
    assert cells(html, notations.values()) == {notations["feb_paper"], notations["feb_online"],
                                               notations["feb_last"]}
    # The fields, with their Vietnamese labels, keep what was entered.
    for snippet in ("<legend>Ngày đến</legend>", "Từ ngày", "Đến ngày", 'name="tu_ngay" value="2026-02-01"',
                    'name="den_ngay" value="2026-02-28"'):
        assert snippet in html, snippet
    for fmt in ("pdf", "xlsx"):
        link = f'{reverse("reports:incoming-register", args=[2026, fmt])}?so=den&amp;tu_ngay=2026-02-01&amp;' \
               f'den_ngay=2026-02-28"'
        assert link in html, fmt
    # What the links print is what the list shows.
    query = {"so": "den", "tu_ngay": "2026-02-01", "den_ngay": "2026-02-28"}
    xlsx = client.get(reverse("reports:incoming-register", args=[2026, "xlsx"]), query)
    assert xlsx_notations(xlsx) == [notations["feb_paper"], notations["feb_online"], notations["feb_last"]]
    assert "tu-20260201-den-20260228" in xlsx["Content-Disposition"]
    pdf = pdf_text(b"".join(client.get(reverse("reports:incoming-register", args=[2026, "pdf"]),
                                       query).streaming_content))
    cover = pdf.split("\f", 1)[0]
    assert "Văn bản đến từ ngày 01/02/2026 đến ngày 28/02/2026" in cover
    assert "Từ ngày 01/02/2026 đến ngày 28/02/2026" in cover  # the bounds of what was printed
    # One end only.
    html = client.get(url, {"nam": 2026, "tu_ngay": "2026-03-01"}).content.decode()
    assert cells(html, notations.values()) == {notations["mar"]}
    html = client.get(url, {"nam": 2026, "den_ngay": "2026-01-31"}).content.decode()
    assert cells(html, notations.values()) == {notations["jan"]}


def test_the_register_list_filters_by_channel_and_status(client, org, months):
    notations = {key: d.number_notation for key, d in months.items()}
    client.force_login(org.clerk)
    url = reverse("incoming:register-list")
    html = client.get(url, {"nam": 2026}).content.decode()
    assert 'name="kenh"' in html and 'name="trang_thai"' in html
    assert "Phương thức nhận" in html and "Tình trạng" in html
    assert ">Liên thông</option>" in html and ">Đã xử lý xong</option>" in html
    html = client.get(url, {"nam": 2026, "kenh": Channel.INTERCONNECTION}).content.decode()
    assert cells(html, notations.values()) == {notations["feb_online"], notations["mar"]}
    assert f'value="{Channel.INTERCONNECTION}" selected' in html
    assert "kenh=interconnection" in html  # carried to the print links
    html = client.get(url, {"nam": 2026, "trang_thai": DocumentStatus.DONE}).content.decode()
    assert cells(html, notations.values()) == {notations["feb_paper"]}
    xlsx = client.get(reverse("reports:incoming-register", args=[2026, "xlsx"]),
                      {"kenh": Channel.PAPER, "tu_ngay": "2026-02-01"})
    assert xlsx_notations(xlsx) == [notations["feb_paper"]]


def test_a_date_range_ending_before_it_starts_is_refused_with_a_clear_message(client, org, months):
    client.force_login(org.clerk)
    query = {"nam": 2026, "tu_ngay": "2026-02-28", "den_ngay": "2026-02-01"}
    page = client.get(reverse("incoming:register-list"), query)
    assert page.status_code == 400
    assert "Ngày kết thúc không được trước ngày bắt đầu." in page.content.decode()
    printed = client.get(reverse("reports:incoming-register", args=[2026, "pdf"]), query)
    assert printed.status_code == 400
    assert "Ngày kết thúc không được trước ngày bắt đầu." in printed.content.decode()


def test_the_pages_of_a_filtered_register_keep_the_filters(client, org):
    for day in range(101):
        make_doc(org, arrived=at(2026, 4, 1 + day % 30, 9, day % 60), channel=Channel.EMAIL)
    make_doc(org, arrived=at(2026, 5, 2), channel=Channel.EMAIL)
    client.force_login(org.clerk)
    html = client.get(reverse("incoming:register-list"),
                      {"nam": 2026, "tu_ngay": "2026-04-01", "den_ngay": "2026-04-30", "kenh": "email"}).content.decode()
    assert "1/2" in html
    assert '?nam=2026&amp;so=den&amp;tu_ngay=2026-04-01&amp;den_ngay=2026-04-30&amp;kenh=email&amp;trang=2"' in html
    second = client.get(reverse("incoming:register-list"), {"nam": 2026, "so": "den", "tu_ngay": "2026-04-01",
                                                           "den_ngay": "2026-04-30", "kenh": "email", "trang": 2})
    assert second.content.decode().count("/UBND-VP</td>") == 1  # the 101st of April, not May's
