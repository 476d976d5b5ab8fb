"""The Decree 30 layout: documents, signature block, seal geometry, stamps, images."""

from __future__ import annotations

import io
import subprocess
from datetime import UTC, date, datetime

import pytest
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader

from signing import images, pades
from signing.appearance import (
    MM,
    LayoutError,
    find_signature_block,
    format_signing_time,
    page_words,
    person_image_rect,
)
from signing.dev.samples import sample_document
from signing.documents import date_line, render_document
from signing.images import seal_image, signature_image
from signing.keys import SoftwareKeyStore
from tests.fixtures_pki import AGENCY_STP, DIRECTOR_KEY, SEAL_STP_KEY

NAME, POSITION = "Nguyễn Văn An", "Phó Giám đốc"


def store(pki, key):
    return SoftwareKeyStore(pki.key_store_path(key), pki.key_store_passphrase(key))


def two_page_draft() -> bytes:
    return render_document(sample_document(
        "bao-cao", agency=AGENCY_STP, signer_name=NAME, signer_position=POSITION, signer_capacity="KT. Giám đốc",
        paragraphs=6,
    ))


@pytest.fixture(scope="module")
def sealed(dev_pki) -> bytes:
    pdf = pades.add_number_date_fields(two_page_draft())
    pdf = pades.sign_person(pdf, store(dev_pki, DIRECTOR_KEY), name=NAME, position=POSITION,
                            signature_image=signature_image(NAME))
    return pades.sign_seal(pdf, store(dev_pki, SEAL_STP_KEY), agency_name=AGENCY_STP,
                           seal_image=seal_image(AGENCY_STP))


def widgets(pdf: bytes) -> dict[str, tuple[float, float, float, float]]:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    out = {}
    for ref in reader.root["/AcroForm"]["/Fields"]:
        field = ref.get_object()
        out[str(field["/T"])] = tuple(float(v) for v in field["/Rect"])
    return out


def test_document_has_the_decree_30_parts_in_liberation_serif(tmp_path):
    doc = sample_document("cong-van", notation_number=45, issued=date(2026, 11, 2))
    path = tmp_path / "cv.pdf"
    path.write_bytes(render_document(doc))
    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout.split())
    for part in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Số: 45/UBND-VP",
                 "Bình Minh, ngày 02 tháng 11 năm 2026", "V/v triển khai", "Kính gửi:", "Nơi nhận:",
                 "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Nguyễn Văn An", "ỦY BAN NHÂN DÂN XÃ BÌNH MINH"):
        assert part in text, part
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert any("LiberationSerif" in line and " yes yes " in line for line in fonts.splitlines())  # embedded


def test_date_line_writes_leading_zeros_as_decree_30_does():
    assert date_line("Bình Minh", date(2026, 2, 5)) == "Bình Minh, ngày 05 tháng 02 năm 2026"
    assert date_line("Bình Minh", date(2026, 11, 22)) == "Bình Minh, ngày 22 tháng 11 năm 2026"


def test_missing_fonts_fail_with_a_clear_message(monkeypatch, tmp_path):
    monkeypatch.setattr(images, "FONT_DIRS", (tmp_path,))
    images.font_path.cache_clear()
    try:
        with pytest.raises(images.FontMissingError, match="fonts-liberation2"):
            images.font_path("Regular")
    finally:
        monkeypatch.undo()
        images.font_path.cache_clear()


def test_signature_block_is_the_blank_space_between_position_and_name():
    pdf = two_page_draft()
    pages = page_words(pdf)
    block = find_signature_block(pdf, name=NAME, position=POSITION)
    assert len(pages) == 2 and block.page == 1  # the block closes the document, on its last page
    words = pages[1][2]
    title_bottom = min(w.y1 for w in words if w.text == "GIÁM" and w.y1 > block.rect[1])
    name_top = max(w.y2 for w in words if w.text == "An")
    x1, y1, x2, y2 = block.rect
    assert name_top <= y1 < y2 <= title_bottom
    assert y2 - y1 > 60  # room for a signature
    name_word = next(w for w in words if w.text == "An")
    assert x1 < name_word.x1 and x2 > name_word.x2


