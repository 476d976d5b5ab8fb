"""What every family of incoming actions shares: the error, the audit step, the sender's status signal, the work
items (create, lock for the person acting, close) and the clerk check (the rules: :mod:`eoffice.incoming.policy`)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from eoffice.audit.services import record
from eoffice.core.errors import DomainError
from eoffice.documents.models import URGENCY_RANK
from eoffice.orgs.models import Person

from .. import policy, signals
from ..models import IncomingDocument, Step, WorkItem, WorkStatus


class IncomingError(DomainError):
    """A refused incoming operation; ``message`` is Vietnamese, ``code`` stable (API: a structured 4xx)."""


def _send_status(*, source: str, source_ref: str, agency, status: str, reason: str = "") -> None:
    if not source or not source_ref:
        return
    at = timezone.now()

    def send() -> None:
        signals.status_changed.send(sender=IncomingDocument, source=source, source_ref=source_ref, agency=agency,
                                    status=status, reason=reason, at=at)

    transaction.on_commit(send)


def _document_status_signal(document: IncomingDocument, status: str, reason: str = "") -> None:
    receipt = document.receipt
    if receipt is not None:
        _send_status(source=receipt.source, source_ref=receipt.source_ref, agency=document.agency, status=status,
                     reason=reason)


def _step(document, action: str, actor=None, *, on_behalf_of=None, target=None, text: str = "", data=None,
          request=None) -> Step:
    step = Step.objects.create(document=document, action=action, actor=actor, on_behalf_of=on_behalf_of,
                               target=target, text=text, data=data or {})
    record(f"incoming.{action}", actor=actor, obj=document, agency=document.agency_id, request=request,
           data={"text": text[:500], **(data or {})}, on_behalf_of=on_behalf_of)
    return step


def _require_clerk(person, agency) -> None:
    if not policy.is_clerk_of(person, agency):
        raise IncomingError("Chỉ văn thư của cơ quan nhận mới được thực hiện thao tác này.", code="not_clerk",
                            status_code=403)


# ------------------------------------------------------------------------------------------- work items
def _new_item(document, person, kind, *, task=None, unit=None, note: str = "") -> WorkItem:
    deadline = document.due_on or document.deadline
    return WorkItem.objects.create(
        document=document, agency_id=document.agency_id, person=person,
        unit_id=unit.pk if unit is not None else person.unit_id, kind=kind,
        task=task, urgency=document.urgency, urgency_rank=URGENCY_RANK.get(document.urgency, 0),
        deadline=deadline, note=note)


def _lock_item(item: WorkItem, person, kinds: Sequence[str]) -> tuple[WorkItem, Person | None]:
    """Lock the open ``item`` for ``person``: its owner, or a delegate standing in for the owner
    (:func:`eoffice.incoming.policy.may_act`). Returns the item and on whose behalf the person acts (None: their
    own)."""
    item = WorkItem.objects.select_for_update(of=("self",)).select_related("document", "task").get(pk=item.pk)
    if item.kind not in kinds:
        raise IncomingError("Thao tác không phù hợp với bước xử lý này.", code="wrong_step")
    if item.status != WorkStatus.OPEN:
        raise IncomingError("Việc này đã được xử lý.", code="not_open", status_code=409)
    allowed, on_behalf_of = policy.may_act(person, item)
    if not allowed:
        raise IncomingError("Bạn không được giao việc này.", code="not_assigned", status_code=403)
    return item, on_behalf_of


def _close_item(item: WorkItem, *, result: str = "") -> None:
    item.status = WorkStatus.DONE
    item.finished_at = timezone.now()
    item.result = result
    item.save(update_fields=["status", "finished_at", "result"])
