"""Statistics of incoming dispatches, exactly as docs/DOMAIN.md ("Deadlines, reminders and statistics") defines them.

Definitions, for a period ``[start, end]`` of whole days in the deployment's time zone (``TIME_ZONE``):

- **The documents counted** are the incoming documents of the scope, except recalled ones (the sender withdrew
  them; they are no work of the agency). The *scope* is an agency (all its documents), a unit (the documents whose
  lead unit — đơn vị xử lý chính — it is) or a person (the documents whose main handling — xử lý chính — is or was
  theirs: a ``handle`` work item, open or done, not one taken away by reassignment).
- **Deadline** of a document: the instruction's deadline (``due_on``, as extended), otherwise the deadline the
  issuer set (``deadline``). **A document without a deadline counts as handled on time** and never as overdue.
- **Received in the period** (tiếp nhận trong kỳ): arrived (``arrived_at``) within the period; split into
  *online* (interconnection, e-mail, inside the deployment) and *paper/post*.
- **Carried over** (kỳ trước chuyển sang): arrived before the period starts and not completed before it starts.
- **All received** (tổng số) = received in the period + carried over. Every one of them is either handled in the
  period or still in progress at its end: ``received_total == handled_total + in_progress_total``.
- **Handled** (đã giải quyết): completed (``completed_at``, the lead unit finished and the flow closed) within the
  period. *Early or on time* when the day of completion is on or before the deadline (deadline = completion day is
  on time); *late* when after it.
- **In progress** (đang giải quyết): not completed by the end of the period, measured at the end of the period —
  or today when the period has not ended yet. *Within the deadline* when the deadline is that day or later (or there
  is none); *overdue* when the deadline is before that day.
- **Late rate** = (handled late + in progress overdue) / all received; **on-time rate** = handled early or on time
  / all handled; **electronic share** = all received that arrived electronically / all received. A rate whose
  denominator is zero is ``None`` (shown as "—"), never a division error.

Who sees which statistics (:func:`resolve_scope`): an agency's leaders, clerks and archivists their agency (and any
unit or person in it); a unit head their unit (and its people); anyone else themself; the deployment operator
(superuser) any agency. Numbers are aggregated in one query per table, whatever the data size.

Secret documents (docs/DOMAIN.md, "Deadlines, reminders and statistics"): the **agency's total line** (the official
report) counts every document of the agency, secret ones included, as numbers only; **every other number** — a
unit's or a person's total, and each per-unit or per-person row — counts only the documents ``visible_to`` shows
the viewer (:attr:`Scope.viewer`), so no row names, lists or counts a secret document the viewer may not see. A
scope built without a viewer (internal callers) counts no secret document outside the agency's total.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.html import escape

from eoffice.core.errors import DomainError
from eoffice.core.params import ParameterError, parse_date, parse_id
from eoffice.orgs.models import Agency, Person, RoleCode, Unit

AGENCY_VIEWERS = (RoleCode.LEADER, RoleCode.DEPUTY_LEADER, RoleCode.CLERK, RoleCode.ARCHIVIST)


class ReportError(DomainError):
    """A refused report request (Vietnamese message, stable code; the API turns it into a structured 4xx)."""


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ReportError("Ngày bắt đầu kỳ báo cáo phải trước hoặc bằng ngày kết thúc.", code="invalid_period")

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        first = dt.date(year, 3 * (quarter - 1) + 1, 1)
        last = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
        return cls(first, last - dt.timedelta(days=1))

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        last = dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)
        return cls(dt.date(year, month, 1), last - dt.timedelta(days=1))

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """Aware datetimes: the start of the first day, the start of the day after the last (exclusive)."""
        tz = timezone.get_current_timezone()
        start = dt.datetime.combine(self.start, dt.time.min, tzinfo=tz)
        end = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        return start, end

    def label(self) -> str:
        return f"{self.start:%d/%m/%Y} – {self.end:%d/%m/%Y}"


@dataclass(frozen=True)
class Scope:
    """Whose statistics: an agency, one of its units, or one person."""

    agency: Agency
    unit: Unit | None = None
    person: Person | None = None
    #: Who looks at the statistics: every number but the agency's total counts only what they may see.
    viewer: Person | None = field(default=None, compare=False)

    @property
    def kind(self) -> str:
        return "person" if self.person else "unit" if self.unit else "agency"

    @property
    def label(self) -> str:
        if self.person:
            return self.person.get_full_name() or self.person.username
        if self.unit:
            return self.unit.name
        return self.agency.name


@dataclass
class Counts:
    """One line of the statistics table (see the module docstring for the exact definitions)."""

    label: str
    key: str = ""
    received_online: int = 0
    received_paper: int = 0
    carried_over: int = 0
    received_total: int = 0
    received_electronic: int = 0
    handled_on_time: int = 0
    handled_late: int = 0
    handled_total: int = 0
    in_progress_on_time: int = 0
    in_progress_overdue: int = 0
    in_progress_total: int = 0
    late_rate: float | None = None
    on_time_rate: float | None = None
    electronic_share: float | None = None

    def finish(self) -> Counts:
        self.received_total = self.received_online + self.received_paper + self.carried_over
        self.handled_total = self.handled_on_time + self.handled_late
        self.in_progress_total = self.in_progress_on_time + self.in_progress_overdue
        self.late_rate = _ratio(self.handled_late + self.in_progress_overdue, self.received_total)
        self.on_time_rate = _ratio(self.handled_on_time, self.handled_total)
        self.electronic_share = _ratio(self.received_electronic, self.received_total)
        return self

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class IncomingStatistics:
    scope: Scope
    period: Period
    measured_on: dt.date
    total: Counts
    rows: list[Counts] = field(default_factory=list)
    group_by: str = ""  # unit | person | ""

    def to_dict(self) -> dict:
        return {
            "scope": {"kind": self.scope.kind, "agency": self.scope.agency.pk,
                      "unit": self.scope.unit.pk if self.scope.unit else None,
                      "person": self.scope.person.pk if self.scope.person else None, "label": self.scope.label},
            "period": {"from": self.period.start.isoformat(), "to": self.period.end.isoformat()},
            "measured_on": self.measured_on.isoformat(),
            "total": self.total.to_dict(),
            "group_by": self.group_by,
            "rows": [row.to_dict() for row in self.rows],
        }


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


# ------------------------------------------------------------------------------------------------ scope
def resolve_scope(person, *, agency: Agency | int | None = None, unit: Unit | int | None = None,
                  subject: Person | int | None = None) -> Scope:
    """The scope ``person`` asked for, or :class:`ReportError` (403) when it is beyond what they may see.

    Without arguments: the widest scope the person has (their agency, their unit, or themself).
    """
    if not getattr(person, "is_authenticated", False):
        raise ReportError("Bạn cần đăng nhập.", code="not_authenticated", status_code=401)
    denied = ReportError("Bạn không có quyền xem thống kê này.", code="permission_denied", status_code=403)
    try:  # ids from a request: malformed or beyond 64 bits is a 400, not a database error
        agency, unit, subject = (parse_id(v, name=n) if isinstance(v, int | str) else v
                                 for v, n in ((agency, "agency"), (unit, "unit"), (subject, "person")))
    except ParameterError as exc:
        raise ReportError(exc.message, code="invalid", details=exc.details) from None
    if isinstance(agency, int):
        agency = Agency.objects.filter(pk=agency).first() or _not_found("cơ quan")
    if isinstance(unit, int):
        unit = Unit.objects.select_related("agency").filter(pk=unit).first() or _not_found("đơn vị")
    if isinstance(subject, int):
        subject = Person.objects.select_related("agency", "unit").filter(pk=subject).first() or _not_found("người")
    if person.is_superuser:
        agency = agency or (unit.agency if unit else subject.agency if subject else person.agency)
        if agency is None:
            raise ReportError("Cần chọn cơ quan.", code="agency_required")
    else:
        if person.agency_id is None or (agency is not None and agency.pk != person.agency_id):
            raise denied
        agency = person.agency
    for candidate in (unit, subject):
        if candidate is not None and getattr(candidate, "agency_id", None) != agency.pk:
            raise denied
    if subject is not None:
        if person.is_superuser or person.has_role(*AGENCY_VIEWERS) or subject.pk == person.pk:
            return Scope(agency=agency, person=subject, viewer=person)
        if person.has_role(RoleCode.UNIT_HEAD) and person.unit_id and subject.unit_id == person.unit_id:
            return Scope(agency=agency, person=subject, viewer=person)
        raise denied
    if unit is not None:
        if person.is_superuser or person.has_role(*AGENCY_VIEWERS) or (
                person.has_role(RoleCode.UNIT_HEAD) and unit.pk == person.unit_id):
            return Scope(agency=agency, unit=unit, viewer=person)
        raise denied
    if person.is_superuser or person.has_role(*AGENCY_VIEWERS):
        return Scope(agency=agency, viewer=person)
    if person.has_role(RoleCode.UNIT_HEAD) and person.unit_id:
        return Scope(agency=agency, unit=person.unit, viewer=person)
    return Scope(agency=agency, person=person, viewer=person)


def _not_found(what: str):
    raise ReportError(f"Không tìm thấy {what}.", code="not_found", status_code=404)


# ------------------------------------------------------------------------------------------------ counting
def _documents(scope: Scope, *, as_seen: bool = True) -> QuerySet:
    """The documents counted for ``scope``; ``as_seen``: only those the scope's viewer may see (every line but the
    agency's total)."""
    from eoffice.documents.models import SECRET_LEVELS
    from eoffice.incoming.models import DocumentStatus, IncomingDocument, WorkItem, WorkKind, WorkStatus
    from eoffice.orgs.scoping import visible_to

    documents = IncomingDocument.objects.filter(agency=scope.agency).exclude(status=DocumentStatus.RECALLED)
    if as_seen:
        if scope.viewer is not None:
            documents = documents.filter(pk__in=visible_to(IncomingDocument, scope.viewer).values("pk"))
        else:
            documents = documents.exclude(confidentiality__in=SECRET_LEVELS)
    if scope.unit is not None:
        documents = documents.filter(lead_unit=scope.unit)
    if scope.person is not None:
        documents = documents.filter(Exists(WorkItem.objects.filter(
            document=OuterRef("pk"), person=scope.person, kind=WorkKind.HANDLE,
            status__in=[WorkStatus.OPEN, WorkStatus.DONE])))
    return documents


