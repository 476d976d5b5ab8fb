"""The outgoing register (sổ đăng ký văn bản đi, Decree 30 appendix IV): rows, and its PDF and XLSX print-outs.

One register per agency, series and year. The rows are the issued documents the person may see (the same
:func:`~eoffice.orgs.scoping.visible_to` gate as everywhere), in number order, read in a constant number of queries.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from eoffice.orgs.scoping import visible_to

from .models import Delivery, OutgoingDocument

COLUMNS = (
    "Số, ký hiệu văn bản",
    "Ngày tháng văn bản",
    "Tên loại và trích yếu nội dung văn bản",
    "Người ký",
    "Nơi nhận văn bản",
    "Đơn vị, người nhận bản lưu",
    "Số lượng bản",
    "Ghi chú",
)


@dataclass(frozen=True)
class RegisterRow:
    notation: str
    issued_on: date | None
    type_and_summary: str
    signer: str
    recipients: str
    keeper: str
    copies: int
    notes: str

    def cells(self) -> list[str]:
        return [self.notation, self.issued_on.strftime("%d/%m/%Y") if self.issued_on else "", self.type_and_summary,
                self.signer, self.recipients, self.keeper, str(self.copies), self.notes]


def register_documents(person, *, year: int, series_code: str | None = None, document_type: str | None = None,
                       query: str = "") -> QuerySet[OutgoingDocument]:
    """The issued documents of ``person``'s agency in the register of ``year`` (and ``series_code``)."""
    documents = visible_to(OutgoingDocument, person).filter(
        agency_id=person.agency_id, number__isnull=False, year=year)
    if series_code:
        documents = documents.filter(series_code=series_code)
    if document_type:
        documents = documents.filter(document_type__code=document_type)
    if query:
        documents = documents.filter(Q(summary__icontains=query) | Q(notation__icontains=query))
    return (documents.select_related("document_type", "signed_by", "signer", "keeper_unit", "replaces")
            .prefetch_related("recipient_units", "recipient_people",
                              Prefetch("deliveries", queryset=Delivery.objects.select_related("agency")))
            .order_by("series_code", "number"))


def row_of(document: OutgoingDocument) -> RegisterRow:
    recipients = [d.recipient_name for d in document.deliveries.all()]
    recipients += [u.name for u in document.recipient_units.all()]
    recipients += [p.get_full_name() for p in document.recipient_people.all()]
    notes = [document.notes] if document.notes else []
    if document.status == "recalled":
        notes.append("Đã thu hồi")
    if document.status == "superseded":
        notes.append("Đã được thay thế")
    if document.replaces_id:
        notes.append(f"Thay thế văn bản số {document.replaces.notation}")
    signer = document.signed_by or document.signer
    return RegisterRow(
        notation=document.notation,
        issued_on=timezone.localtime(document.issued_at).date() if document.issued_at else None,
        type_and_summary=f"{document.document_type.name}: {document.summary}",
        signer=signer.get_full_name(),
        recipients="; ".join(recipients),
        keeper=document.keeper_unit.name if document.keeper_unit_id else "",
        copies=document.copies,
        notes="; ".join(notes),
    )


def series_name(agency, series_code: str, year: int) -> str:
    from eoffice.documents.models import NumberSeries
    from eoffice.documents.services import default_series_name

    found = NumberSeries.objects.filter(agency=agency, direction="outgoing", code=series_code, year=year).first()
    return found.name if found else default_series_name("outgoing", series_code)


def series_choices(agency, year: int) -> list[tuple[str, str]]:
    """The outgoing series of the agency for ``year`` (the shared one always listed)."""
    from eoffice.documents.models import NumberSeries
    from eoffice.documents.services import OUTGOING_SERIES

    found = list(NumberSeries.objects.filter(agency=agency, direction="outgoing", year=year)
                 .order_by("code").values_list("code", "name"))
    if OUTGOING_SERIES[0] not in {code for code, _name in found}:
        found.insert(0, OUTGOING_SERIES)
    return found


def title_of(agency, year: int, series_name: str) -> str:
    return f"{series_name.upper()} NĂM {year} — {agency.name.upper()}"


def register_pdf(agency, year: int, series_name: str, rows: list[RegisterRow]) -> bytes:
    """The register printed on A4 landscape in Liberation Serif (metric-compatible with Times New Roman)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

    from signing.images import font_path

    for name, style in (("RegisterSerif", "Regular"), ("RegisterSerifBold", "Bold")):
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(font_path(style))))
    cell = ParagraphStyle("cell", fontName="RegisterSerif", fontSize=9.5, leading=11.5)
    head = ParagraphStyle("head", parent=cell, fontName="RegisterSerifBold", alignment=1)
    title = ParagraphStyle("title", fontName="RegisterSerifBold", fontSize=14, leading=18, alignment=1)
    widths = [30 * mm, 22 * mm, 75 * mm, 32 * mm, 50 * mm, 32 * mm, 15 * mm, 27 * mm]
    data = [[Paragraph(c, head) for c in COLUMNS], [Paragraph(str(i), head) for i in range(1, 9)]]
    data += [[Paragraph(_escape(v), cell) for v in row.cells()] for row in rows]
    table = LongTable(data, colWidths=widths, repeatRows=2)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                            topMargin=12 * mm, bottomMargin=12 * mm, title=title_of(agency, year, series_name),
                            author=agency.name, creator="eoffice", lang="vi")
    story = [Paragraph(_escape(title_of(agency, year, series_name)), title), Spacer(1, 6 * mm), table]
    if not rows:
        story.append(Paragraph("Chưa có văn bản nào trong sổ.", cell))
    doc.build(story)
    return buffer.getvalue()


def _escape(text: str) -> str:
    from xml.sax.saxutils import escape

    return escape(text)


def register_xlsx(agency, year: int, series_name: str, rows: list[RegisterRow]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"So van ban di {year}"
    sheet.append([title_of(agency, year, series_name)])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
    sheet["A1"].font = Font(name="Times New Roman", bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append(row.cells()[:6] + [row.copies, row.notes])
    thin = Side(style="thin")
    for cells in sheet.iter_rows(min_row=2):
        for c in cells:
            c.border = Border(left=thin, right=thin, top=thin, bottom=thin)
            c.alignment = Alignment(wrap_text=True, vertical="top")
            c.font = Font(name="Times New Roman", bold=c.row == 2, size=12 if c.row > 2 else 11)
    for letter, width in zip("ABCDEFGH", (16, 12, 50, 20, 35, 20, 10, 20), strict=True):
        sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
