"""The register print-out writer (sổ văn bản) in PDF and XLSX, shared by the incoming and the outgoing register.

A register is given as :class:`Column` (title, width in mm, alignment), a :class:`TitlePage` (what the cover of the
bound register says, Decree 30/2020 Appendix IV) and an iterable of rows (one value per column, strings or
numbers). :func:`write_pdf` and :func:`write_xlsx` write into a binary file object and never hold the rows in
memory: the PDF is drawn page by page with the reportlab canvas, the XLSX is written with openpyxl's write-only
workbook. Each register's own module builds its columns and rows (``eoffice.reports.registers`` for the incoming
register, ``eoffice.outgoing.register`` for the outgoing one).

Options beyond the cover and the table: ``cover=False`` leaves the cover out (the title page then only names the
file's author and title), ``heading`` prints a title line above the table, ``empty_text`` a line under the header
when there are no rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

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


Row = Sequence[object]  # one value per column: str, or a number the XLSX keeps as a number; None prints empty


def _text(value: object) -> str:
    return "" if value is None else str(value)


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
              page_size: str = "A4", font_size: float = 9, cover: bool = True, heading: str = "",
              empty_text: str = "") -> int:
    """Write the register as a landscape PDF (A4 or A3) into ``out``: a cover (unless ``cover`` is false), then
    the table, the header row and the column numbers repeated on every page, long cells wrapped; ``heading`` above
    the table on its first page, ``empty_text`` under the header when there are no rows. Returns the number of rows
    written."""
    from reportlab.lib.pagesizes import A3, A4, landscape
    from reportlab.lib.units import mm
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfgen.canvas import Canvas

    regular, bold = _register_fonts()
    width, height = landscape(A3 if page_size.upper() == "A3" else A4)
    canvas = Canvas(out, pagesize=(width, height), pageCompression=1)
    canvas.setTitle(heading or f"{title_page.title} {title_page.year or ''}".strip())
    canvas.setAuthor(title_page.agency_name)
    canvas.setCreator("eoffice")
    if cover:
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
    page_number = 1 if cover else 0

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

    def draw_heading(y: float) -> float:
        size = 14
        canvas.setFont(bold, size)
        for line in simpleSplit(heading, bold, size, sum(col_widths)):
            canvas.drawCentredString(width / 2, y - size, line)
            y -= size * 1.3
        return y - 6 * mm

    def start_page() -> float:
        nonlocal page_number
        if page_number:  # the cover or the previous page is done
            canvas.showPage()
        page_number += 1
        canvas.setLineWidth(0.5)
        canvas.setFont(regular, 8)
        canvas.drawCentredString(width / 2, 7 * mm, str(page_number))
        y = draw_heading(top) if heading and page_number == (2 if cover else 1) else top
        draw_row(y, header_lines, header_height, bold, True)
        canvas.setFont(regular, 7)
        y -= header_height
        numbers = [str(i + 1) for i in range(len(columns))]  # the column numbers under the header, as printed
        draw_row(y, [[n] for n in numbers], leading + 2 * pad, regular, True)
        return y - leading - 2 * pad

    y = start_page()
    count = 0
    for row in rows:
        lines_per_cell = [cell_lines(_text(value), w, regular, font_size)
                          for value, w in zip(row, col_widths, strict=True)]
        row_height = max(len(lines) for lines in lines_per_cell) * leading + 2 * pad
        if y - row_height < bottom:
            y = start_page()
        draw_row(y, lines_per_cell, row_height, regular, False)
        y -= row_height
        count += 1
    if not count and empty_text:
        canvas.setFont(regular, font_size)
        canvas.drawString(left, y - leading - pad, empty_text)
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
#: what a spreadsheet runs as a formula (or DDE) when a cell starts with it
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value):
    """A cell value no spreadsheet runs: text starting like a formula gets a leading apostrophe (the text
    marker); numbers, dates and other text unchanged. Every cell the XLSX writer puts out goes through this."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_xlsx(out: BinaryIO, *, title_page: TitlePage, columns: Sequence[Column], rows: Iterable[Row],
               sheet_title: str = "Sổ", cover: bool = True, heading: str = "", empty_text: str = "") -> int:
    """Write the register as an XLSX workbook (write-only: rows stream to disk): a cover sheet (unless ``cover`` is
    false), then the table with its header frozen and printed on every page, landscape; ``heading`` in a merged
    first row above the header, ``empty_text`` under it when there are no rows. Returns the number of rows
    written."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, Side

    workbook = Workbook(write_only=True)
    title_font, plain_font = Font(name="Times New Roman", size=20, bold=True), Font(name="Times New Roman", size=13)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    if cover:
        _write_cover(workbook.create_sheet("Bìa sổ"), title_page, title_font, plain_font, centre)

    sheet = workbook.create_sheet(sheet_title[:31])
    letters = [_column_letter(i) for i in range(len(columns))]
    for letter, column in zip(letters, columns, strict=True):
        sheet.column_dimensions[letter].width = max(6.0, column.width_mm / 2.2)
    header_row = 2 if heading else 1
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = "9"  # A4 (OOXML paper size code)
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    if heading:
        cell = WriteOnlyCell(sheet, value=safe_cell(heading))
        cell.font, cell.alignment = Font(name="Times New Roman", bold=True, size=14), Alignment(horizontal="center")
        sheet.append([cell])
        sheet.merged_cells.add(f"A1:{letters[-1]}1")
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    header_font, body_font = Font(name="Times New Roman", bold=True, size=11), Font(name="Times New Roman", size=11)
    wrap = Alignment(vertical="top", wrap_text=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=safe_cell(column.title))
        cell.font, cell.alignment, cell.border = header_font, centre, border
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in rows:
        cells = []
        for column, value in zip(columns, row, strict=True):
            cell = WriteOnlyCell(sheet, value="" if value is None else safe_cell(value))
            cell.font, cell.border = body_font, border
            cell.alignment = centre if column.align == "center" else wrap
            cells.append(cell)
        sheet.append(cells)
        count += 1
    if not count and empty_text:
        cell = WriteOnlyCell(sheet, value=safe_cell(empty_text))
        cell.font = body_font
        sheet.append([cell])
    workbook.save(out)
    return count


def _write_cover(cover, title_page: TitlePage, title_font, plain_font, centre) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    cover.column_dimensions["A"].width = 100

    def cover_cell(text: str, font: Font) -> list:
        cell = WriteOnlyCell(cover, value=safe_cell(text))
        cell.font, cell.alignment = font, centre
        return [cell]

    if title_page.parent_name:
        cover.append(cover_cell(title_page.parent_name.upper(), plain_font))
    cover.append(cover_cell(title_page.agency_name.upper(), Font(name="Times New Roman", size=13, bold=True)))
    cover.append([])
    cover.append(cover_cell(title_page.title, title_font))
    for line in title_page.lines():
        cover.append(cover_cell(line, plain_font))


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)
