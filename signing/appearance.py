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
    "HeadingBlank",
    "find_heading_blanks",
    "find_heading_fields",
    "free_rect",
    "find_signature_block",
    "format_signing_time",
    "pdf_font_path",
    "page_words",
    "Word",
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
    # The number's field spans exactly the height of "Số:": its text is drawn on the same baseline.
    number_rect = (number.x2 + 2, number.y1, number.x2 + 2 + 150, number.y2)
    centre = (motto[0] + motto[2]) / 2
    half = min(135.0, width - centre - 10)
    line = motto[3] - motto[1]
    date_rect = (centre - half, motto[1] - 8 - line - 6, centre + half, motto[1] - 8 + 2)
    return 0, number_rect, date_rect


@dataclass(frozen=True)
class HeadingBlank:
    """A blank the agency template leaves in the heading, to be filled where it is.

    ``part`` is "number" (between "Số:" and the printed "/STP-PBGDPL", ``suffix``), "day" (after "ngày"),
    "month" (after "tháng") or "year" (after "năm", when the template prints no year; ``suffix`` holds the
    printed year otherwise, on the "month" blank). ``rect`` spans the gap at the neighbouring words' height;
    ``size`` and ``style`` are the neighbouring words' font size and Liberation Serif face, measured from their
    boxes, so the filled text matches the line.
    """

    part: str
    rect: Rect
    size: float
    style: str
    suffix: str = ""


_MIN_GAP = 9.0  # points: narrower than this between two words is a space, not a blank to fill
_STYLES = ("Regular", "Italic", "Bold", "BoldItalic")


@functools.cache
def _advance(style: str, text: str) -> float:
    """Width of ``text`` in Liberation Serif ``style`` at 1 pt (no kerning: what poppler measures)."""
    font = _tt_font(style)
    cmap, hmtx = font.getBestCmap(), font["hmtx"]
    upem = font["head"].unitsPerEm
    return sum(hmtx[cmap.get(ord(ch), ".notdef")][0] for ch in unicodedata.normalize("NFC", text)) / upem


@functools.cache
def _tt_font(style: str):
    from fontTools.ttLib import TTFont

    return TTFont(pdf_font_path(style), lazy=True)


def _measure(words: list[Word]) -> tuple[float, str]:
    """The font size and face of a line of the heading, from its words' boxes.

    For each face, every word's width implies a size; the face is the one where they agree best (the widths of
    several words tell Regular from Italic where one word cannot), ties going to the face whose size agrees with
    the box height (poppler's box is about 0.91 em for Liberation Serif / Times).
    """
    by_height = sum(w.y2 - w.y1 for w in words) / len(words) / 0.91
    candidates = []
    for style in _STYLES:
        sizes = [(w.x2 - w.x1) / _advance(style, w.text) for w in words if _advance(style, w.text) > 0]
        if sizes:
            mean = sum(sizes) / len(sizes)
            candidates.append((round(max(sizes) - min(sizes), 1), abs(mean - by_height), mean, style))
    spread, _off, mean, style = min(candidates)
    if spread > 0.05 * mean:  # not Liberation Serif / Times metrics: go by the height, in the upright face
        return round(by_height * 0.91 / 1.15 * 2) / 2, "Regular"
    return round(mean * 2) / 2, style  # documents use whole and half points


def _same_line(a: Word, b: Word) -> bool:
    return abs(a.y1 - b.y1) < 2 and abs(a.y2 - b.y2) < 2


