"""Việc cần xử lý: what waits for a person (and for those they stand in for), incoming and outgoing.

THE query of the inbox: the page (``module-tasks``) and the API (``/api/v1/my-tasks/``) both list it, with the
same rows in the same order. Each side keeps its own rule of whose step it is: the open work items of
:func:`eoffice.incoming.services.inbox_items` and the documents of :func:`eoffice.outgoing.services.waiting_for`;
this module puts them together, filters them and orders them: overdue first, then urgency, then the nearest
deadline, then the latest. A constant number of queries whatever the data size: the database sorts and pages
both halves together (one ``UNION ALL``), then one query per direction loads the rows of a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone

from eoffice.documents.models import Urgency
from eoffice.incoming import services as incoming_services
from eoffice.incoming.models import WorkItem, WorkKind
from eoffice.outgoing import services as outgoing_services
from eoffice.outgoing.models import OutgoingDocument

INCOMING, OUTGOING = "incoming", "outgoing"
DIRECTIONS = (INCOMING, OUTGOING)


@dataclass(frozen=True)
class InboxFilter:
    """What the person narrows the inbox to; every part optional (empty: no narrowing)."""

    step: str = ""  # a kind of incoming work (WorkKind) or an outgoing step code (out_draft, out_sign...)
    direction: str = ""  # INCOMING | OUTGOING
    urgency: str = ""  # an Urgency value
    overdue: bool = False  # only what is past its deadline
    text: str = ""  # in the summary or the number/notation


@dataclass
class InboxRow:
    """One line of the inbox: a step of an incoming document (a work item) or of an outgoing one."""

    direction: str  # INCOMING | OUTGOING
    pk: int  # the work item (incoming) or the outgoing document
    step: str  # the WorkKind value (incoming) or the outgoing step code
    label: str  # the step, for people
    url: str  # the page where the step is done
    arrival: str
    notation: str
    summary: str
    urgency: str  # the label of the urgency
    urgency_code: str
    deadline: date | None
    overdue: bool
    status: str  # of the work item (incoming) or of the outgoing document
    person_id: int | None  # whose step it is, when it is one named person's
    created_at: datetime
    document: Any  # the IncomingDocument or the OutgoingDocument
    item: WorkItem | None = None  # the work item of an incoming row
    acting_for: str = ""  # the one the person stands in for, when the step is theirs


def step_choices() -> tuple[list[tuple[str, Any]], list[tuple[str, Any]]]:
    """(the kinds of incoming work, the outgoing steps): the values of :attr:`InboxFilter.step`."""
    return list(WorkKind.choices), list(outgoing_services.WAITING_STEP_CHOICES)


def _sources(person) -> tuple[QuerySet, QuerySet]:
    return incoming_services.inbox_items(person), outgoing_services.waiting_for(person)


def _urgency_counts(queryset, deadline: str, today: date) -> dict[str, int]:
    return queryset.order_by().aggregate(
        total=Count("pk"), overdue=Count("pk", filter=Q(**{f"{deadline}__lt": today})),
        **{f"u_{value}": Count("pk", filter=Q(urgency=value)) for value in Urgency.values},
    )


def counts(person, *, today: date | None = None) -> dict[str, int]:
    """The whole inbox counted (no filter): ``total``, ``overdue``, ``incoming``, ``outgoing`` and ``u_<urgency>``
    for each urgency. Two queries."""
    today = today or timezone.localdate()
    items, drafts = _sources(person)
    incoming = _urgency_counts(items, "deadline", today)
    outgoing = _urgency_counts(drafts, "waiting_deadline", today)
    result = {key: incoming[key] + outgoing[key] for key in incoming}
    result[INCOMING], result[OUTGOING] = incoming["total"], outgoing["total"]
    return result


def _ranked(queryset, *, direction: int, deadline: str, at: str, today: date):
    """The columns both halves of the inbox share, so that the database sorts and pages them together."""
    return queryset.order_by().annotate(
        r_dir=Value(direction, output_field=IntegerField()), r_pk=F("pk"),
        r_overdue=Case(When(**{f"{deadline}__lt": today}, then=Value(1)), default=Value(0),
                       output_field=IntegerField()),
        r_rank=F("urgency_rank"), r_deadline=F(deadline), r_at=F(at),
    ).values_list("r_dir", "r_pk", "r_overdue", "r_rank", "r_deadline", "r_at")


def waiting(person, filters: InboxFilter | None = None, *, today: date | None = None) -> QuerySet:
    """The keys of the inbox rows, in their order: a queryset to count and slice (page), then to load with
    :func:`rows`. Each key is ``(direction, pk, overdue, urgency rank, deadline, at)``."""
    filters, today = filters or InboxFilter(), today or timezone.localdate()
    items, drafts = _sources(person)
    kinds, steps = step_choices()
    if filters.step in {code for code, _label in kinds}:
        items, drafts = items.filter(kind=filters.step), drafts.none()
    elif filters.step in {code for code, _label in steps}:
        items, drafts = items.none(), drafts.filter(waiting_code=filters.step)
    if filters.direction == INCOMING:
        drafts = drafts.none()
    elif filters.direction == OUTGOING:
        items = items.none()
    if filters.urgency in Urgency.values:
        items, drafts = items.filter(urgency=filters.urgency), drafts.filter(urgency=filters.urgency)
    if filters.overdue:
        items, drafts = items.filter(deadline__lt=today), drafts.filter(waiting_deadline__lt=today)
    text = filters.text.strip()
    if text:
        items = items.filter(Q(document__summary__icontains=text) | Q(document__number_notation__icontains=text))
        drafts = drafts.filter(Q(summary__icontains=text) | Q(notation__icontains=text))
    return _ranked(items, direction=0, deadline="deadline", at="created_at", today=today).union(
        _ranked(drafts, direction=1, deadline="waiting_deadline", at="updated_at", today=today), all=True,
    ).order_by("-r_overdue", "-r_rank", "r_deadline", "-r_at", "r_dir", "r_pk")


def incoming_row(person, item: WorkItem, *, today: date | None = None) -> InboxRow:
    """The inbox row of a work item (its document and person loaded)."""
    today = today or timezone.localdate()
    document = item.document
    return InboxRow(
        INCOMING, item.pk, item.kind, item.get_kind_display(), reverse("incoming:document", args=[document.pk]),
        f"{document.arrival_number_display}/{document.year}", document.number_notation, document.summary,
        item.get_urgency_display(), item.urgency, item.deadline, bool(item.deadline and item.deadline < today),
        item.status, item.person_id, item.created_at, document, item=item,
        acting_for=str(item.person) if item.person_id != person.pk else "")


def outgoing_row(person, document: OutgoingDocument, *, deadline: date | None, overdue: bool | None = None,
                 today: date | None = None) -> InboxRow:
    """The inbox row of an outgoing document waiting for the person (``deadline``: its waiting deadline)."""
    if overdue is None:
        overdue = bool(deadline and deadline < (today or timezone.localdate()))
    code, label = outgoing_services.waiting_step(document)
    owner = {"out_sign": document.signer_id, "out_draft": document.drafter_id,
             "out_returned": document.drafter_id}.get(code)
    return InboxRow(
        OUTGOING, document.pk, code, str(label), reverse("outgoing-detail", args=[document.pk]), "",
        document.notation, document.summary, document.get_urgency_display(), document.urgency, deadline,
        overdue, document.status, owner, document.created_at, document,
        acting_for=str(document.signer) if code == "out_sign" and document.signer_id != person.pk else "")


def rows(person, keys: list[tuple], *, today: date | None = None, items: QuerySet | None = None,
         documents: QuerySet | None = None) -> list[InboxRow]:
    """Load the rows of the ``keys`` of :func:`waiting` (one page), in their order: two queries, whatever the size.

    ``items`` and ``documents`` are the querysets to load work items and outgoing documents from (default: with
    what the page shows); a caller that shows more selects more."""
    today = today or timezone.localdate()
    items = items if items is not None else WorkItem.objects.select_related("document", "person")
    documents = documents if documents is not None else OutgoingDocument.objects.select_related("signer")
    work = items.in_bulk([key[1] for key in keys if key[0] == 0])
    drafts = documents.in_bulk([key[1] for key in keys if key[0] == 1])
    found = []
    for direction, pk, overdue, _rank, deadline, _at in keys:
        if direction == 0 and pk in work:
            found.append(incoming_row(person, work[pk], today=today))
        elif direction == 1 and pk in drafts:
            found.append(outgoing_row(person, drafts[pk], deadline=deadline, overdue=bool(overdue)))
    return found
