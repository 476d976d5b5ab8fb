"""The copy mark of a scanned paper original (sao y) goes where the page is free, never over the original."""

from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from pyhanko.pdf_utils.reader import PdfFileReader

from signing import pades
from signing.dev.samples import sample_document
from signing.documents import render_document
from signing.keys import SoftwareKeyStore
from tests.fixtures_pki import AGENCY_STP, SEAL_STP_KEY

from ._pdf_checks import assert_pdfsig_all_valid, make_nss_db, pyhanko_statuses

DPI = 100


def render(pdf: bytes, page: int = 1) -> Image.Image:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "in.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-f", str(page), "-l", str(page), "-r", str(DPI), "-gray", "-png", "-singlefile",
                        str(Path(tmp) / "in.pdf"), str(Path(tmp) / "out")], check=True, capture_output=True)
        return Image.open(Path(tmp) / "out.png").convert("L")


def as_scan(image: Image.Image) -> bytes:
    """An image-only PDF, A4, the way a scanner writes one (one full-page image, no text layer)."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(595.28, 841.89))
    canvas.drawImage(ImageReader(image.convert("RGB")), 0, 0, width=595.28, height=841.89)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def scan_with_heading_at_the_top() -> tuple[bytes, Image.Image]:
    """A scanned letter (image only, no text layer) whose heading starts 5 mm from the top edge."""
    page = render(render_document(sample_document("cong-van", agency=AGENCY_STP)))
    shift = int(15 / 25.4 * DPI)  # the 20 mm top margin, less 5 mm
    scanned = Image.new("L", page.size, 255)
    scanned.paste(page.crop((0, shift, page.width, page.height)), (0, 0))
    return as_scan(scanned), scanned


def copy_rect(pdf: bytes) -> tuple[int, tuple[float, ...]]:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    for ref in reader.root["/AcroForm"]["/Fields"]:
        field = ref.get_object()
        if str(field["/T"]) == pades.COPY_FIELD:
            pages = [reader.find_page_for_modification(i)[0].idnum for i in range(int(reader.root["/Pages"]["/Count"]))]
            return pages.index(field.raw_get("/P").idnum), tuple(float(v) for v in field["/Rect"])
    raise AssertionError("no copy signature field")


def ink_under(image: Image.Image, rect, page_height: float) -> int:
    x1, y1, x2, y2 = (v * DPI / 72 for v in rect)
    box = (int(x1), int(page_height * DPI / 72 - y2), int(x2) + 1, int(page_height * DPI / 72 - y1) + 1)
    return image.crop(box).getextrema()[0]


@pytest.fixture
def seal(dev_pki) -> SoftwareKeyStore:
    return SoftwareKeyStore(dev_pki.key_store_path(SEAL_STP_KEY), dev_pki.key_store_passphrase(SEAL_STP_KEY))


def test_copy_mark_of_a_scan_whose_heading_starts_at_the_top_overlaps_no_ink_of_the_original(seal, dev_pki,
                                                                                            tmp_path):
    scan, image = scan_with_heading_at_the_top()
    # The control: where the mark used to go (top right, 4 mm from the top), the scan has its national title.
    old = (595.28 - 15 * pades.MM - 230, 841.89 - 4 * pades.MM - 48, 595.28 - 15 * pades.MM, 841.89 - 4 * pades.MM)
    assert ink_under(image, old, 841.89) < 128
    signed = pades.sign_copy(scan, seal, copy_form="sao y", copy_number="05/SY-STP", agency_name=AGENCY_STP)
    page, rect = copy_rect(signed)
    assert page == 0
    assert ink_under(image, rect, 841.89) >= 200  # white under the whole mark
    [status] = pyhanko_statuses(signed, dev_pki.root_cert_path)
    assert status.bottom_line, status.pretty_print_details()
    assert_pdfsig_all_valid(signed, make_nss_db(tmp_path / "nss", dev_pki.root_cert_path), tmp_path, expected=1)


def test_a_scan_with_no_free_space_on_page_1_gets_the_copy_mark_on_a_page_of_its_own(seal, dev_pki, tmp_path):
    full = Image.new("L", (int(595.28 * DPI / 72), int(841.89 * DPI / 72)), 255)
    draw = ImageDraw.Draw(full)
    for y in range(0, full.height, 9):  # dense lines of "ink" over the whole page
        draw.line((0, y, full.width, y), fill=0, width=2)
    signed = pades.sign_copy(as_scan(full), seal, copy_form="sao y", copy_number="06/SY-STP", agency_name=AGENCY_STP)
    page, _rect = copy_rect(signed)
    assert page == 1
    assert int(PdfFileReader(io.BytesIO(signed), strict=False).root["/Pages"]["/Count"]) == 2
    [status] = pyhanko_statuses(signed, dev_pki.root_cert_path)
    assert status.bottom_line, status.pretty_print_details()
    assert_pdfsig_all_valid(signed, make_nss_db(tmp_path / "nss", dev_pki.root_cert_path), tmp_path, expected=1)


def test_a_signed_document_without_room_on_page_1_is_refused_rather_than_stamped_over(seal):
    black = as_scan(Image.new("L", (int(595.28 * DPI / 72), int(841.89 * DPI / 72)), 0))
    signed = pades.BatchSealer(seal).seal(black)  # already signed: no page may be added any more
    with pytest.raises(pades.LayoutError, match="không còn chỗ trống"):
        pades.sign_copy(signed, seal, copy_form="sao y", copy_number="08/SY-STP", agency_name=AGENCY_STP)
