"""The outgoing register (sổ đăng ký văn bản đi, Decree 30 appendix IV): rows, and its PDF and XLSX print-outs.

One register per agency, series and year. The rows are the issued documents the person may see (the same
:func:`~eoffice.orgs.scoping.visible_to` gate as everywhere), in number order, read in a constant number of queries.
The print-outs are written by the shared register writer, ``eoffice.documents.printing``, as the incoming
register's are.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from eoffice.documents.printing import Column, TitlePage, write_pdf, write_xlsx
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
#: The columns as printed: :data:`COLUMNS` with their widths in mm.
PRINT_COLUMNS = tuple(Column(title, width) for title, width in zip(COLUMNS, (30, 22, 75, 32, 50, 32, 15, 27),
                                                                     strict=True))
EMPTY_TEXT = "Chưa có văn bản nào trong sổ."


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


def _print_parts(agency, year: int, series_name: str, rows: list[RegisterRow]):
    """The title page (the file's author and title; the outgoing register prints no cover), the heading above the
    table and the rows as the shared writer takes them (the number of copies stays a number in the XLSX)."""
    title_page = TitlePage(title=series_name.upper(), agency_name=agency.name, year=year)
    cells = ([*row.cells()[:6], row.copies, row.notes] for row in rows)
    return title_page, title_of(agency, year, series_name), cells


def register_pdf(agency, year: int, series_name: str, rows: list[RegisterRow]) -> bytes:
    """The register printed on A4 landscape in Liberation Serif (metric-compatible with Times New Roman)."""
    title_page, heading, cells = _print_parts(agency, year, series_name, rows)
    buffer = io.BytesIO()
    write_pdf(buffer, title_page=title_page, columns=PRINT_COLUMNS, rows=cells, font_size=9.5, cover=False,
              heading=heading, empty_text=EMPTY_TEXT)
    return buffer.getvalue()


def register_xlsx(agency, year: int, series_name: str, rows: list[RegisterRow]) -> bytes:
    title_page, heading, cells = _print_parts(agency, year, series_name, rows)
    buffer = io.BytesIO()
    write_xlsx(buffer, title_page=title_page, columns=PRINT_COLUMNS, rows=cells, sheet_title=f"So van ban di {year}",
               cover=False, heading=heading)
    return buffer.getvalue()
