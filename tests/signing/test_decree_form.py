"""Decree 30 form of what the product renders, measured from the PDFs of the seven sample kinds."""

from __future__ import annotations

import subprocess
from datetime import date

import pytest

from signing import pades
from signing.dev.samples import DOCUMENT_KINDS, sample_document
from signing.documents import date_line, render_document
from signing.images import seal_image, signature_image
from signing.keys import SoftwareKeyStore
from tests.fixtures_pki import AGENCY_STP, DIRECTOR_KEY, SEAL_STP_KEY


def fonts(pdf: bytes, tmp_path) -> list[tuple[str, bool]]:
    """(name, embedded) of every font ``pdffonts`` lists."""
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines()[2:]:
        parts = line.split()
        # name type... encoding emb sub uni object ID: "emb" is the fifth column from the end
        rows.append((parts[0], parts[-5] == "yes"))
    return rows


@pytest.mark.parametrize("kind", DOCUMENT_KINDS)
def test_every_font_of_a_rendered_sample_is_embedded_and_none_is_helvetica(kind, tmp_path):
    listed = fonts(render_document(sample_document(kind)), tmp_path)
    assert listed and all(embedded for _name, embedded in listed), listed
    assert not [name for name, _e in listed if "Helvetica" in name]


def test_every_font_of_a_numbered_and_sealed_document_is_embedded(dev_pki, tmp_path):
    def store(key):
        return SoftwareKeyStore(dev_pki.key_store_path(key), dev_pki.key_store_passphrase(key))

    pdf = pades.add_number_date_fields(render_document(sample_document(
        "cong-van", agency=AGENCY_STP, signer_name="Nguyễn Văn An", signer_position="Giám đốc", signer_capacity=None)))
    pdf = pades.sign_person(pdf, store(DIRECTOR_KEY), name="Nguyễn Văn An", position="Giám đốc",
                            signature_image=signature_image("Nguyễn Văn An"))
    pdf = pades.fill_number_date(pdf, "45/STP-VP", date_line("Bình Minh", date(2026, 11, 22)))
    pdf = pades.sign_seal(pdf, store(SEAL_STP_KEY), agency_name=AGENCY_STP, seal_image=seal_image(AGENCY_STP))
    listed = fonts(pdf, tmp_path)
    assert listed and all(embedded for _name, embedded in listed), listed


@pytest.mark.parametrize("kind", DOCUMENT_KINDS)
def test_the_clerks_number_sits_on_the_baseline_of_so(kind):
    from signing.appearance import page_words

    pdf = pades.fill_number_date(pades.add_number_date_fields(render_document(sample_document(kind))),
                                 "45/UBND-VP", date_line("Bình Minh", date(2026, 11, 22)))
    words = page_words(pdf)[0][2]
    so = max((w for w in words if w.text == "Số:"), key=lambda w: w.y2)
    number = next(w for w in words if w.text == "45/UBND-VP")
    assert abs(number.y2 - so.y2) < 0.5 and abs(number.y1 - so.y1) < 3.5  # same size, same baseline
    assert 0 < number.x1 - so.x2 < 8  # one space after "Số:"


@pytest.mark.parametrize("kind", DOCUMENT_KINDS)
def test_the_signature_block_never_stands_alone_on_its_page(kind):
    from signing.appearance import page_words

    for paragraphs in range(1, 10):
        pages = page_words(render_document(sample_document(kind, paragraphs=paragraphs)))
        words = pages[-1][2]
        recipients = next(w for w in words if w.text == "Nơi")
        above = [w for w in words if w.y1 > recipients.y2 + 2 and not w.text.isdigit()]  # not the page number
        assert above, (kind, paragraphs, len(pages))


def _render_page1(pdf: bytes, dpi: int = 144):
    import tempfile
    from pathlib import Path

    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "a.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", str(dpi), "-gray", "-png", "-singlefile",
                        str(Path(tmp) / "a.pdf"), str(Path(tmp) / "o")], check=True)
        return Image.open(Path(tmp) / "o.png").convert("L")


def rule_below(image, y_top: float, page_height: float, x_from: float, x_to: float, dpi: int = 144):
    """(x1, x2) in points of the first horizontal rule (a dark run longer than 20 pt) in the 14 pt below
    ``y_top`` (PDF space), between ``x_from`` and ``x_to``; None when there is none."""
    s = dpi / 72
    first = int((page_height - y_top) * s) + 1
    for row in range(first, first + int(14 * s)):
        best, start = (0, 0), None
        for x in range(int(x_from * s), int(x_to * s) + 1):
            dark = x < image.width and image.getpixel((x, row)) < 160
            if dark and start is None:
                start = x
            if not dark and start is not None:
                best = max(best, (start, x), key=lambda r: r[1] - r[0])
                start = None
        if best[1] - best[0] > 20 * s:
            return best[0] / s, best[1] / s
    return None


