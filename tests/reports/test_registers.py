"""The incoming register print-out (sổ đăng ký văn bản đến) as PDF and XLSX."""

from __future__ import annotations

import datetime as dt
import io
import subprocess

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from eoffice.documents.models import Channel, Confidentiality
from eoffice.documents.printing import Column, TitlePage, write_pdf, write_xlsx
from eoffice.reports.registers import INCOMING_COLUMNS, incoming_register

from .conftest import at, give, make_doc

SUMMARY = "V/v triển khai Đề án tuyên truyền, phổ biến pháp luật năm 2026 đến đồng bào dân tộc thiểu số"


def pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


@pytest.fixture
def year_docs(org):
    docs = [make_doc(org, arrived=at(2026, 1, 2 + i), summary=f"{SUMMARY} (lần {i + 1})", lead_unit=org.lead,
                     channel=Channel.INTERCONNECTION, notes="Bản gốc lưu tại Văn phòng" if i == 0 else "")
            for i in range(3)]
    make_doc(org, arrived=at(2025, 12, 30), summary="Văn bản năm trước")
    make_doc(org, arrived=at(2026, 2, 1), summary="Văn bản của cơ quan khác", agency=org.outsider_agency)
    make_doc(org, arrived=at(2026, 2, 2), summary="Văn bản mật", series_code="den-mat",
             confidentiality=Confidentiality.SECRET)
    return docs


def test_the_pdf_register_has_a_cover_and_the_decree_30_columns_in_vietnamese(client, org, year_docs):
    client.force_login(org.clerk)
    response = client.get(reverse("reports:incoming-register", args=[2026, "pdf"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    data = b"".join(response.streaming_content)
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    cover, table = text.split("\f", 1)
    assert "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN" in cover and "Năm: 2026" in cover
    assert org.agency.name.upper() in cover
    first, last = min(d.arrival_number for d in year_docs), max(d.arrival_number for d in year_docs)
    assert f"Từ số {first:02d} đến số {last:02d}" in cover
    for title in ("Số đến", "Ngày đến", "Tác giả", "Số, ký hiệu", "Ngày tháng", "Ký nhận", "Ghi chú"):
        assert title in table
    assert "02/01/2026" in table and "UBND tỉnh Bình Minh" in table and "Phòng Phổ biến" in table
    assert "triển khai Đề án tuyên truyền" in table  # Vietnamese letters survive (Liberation 2 fonts)
    assert "Văn bản năm trước" not in table and "cơ quan khác" not in table
    assert "Văn bản mật" not in table  # the clerk is not named on the secret document: scoped like the list


def test_the_xlsx_register_has_a_cover_sheet_and_one_row_per_document(client, org, year_docs):
    client.force_login(org.leader)
    response = client.get(reverse("reports:incoming-register", args=[2026, "xlsx"]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"] and ".xlsx" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    assert workbook.sheetnames[0] == "Bìa sổ"
    cover = [row[0] for row in workbook["Bìa sổ"].iter_rows(values_only=True) if row and row[0]]
    assert "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN" in cover and "Năm: 2026" in cover
    rows = list(workbook.worksheets[1].iter_rows(values_only=True))
    assert list(rows[0]) == [c.title for c in INCOMING_COLUMNS]
    body = rows[1:]
    assert [r[0] for r in body] == [f"{d.arrival_number:02d}" for d in year_docs]
    assert body[0][1] == "02/01/2026" and body[0][5] == f"{SUMMARY} (lần 1)"
    assert body[0][6] == org.lead.name and body[0][8] == "Bản gốc lưu tại Văn phòng"


def test_a_specialist_prints_only_the_documents_they_may_see_and_an_outsider_none(org, year_docs):
    give(year_docs[1], org.spec1)
    rows = list(incoming_register(org.spec1, org.agency, 2026).rows)
    assert [r[0] for r in rows] == [f"{year_docs[1].arrival_number:02d}"]
    outsider = incoming_register(org.outsider, org.agency, 2026)
    assert list(outsider.rows) == []
    assert outsider.title_page.lines()[1] == "Sổ chưa có văn bản"


def test_printing_the_register_uses_the_same_number_of_queries_whatever_its_size(client, org, year_docs):
    client.force_login(org.clerk)
    url = reverse("reports:incoming-register", args=[2026, "xlsx"])
    b"".join(client.get(url).streaming_content)
    with CaptureQueriesContext(connection) as small:
        b"".join(client.get(url).streaming_content)
    for i in range(40):
        make_doc(org, arrived=at(2026, 3, 1 + i % 28), lead_unit=org.other if i % 2 else org.lead)
    with CaptureQueriesContext(connection) as big:
        b"".join(client.get(url).streaming_content)
    assert len(big) == len(small)


def test_the_register_list_page_links_to_both_print_outs(client, org, year_docs):
    client.force_login(org.clerk)
    html = client.get(reverse("incoming:register-list"), {"nam": 2026}).content.decode()
    assert reverse("reports:incoming-register", args=[2026, "pdf"]) in html
    assert reverse("reports:incoming-register", args=[2026, "xlsx"]) in html


def test_an_unknown_format_is_not_found(client, org):
    client.force_login(org.clerk)
    assert client.get("/bao-cao/so-van-ban-den/2026.doc").status_code == 404


def test_the_generic_writer_prints_any_register_and_wraps_long_cells_across_pages():
    columns = [Column("Số", 15, "center"), Column("Nội dung", 120)]
    long_text = "Lorem ipsum cải cách hành chính " * 30
    rows = ((f"{i:02d}", long_text) for i in range(1, 61))
    out = io.BytesIO()
    count = write_pdf(out, title_page=TitlePage(title="SỔ ĐĂNG KÝ VĂN BẢN ĐI", agency_name="Sở Thử", year=2026,
                                                first_number="01", last_number="60"),
                      columns=columns, rows=rows, page_size="A3")
    assert count == 60
    text = pdf_text(out.getvalue())
    pages = text.split("\f")
    assert "SỔ ĐĂNG KÝ VĂN BẢN ĐI" in pages[0]
    assert len([p for p in pages if p.strip()]) > 3  # cover plus several table pages
    assert all("Nội dung" in p for p in pages[1:] if p.strip())  # the header repeats on every page
    xlsx = io.BytesIO()
    assert write_xlsx(xlsx, title_page=TitlePage(title="SỔ", agency_name="Sở Thử"), columns=columns,
                      rows=iter([("01", "a"), ("02", "b")])) == 2


def test_the_cover_states_the_date_range_of_the_year(org, year_docs):
    register = incoming_register(org.clerk, org.agency, 2026)
    assert (register.title_page.first_date, register.title_page.last_date) == (dt.date(2026, 1, 2),
                                                                                dt.date(2026, 1, 4))
