"""A scanned Vietnamese page becomes searchable: the ``ocr`` queue OCRs it in Vietnamese (OCRmyPDF + Tesseract
``vie``), keeps the text with the stored file, and the document is reindexed with it."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw, ImageFont

import search
from eoffice.archive.models import DocumentText, TextMethod
from eoffice.incoming.models import IncomingFile
from search.indexing import viewer_for
from signing.images import font_path
from tests.factories import make_incoming
from tests.search.integration import wait_for_tasks

pytestmark = pytest.mark.django_db(transaction=True)

LINES = ("QUYẾT ĐỊNH", "Thành lập đoàn thanh tra liên ngành", "về công tác bồi thường giải phóng mặt bằng")


def scanned_pdf() -> bytes:
    """An image-only PDF of Vietnamese text rendered at 300 dpi in Liberation Serif (a short page)."""
    image = Image.new("L", (2000, 520), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(font_path("Regular")), 58)
    for n, line in enumerate(LINES):
        draw.text((120, 80 + n * 130), line, font=font, fill=0)
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    width, height = image.width * 72 / 300, image.height * 72 / 300  # 300 dpi
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(width, height), invariant=True)
    pdf.drawImage(ImageReader(image), 0, 0, width=width, height=height)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def test_a_scanned_vietnamese_page_becomes_searchable(worker, office):
    doc = make_incoming(office.clerk, "Bản quét văn bản giấy", files=[("ban-quet.pdf", scanned_pdf())])
    wait_for_tasks(timeout=300)
    stored = IncomingFile.objects.get(document=doc).stored_file
    text = DocumentText.objects.get(stored_file=stored)
    assert text.method == TextMethod.OCR
    assert text.ocr_file_id not in (None, stored.pk)
    assert "thanh tra" in text.text.lower()
    viewer = viewer_for(office.clerk)
    for query in ("đoàn thanh tra liên ngành", "doan thanh tra lien nganh", "giai phong mat bang"):
        assert [hit.id for hit in search.search(query, viewer).hits] == [f"in:{doc.pk}"], query
    assert search.search("doan thanh tra", viewer_for(office.outsider_clerk)).total == 0