def test_missing_signature_block_is_a_clear_error():
    with pytest.raises(LayoutError, match="Không tìm thấy khối chữ ký"):
        find_signature_block(two_page_draft(), name="Trần Văn Không", position="Giám đốc")


def test_number_and_date_fields_sit_in_the_heading():
    pdf = two_page_draft()
    words = page_words(pdf)[0][2]
    so = next(w for w in words if w.text == "Số:")
    motto_bottom = min(w.y1 for w in words if w.text == "phúc")
    rects = widgets(pades.add_number_date_fields(pdf))
    nx1, ny1, _nx2, ny2 = rects[pades.NUMBER_FIELD]
    assert nx1 >= so.x2 and ny1 <= so.y1 and ny2 >= so.y2  # right after "Số:", on its line
    _dx1, _dy1, _dx2, dy2 = rects[pades.DATE_FIELD]
    assert dy2 <= motto_bottom  # under the motto


def red_box(pdf: bytes, page: int, rect, tmp_path) -> tuple[float, float, float, float]:
    """The bounding box (PDF points) of the seal's red circle inside ``rect`` on ``page`` (1-based), rendered at
    144 dpi: the columns holding more than 16 pt of red (the 6 pt red text lines beside the seal hold less)."""
    path = tmp_path / "red.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "144", "-f", str(page), "-l", str(page), "-png", "-singlefile", str(path),
                    str(tmp_path / "red")], check=True)
    image = Image.open(tmp_path / "red.png").convert("RGB")
    x1, y1, x2, y2 = rect
    left, top = int(x1 * 2), int(image.height - y2 * 2)
    crop = image.crop((left, top, int(x2 * 2) + 1, int(image.height - y1 * 2) + 1))
    red = [[p[0] > 150 and p[1] < 110 and p[2] < 110 for p in (crop.getpixel((x, y)) for y in range(crop.height))]
           for x in range(crop.width)]
    columns = [x for x, column in enumerate(red) if sum(column) > 32]
    rows = [y for y in range(crop.height) if any(red[x][y] for x in columns)]
    bx1, bx2, by1, by2 = min(columns), max(columns) + 1, min(rows), max(rows) + 1
    return ((left + bx1) / 2, (image.height - top - by2) / 2, (left + bx2) / 2, (image.height - top - by1) / 2)


def test_seal_is_real_size_and_covers_the_left_third_of_the_signature_image(sealed, tmp_path):
    rects = widgets(sealed)
    image = person_image_rect(rects[pades.PERSON_FIELD])
    sx1, sy1, sx2, sy2 = red_box(sealed, 2, rects[pades.SEAL_FIELD], tmp_path)  # the seal as printed
    diameter_mm = (sx2 - sx1) / MM
    assert 34 <= diameter_mm <= 40
    overlap = (sx2 - image[0]) / (image[2] - image[0])
    assert 0.28 <= overlap <= 0.37
    assert abs((sy1 + sy2) / 2 - (image[1] + image[3]) / 2) < 2  # seal centred on the signature


def test_seal_text_lines_overlap_no_text_of_the_page(sealed):
    from tests.signing._layout_checks import overlapping_words, words_of

    assert overlapping_words(words_of(sealed, 1)) == []


