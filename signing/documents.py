"""Rendering Vietnamese administrative documents to PDF, laid out as Decree 30/2020/NĐ-CP (appendix I) prescribes.

The signing code, the tests, the benchmarks and the demo data need documents that look like the real thing, because
the signature placement reads the document: the person's signature goes in the blank space of the signature block,
the number/notation field next to "Số:", the place/date field under the national motto. The layout here follows
the appendix: A4, margins 20 mm top/bottom, 30 mm left, 15 mm right; two header columns (issuing agency on the left,
the national title and motto on the right); the document type name and summary centred; the body justified with a
first-line indent; "Nơi nhận:" bottom left and the signature block bottom right (capacity, position, blank space for
the signature, full name).

A draft that the clerk has not numbered yet is rendered with ``notation=None`` / ``issued=None``: "Số:" stands
alone and the place/date line is left blank, for :func:`signing.pades.add_number_date_fields` to cover with form
fields that the clerk fills after the leader has signed.
"""

from __future__ import annotations

import functools
import io
import re
from dataclasses import dataclass, field
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFNameBytes, TTFont
from reportlab.platypus import (
    Flowable,
    HRFlowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from .images import font_path

__all__ = [
    "OfficialDocument",
    "date_line",
    "render_document",
]

MOTTO = "Độc lập - Tự do - Hạnh phúc"
NATIONAL_TITLE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
_NUMBER_BLANK = " " + "&nbsp;" * 9 + " "  # a template's blanks: wide enough for a number, a day or a month
_DATE_BLANK = " " + "&nbsp;" * 4 + " "
SIGNATURE_SPACE = 78  # points left blank between the position and the name, for the signature and the seal


@dataclass
class OfficialDocument:
    """The content of one administrative document, as its parts appear on paper."""

    agency: str  # issuing agency, e.g. "Ủy ban nhân dân xã Bình Minh"
    summary: str  # trích yếu
    body: list[str]
    signer_name: str
    signer_position: str  # "Phó Chủ tịch"
    type_name: str | None = None  # "Báo cáo"; None for a công văn (its summary goes under the number as "V/v")
    superior_agency: str | None = None  # "Ủy ban nhân dân huyện Đông Hòa"
    notation: str | None = None  # "45/UBND-VP"; None for a draft not yet numbered
    place: str = "Bình Minh"
    issued: date | None = None
    signer_capacity: str | None = None  # "KT. Chủ tịch", "TM. Ủy ban nhân dân", "TL. Giám đốc" ...
    addressees: list[str] = field(default_factory=list)  # "Kính gửi:" (công văn, giấy mời)
    recipients: list[str] = field(default_factory=lambda: ["Như trên", "Lưu: VT"])  # Nơi nhận
    table: list[list[str]] | None = None  # a table after the body (work schedule, invitation details)
    # The agency template's blanks, for an unnumbered draft: "Số:      /STP-PBGDPL" and
    # "Bình Minh, ngày      tháng      năm 2026", as offices print them before the clerk's numbering.
    notation_suffix: str | None = None  # "/STP-PBGDPL"
    blank_year: int | None = None  # the year the template prints after "năm"


def date_line(place: str, issued: date) -> str:
    """"Bình Minh, ngày 22 tháng 11 năm 2026": days below 10 and months below 3 take a leading zero (Decree 30)."""
    day = f"{issued.day:02d}" if issued.day < 10 else str(issued.day)
    month = f"{issued.month:02d}" if issued.month < 3 else str(issued.month)
    return f"{place}, ngày {day} tháng {month} năm {issued.year}"


@functools.cache
def _register_fonts() -> str:
    """Register Liberation Serif (Times New Roman metrics) with reportlab; fails clearly when it is missing."""
    faces = {"": "Regular", "-Bold": "Bold", "-Italic": "Italic", "-BoldItalic": "BoldItalic"}
    for suffix, style in faces.items():
        font = TTFont(f"EofficeSerif{suffix}", str(font_path(style)))
        # reportlab shares fonts by their PostScript name across the process: a Liberation Serif 1.x registered by
        # other code (no Vietnamese letters) would silently replace ours. A face name of our own avoids that.
        font.face.name = TTFNameBytes(f"EofficeLiberationSerif{suffix}".encode())
        pdfmetrics.registerFont(font)
    pdfmetrics.registerFontFamily(
        "EofficeSerif",
        normal="EofficeSerif",
        bold="EofficeSerif-Bold",
        italic="EofficeSerif-Italic",
        boldItalic="EofficeSerif-BoldItalic",
    )
    return "EofficeSerif"


def _styles() -> dict[str, ParagraphStyle]:
    f = _register_fonts()
    base = ParagraphStyle("base", fontName=f, fontSize=13, leading=16)
    return {
        "base": base,
        "head": ParagraphStyle("head", parent=base, fontSize=12, leading=14.5, alignment=TA_CENTER),
        "head_bold": ParagraphStyle("head_bold", parent=base, fontName=f + "-Bold", fontSize=12, leading=14.5,
                                    alignment=TA_CENTER),
        "motto": ParagraphStyle("motto", parent=base, fontName=f + "-Bold", fontSize=13.5, leading=16,
                                alignment=TA_CENTER),
        "number": ParagraphStyle("number", parent=base, alignment=TA_CENTER),
        "vv": ParagraphStyle("vv", parent=base, fontSize=12, leading=14, alignment=TA_CENTER),
        "date": ParagraphStyle("date", parent=base, fontName=f + "-Italic", fontSize=13.5, leading=16,
                               alignment=TA_CENTER),
        "type": ParagraphStyle("type", parent=base, fontName=f + "-Bold", fontSize=14, leading=17,
                               alignment=TA_CENTER, spaceBefore=10),
        "summary": ParagraphStyle("summary", parent=base, fontName=f + "-Bold", fontSize=14, leading=17,
                                  alignment=TA_CENTER),
        "addressee": ParagraphStyle("addressee", parent=base, fontSize=14, leading=18, alignment=TA_LEFT,
                                    leftIndent=60, firstLineIndent=-60, spaceBefore=10, spaceAfter=6),
        "body": ParagraphStyle("body", parent=base, fontSize=14, leading=18, alignment=TA_JUSTIFY,
                               firstLineIndent=10 * mm, spaceAfter=6),
        "cell": ParagraphStyle("cell", parent=base, fontSize=12, leading=14),
        "cell_head": ParagraphStyle("cell_head", parent=base, fontName=f + "-Bold", fontSize=12, leading=14,
                                    alignment=TA_CENTER),
        "recipients_head": ParagraphStyle("rh", parent=base, fontName=f + "-BoldItalic", fontSize=12, leading=14),
        "recipients": ParagraphStyle("r", parent=base, fontSize=11, leading=13),
        "sign": ParagraphStyle("sign", parent=base, fontName=f + "-Bold", fontSize=14, leading=17,
                               alignment=TA_CENTER),
    }


class _CentredRule(Flowable):
    """A horizontal rule of a given length, centred in the column it stands in (reportlab's HRFlowable ignores
    its hAlign inside a table cell and starts at the cell's left edge)."""

    def __init__(self, length: float, *, thickness: float = 0.6, space_before: float = 1, space_after: float = 5):
        super().__init__()
        self.length, self.thickness = length, thickness
        self.space_before, self.space_after = space_before, space_after
        self._avail = length

    def wrap(self, avail_width, avail_height):
        self._avail = avail_width
        return avail_width, self.space_before + self.thickness + self.space_after

    def draw(self) -> None:
        x = (self._avail - self.length) / 2
        y = self.space_after + self.thickness / 2
        self.canv.setLineWidth(self.thickness)
        self.canv.line(x, y, x + self.length, y)


_PLACE_UNITS = ("THÀNH PHỐ", "THỊ XÃ", "THỊ TRẤN", "TỈNH", "HUYỆN", "QUẬN", "PHƯỜNG", "XÃ", "ĐẶC KHU")
_PLACE_RE = re.compile(r"(?<!\S)(" + "|".join(_PLACE_UNITS) + r")\s+(.+)$")
_KEEP_TOGETHER = ("ỦY BAN NHÂN DÂN", "HỘI ĐỒNG NHÂN DÂN")
NBSP = "\u00a0"


def _word_groups(name: str) -> list[str]:
    """An agency's name (upper case) cut where a line may break: the place part ("HUYỆN ĐÔNG HÒA") and the usual
    fixed phrases ("ỦY BAN NHÂN DÂN") are kept whole, other words stand alone."""
    head, place = name, ""
    match = _PLACE_RE.search(name)
    if match:
        head, place = name[: match.start()].strip(), match.group(0)
    for phrase in _KEEP_TOGETHER:
        head = head.replace(phrase, phrase.replace(" ", NBSP))
    groups = head.split(" ") if head else []
    if place:
        groups.append(place.replace(" ", NBSP))
    return [g for g in groups if g]


def _agency_paragraph(name: str, style: ParagraphStyle, width: float) -> Paragraph:
    """The agency's name in the left column, broken only between word groups; a group wider than the column
    (a long place name) takes a smaller font rather than break inside it or run into the next column."""
    groups = _word_groups(name.upper())
    size = style.fontSize
    while size > 9 and max(pdfmetrics.stringWidth(g, style.fontName, size) for g in groups) > width:
        size -= 0.5
    fitted = ParagraphStyle(f"{style.name}-{size}", parent=style, fontSize=size, leading=style.leading * size
                            / style.fontSize)
    return Paragraph(" ".join(escape(g) for g in groups), fitted)


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def render_document(doc: OfficialDocument) -> bytes:
    """Render ``doc`` to a PDF (bytes) with Liberation Serif, A4, in the Decree 30 layout."""
    st = _styles()
    width = A4[0] - 30 * mm - 15 * mm
    left_w, right_w = width * 0.46, width * 0.54

    left: list = []
    if doc.superior_agency:
        left.append(_agency_paragraph(doc.superior_agency, st["head"], left_w - 4))
    left.append(_agency_paragraph(doc.agency, st["head_bold"], left_w - 4))
    left.append(_CentredRule(left_w * 0.4))  # centred under the agency's name (Decree 30: 1/3 to 1/2 of it)
    if doc.notation:
        left.append(_p(f"Số: {doc.notation}", st["number"]))
    elif doc.notation_suffix:
        left.append(Paragraph(f"Số:{_NUMBER_BLANK}{escape(doc.notation_suffix)}", st["number"]))
    else:
        left.append(_p("Số:", st["number"]))
    if doc.type_name is None:
        left.append(Spacer(1, 3))
        left.append(_p(f"V/v {doc.summary}", st["vv"]))

    right: list = [
        _p(NATIONAL_TITLE, st["head_bold"]),
        _p(MOTTO, st["motto"]),
        # as long as the motto, under it (Decree 30)
        _CentredRule(pdfmetrics.stringWidth(MOTTO, st["motto"].fontName, st["motto"].fontSize)),
    ]
    if doc.issued:
        right.append(_p(date_line(doc.place, doc.issued), st["date"]))
    elif doc.blank_year:
        right.append(Paragraph(f"{escape(doc.place)}, ngày{_DATE_BLANK}tháng{_DATE_BLANK}năm {doc.blank_year}", st["date"]))
    else:
        right.append(Spacer(1, st["date"].leading))  # the clerk's place/date field goes here

    header = Table([[left, right]], colWidths=[left_w, right_w])
    header.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), st["base"].fontName),
                                ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    story: list = [header, Spacer(1, 8)]

    if doc.type_name:
        story.append(_p(doc.type_name.upper(), st["type"]))
        story.append(_p(doc.summary, st["summary"]))
        story.append(HRFlowable(width="25%", thickness=0.6, color=colors.black, spaceBefore=5, spaceAfter=8))
    if doc.addressees:
        if len(doc.addressees) == 1:
            story.append(Paragraph(f"Kính gửi: {escape(doc.addressees[0])}.", st["addressee"]))
        else:
            lines = "<br/>".join(f"- {escape(a)};" for a in doc.addressees)
            story.append(Paragraph(f"Kính gửi:<br/>{lines}", st["addressee"]))
    for paragraph in doc.body:
        story.append(_p(paragraph, st["body"]))
    if doc.table:
        head, *rows = doc.table
        data = [[_p(c, st["cell_head"]) for c in head]] + [[_p(c, st["cell"]) for c in row] for row in rows]
        n = len(head)
        first = width * 0.18
        table = Table(data, colWidths=[first] + [(width - first) / (n - 1)] * (n - 1), repeatRows=1)
        table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), st["base"].fontName),
                                   ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story += [Spacer(1, 4), table, Spacer(1, 6)]

    recipients = [_p("Nơi nhận:", st["recipients_head"])]
    for i, name in enumerate(doc.recipients):
        end = "." if i == len(doc.recipients) - 1 else ";"
        recipients.append(_p(f"- {name}{end}", st["recipients"]))
    signature: list = []
    if doc.signer_capacity:
        signature.append(_p(doc.signer_capacity.upper(), st["sign"]))
    signature.append(_p(doc.signer_position.upper(), st["sign"]))
    signature.append(Spacer(1, SIGNATURE_SPACE))
    signature.append(_p(doc.signer_name, st["sign"]))
    closing = Table([[recipients, signature]], colWidths=[left_w, right_w])
    closing.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), st["base"].fontName),
                                 ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                 ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    # The signature block never stands alone on a page: the last paragraph (or table) goes with it.
    keep = 2 if doc.table else 1  # the table and its spacer, or the last paragraph
    last = [story.pop(-keep) for _ in range(keep)] if (doc.body or doc.table) else []
    story += [KeepTogether([*last, Spacer(1, 10), closing])]

    buffer = io.BytesIO()
    title = doc.type_name or "Công văn"
    template = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=30 * mm, rightMargin=15 * mm, topMargin=20 * mm, bottomMargin=20 * mm,
        title=f"{title} {doc.notation or ''}: {doc.summary}".strip(), author=doc.agency,
        subject=doc.summary, creator="eoffice", lang="vi",
        # reportlab starts every page in Helvetica, left unembedded in the page resources: start in ours.
        initialFontName=_register_fonts(), initialFontSize=13,
    )
    template.build(story, onLaterPages=_page_number)
    return buffer.getvalue()


def _page_number(canvas, document) -> None:
    """Pages after the first carry their number, centred in the top margin (Decree 30)."""
    canvas.saveState()
    canvas.setFont(_register_fonts(), 13)
    canvas.drawCentredString(A4[0] / 2 + 7.5 * mm, A4[1] - 12 * mm, str(document.page))
    canvas.restoreState()
