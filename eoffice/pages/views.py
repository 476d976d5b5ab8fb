"""The pages of no single area: the home page and Việc cần xử lý (the inbox of both directions)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from eoffice.documents.models import Urgency
from eoffice.orgs.navigation import navigation_for
from eoffice.work import inbox as work_inbox

#: The inbox's query parameter ``huong`` (direction).
DIRECTION_PARAMS = {"den": work_inbox.INCOMING, "di": work_inbox.OUTGOING}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "orgs/home.html", {"items": navigation_for(request.user)})


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """Việc cần xử lý: every step waiting for the person (and for those they stand in for), incoming and
    outgoing, overdue first, then urgency (:mod:`eoffice.work.inbox`). A constant number of queries."""
    person, today = request.user, timezone.localdate()
    filters = work_inbox.InboxFilter(
        step=request.GET.get("loai", ""), direction=DIRECTION_PARAMS.get(request.GET.get("huong", ""), ""),
        urgency=request.GET.get("do_khan", ""), overdue=bool(request.GET.get("qua_han")),
        text=request.GET.get("q", ""))
    counts = work_inbox.counts(person, today=today)
    page = Paginator(work_inbox.waiting(person, filters, today=today), 50).get_page(request.GET.get("trang"))
    page.object_list = work_inbox.rows(person, list(page.object_list), today=today)
    urgency_counts = [(value, label, counts[f"u_{value}"]) for value, label in Urgency.choices]
    kinds, steps = work_inbox.step_choices()
    query = request.GET.copy()
    query.pop("trang", None)
    return render(request, "incoming/inbox.html", {
        "page": page, "counts": counts, "urgency_counts": urgency_counts, "today": today,
        "kinds": kinds, "steps": steps, "urgencies": Urgency.choices,
        "filters": request.GET, "query": query.urlencode(),
    })
