"""The Decree 30 layout of visible signatures: where each signature goes and what it shows.

Two questions, kept apart so that every signing path (software keys, PKCS#11, two-step) draws exactly the same:

* **Where** — read from the document itself. :func:`find_signature_block` finds the signature block on the last
  pages from the text layer (``pdftotext -bbox`` from poppler, already a system dependency): the position line
  ("PHÓ CHỦ TỊCH") and, below it, the signer's name; the person's signature goes in the blank space between them.
  :func:`find_heading_fields` finds where the clerk's number/notation and place/date go in the heading.
  :func:`seal_rect` places the agency seal from the person's signature: real size, over the left third of the
  signature image. Everything is in PDF user space (points, origin bottom-left).
* **What** — :class:`DecreeStampStyle`, a pyHanko stamp style drawing an optional image and lines of text in
  Liberation Serif (embedded, subset) at fixed places in the field, with the signing time in Vietnam time, ISO 8601.
"""

from __future__ import annotations

import functools
import hashlib
import html
import io
import logging
import os
import re
import subprocess
import tempfile
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image
from pyhanko.pdf_utils import layout
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.text import TextBox, TextBoxStyle
from pyhanko.stamp import TextStampStyle
from pyhanko.stamp.base import BaseStamp

from .images import SEAL_DIAMETER_MM, font_path

__all__ = [
    "MM",
    "VIETNAM_TZ",
    "DecreeStampStyle",
    "LayoutError",
    "Rect",
    "SignatureBlock",
    "StampLine",
    "find_heading_fields",
    "find_signature_block",
    "format_signing_time",
    "pdf_font_path",
    "page_words",
    "person_image_rect",
    "seal_rect",
]

# fontTools' subsetter warns about tables it drops (FFTM ...) on every signature; that is expected, not news.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)

MM = 72 / 25.4
VIETNAM_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
Rect = tuple[float, float, float, float]  # (x1, y1, x2, y2), PDF user space

# The stamp renders pyHanko's %(ts)s (the signing time, machine-local zone) in this parseable form, then converts
# it to Vietnam time itself: the server's own time zone must not change what the document says.
_TS_FORMAT = "%Y-%m-%dT%H:%M:%S%z"

PERSON_FIELD_WIDTH = 190.0
PERSON_TEXT_STRIP = 15.0  # two 6 pt lines under the signature image: signer and time
SEAL_DIAMETER = SEAL_DIAMETER_MM * MM
SEAL_TEXT_STRIP = 16.0


class LayoutError(ValueError):
    """The document does not have the expected Decree 30 part (signature block, heading) where it was looked for."""


@dataclass(frozen=True)
class SignatureBlock:
    """Where a visible signature goes: a page index (0-based) and a rectangle on it."""

    page: int
    rect: Rect


@functools.cache
def pdf_font_path(style: str = "Regular") -> str:
    """Liberation Serif rescaled to 1000 units per em, for embedding in signature appearances and form fields.

    pyHanko's OpenType embedding (0.38) writes glyph widths in the font's own units, while PDF glyph space is always
    1000 units per em; Liberation uses 2048, so its letters would be spread twice too wide. A rescaled copy (hinting
    dropped: it cannot be rescaled and PDF viewers do not need it) is made once per machine in a cache directory.
    """
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.scaleUpem import scale_upem

    source = font_path(style)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:12]
    cache = Path(os.environ.get("EOFFICE_FONT_CACHE") or Path(tempfile.gettempdir()) / f"eoffice-fonts-{os.getuid()}")
    target = cache / f"{source.stem}-upem1000-{digest}.ttf"
    if target.is_file():
        return str(target)
    font = TTFont(str(source))
    if font["head"].unitsPerEm == 1000:
        return str(source)
    for table in ("fpgm", "prep", "cvt ", "hdmx", "LTSH", "VDMX", "FFTM", "gasp"):
        if table in font:
            del font[table]
    glyf = font["glyf"]
    for name in font.getGlyphOrder():
        glyf[name].removeHinting()
    scale_upem(font, 1000)
    cache.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache, suffix=".ttf")
    with os.fdopen(fd, "wb") as handle:
        font.save(handle)
    os.replace(tmp, target)
    return str(target)


def format_signing_time(moment: datetime) -> str:
    """ISO 8601 in Vietnam time, to the second: ``2026-11-22T09:15:00+07:00``."""
    return moment.astimezone(VIETNAM_TZ).isoformat(timespec="seconds")


