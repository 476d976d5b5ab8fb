"""The text of a PDF: its text layer (poppler's ``pdftotext``), or OCR in Vietnamese for scans (OCRmyPDF with
Tesseract's ``vie`` model). Plain functions on bytes; :mod:`eoffice.archive.services` stores the results."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

# A page with fewer visible characters than this in its text layer is treated as a scan.
MIN_CHARS_PER_PAGE = 40
PDFTOTEXT_TIMEOUT = 60
OCR_TIMEOUT = 600


class TextError(Exception):
    """The text could not be extracted; ``message`` is Vietnamese."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


def text_layer(data: bytes) -> str:
    """The text layer of a PDF (empty for a pure scan)."""
    with tempfile.TemporaryDirectory(prefix="eoffice-text-") as tmp:
        source = Path(tmp) / "in.pdf"
        source.write_bytes(data)
        try:
            done = subprocess.run(["pdftotext", "-enc", "UTF-8", "-q", str(source), "-"], capture_output=True,
                                  timeout=PDFTOTEXT_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise TextError("Không đọc được nội dung chữ của tệp PDF.", repr(error)) from error
        if done.returncode != 0:
            raise TextError("Không đọc được nội dung chữ của tệp PDF.", done.stderr.decode(errors="replace"))
        return done.stdout.decode("utf-8", errors="replace").replace("\f", "\n").strip()


def looks_scanned(text: str, page_count: int | None) -> bool:
    visible = sum(1 for ch in text if not ch.isspace())
    return visible < MIN_CHARS_PER_PAGE * max(1, page_count or 1)


def ocr(data: bytes, *, language: str = "vie") -> tuple[bytes, str]:
    """(the PDF with an OCR text layer, its text). Pages that already have text are kept as they are."""
    with tempfile.TemporaryDirectory(prefix="eoffice-ocr-") as tmp:
        source, output, sidecar = Path(tmp) / "in.pdf", Path(tmp) / "out.pdf", Path(tmp) / "out.txt"
        source.write_bytes(data)
        command = ["ocrmypdf", "-l", language, "--skip-text", "--output-type", "pdf", "--optimize", "0",
                   "--jobs", "1", "--quiet", "--sidecar", str(sidecar), str(source), str(output)]
        try:
            done = subprocess.run(command, capture_output=True, timeout=OCR_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise TextError("Không nhận dạng được chữ trong bản quét.", repr(error)) from error
        if done.returncode != 0 or not output.exists():
            raise TextError("Không nhận dạng được chữ trong bản quét.", done.stderr.decode(errors="replace")[-2000:])
        text = sidecar.read_text(encoding="utf-8", errors="replace") if sidecar.exists() else ""
        return output.read_bytes(), text.replace("\f", "\n").strip()