def test_rendered_seal_is_red_and_signature_is_blue(sealed, tmp_path):
    path = tmp_path / "sealed.pdf"
    path.write_bytes(sealed)
    subprocess.run(["pdftoppm", "-r", "72", "-f", "2", "-l", "2", "-png", str(path), str(tmp_path / "p")],
                   check=True)
    page = Image.open(next(tmp_path.glob("p*.png"))).convert("RGB")
    height = page.height
    rects = widgets(sealed)

    def count(rect, predicate) -> int:
        x1, y1, x2, y2 = rect
        crop = page.crop((int(x1), int(height - y2), int(x2), int(height - y1)))
        return sum(1 for px in crop.get_flattened_data() if predicate(px))

    red = count(rects[pades.SEAL_FIELD], lambda p: p[0] > 150 and p[1] < 110 and p[2] < 110)
    image = person_image_rect(rects[pades.PERSON_FIELD])
    right_of_seal = (rects[pades.SEAL_FIELD][2] + 2, image[1], image[2], image[3])
    blue = count(right_of_seal, lambda p: p[2] > 110 and p[0] < 110 and p[2] - p[0] > 60)
    assert red > 500 and blue > 50


def test_attachment_stamp_is_top_right_text_only_in_10pt_liberation_serif(dev_pki):
    pdf = render_document(sample_document("thong-bao", notation_number=7, paragraphs=1))
    signed = pades.sign_attachment(pdf, store(dev_pki, SEAL_STP_KEY), notation="07/TB-UBND")
    reader = PdfFileReader(io.BytesIO(signed), strict=False)
    field = reader.root["/AcroForm"]["/Fields"][0].get_object()
    x1, y1, x2, y2 = (float(v) for v in field["/Rect"])
    media = reader.root["/Pages"]["/Kids"][0].get_object()["/MediaBox"]
    page_w, page_h = float(media[2]), float(media[3])
    assert x2 > page_w - 20 * MM and y2 > page_h - 10 * MM and x1 > page_w / 2
    appearance = field["/AP"]["/N"]
    content = appearance.data
    assert b" 10 Tf" in content and b"0 0 0 rg" in content
    xobjects = appearance["/Resources"].get("/XObject", {})
    assert not any(x.get_object().get("/Subtype") == "/Image" for x in xobjects.values())
    fonts = [f.get_object()["/BaseFont"] for f in appearance["/Resources"]["/Font"].values()]
    assert fonts and all("LiberationSerif" in str(f) for f in fonts)


def test_copy_stamp_says_the_copy_form_number_agency_and_time():
    pdf = render_document(sample_document("thong-bao", notation_number=8, paragraphs=1))
    plan = pades.plan_copy_signature(pdf, copy_form="trích sao", copy_number="03/TrS-UBND", agency_name=AGENCY_STP)
    texts = [line.template for line in plan.stamp_style.lines]
    assert texts == ["TRÍCH SAO", "Số: 03/TrS-UBND", AGENCY_STP, "Thời gian ký: {time}"]
    assert all(line.size == 10 for line in plan.stamp_style.lines)
    assert plan.stamp_style.image_png is None
    with pytest.raises(ValueError):
        pades.plan_copy_signature(pdf, copy_form="bản chính", copy_number="1", agency_name=AGENCY_STP)


def test_signing_time_is_iso_8601_in_vietnam_time():
    assert format_signing_time(datetime(2026, 11, 22, 2, 15, tzinfo=UTC)) == "2026-11-22T09:15:00+07:00"


def test_signature_and_seal_images_are_transparent_rgba_in_their_inks():
    signature = Image.open(io.BytesIO(signature_image(NAME)))
    seal = Image.open(io.BytesIO(seal_image(AGENCY_STP)))
    assert signature.mode == "RGBA" and seal.mode == "RGBA"
    assert signature.getpixel((0, 0))[3] == 0 and seal.getpixel((0, 0))[3] == 0
    ink = [p for p in signature.get_flattened_data() if p[3] > 200]
    assert ink and all(p[2] > p[0] for p in ink)  # blue
    red = [p for p in seal.get_flattened_data() if p[3] > 200]
    assert red and all(p[0] > 150 and p[2] < 100 for p in red)
    assert seal.width >= 500  # about 400 dpi at 38 mm
    assert signature_image(NAME) == signature_image(NAME)  # the same person always signs the same way