def _aggregates(period: Period, measured_on: dt.date) -> dict:
    from eoffice.documents.models import ELECTRONIC_CHANNELS

    start, end = period.bounds()
    received = Q(arrived_at__lt=end) & (Q(completed_at__isnull=True) | Q(completed_at__gte=start))
    new = received & Q(arrived_at__gte=start)
    handled = Q(completed_at__gte=start, completed_at__lt=end)
    no_deadline = Q(effective_deadline__isnull=True)
    in_progress = received & (Q(completed_at__isnull=True) | Q(completed_at__gte=end))
    return {
        "received_online": Count("pk", filter=new & Q(channel__in=ELECTRONIC_CHANNELS)),
        "received_paper": Count("pk", filter=new & ~Q(channel__in=ELECTRONIC_CHANNELS)),
        "carried_over": Count("pk", filter=received & Q(arrived_at__lt=start)),
        "received_electronic": Count("pk", filter=received & Q(channel__in=ELECTRONIC_CHANNELS)),
        "handled_on_time": Count("pk", filter=handled & (no_deadline | Q(
            completed_on__lte=Coalesce("due_on", "deadline")))),
        "handled_late": Count("pk", filter=handled & Q(completed_on__gt=Coalesce("due_on", "deadline"))),
        "in_progress_on_time": Count("pk", filter=in_progress & (no_deadline | Q(
            effective_deadline__gte=measured_on))),
        "in_progress_overdue": Count("pk", filter=in_progress & Q(effective_deadline__lt=measured_on)),
    }