def find_heading_blanks(pdf: bytes) -> list[HeadingBlank]:
    """The template's blanks in the first page's heading, or [] when it has none (then the fields go where
    :func:`find_heading_fields` says, as for a draft whose "Số:" and place/date line are left empty).

    The number's blank is a gap after the heading's "Số:" followed, on the same line, by the notation's printed
    part ("/STP-PBGDPL"); the date's blanks are gaps after "ngày" and "tháng" (and after "năm" when the year is not
    printed) on one line. Both must be found, or neither is used.
    """
    words = page_words(pdf)[0][2]
    blanks: list[HeadingBlank] = []
    numbers = [i for i, w in enumerate(words) if w.text == "Số:"]
    if numbers:
        i = max(numbers, key=lambda k: words[k].y2)
        so = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else None
        if nxt and _same_line(so, nxt) and nxt.text.startswith("/") and nxt.x1 - so.x2 >= _MIN_GAP:
            size, style = _measure([so, nxt])
            blanks.append(HeadingBlank("number", (so.x2, so.y1, nxt.x1, so.y2), size, style, suffix=nxt.text))
    if not blanks:
        return []
    for i, w in enumerate(words):
        if _norm(w.text) != "ngày" or i + 2 >= len(words):
            continue
        thang, nam = words[i + 1], words[i + 2]
        if not (_norm(thang.text) == "tháng" and _norm(nam.text) == "năm" and _same_line(w, thang)
                and _same_line(w, nam) and thang.x1 - w.x2 >= _MIN_GAP and nam.x1 - thang.x2 >= _MIN_GAP):
            continue
        size, style = _measure([v for v in words[max(0, i - 4):i + 3] if _same_line(v, w)])
        year = words[i + 3] if i + 3 < len(words) else None
        printed_year = year.text.rstrip(".") if year and re.fullmatch(r"\d{4}\.?", year.text) else ""
        blanks.append(HeadingBlank("day", (w.x2, w.y1, thang.x1, w.y2), size, style))
        blanks.append(HeadingBlank("month", (thang.x2, w.y1, nam.x1, w.y2), size, style, suffix=printed_year))
        if not printed_year:
            width = _advance(style, " 2026") * size + 4
            blanks.append(HeadingBlank("year", (nam.x2, w.y1, nam.x2 + width, w.y2), size, style))
        return blanks
    return []


def _ink(pdf: bytes, page: int, dpi: int) -> Image.Image | None:
    """Page ``page`` (0-based) rendered in grey by poppler's ``pdftoppm``: text, images, scanned ink, annotations."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.pdf"
        source.write_bytes(pdf)
        proc = subprocess.run(
            ["pdftoppm", "-q", "-f", str(page + 1), "-l", str(page + 1), "-r", str(dpi), "-gray", "-png",
             "-singlefile", str(source), str(Path(tmp) / "out")],
            capture_output=True, check=False, timeout=60,
        )
        out = Path(tmp) / "out.png"
        if proc.returncode != 0 or not out.is_file():
            return None
        image = Image.open(out)
        image.load()
        return image.convert("L")


def free_rect(
    pdf: bytes, page: int, candidates: list[Rect], *, ink: bool = True, gap: float = 2.0, dpi: int = 50
) -> Rect | None:
    """The first of ``candidates`` (PDF user space) that overlaps nothing printed on the page, or None.

    "Printed" is every word of the text layer (``pdftotext -bbox``) and, with ``ink``, every dark pixel of the
    page rendered by ``pdftoppm``, which also sees images and scans without a text layer. ``gap`` points of
    white are kept around the rectangle.
    """
    pages = page_words(pdf)
    if page >= len(pages):
        return None
    width, height, words = pages[page]
    image = _ink(pdf, page, dpi) if ink else None
    scale = dpi / 72
    for rect in candidates:
        x1, y1, x2, y2 = rect[0] - gap, rect[1] - gap, rect[2] + gap, rect[3] + gap
        if x1 < 0 or y1 < 0 or x2 > width or y2 > height:
            continue
        if any(min(w.x2, x2) > max(w.x1, x1) and min(w.y2, y2) > max(w.y1, y1) for w in words):
            continue
        if image is not None:
            box = (int(x1 * scale), int((height - y2) * scale), int(x2 * scale) + 1, int((height - y1) * scale) + 1)
            darkest, _lightest = image.crop(box).getextrema()
            if darkest < 200:
                continue
        return rect
    return None


# --------------------------------------------------------------------------------------------- geometry of stamps
def person_image_rect(field_rect: Rect) -> Rect:
    """The part of a person's signature field that holds the handwritten image (above the text strip)."""
    x1, y1, x2, y2 = field_rect
    height = (y2 - y1) - PERSON_TEXT_STRIP
    width = min((x2 - x1) * 0.8, height * (600 / 260))
    cx = (x1 + x2) / 2
    return (cx - width / 2, y1 + PERSON_TEXT_STRIP, cx + width / 2, y2)


def seal_rect(image_rect: Rect, page_width: float | None = None, diameter: float = SEAL_DIAMETER) -> Rect:
    """The seal signature field: the seal at real size (``diameter`` points, the agency's own seal), its right
    edge a third of the way into the signature image, vertically centred on it, with a strip above for the
    agency's name and the time."""
    x1, y1, x2, y2 = image_rect
    right = x1 + (x2 - x1) / 3
    left = right - diameter
    if left < 0:  # keep it on the page, even for a signature block hard against the left edge
        left, right = 0.0, diameter
    cy = (y1 + y2) / 2
    bottom = cy - diameter / 2
    return (left, bottom, right, bottom + diameter + SEAL_TEXT_STRIP)


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
