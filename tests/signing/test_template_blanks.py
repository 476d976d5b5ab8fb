"""Drafts made from the agency's template, which prints the heading's blanks ("Số:      /STP-PBGDPL",
"Bình Minh, ngày      tháng      năm 2026"): the clerk's number and date fill the blanks, never print over them."""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import date

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel

from signing import pades
from signing.appearance import LayoutError, find_heading_blanks, find_signature_block
from signing.dev.samples import sample_document
from signing.documents import date_line, render_document
from signing.images import seal_image, signature_image
from signing.keys import SoftwareKeyStore
from tests.fixtures_pki import AGENCY_STP, DIRECTOR_KEY, SEAL_STP_KEY

from ._layout_checks import overlapping_words, page_text, words_of
from ._pdf_checks import assert_pdfsig_all_valid, make_nss_db, pyhanko_statuses

NAME, POSITION = "Nguyễn Văn An", "Giám đốc"
NOTATION = "02/STP-PBGDPL"
ISSUED = date(2026, 12, 3)
DATE_TEXT = date_line("Bình Minh", ISSUED)  # "Bình Minh, ngày 03 tháng 12 năm 2026"


def store(pki, key: str) -> SoftwareKeyStore:
    return SoftwareKeyStore(pki.key_store_path(key), pki.key_store_passphrase(key))


def template_draft(paragraphs: int = 5, **changes) -> bytes:
    """A công văn drafted from the template: blanks in the heading, signature block on page 2."""
    document = sample_document(
        "cong-van", agency=AGENCY_STP, superior_agency="Ủy ban nhân dân tỉnh Bình Minh", agency_abbreviation="STP",
        signer_name=NAME, signer_position=POSITION, signer_capacity=None, paragraphs=paragraphs,
    )
    return render_document(dataclasses.replace(document, notation_suffix="/STP-PBGDPL", blank_year=2026, **changes))


def field_values(pdf: bytes) -> dict[str, str]:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    return {str(f.get_object()["/T"]): str(f.get_object().get("/V", "")) for f in reader.root["/AcroForm"]["/Fields"]}


@pytest.fixture(scope="module")
def stages(dev_pki) -> dict[str, bytes]:
    out = {"draft": template_draft()}
    out["fields"] = pades.add_number_date_fields(out["draft"])
    out["person"] = pades.sign_person(out["fields"], store(dev_pki, DIRECTOR_KEY), name=NAME, position=POSITION,
                                      signature_image=signature_image(NAME))
    out["filled"] = pades.fill_number_date(out["person"], NOTATION, DATE_TEXT)
    out["sealed"] = pades.sign_seal(out["filled"], store(dev_pki, SEAL_STP_KEY), agency_name=AGENCY_STP,
                                    seal_image=seal_image(AGENCY_STP))
    return out


def assert_numbered_once(pdf: bytes) -> None:
    text = page_text(pdf, 1)
    assert text.count("STP-PBGDPL") == 1, text[:400]
    assert text.count(NOTATION) == 1, text[:400]
    assert text.count("ngày 03 tháng 12 năm 2026") == 1, text[:400]
    assert text.count("năm 2026") == 1, text[:400]
    assert not re.search(r"ngày\s+tháng|tháng\s+năm", text), text[:400]  # no empty blank left


def test_the_template_draft_is_realistic_with_blanks_and_the_signature_block_on_page_2():
    pdf = template_draft()
    assert "Số: /STP-PBGDPL" in page_text(pdf, 1)
    assert "ngày tháng năm 2026" in page_text(pdf, 1)
    assert find_signature_block(pdf, name=NAME, position=POSITION).page == 1