def _annotated(documents: QuerySet) -> QuerySet:
    return documents.alias(
        effective_deadline=Coalesce("due_on", "deadline"),
        completed_on=TruncDate("completed_at", tzinfo=timezone.get_current_timezone()),
    )


def incoming_statistics(scope: Scope, period: Period, *, today: dt.date | None = None,
                        group_by: str | None = None) -> IncomingStatistics:
    """Count the incoming documents of ``scope`` over ``period``; with ``group_by`` ("unit" for an agency,
    "person" for an agency or a unit) also one line per lead unit or per main handler. Two queries."""
    from eoffice.incoming.models import WorkItem, WorkKind, WorkStatus

    today = today or timezone.localdate()
    measured_on = min(period.end, today)
    aggregates = _aggregates(period, measured_on)
    documents = _annotated(_documents(scope))
    counted = _annotated(_documents(scope, as_seen=False)) if scope.kind == "agency" else documents
    total = Counts(label=scope.label, key="total", **counted.aggregate(**aggregates)).finish()
    if group_by is None:
        group_by = {"agency": "unit", "unit": "person"}.get(scope.kind, "")
    rows: list[Counts] = []
    if group_by == "unit" and scope.kind == "agency":
        grouped = documents.values("lead_unit", "lead_unit__name").annotate(**aggregates).order_by("lead_unit__name")
        for line in grouped:
            unit_id, name = line.pop("lead_unit"), line.pop("lead_unit__name")
            rows.append(Counts(label=name or "Chưa giao đơn vị xử lý", key=f"unit:{unit_id or ''}", **line).finish())
    elif group_by == "person" and scope.kind in ("agency", "unit"):
        handler = WorkItem.objects.filter(document=OuterRef("pk"), kind=WorkKind.HANDLE,
                                          status__in=[WorkStatus.OPEN, WorkStatus.DONE]).order_by("-pk")
        grouped = (documents.annotate(handler=Subquery(handler.values("person_id")[:1]),
                                      handler_name=Subquery(handler.values("person__full_name")[:1]))
                   .values("handler", "handler_name").annotate(**aggregates).order_by("handler_name"))
        for line in grouped:
            person_id, name = line.pop("handler"), line.pop("handler_name")
            rows.append(Counts(label=name or "Chưa giao chuyên viên xử lý", key=f"person:{person_id or ''}",
                               **line).finish())
    else:
        group_by = ""
    rows = [row for row in rows if row.received_total]
    return IncomingStatistics(scope=scope, period=period, measured_on=measured_on, total=total, rows=rows,
                              group_by=group_by)


