"""The TEXT of the visible signatures, read back from the signed PDF as a viewer shows it.

``test_layout.py`` checks where the stamps are, their colours, font and size; this checks what they SAY. The text is
extracted independently of the product and of pyHanko: poppler's ``pdftotext -layout`` (which renders annotation
appearances, i.e. each signature widget's ``/AP /N`` stream) cropped to the widget's ``/Rect``. The signing time
shown is compared with the signing time recorded in the signature dictionary (``/M``), converted to Vietnam time.
"""

from __future__ import annotations

import io
import math
import re
import subprocess
import unicodedata
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import tzlocal
from pyhanko.pdf_utils.reader import PdfFileReader

from signing import pades
from signing.dev.samples import sample_document
from signing.documents import date_line, render_document
from signing.images import seal_image, signature_image
from signing.keys import SoftwareKeyStore
from tests.fixtures_pki import AGENCY_STP, DIRECTOR_KEY, SEAL_STP_KEY

NAME, POSITION = "Lê Thị Hồng Nhung", "Phó Giám đốc"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
ISO_VN = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00")


def store(pki, key: str) -> SoftwareKeyStore:
    return SoftwareKeyStore(pki.key_store_path(key), pki.key_store_passphrase(key))


def draft() -> bytes:
    return render_document(sample_document(
        "cong-van", agency=AGENCY_STP, superior_agency="Ủy ban nhân dân tỉnh Bình Minh", agency_abbreviation="STP",
        signer_name=NAME, signer_position=POSITION, signer_capacity="KT. Giám đốc", paragraphs=2,
    ))


def attachment_draft() -> bytes:
    return render_document(sample_document("thong-bao", notation_number=7, paragraphs=1))


@pytest.fixture(scope="module")
def stages(dev_pki) -> dict[str, bytes]:
    """The dispatch after each step, signed once for the module."""
    out: dict[str, bytes] = {}
    out["fields"] = pades.add_number_date_fields(draft())
    out["person"] = pades.sign_person(out["fields"], store(dev_pki, DIRECTOR_KEY), name=NAME, position=POSITION,
                                      signature_image=signature_image(NAME))
    out["filled"] = pades.fill_number_date(out["person"], "45/STP-VP", date_line("Bình Minh", datetime.now().date()))
    out["sealed"] = pades.sign_seal(out["filled"], store(dev_pki, SEAL_STP_KEY), agency_name=AGENCY_STP,
                                    seal_image=seal_image(AGENCY_STP))
    return out


# ------------------------------------------------------------------------------------------------------ helpers
def _reader(pdf: bytes) -> PdfFileReader:
    return PdfFileReader(io.BytesIO(pdf), strict=False)


def widget(pdf: bytes, field_name: str) -> tuple[int, tuple[float, float, float, float], float]:
    """(page index, normalised /Rect, page height) of the signature field ``field_name`` (field = its widget)."""
    reader = _reader(pdf)
    page_ids = [reader.find_page_for_modification(i)[0].idnum for i in range(int(reader.root["/Pages"]["/Count"]))]
    for ref in reader.root["/AcroForm"]["/Fields"]:
        field = ref.get_object()
        if str(field.get("/T")) != field_name:
            continue
        x1, y1, x2, y2 = (float(v) for v in field["/Rect"])
        page = page_ids.index(field.raw_get("/P").idnum)
        media = reader.find_page_for_modification(page)[0].get_object()["/MediaBox"]
        return page, (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)), float(media[3])
    raise AssertionError(f"no field {field_name}")


def text_in(pdf: bytes, page: int, rect, page_height: float, tmp_path: Path) -> list[str]:
    """The lines poppler shows inside ``rect`` of ``page`` (page content and annotation appearances), whitespace
    collapsed, NFC."""
    path = tmp_path / "crop.pdf"
    path.write_bytes(pdf)
    x1, y1, x2, y2 = rect
    left, top = math.floor(x1), math.floor(page_height - y2)
    width, height = math.ceil(x2) - left, math.ceil(page_height - y1) - top
    proc = subprocess.run(
        ["pdftotext", "-q", "-layout", "-r", "72", "-f", str(page + 1), "-l", str(page + 1),
         "-x", str(left), "-y", str(top), "-W", str(width), "-H", str(height), str(path), "-"],
        capture_output=True, text=True, check=True, timeout=60,
    )
    lines = (unicodedata.normalize("NFC", " ".join(line.split())) for line in proc.stdout.splitlines())
    return [line for line in lines if line]


def widget_text(pdf: bytes, field_name: str, tmp_path: Path) -> list[str]:
    return text_in(pdf, *widget(pdf, field_name), tmp_path)


def new_lines(before: list[str], after: list[str]) -> list[str]:
    """Lines of ``after`` that ``before`` did not have (multiset difference, order of ``after`` kept)."""
    remaining = list(before)
    out = []
    for line in after:
        if line in remaining:
            remaining.remove(line)
        else:
            out.append(line)
    return out


def signing_time(pdf: bytes, field_name: str) -> datetime:
    """The signing time recorded in the signature (``/M`` of the signature dictionary, as pyHanko reads it)."""
    [embedded] = [e for e in _reader(pdf).embedded_signatures if e.field_name == field_name]
    moment = embedded.self_reported_timestamp
    assert moment is not None and moment.tzinfo is not None
    return moment


