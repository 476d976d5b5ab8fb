"""Register print-outs (sổ văn bản) as PDF and XLSX, as agencies print and bind them at the end of each year.

Two layers:

- A generic writer: :class:`Column` (title, width in mm, alignment), :class:`TitlePage` (what the cover of the
  bound register says) and an iterable of rows (tuples of strings, one per column). :func:`write_pdf` and
  :func:`write_xlsx` take those and write into a binary file object, never holding the rows in memory: the PDF is
  drawn page by page with the reportlab canvas, the XLSX is written with openpyxl's write-only workbook. Any
  register (the outgoing one too) can be printed by giving its columns and rows.
- The incoming register (sổ đăng ký văn bản đến, Decree 30/2020, Appendix IV): :data:`INCOMING_COLUMNS`,
  :func:`incoming_register` (the scoped rows and the cover) — two queries whatever the size of the year.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from django.db.models import Max, Min
from django.utils import timezone

PDF_CONTENT_TYPE = "application/pdf"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    title: str
    width_mm: float
    align: str = "left"  # left | center


@dataclass
class TitlePage:
    """The cover of a bound register (Decree 30, Appendix IV)."""

    title: str  # "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN"
    agency_name: str
    parent_name: str = ""  # the governing body (cơ quan chủ quản), printed above the agency
    year: int | None = None
    first_number: str = ""
    last_number: str = ""
    first_date: dt.date | None = None
    last_date: dt.date | None = None
    volume: str = "01"
    extra_lines: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        lines = []
        if self.year:
            lines.append(f"Năm: {self.year}")
        if self.first_date and self.last_date:
            lines.append(f"Từ ngày {self.first_date:%d/%m/%Y} đến ngày {self.last_date:%d/%m/%Y}")
        if self.first_number and self.last_number:
            lines.append(f"Từ số {self.first_number} đến số {self.last_number}")
        else:
            lines.append("Sổ chưa có văn bản")
        lines.append(f"Quyển số: {self.volume}")
        return lines + list(self.extra_lines)


Row = Sequence[str]


# ----------------------------------------------------------------------------------------------------- PDF
def _register_fonts() -> tuple[str, str]:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    from signing.images import font_path

    regular, bold = "EofficeSerif", "EofficeSerif-Bold"
    registered = pdfmetrics.getRegisteredFontNames()
    if regular not in registered:
        pdfmetrics.registerFont(TTFont(regular, str(font_path("Regular"))))
    if bold not in registered:
        pdfmetrics.registerFont(TTFont(bold, str(font_path("Bold"))))
    return regular, bold


def write_pdf(out: BinaryIO, *, title_page: TitlePage, columns: Sequence[Column], rows: Iterable[Row],
              page_size: str = "A4", font_size: float = 9) -> int:
    """Write the register as a landscape PDF (A4 or A3) into ``out``: a cover, then the table, the header row
    repeated on every page, long cells wrapped. Returns the number of rows written."""
    from reportlab.lib.pagesizes import A3, A4, landscape
    from reportlab.lib.units import mm
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfgen.canvas import Canvas

    regular, bold = _register_fonts()
    width, height = landscape(A3 if page_size.upper() == "A3" else A4)
    canvas = Canvas(out, pagesize=(width, height), pageCompression=1)
    canvas.setTitle(f"{title_page.title} {title_page.year or ''}".strip())
    canvas.setAuthor(title_page.agency_name)
    _draw_cover(canvas, title_page, width, height, regular, bold)

    scale = 1.0
    total_mm = sum(c.width_mm for c in columns)
    usable = width - 20 * mm
    if total_mm * mm > usable or page_size.upper() == "A3":
        scale = usable / (total_mm * mm)
    col_widths = [c.width_mm * mm * scale for c in columns]
    left = (width - sum(col_widths)) / 2
    top, bottom = height - 12 * mm, 14 * mm
    leading = font_size * 1.2
    pad = 2.0

    def cell_lines(text: str, w: float, font: str, size: float) -> list[str]:
        lines: list[str] = []
        for part in (text or "").splitlines() or [""]:
            lines.extend(simpleSplit(part, font, size, w - 2 * pad) or [""])
        return lines

    header_lines = [cell_lines(c.title, w, bold, font_size) for c, w in zip(columns, col_widths, strict=True)]
    header_height = max(len(lines) for lines in header_lines) * leading + 2 * pad
    page_number = 1

    def draw_row(y: float, lines_per_cell: list[list[str]], row_height: float, font: str, centered: bool) -> None:
        x = left
        canvas.setFont(font, font_size)
        for column, w, lines in zip(columns, col_widths, lines_per_cell, strict=True):
            canvas.rect(x, y - row_height, w, row_height, stroke=1, fill=0)
            ty = y - pad - font_size
            for line in lines:
                if centered or column.align == "center":
                    canvas.drawCentredString(x + w / 2, ty, line)
                else:
                    canvas.drawString(x + pad, ty, line)
                ty -= leading
            x += w

    def start_page() -> float:
        nonlocal page_number
        canvas.showPage()
        page_number += 1
        canvas.setLineWidth(0.5)
        canvas.setFont(regular, 8)
        canvas.drawCentredString(width / 2, 7 * mm, str(page_number))
        draw_row(top, header_lines, header_height, bold, True)
        canvas.setFont(regular, 7)
        y = top - header_height
        numbers = [str(i + 1) for i in range(len(columns))]  # the column numbers under the header, as printed
        draw_row(y, [[n] for n in numbers], leading + 2 * pad, regular, True)
        return y - leading - 2 * pad

    y = start_page()
    count = 0
    for row in rows:
        lines_per_cell = [cell_lines(str(value or ""), w, regular, font_size)
                          for value, w in zip(row, col_widths, strict=True)]
        row_height = max(len(lines) for lines in lines_per_cell) * leading + 2 * pad
        if y - row_height < bottom:
            y = start_page()
        draw_row(y, lines_per_cell, row_height, regular, False)
        y -= row_height
        count += 1
    canvas.showPage()
    canvas.save()
    return count


def _draw_cover(canvas, title_page: TitlePage, width: float, height: float, regular: str, bold: str) -> None:
    from reportlab.lib.units import mm

    canvas.setLineWidth(1.2)
    canvas.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)
    y = height - 35 * mm
    if title_page.parent_name:
        canvas.setFont(regular, 13)
        canvas.drawCentredString(width / 2, y, title_page.parent_name.upper())
        y -= 7 * mm
    canvas.setFont(bold, 13)
    canvas.drawCentredString(width / 2, y, title_page.agency_name.upper())
    canvas.line(width / 2 - 20 * mm, y - 2.5 * mm, width / 2 + 20 * mm, y - 2.5 * mm)
    y = height / 2 + 15 * mm
    canvas.setFont(bold, 26)
    canvas.drawCentredString(width / 2, y, title_page.title)
    y -= 16 * mm
    canvas.setFont(regular, 14)
    for line in title_page.lines():
        canvas.drawCentredString(width / 2, y, line)
        y -= 9 * mm


# ----------------------------------------------------------------------------------------------------- XLSX
def write_xlsx(out: BinaryIO, *, title_page: TitlePage, columns: Sequence[Column], rows: Iterable[Row],
               sheet_title: str = "Sổ") -> int:
    """Write the register as an XLSX workbook (write-only: rows stream to disk): a cover sheet, then the table with
    its header frozen and printed on every page, landscape. Returns the number of rows written."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, Side

    workbook = Workbook(write_only=True)
    cover = workbook.create_sheet("Bìa sổ")
    cover.column_dimensions["A"].width = 100
    title_font, plain_font = Font(name="Times New Roman", size=20, bold=True), Font(name="Times New Roman", size=13)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)

    def cover_cell(text: str, font: Font) -> list:
        cell = WriteOnlyCell(cover, value=text)
        cell.font, cell.alignment = font, centre
        return [cell]

    if title_page.parent_name:
        cover.append(cover_cell(title_page.parent_name.upper(), plain_font))
    cover.append(cover_cell(title_page.agency_name.upper(), Font(name="Times New Roman", size=13, bold=True)))
    cover.append([])
    cover.append(cover_cell(title_page.title, title_font))
    for line in title_page.lines():
        cover.append(cover_cell(line, plain_font))

    sheet = workbook.create_sheet(sheet_title[:31])
    letters = [_column_letter(i) for i in range(len(columns))]
    for letter, column in zip(letters, columns, strict=True):
        sheet.column_dimensions[letter].width = max(6.0, column.width_mm / 2.2)
    sheet.freeze_panes = "A2"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = "9"  # A4 (OOXML paper size code)
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    header_font, body_font = Font(name="Times New Roman", bold=True, size=11), Font(name="Times New Roman", size=11)
    wrap = Alignment(vertical="top", wrap_text=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.title)
        cell.font, cell.alignment, cell.border = header_font, centre, border
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in rows:
        cells = []
        for column, value in zip(columns, row, strict=True):
            cell = WriteOnlyCell(sheet, value=value or "")
            cell.font, cell.border = body_font, border
            cell.alignment = centre if column.align == "center" else wrap
            cells.append(cell)
        sheet.append(cells)
        count += 1
    workbook.save(out)
    return count


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