def test_every_blank_of_the_template_gets_its_own_field_in_the_gap_at_the_line_size():
    blanks = {b.part: b for b in find_heading_blanks(template_draft())}
    assert set(blanks) == {"number", "day", "month"}
    assert blanks["number"].suffix == "/STP-PBGDPL" and blanks["month"].suffix == "2026"
    assert (blanks["number"].size, blanks["number"].style) == (13, "Regular")  # as documents.py prints them
    assert (blanks["day"].size, blanks["day"].style) == (13.5, "Italic")
    words = words_of(template_draft())
    for blank in blanks.values():  # the field lies in the gap: no printed word inside it
        x1, y1, x2, y2 = blank.rect
        assert not [w for w in words if min(w.x2, x2) - max(w.x1, x1) > 0.5 and min(w.y2, y2) - max(w.y1, y1) > 0.5]


def test_number_and_date_fill_the_blanks_and_appear_exactly_once_in_the_header(stages):
    assert_numbered_once(stages["filled"])
    assert_numbered_once(stages["sealed"])
    values = field_values(stages["filled"])
    assert (values[pades.NUMBER_FIELD], values[pades.DATE_FIELD], values[pades.DATE_MONTH_FIELD]) == ("02", "03", "12")


def test_the_filled_number_and_date_sit_on_the_baseline_of_their_line_in_its_size(stages):
    words = words_of(stages["filled"])
    by_text = {w.text: w for w in words if w.y2 > 650}
    so, number, tail = by_text["Số:"], by_text["02"], by_text["/STP-PBGDPL"]
    ngay, day, month = by_text["ngày"], by_text["03"], by_text["12"]
    for filled, printed in ((number, so), (day, ngay), (month, ngay)):
        assert abs(filled.y2 - printed.y2) < 0.5  # same top at the same size: same baseline
    assert so.x2 < number.x1 and number.x2 <= tail.x1 + 0.5  # "02" right before the printed "/STP-PBGDPL"
    assert ngay.x2 < day.x1 < day.x2 < by_text["tháng"].x1
    assert by_text["tháng"].x2 < month.x1 < month.x2 < by_text["năm"].x1


def test_no_two_words_overlap_on_page_1_or_the_signature_page(stages):
    for page in (0, 1):
        assert overlapping_words(words_of(stages["sealed"], page)) == []


def test_signatures_on_a_template_draft_stay_valid_for_pyhanko_and_pdfsig(stages, dev_pki, tmp_path):
    person, seal = pyhanko_statuses(stages["sealed"], dev_pki.root_cert_path)
    assert person.bottom_line and seal.bottom_line, person.pretty_print_details()
    assert person.modification_level == ModificationLevel.FORM_FILLING
    reader = PdfFileReader(io.BytesIO(stages["person"]), strict=False)
    [embedded] = reader.embedded_signatures
    for name in (pades.NUMBER_FIELD, pades.DATE_FIELD, pades.DATE_MONTH_FIELD):
        assert not embedded.fieldmdp.is_locked(name)
    nssdir = make_nss_db(tmp_path / "nss", dev_pki.root_cert_path)
    assert_pdfsig_all_valid(stages["sealed"], nssdir, tmp_path, expected=2)


def test_a_notation_or_year_the_template_does_not_print_is_refused(stages):
    with pytest.raises(LayoutError, match="không khớp"):
        pades.fill_number_date(stages["person"], "02/UBND-VP", DATE_TEXT)
    with pytest.raises(LayoutError, match="năm 2026"):
        pades.fill_number_date(stages["person"], NOTATION, date_line("Bình Minh", date(2027, 1, 5)))


def test_a_draft_without_blanks_keeps_the_two_whole_fields():
    plain = render_document(sample_document("cong-van", agency=AGENCY_STP, signer_name=NAME,
                                            signer_position=POSITION, signer_capacity=None, paragraphs=2))
    assert find_heading_blanks(plain) == []
    pdf = pades.fill_number_date(pades.add_number_date_fields(plain), NOTATION, DATE_TEXT)
    assert set(field_values(pdf)) == {pades.NUMBER_FIELD, pades.DATE_FIELD}
    assert field_values(pdf)[pades.NUMBER_FIELD] == NOTATION
    text = page_text(pdf, 1)
    assert text.count(NOTATION) == 1 and text.count(DATE_TEXT) == 1
