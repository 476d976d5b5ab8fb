"""Pages of the reports app: statistics (Báo cáo), the register print-outs, notifications.

Views translate requests into service calls; the scope of every number and row is decided in ``statistics`` and
``registers`` (through ``visible_to`` for documents).
"""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eoffice.core.errors import DomainError
from eoffice.core.params import parse_id
from eoffice.documents import printing
from eoffice.notifications import services as notification_services
from eoffice.notifications.models import Notification
from eoffice.orgs.models import Agency, Person, RoleCode, Unit
from eoffice.orgs.scoping import visible_to
from eoffice.pages.incoming.views import register_filters, register_query
from eoffice.reports import registers
from eoffice.reports.statistics import (
    AGENCY_VIEWERS,
    ReportError,
    chart_svg,
    incoming_statistics,
    parse_period,
    resolve_scope,
)


@login_required
def statistics_page(request: HttpRequest) -> HttpResponse:
    """Báo cáo: the incoming statistics of a scope and period, a table and a chart."""
    today = timezone.localdate()
    person = request.user
    error = ""
    try:
        period = parse_period(request.GET, today)
        scope = resolve_scope(person, agency=request.GET.get("co_quan") or None,
                              unit=request.GET.get("don_vi") or None, subject=request.GET.get("nguoi") or None)
    except ReportError as exc:
        period, scope = parse_period({}, today), None
        if not (person.is_superuser and exc.code == "agency_required"):  # the operator picks an agency
            error = exc.message
            try:
                scope = resolve_scope(person)
            except ReportError:
                scope = None
    statistics = incoming_statistics(scope, period, today=today) if scope else None
    units = people = agencies = ()
    if scope is not None:
        if person.is_superuser or person.has_role(*AGENCY_VIEWERS):
            units = visible_to(Unit, person).filter(agency=scope.agency, is_active=True).order_by("name")
            people = visible_to(Person, person).filter(agency=scope.agency, is_active=True).order_by("full_name")
        elif person.has_role(RoleCode.UNIT_HEAD) and person.unit_id:
            people = visible_to(Person, person).filter(unit_id=person.unit_id, is_active=True).order_by("full_name")
    if person.is_superuser:
        agencies = Agency.objects.order_by("name")
    presets = [
        (_("Tháng này"), f"nam={today.year}&thang={today.month}"),
        (_("Quý này"), f"nam={today.year}&quy={(today.month - 1) // 3 + 1}"),
        (_("Năm nay"), f"nam={today.year}"),
        (_("Năm trước"), f"nam={today.year - 1}"),
    ]
    return render(request, "reports/statistics.html", {
        "statistics": statistics, "error": error, "period": period, "scope": scope, "units": units,
        "people": people, "agencies": agencies, "presets": presets, "filters": request.GET,
        "chart": mark_safe(chart_svg(statistics)) if statistics else "",  # noqa: S308 — built with escape()
    }, status=400 if error else 200)


def _register_agency(request: HttpRequest) -> Agency:
    if request.user.is_superuser and request.GET.get("co_quan", "").strip():
        try:
            agency_id = parse_id(request.GET["co_quan"], name="co_quan")
        except DomainError:
            raise Http404 from None
        return get_object_or_404(Agency, pk=agency_id)
    if request.user.agency_id is None:
        raise Http404
    return request.user.agency


@login_required
def incoming_register_print(request: HttpRequest, year: int, fmt: str) -> HttpResponse:
    """The incoming register of a year as PDF or XLSX, with the register list's filters (``?kho=A3`` for A3 paper).

    The ordinary register unless ``?so=den-mat`` asks for the secret one, which only people who may see secret
    documents open (others: not found); ``?tu_ngay=``/``?den_ngay=`` bound the arrival date (e.g. one month)."""
    if not 1900 < year < 3000 or fmt not in ("pdf", "xlsx"):
        raise Http404
    agency = _register_agency(request)
    form, values, _secret_allowed = register_filters(request, agency)
    if form.errors:
        return HttpResponseBadRequest(" ".join(str(e) for errors in form.errors.values() for e in errors),
                                      content_type="text/plain; charset=utf-8")
    query = register_query(values)
    series = query.pop("series")
    register = registers.incoming_register(request.user, agency, year, series, **query)
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 — FileResponse closes it
    if fmt == "pdf":
        printing.write_pdf(out, title_page=register.title_page, columns=register.columns, rows=register.rows,
                            page_size="A3" if request.GET.get("kho", "").upper() == "A3" else "A4")
        content_type = printing.PDF_CONTENT_TYPE
    else:
        printing.write_xlsx(out, title_page=register.title_page, columns=register.columns, rows=register.rows,
                             sheet_title=f"Sổ văn bản {'mật ' if series == 'den-mat' else ''}đến {year}")
        content_type = printing.XLSX_CONTENT_TYPE
    out.seek(0)
    response = FileResponse(out, content_type=content_type, as_attachment=fmt == "xlsx",
                            filename=f"{register.filename}.{fmt}")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    items = visible_to(Notification, request.user).order_by("-created_at", "-pk")
    if request.GET.get("chua_doc"):
        items = items.filter(read_at__isnull=True)
    page = Paginator(items, 50).get_page(request.GET.get("trang"))
    return render(request, "reports/notifications.html", {"page": page, "filters": request.GET,
                                                          "unread": notification_services.unread_count(request.user)})


@login_required
@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(visible_to(Notification, request.user), pk=pk)
    notification_services.mark_read(notification, request.user)
    link = notification.link
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}):
        return redirect(link)
    return redirect("reports:notifications")


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    count = notification_services.mark_all_read(request.user)
    messages.success(request, _("Đã đánh dấu %(n)s thông báo là đã đọc.") % {"n": count})
    return redirect("reports:notifications")