# ------------------------------------------------------------------------------------------------ chart
CHART_SERIES = (
    ("handled_on_time", "Giải quyết đúng hạn, trước hạn", "#2e7d32"),
    ("handled_late", "Giải quyết quá hạn", "#ef6c00"),
    ("in_progress_on_time", "Đang giải quyết trong hạn", "#1565c0"),
    ("in_progress_overdue", "Đang giải quyết quá hạn", "#c62828"),
)


def chart_svg(statistics: IncomingStatistics, *, width: int = 720) -> str:
    """A horizontal stacked bar chart (inline SVG, no script) of handled/in-progress documents per line."""
    lines = statistics.rows or [statistics.total]
    label_w, bar_h, gap, top = 200, 22, 10, 34
    bar_w = width - label_w - 60
    biggest = max((line.received_total for line in lines), default=0) or 1
    height = top + len(lines) * (bar_h + gap) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" role="img" viewBox="0 0 {width} '
             f'{height}" width="100%" aria-label="Biểu đồ tình hình giải quyết văn bản đến">']
    x = 0
    for _key, label, colour in CHART_SERIES:  # legend
        parts.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{colour}"/>'
                     f'<text x="{x + 16}" y="14" font-size="11">{escape(label)}</text>')
        x += 16 + int(len(label) * 6.2) + 14
    for i, line in enumerate(lines):
        y = top + i * (bar_h + gap)
        name = line.label if len(line.label) <= 32 else line.label[:31] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + bar_h * 0.7:.1f}" font-size="12" text-anchor="end">'
                     f'<title>{escape(line.label)}</title>{escape(name)}</text>')
        offset = float(label_w)
        for key, label, colour in CHART_SERIES:
            value = getattr(line, key)
            if not value:
                continue
            w = bar_w * value / biggest
            parts.append(f'<rect x="{offset:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}" '
                         f'data-series="{key}" data-value="{value}"><title>{escape(label)}: {value}</title></rect>')
            offset += w
        parts.append(f'<text x="{offset + 4:.1f}" y="{y + bar_h * 0.7:.1f}" font-size="12">'
                     f'{line.received_total}</text>')
    parts.append("</svg>")
    return "".join(parts)


def parse_period(params, today: dt.date | None = None) -> Period:
    """The period of a request: ``from``/``to`` (or ``tu``/``den``) as ISO dates; or ``nam`` with optional
    ``quy`` or ``thang``; by default the current year up to today."""
    today = today or timezone.localdate()

    def date_param(*names: str) -> dt.date | None:
        for name in names:
            value = (params.get(name) or "").strip()
            if value:
                try:
                    return parse_date(value, name=name)
                except ParameterError as exc:
                    raise ReportError(exc.message, code="invalid_date", details={"param": name}) from None
        return None

    start, end = date_param("from", "tu"), date_param("to", "den")
    if start or end:
        return Period(start or dt.date((end or today).year, 1, 1), end or max(today, start))
    try:
        year = int(params.get("nam") or today.year)
        quarter = int(params.get("quy") or 0)
        month = int(params.get("thang") or 0)
        if not 1900 < year < 3000 or not 0 <= quarter <= 4 or not 0 <= month <= 12:
            raise ValueError
    except ValueError:
        raise ReportError("Kỳ báo cáo không hợp lệ.", code="invalid_period") from None
    if month:
        return Period.month(year, month)
    if quarter:
        return Period.quarter(year, quarter)
    return Period.year(year)
