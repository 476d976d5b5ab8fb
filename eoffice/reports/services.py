"""The deadline reminders (theo dõi, đôn đốc), sent as notifications (``eoffice.notifications``).

- :func:`due_reminders` selects the work that needs a reminder on a given day; :func:`send_deadline_reminders`
  (the Celery beat job ``reports.send_deadline_reminders``) notifies the people responsible and their leaders.

Reminder rules:
- work considered: open work items of incoming documents (not "for information"), with a deadline, on documents
  neither done nor recalled;
- stage ``due_soon`` when the deadline is today or within ``EOFFICE_REMINDER_DAYS`` days (default 2); stage
  ``overdue`` when the deadline has passed;
- recipients: the person the work is given to; their unit's heads (when the person is not a head themself); and
  for overdue work also the leader who gave the instruction (for whom a delegate may have written it); of these,
  only the people to whom ``visible_to`` shows the document (a unit head not named on a secret document hears
  nothing of it), and ``notify`` checks it again; the e-mail about a secret document says only that there is
  secret work, with the link;
- idempotent: the notification key is ``incoming-deadline:<item>:<stage>:<deadline>`` per recipient, so running the
  job twice the same day (or on later days) notifies nobody twice for the same item and stage; an extended deadline
  is a new deadline and gets its own reminders.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from eoffice.audit.services import record
from eoffice.notifications.services import notify

DUE_SOON = "due_soon"
OVERDUE = "overdue"


# ------------------------------------------------------------------------------------------------ reminders
@dataclass
class Reminder:
    item: object  # eoffice.incoming.models.WorkItem
    stage: str  # DUE_SOON | OVERDUE
    recipients: list  # Person, the responsible one first

    @property
    def key(self) -> str:
        return f"incoming-deadline:{self.item.pk}:{self.stage}:{self.item.deadline.isoformat()}"

    def text_for(self, recipient) -> str:
        document = self.item.document
        what = f"Văn bản đến số {document.arrival_number_display}/{document.year} ({document.number_notation}): " \
               f"{document.summary[:150]}"
        deadline = f"{self.item.deadline:%d/%m/%Y}"
        if recipient.pk == self.item.person_id:
            if self.stage == OVERDUE:
                return f"Quá hạn xử lý (hạn {deadline}) — {what}"
            return f"Sắp đến hạn xử lý (hạn {deadline}) — {what}"
        name = self.item.person.get_full_name() or self.item.person.username
        if self.stage == OVERDUE:
            return f"Việc giao cho {name} đã quá hạn (hạn {deadline}) — {what}"
        return f"Việc giao cho {name} sắp đến hạn (hạn {deadline}) — {what}"


def reminder_days() -> int:
    return int(getattr(settings, "EOFFICE_REMINDER_DAYS", 2))


def due_reminders(today: dt.date | None = None, *, within_days: int | None = None) -> list[Reminder]:
    """The work needing a reminder on ``today`` and who to tell: a fixed number of queries, plus one per person
    told (whether ``visible_to`` shows them the document)."""
    from eoffice.incoming.models import DocumentStatus, Instruction, WorkItem, WorkKind, WorkStatus
    from eoffice.orgs.models import Person, RoleCode

    today = today or timezone.localdate()
    within_days = reminder_days() if within_days is None else within_days
    items = list(
        WorkItem.objects.filter(status=WorkStatus.OPEN, deadline__isnull=False,
                                deadline__lte=today + dt.timedelta(days=within_days))
        .exclude(kind=WorkKind.INFO)
        .exclude(document__status__in=[DocumentStatus.DONE, DocumentStatus.RECALLED])
        .select_related("document", "person").order_by("deadline", "pk"))
    if not items:
        return []
    unit_ids = {item.unit_id for item in items if item.unit_id}
    heads: dict[int, list] = {}
    for head in Person.objects.filter(unit_id__in=unit_ids, roles__code=RoleCode.UNIT_HEAD, is_active=True).distinct():
        heads.setdefault(head.unit_id, []).append(head)
    instructing: dict[int, object] = {}
    overdue_docs = {item.document_id for item in items if item.deadline < today}
    for instruction in (Instruction.objects.filter(document_id__in=overdue_docs, is_proposal=False)
                        .select_related("author", "on_behalf_of").order_by("document_id", "-pk")):
        instructing.setdefault(instruction.document_id, instruction.on_behalf_of or instruction.author)
    candidates: list[tuple[object, str, dict]] = []
    for item in items:
        stage = OVERDUE if item.deadline < today else DUE_SOON
        recipients = {item.person_id: item.person}
        for head in heads.get(item.unit_id, []):
            recipients.setdefault(head.pk, head)
        leader = instructing.get(item.document_id) if stage == OVERDUE else None
        if leader is not None and leader.is_active:
            recipients.setdefault(leader.pk, leader)
        candidates.append((item, stage, recipients))
    visible = _visible_documents({p.pk: p for _i, _s, r in candidates for p in r.values()},
                                 {item.document_id for item in items})
    return [Reminder(item=item, stage=stage,
                     recipients=[p for p in recipients.values() if item.document_id in visible.get(p.pk, ())])
            for item, stage, recipients in candidates]


def _visible_documents(people: dict, document_ids: set[int]) -> dict[int, set[int]]:
    """For each person, which of ``document_ids`` ``visible_to`` shows them (one query per person)."""
    from eoffice.incoming.models import IncomingDocument
    from eoffice.orgs.scoping import visible_to

    return {pk: set(visible_to(IncomingDocument, person).filter(pk__in=document_ids).values_list("pk", flat=True))
            for pk, person in people.items()}


def send_deadline_reminders(today: dt.date | None = None, *, within_days: int | None = None) -> int:
    """Notify (in-app and e-mail) everyone :func:`due_reminders` names; returns how many notifications were new."""
    today = today or timezone.localdate()
    created = 0
    for reminder in due_reminders(today, within_days=within_days):
        link = reverse("incoming:document", args=[reminder.item.document_id])
        with transaction.atomic():
            for recipient in reminder.recipients:
                if notify(recipient, about=reminder.item.document, text=reminder.text_for(recipient), link=link,
                          key=reminder.key) is not None:
                    created += 1
    if created:
        record("reports.deadline_reminders", data={"date": today.isoformat(), "notifications": created})
    return created