# ------------------------------------------------------------------------------------------------- reading the PDF
@dataclass(frozen=True)
class Word:
    text: str
    x1: float
    y1: float  # bottom, PDF user space
    x2: float
    y2: float  # top


def _norm(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def page_words(pdf: bytes) -> list[tuple[float, float, list[Word]]]:
    """Every page's (width, height, words) from poppler's ``pdftotext -bbox``, in PDF user space."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as tmp:
        tmp.write(pdf)
        tmp.flush()
        proc = subprocess.run(
            ["pdftotext", "-q", "-bbox", tmp.name, "-"], capture_output=True, check=False, timeout=60
        )
    if proc.returncode != 0:
        raise LayoutError("Không đọc được nội dung văn bản PDF để xác định vị trí chữ ký.")
    out = proc.stdout.decode("utf-8", "replace")
    pages = []
    for m in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', out, re.S):
        width, height = float(m.group(1)), float(m.group(2))
        words = [
            Word(html.unescape(w.group(5)), float(w.group(1)), height - float(w.group(4)),
                 float(w.group(3)), height - float(w.group(2)))
            for w in re.finditer(
                r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', m.group(3)
            )
        ]
        pages.append((width, height, words))
    return pages


def _find_phrase(words: list[Word], phrase: str) -> list[Rect]:
    """Bounding boxes of every occurrence of ``phrase`` as consecutive words on one line."""
    target = [_norm(t) for t in phrase.split()]
    hits = []
    for i in range(len(words) - len(target) + 1):
        run = words[i : i + len(target)]
        if [_norm(w.text).strip(",.;:") for w in run] != target:
            continue
        if max(w.y2 for w in run) - min(w.y2 for w in run) > 3:  # not on one line
            continue
        hits.append((min(w.x1 for w in run), min(w.y1 for w in run), max(w.x2 for w in run),
                     max(w.y2 for w in run)))
    return hits


def find_signature_block(pdf: bytes, *, name: str, position: str, width: float = PERSON_FIELD_WIDTH) -> SignatureBlock:
    """The blank space of the signature block: under the position line, above the signer's name.

    Searches from the last page backwards (a signature block closes the document), taking the lowest occurrence of
    the name that has the position title above it within 150 points, as Decree 30 lays the block out.
    """
    pages = page_words(pdf)
    for index in range(len(pages) - 1, -1, -1):
        _w, _h, words = pages[index]
        names = sorted(_find_phrase(words, name), key=lambda r: r[1])
        titles = _find_phrase(words, position)
        for nx1, _ny1, nx2, ny2 in names:
            centre = (nx1 + nx2) / 2
            above = [t for t in titles if 0 < t[1] - ny2 < 150 and abs((t[0] + t[2]) / 2 - centre) < 80]
            if not above:
                continue
            title = min(above, key=lambda t: t[1] - ny2)
            bottom, top = ny2 + 1, title[1] - 1
            return SignatureBlock(index, (centre - width / 2, bottom, centre + width / 2, top))
    raise LayoutError(
        f"Không tìm thấy khối chữ ký của “{name}” ({position}) trong văn bản: hãy chỉ định vị trí chữ ký."
    )


def find_heading_fields(pdf: bytes) -> tuple[int, Rect, Rect]:
    """Where the clerk's two fields go on the first page: after "Số:", and under the national motto.

    Returns (page index, number rectangle, place/date rectangle).
    """
    width, _height, words = page_words(pdf)[0]
    numbers = [w for w in words if w.text == "Số:"]
    mottos = _find_phrase(words, "Độc lập - Tự do - Hạnh phúc")
    if not numbers or not mottos:
        raise LayoutError("Văn bản không có phần “Số:” hoặc tiêu ngữ ở đầu trang như Nghị định 30 quy định.")
    number = max(numbers, key=lambda w: w.y2)  # the heading's, the highest one
    motto = mottos[0]
    number_rect = (number.x2 + 2, number.y1 - 1, number.x2 + 2 + 150, number.y2 + 5)
    centre = (motto[0] + motto[2]) / 2
    half = min(135.0, width - centre - 10)
    line = motto[3] - motto[1]
    date_rect = (centre - half, motto[1] - 8 - line - 6, centre + half, motto[1] - 8 + 2)
    return 0, number_rect, date_rect


# --------------------------------------------------------------------------------------------- geometry of stamps
def person_image_rect(field_rect: Rect) -> Rect:
    """The part of a person's signature field that holds the handwritten image (above the text strip)."""
    x1, y1, x2, y2 = field_rect
    height = (y2 - y1) - PERSON_TEXT_STRIP
    width = min((x2 - x1) * 0.8, height * (600 / 260))
    cx = (x1 + x2) / 2
    return (cx - width / 2, y1 + PERSON_TEXT_STRIP, cx + width / 2, y2)


def seal_rect(image_rect: Rect, page_width: float | None = None) -> Rect:
    """The seal signature field: the seal at real size, its right edge a third of the way into the signature image,
    vertically centred on it, with a strip above for the agency's name and the time."""
    x1, y1, x2, y2 = image_rect
    right = x1 + (x2 - x1) / 3
    left = right - SEAL_DIAMETER
    if left < 0:  # keep it on the page, even for a signature block hard against the left edge
        left, right = 0.0, SEAL_DIAMETER
    cy = (y1 + y2) / 2
    bottom = cy - SEAL_DIAMETER / 2
    return (left, bottom, right, bottom + SEAL_DIAMETER + SEAL_TEXT_STRIP)


# ------------------------------------------------------------------------------------------------------ the stamp
@dataclass(frozen=True)
class StampLine:
    """One line of text in a stamp, placed in a box relative to the field (x1, y1, x2, y2 in field space)."""

    template: str  # may use {time} (Vietnam time, ISO 8601)
    box: Rect
    size: int = 7
    style: str = "Regular"
    color: tuple[float, float, float] = (0.0, 0.0, 0.0)
    align: str = "mid"  # "min", "mid" or "max"


@dataclass(frozen=True)
class DecreeStampStyle(TextStampStyle):
    """A signature appearance: an optional PNG image in a box plus lines of text, nothing else (no border).

    Subclassing :class:`TextStampStyle` makes pyHanko hand over the signing time as ``%(ts)s``; we render it in
    Vietnam time.
    """

    image_png: bytes | None = None
    image_box: Rect | None = None
    lines: tuple[StampLine, ...] = field(default_factory=tuple)
    border_width: int = 0
    timestamp_format: str = _TS_FORMAT
    stamp_text: str = "%(ts)s"

    def create_stamp(self, writer, box: layout.BoxConstraints, text_params: dict) -> DecreeStamp:
        return DecreeStamp(writer=writer, style=self, box=box, text_params=text_params)


_ALIGN = {"min": layout.AxisAlignment.ALIGN_MIN, "mid": layout.AxisAlignment.ALIGN_MID,
          "max": layout.AxisAlignment.ALIGN_MAX}


class DecreeStamp(BaseStamp):
    def __init__(self, writer, style: DecreeStampStyle, box, text_params: dict | None = None) -> None:
        super().__init__(writer=writer, style=style, box=box)
        self.text_params = text_params or {}

    def _signing_time(self) -> str:
        ts = self.text_params.get("ts")
        moment = datetime.strptime(ts, _TS_FORMAT) if ts else datetime.now().astimezone()
        return format_signing_time(moment)

    def _render_inner_content(self) -> list[bytes]:
        style: DecreeStampStyle = self.style
        commands: list[bytes] = []
        if style.image_png and style.image_box:
            x1, y1, x2, y2 = style.image_box
            pil = Image.open(io.BytesIO(style.image_png))
            pil.load()
            # Fit the image inside its box, keeping its proportions, centred.
            scale = min((x2 - x1) / pil.width, (y2 - y1) / pil.height)
            w, h = pil.width * scale, pil.height * scale
            image = PdfImage(pil, writer=self.writer, box=layout.BoxConstraints(w, h))
            draw = image.render()
            self.import_resources(image.resources)
            commands.append(b"q 1 0 0 1 %.3f %.3f cm %s Q" % (x1 + (x2 - x1 - w) / 2, y1 + (y2 - y1 - h) / 2, draw))
        values = {"time": self._signing_time()}
        for index, line in enumerate(style.lines):
            x1, y1, x2, y2 = line.box
            text_style = TextBoxStyle(
                font=GlyphAccumulatorFactory(pdf_font_path(line.style), font_size=line.size),
                font_size=line.size,
                border_width=0,
                text_color=line.color,
                box_layout_rule=layout.SimpleBoxLayoutRule(
                    x_align=_ALIGN[line.align], y_align=layout.AxisAlignment.ALIGN_MID,
                    margins=layout.Margins.uniform(0), inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
                ),
            )
            box = TextBox(text_style, writer=self.writer, resources=self.resources,
                          box=layout.BoxConstraints(x2 - x1, y2 - y1), font_name=f"FD{index}")
            box.content = line.template.format(**values)
            commands.append(b"q 1 0 0 1 %.3f %.3f cm %s Q" % (x1, y1, box.render()))
        return commands