def assert_vietnam_time_of(shown: str, signed: datetime) -> None:
    """``shown`` is ISO 8601 with +07:00 and names the same minute as ``signed`` in Asia/Ho_Chi_Minh."""
    assert ISO_VN.fullmatch(shown), shown
    moment = datetime.fromisoformat(shown)
    assert moment.utcoffset() == timedelta(hours=7)
    expected = signed.astimezone(VIETNAM)
    assert moment.strftime("%Y-%m-%dT%H:%M") == expected.strftime("%Y-%m-%dT%H:%M"), (shown, expected)
    assert abs(moment - signed) < timedelta(minutes=1)


def time_after(prefix: str, line: str) -> str:
    assert line.startswith(prefix), line
    return line[len(prefix):]


# -------------------------------------------------------------------------------------------------------- tests
def test_person_block_shows_name_position_and_signing_time_in_vietnam_time(stages, tmp_path):
    pdf = stages["person"]
    assert text_in(stages["fields"], *widget(pdf, pades.PERSON_FIELD), tmp_path) == []  # blank before signing
    lines = widget_text(pdf, pades.PERSON_FIELD, tmp_path)
    assert len(lines) == 2, lines
    assert lines[0] == f"Ký bởi: {NAME}, {POSITION}"
    assert_vietnam_time_of(time_after("Thời gian ký: ", lines[1]), signing_time(pdf, pades.PERSON_FIELD))


def test_person_block_text_is_still_shown_after_numbering_and_seal(stages, tmp_path):
    lines = widget_text(stages["sealed"], pades.PERSON_FIELD, tmp_path)
    assert f"Ký bởi: {NAME}, {POSITION}" in lines
    shown = [line for line in lines if line.startswith("Thời gian ký: ")]
    assert len(shown) == 1, lines
    assert_vietnam_time_of(time_after("Thời gian ký: ", shown[0]),
                           signing_time(stages["sealed"], pades.PERSON_FIELD))


def test_seal_shows_the_agency_full_name_and_iso_8601_vietnam_time(stages, tmp_path):
    pdf = stages["sealed"]
    place = widget(pdf, pades.SEAL_FIELD)
    # The seal overlaps the person's signature: keep only what the seal added to its rectangle.
    added = new_lines(text_in(stages["filled"], *place, tmp_path), text_in(pdf, *place, tmp_path))
    assert len(added) == 2, added
    assert added[0] == AGENCY_STP
    assert_vietnam_time_of(added[1], signing_time(pdf, pades.SEAL_FIELD))


def test_attachment_stamp_shows_number_notation_and_signing_time(dev_pki, tmp_path):
    pdf = pades.sign_attachment(attachment_draft(), store(dev_pki, SEAL_STP_KEY), notation="07/TB-UBND")
    lines = widget_text(pdf, pades.ATTACHMENT_FIELD, tmp_path)
    assert len(lines) == 2, lines
    assert lines[0] == "Số, ký hiệu: 07/TB-UBND"
    assert_vietnam_time_of(time_after("Thời gian ký: ", lines[1]), signing_time(pdf, pades.ATTACHMENT_FIELD))


@pytest.mark.parametrize(("copy_form", "shown_form", "copy_number"), [
    ("sao y", "SAO Y", "07/SY-STP"),
    ("sao lục", "SAO LỤC", "02/SL-STP"),
    ("trích sao", "TRÍCH SAO", "03/TrS-STP"),
])
def test_copy_stamp_shows_copy_form_copy_number_agency_and_time(stages, dev_pki, tmp_path, copy_form, shown_form,
                                                               copy_number):
    pdf = pades.sign_copy(stages["sealed"], store(dev_pki, SEAL_STP_KEY), copy_form=copy_form,
                          copy_number=copy_number, agency_name=AGENCY_STP)
    lines = widget_text(pdf, pades.COPY_FIELD, tmp_path)
    assert lines[:3] == [shown_form, f"Số: {copy_number}", AGENCY_STP], lines
    assert len(lines) == 4, lines
    assert_vietnam_time_of(time_after("Thời gian ký: ", lines[3]), signing_time(pdf, pades.COPY_FIELD))


def test_stamp_time_is_vietnam_time_even_when_the_server_runs_in_another_zone(dev_pki, tmp_path, monkeypatch):
    # pyHanko takes the signing time in the machine's zone (tzlocal); a server in UTC-3 must still print +07:00.
    monkeypatch.setattr(tzlocal, "get_localzone", lambda: ZoneInfo("America/Sao_Paulo"))
    pdf = pades.sign_attachment(attachment_draft(), store(dev_pki, SEAL_STP_KEY), notation="08/TB-UBND")
    signed = signing_time(pdf, pades.ATTACHMENT_FIELD)
    assert signed.utcoffset() == timedelta(hours=-3)  # the patch took effect: /M is in the server's zone
    lines = widget_text(pdf, pades.ATTACHMENT_FIELD, tmp_path)
    assert lines[0] == "Số, ký hiệu: 08/TB-UBND"
    assert_vietnam_time_of(time_after("Thời gian ký: ", lines[1]), signed)
