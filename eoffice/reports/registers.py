"""The incoming register print-out (sổ đăng ký văn bản đến, Decree 30/2020, Appendix IV), as agencies print and
bind it at the end of each year: :data:`INCOMING_COLUMNS` and :func:`incoming_register` (the scoped rows and the
cover), two queries whatever the size of the year. The PDF and XLSX are written by the shared register writer,
``eoffice.documents.printing`` (``write_pdf``, ``write_xlsx``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from django.db.models import Max, Min
from django.utils import timezone

from eoffice.documents.printing import Column, Row, TitlePage

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
        title=INCOMING_TITLE if series_code == INCOMING_SERIES[0] else INCOMING_SECRET_TITLE,
        agency_name=agency.name, parent_name=parent.name if parent else "", year=year,
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