def heading(pdf: bytes):
    from signing.appearance import page_words

    width, height, words = page_words(pdf)[0]
    title_x1 = min(w.x1 for w in words if w.text == "CỘNG")
    top = [w for w in words if w.y2 > height - 150]
    return width, height, words, title_x1, top


@pytest.mark.parametrize("kind", DOCUMENT_KINDS)
def test_the_rule_under_the_motto_is_as_long_as_the_motto_and_under_it(kind):
    from signing.appearance import _find_phrase

    pdf = render_document(sample_document(kind))
    _w, height, words, title_x1, _top = heading(pdf)
    x1, y1, x2, _y2 = _find_phrase(words, "Độc lập - Tự do - Hạnh phúc")[0]
    rule = rule_below(_render_page1(pdf), y1, height, title_x1 - 20, 595)
    assert rule is not None
    assert abs(rule[0] - x1) < 2 and abs(rule[1] - x2) < 2, (rule, x1, x2)


@pytest.mark.parametrize("kind", DOCUMENT_KINDS)
def test_the_rule_under_the_agency_name_is_centred_under_it(kind):
    pdf = render_document(sample_document(kind))
    _w, height, _words, title_x1, top = heading(pdf)
    so = max((w for w in top if w.text == "Số:"), key=lambda w: w.y2)
    name_line = min((w for w in top if w.x2 < title_x1 and w.y1 > so.y2), key=lambda w: w.y1)
    line = [w for w in top if w.x2 < title_x1 and abs(w.y1 - name_line.y1) < 2]
    centre = (min(w.x1 for w in line) + max(w.x2 for w in line)) / 2
    rule = rule_below(_render_page1(pdf), name_line.y1, height, 0, title_x1 - 1)
    assert rule is not None
    assert abs((rule[0] + rule[1]) / 2 - centre) < 2, (rule, centre)


@pytest.mark.parametrize("agency, superior", [
    ("Ủy ban nhân dân xã Bình Minh", "Ủy ban nhân dân huyện Đông Hòa"),
    ("Sở Nông nghiệp và Phát triển nông thôn tỉnh Bà Rịa - Vũng Tàu", "Ủy ban nhân dân tỉnh Bà Rịa - Vũng Tàu"),
    ("Ủy ban nhân dân thị trấn Phước Long Thọ Đông Hòa Bình", "Ủy ban nhân dân huyện Đất Đỏ Long Điền Xuyên Mộc"),
])
@pytest.mark.parametrize("kind", DOCUMENT_KINDS)
def test_long_agency_names_never_break_inside_a_place_name_nor_run_into_the_title_column(kind, agency, superior):
    pdf = render_document(sample_document(kind, agency=agency, superior_agency=superior))
    _w, _h, _words, title_x1, top = heading(pdf)
    left = [w for w in top if w.x1 < title_x1 - 10]
    assert all(w.x2 < title_x1 - 3 for w in left), [w for w in left if w.x2 >= title_x1 - 3]
    for name in (agency, superior):
        place = name.split(" ")[-3:] if "Bà Rịa" not in name else ["RỊA", "-", "VŨNG", "TÀU"]
        place = [p.upper() for p in place]
        for i, w in enumerate(left):
            if w.text == place[0] and [v.text for v in left[i:i + len(place)]] == place:
                assert len({round(v.y1) for v in left[i:i + len(place)]}) == 1, place


@pytest.mark.parametrize("kind", DOCUMENT_KINDS)
@pytest.mark.parametrize("paragraphs", [2, 5])
def test_no_stamp_line_prints_over_the_text_of_the_signature_page(kind, paragraphs, dev_pki):
    """The seal's lines (agency, time) and the person's ("Ký bởi", time) go where the page has room: no word of the
    signature page overlaps another, for the seven kinds, the closing paragraph running close above the block."""
    from tests.signing._layout_checks import overlapping_words, words_of

    def store(key):
        return SoftwareKeyStore(dev_pki.key_store_path(key), dev_pki.key_store_passphrase(key))

    name, position = "Nguyễn Văn An", "Phó Giám đốc"
    pdf = pades.add_number_date_fields(render_document(sample_document(
        kind, agency=AGENCY_STP, signer_name=name, signer_position=position, signer_capacity="KT. Giám đốc",
        paragraphs=paragraphs)))
    pdf = pades.sign_person(pdf, store(DIRECTOR_KEY), name=name, position=position,
                            signature_image=signature_image(name), preflight=False)
    pdf = pades.fill_number_date(pdf, "45/STP-VP", date_line("Bình Minh", date(2026, 11, 22)))
    pdf = pades.sign_seal(pdf, store(SEAL_STP_KEY), agency_name=AGENCY_STP, seal_image=seal_image(AGENCY_STP),
                          preflight=False)
    from signing.appearance import page_words

    last = len(page_words(pdf)) - 1
    for page in {0, last}:
        overlaps = overlapping_words(words_of(pdf, page))
        assert overlaps == [], overlaps
