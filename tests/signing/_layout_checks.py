"""Layout measurements shared by the layout tests: words and their boxes as poppler reads them."""

from __future__ import annotations

import re
import subprocess
import tempfile

from signing.appearance import Word, page_words


def page_text(pdf: bytes, page: int = 1) -> str:
    """``pdftotext`` of one page (1-based), whitespace collapsed."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as tmp:
        tmp.write(pdf)
        tmp.flush()
        out = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), tmp.name, "-"], capture_output=True,
                             check=True).stdout.decode()
    return re.sub(r"\s+", " ", out)


def overlapping_words(words: list[Word], tolerance: float = 0.5) -> list[tuple[Word, Word]]:
    """Pairs of words printed over each other: boxes overlapping by more than ``tolerance`` points across and by
    more than a third of the smaller height (poppler's boxes of neighbouring lines touch where a font's ascent and
    descent exceed the line spacing: that is not text over text)."""
    pairs = []
    for i, a in enumerate(words):
        for b in words[i + 1:]:
            dx = min(a.x2, b.x2) - max(a.x1, b.x1)
            dy = min(a.y2, b.y2) - max(a.y1, b.y1)
            if dx > tolerance and dy > max(tolerance, min(a.y2 - a.y1, b.y2 - b.y1) / 3):
                pairs.append((a, b))
    return pairs


def words_of(pdf: bytes, page: int = 0) -> list[Word]:
    return page_words(pdf)[page][2]
