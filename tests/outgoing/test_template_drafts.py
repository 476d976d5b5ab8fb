"""Drafts made the way offices make them, from the agency's template whose heading prints the blanks
"Số:      /STP-PBGDPL" and "Bình Minh, ngày      tháng      năm 2026": through submission, signing and issue,
the clerk's number and date land in the blanks, once, and every signature stays valid."""

from __future__ import annotations

import io
import re
from datetime import datetime
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import pytest

from eoffice.outgoing import services
from eoffice.outgoing.services.drafting import docx_to_pdf
from tests.factories import docx_package
from tests.signing._layout_checks import overlapping_words, page_text, words_of
from tests.signing._pdf_checks import assert_pdfsig_all_valid, make_nss_db, pyhanko_statuses

pytestmark = pytest.mark.django_db

ISSUED_AT = datetime(2026, 12, 3, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
BODY = ("Thực hiện Kế hoạch phổ biến, giáo dục pháp luật năm 2026 của Ủy ban nhân dân tỉnh, Sở Tư pháp đề nghị các "
        "cơ quan, đơn vị phối hợp tổ chức tuyên truyền pháp luật về chuyển đổi số trên địa bàn tỉnh.")


def template_pdf(p) -> bytes:
    from signing.documents import OfficialDocument, render_document

    return render_document(OfficialDocument(
        agency="Sở Tư pháp tỉnh Bình Minh", superior_agency="Ủy ban nhân dân tỉnh Bình Minh",
        summary="phối hợp tuyên truyền pháp luật", body=[BODY] * 9, signer_name=p.director.get_full_name(),
        signer_position=str(p.director.position), addressees=["Ủy ban nhân dân huyện Đông Sơn"],
        notation_suffix="/STP-PBGDPL", blank_year=2026,
    ))


def template_docx(p) -> bytes:
    """A Word draft in Times New Roman like the agency's template: the blanks are runs of spaces; the signature
    block lands on page 2."""
    def para(text: str, *, size: int = 26, bold: bool = False, italic: bool = False, center: bool = True) -> str:
        props = '<w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:cs="Times New Roman"/>'
        props += ("<w:b/>" if bold else "") + ("<w:i/>" if italic else "") + f'<w:sz w:val="{size}"/>'
        jc = '<w:pPr><w:jc w:val="center"/></w:pPr>' if center else ""
        return f'<w:p>{jc}<w:r><w:rPr>{props}</w:rPr><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>'

    body = "".join([
        para("SỞ TƯ PHÁP TỈNH BÌNH MINH", bold=True), para("Số:          /STP-PBGDPL"),
        para("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True), para("Độc lập - Tự do - Hạnh phúc", bold=True),
        para("Bình Minh, ngày        tháng        năm 2026", size=28, italic=True),
        para("V/v phối hợp tuyên truyền pháp luật", size=24),
        *[para(BODY, size=28, center=False) for _ in range(22)],
        para(str(p.director.position).upper(), size=28, bold=True), *[para("") for _ in range(4)],
        para(p.director.get_full_name(), size=28, bold=True),
    ])
    return docx_package(body)


def issue_from(p, pdf: bytes):
    document = services.create_draft(
        p.specialist, document_type=p.type("cong-van"), summary="V/v phối hợp tuyên truyền pháp luật",
        signer=p.director, file=("du-thao.pdf", pdf), recipient_units=[p.vp],
    )
    services.submit(document, p.specialist)
    services.review(document, p.unit_head, approve=True)
    services.sign(document, p.director)
    services.issue(document, p.clerk, at=ISSUED_AT)
    document.refresh_from_db()
    return document


def signature_page(pdf: bytes, name: str) -> int:
    from signing.appearance import page_words

    return max(i for i, (_w, _h, words) in enumerate(page_words(pdf)) if any(w.text == name.split()[-1]
                                                                             for w in words))


@pytest.mark.parametrize("make", [template_pdf, template_docx], ids=["pdf", "docx-libreoffice"])
def test_a_template_draft_is_numbered_in_its_blanks_once_with_every_signature_valid(keys, dev_pki, tmp_path,
                                                                                     make):
    p = keys
    draft = make(p)
    if make is template_docx:
        draft = docx_to_pdf(draft)
    assert "Số: /STP-PBGDPL" in page_text(draft, 1)
    document = issue_from(p, draft)
    assert document.notation == "01/STP-PBGDPL"
    sealed = document.current_file.read()

    text = page_text(sealed, 1)
    assert text.count("STP-PBGDPL") == 1 and text.count("01/STP-PBGDPL") == 1, text[:300]
    assert text.count("ngày 03 tháng 12 năm 2026") == 1 and text.count("năm 2026,") == 0, text[:300]
    assert not re.search(r"ngày\s+tháng|tháng\s+năm", text)
    last = signature_page(sealed, p.director.get_full_name())
    assert last >= 1  # the signature block is on page 2 or later
    for page in {0, last}:
        overlaps = overlapping_words(words_of(sealed, page))
        assert overlaps == [], "\n".join(f"{a} | {b}" for a, b in overlaps)

    statuses = pyhanko_statuses(sealed, dev_pki.root_cert_path)
    assert len(statuses) == 2 and all(s.bottom_line for s in statuses)
    assert statuses[0].modification_level.name in ("FORM_FILLING", "LTA_UPDATES")
    assert_pdfsig_all_valid(sealed, make_nss_db(tmp_path / "nss", dev_pki.root_cert_path), tmp_path, expected=2)


def seal_field(pdf: bytes) -> tuple[int, tuple[float, ...]]:
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    field = next(f.get_object() for f in reader.root["/AcroForm"]["/Fields"]
                 if str(f.get_object()["/T"]) == "chu_ky_co_quan")
    pages = [reader.find_page_for_modification(i)[0].idnum for i in range(int(reader.root["/Pages"]["/Count"]))]
    return pages.index(field.raw_get("/P").idnum) + 1, tuple(float(v) for v in field["/Rect"])


@pytest.mark.parametrize("measured, expected", [(None, 38.0), ("41.5", 41.5)])
def test_the_seal_is_printed_at_the_size_of_the_agencys_own_seal(keys, tmp_path, measured, expected):
    from decimal import Decimal

    from tests.signing.test_layout import red_box

    p = keys
    agency = p.director.agency
    agency.seal_diameter_mm = Decimal(measured) if measured else None
    agency.save(update_fields=["seal_diameter_mm"])
    assert agency.seal_size_mm() == expected  # a Sở (department) without a measured seal: 38 mm
    sealed = issue_from(p, template_pdf(p)).current_file.read()
    page, rect = seal_field(sealed)
    x1, _y1, x2, _y2 = red_box(sealed, page, rect, tmp_path)
    # The seal image's outer ring is drawn at 97 % of the image (signing.images.seal_image).
    assert abs((x2 - x1) / (72 / 25.4) - 0.97 * expected) < 1.0