# ----------------------------------------------------------------------------------------------------- incoming
INCOMING_TITLE = "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN"
INCOMING_SECRET_TITLE = "SỔ ĐĂNG KÝ VĂN BẢN MẬT ĐẾN"
INCOMING_COLUMNS: tuple[Column, ...] = (
    Column("Số đến", 15, "center"),
    Column("Ngày đến", 20, "center"),
    Column("Tác giả", 40),
    Column("Số, ký hiệu", 28, "center"),
    Column("Ngày tháng", 20, "center"),
    Column("Tên loại và trích yếu nội dung", 70),
    Column("Đơn vị hoặc người nhận", 35),
    Column("Ký nhận", 20),
    Column("Ghi chú", 25),
)


@dataclass
class RegisterPrint:
    """A register ready to print: its cover, its columns and its rows (an iterator: read it once)."""

    title_page: TitlePage
    columns: Sequence[Column]
    rows: Iterable[Row]
    filename: str


def _date(value) -> str:
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value)
    return value.strftime("%d/%m/%Y") if value else ""


def incoming_register(person, agency, year: int, series_code: str = "", **filters) -> RegisterPrint:
    """The incoming register of ``agency`` for ``year`` as ``person`` may see it (through
    ``eoffice.incoming.services.register_documents``: the same documents as the register list), in arrival-number
    order. One register at a time: the ordinary series unless ``series_code`` names the secret one (the caller
    checks who may open it). ``filters``: ``date_from``/``date_to`` (arrival date) and the list's other filters.
    Two queries: the cover's bounds, then the rows streamed in chunks."""
    from eoffice.documents.services import (
        INCOMING_SECRET_SERIES,
        INCOMING_SERIES,
        default_series_name,
        format_number,
    )
    from eoffice.incoming.services import register_documents

    series_code = series_code or INCOMING_SERIES[0]
    documents = register_documents(person, year=year, agency=agency, series=series_code, **filters)
    bounds = documents.aggregate(first=Min("arrival_number"), last=Max("arrival_number"),
                                 first_at=Min("arrived_at"), last_at=Max("arrived_at"))
    parent = agency.parent
    extra_lines = []
    if series_code not in (INCOMING_SERIES[0], INCOMING_SECRET_SERIES[0]):
        extra_lines.append(f"Sổ: {default_series_name('incoming', series_code)}")
    date_from, date_to = filters.get("date_from"), filters.get("date_to")
    if date_from or date_to:
        extra_lines.append("Văn bản đến " + " ".join(part for part in (
            f"từ ngày {date_from:%d/%m/%Y}" if date_from else "",
            f"đến ngày {date_to:%d/%m/%Y}" if date_to else "") if part))
    title_page = TitlePage(
        title=INCOMING_TITLE if series_code == INCOMING_SERIES[0] else INCOMING_SECRET_TITLE, agency_name=agency.name, parent_name=parent.name if parent else "", year=year,
        first_number=format_number(bounds["first"]) if bounds["first"] else "",
        last_number=format_number(bounds["last"]) if bounds["last"] else "",
        first_date=timezone.localtime(bounds["first_at"]).date() if bounds["first_at"] else None,
        last_date=timezone.localtime(bounds["last_at"]).date() if bounds["last_at"] else None,
        extra_lines=extra_lines,
    )
    fields = ("arrival_number", "arrived_at", "issuer_name", "number_notation", "issued_on", "summary", "notes",
              "copy_notation", "series_code", "document_type__name", "lead_unit__name", "urgency")
    values = documents.order_by("arrival_number").values_list(*fields, named=True)

    def rows() -> Iterator[Row]:
        for d in values.iterator(chunk_size=2000):
            summary = f"{d.document_type__name}: {d.summary}" if d.document_type__name else d.summary
            notes = "; ".join(part for part in (d.notes, f"Bản sao y số {d.copy_notation}" if d.copy_notation
                                                 else "") if part)
            number = format_number(d.arrival_number)
            yield (number, _date(d.arrived_at), d.issuer_name, d.number_notation, _date(d.issued_on), summary,
                   d.lead_unit__name or "", "", notes)

    suffix = f"-{series_code}" if series_code != INCOMING_SERIES[0] else ""
    suffix += f"-tu-{date_from:%Y%m%d}" if date_from else ""
    suffix += f"-den-{date_to:%Y%m%d}" if date_to else ""
    return RegisterPrint(title_page=title_page, columns=INCOMING_COLUMNS, rows=rows(),
                         filename=f"so-van-ban-den-{agency.abbreviation or agency.pk}-{year}{suffix}")
