"""Redirecting work: give a step to someone else (:func:`reassign`), take it back (:func:`take_back`), extend the
deadline (:func:`extend_deadline`). Who may: :mod:`eoffice.incoming.policy` (leaders, or their delegates, and
unit heads within their unit)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from eoffice.documents.models import is_secret
from eoffice.orgs.models import Person

from .. import policy
from ..models import DeadlineExtension, IncomingDocument, WorkItem, WorkStatus
from ..process import driver as process_driver
from ._common import IncomingError, _new_item, _step


def _move_item(item: WorkItem, person, new_person: Person, *, action: str, reason: str, request=None) -> WorkItem:
    item = WorkItem.objects.select_for_update(of=("self",)).select_related("document", "task").get(pk=item.pk)
    if item.status != WorkStatus.OPEN:
        raise IncomingError("Việc này đã được xử lý.", code="not_open", status_code=409)
    allowed, on_behalf_of = policy.may_redirect(person, item)
    if not allowed:
        raise IncomingError("Bạn không có quyền chuyển việc này.", code="permission_denied", status_code=403)
    if new_person.agency_id != item.agency_id or not new_person.is_active:
        raise IncomingError("Người nhận việc phải thuộc cơ quan.", code="invalid_person")
    if new_person.pk == item.person_id:
        raise IncomingError("Việc này đang do chính người đó xử lý.", code="same_person")
    previous = item.person
    item.status = WorkStatus.CANCELED
    item.finished_at = timezone.now()
    item.result = reason
    item.save(update_fields=["status", "finished_at", "result"])
    new_item = _new_item(item.document, new_person, item.kind, task=item.task, note=reason)
    if item.task_id:
        process_driver().hand_over(item.task, new_person)
    if is_secret(item.document.confidentiality):
        item.document.named_people.add(new_person)
    _step(item.document, action, person, on_behalf_of=on_behalf_of, target=new_person, text=reason,
          request=request, data={"from": previous.pk, "kind": item.kind})
    return new_item


def reassign(item: WorkItem, person, *, to: Person, reason: str = "", request=None) -> WorkItem:
    """Give a step to someone else (a leader for any step; a unit head within their unit)."""
    with transaction.atomic():
        return _move_item(item, person, to, action="reassigned", reason=reason, request=request)


def take_back(item: WorkItem, person, *, reason: str = "", request=None) -> WorkItem:
    """A leader takes a step back to themselves (thu hồi việc đã giao)."""
    if not policy.may_take_back(person, item)[0]:
        raise IncomingError("Chỉ lãnh đạo cơ quan mới được thu hồi việc đã giao.", code="permission_denied",
                            status_code=403)
    with transaction.atomic():
        return _move_item(item, person, person, action="taken_back", reason=reason, request=request)


def extend_deadline(document: IncomingDocument, person, *, new_deadline: date, reason: str,
                    request=None) -> DeadlineExtension:
    """A leader (or their delegate) extends the deadline, with a reason; open work follows the new deadline."""
    if not reason.strip():
        raise IncomingError("Cần ghi lý do gia hạn.", code="reason_required")
    allowed, on_behalf_of = policy.may_extend(person, document)
    if not allowed:
        raise IncomingError("Chỉ lãnh đạo cơ quan mới được gia hạn xử lý.", code="permission_denied",
                            status_code=403)
    with transaction.atomic():
        document = IncomingDocument.objects.select_for_update().get(pk=document.pk)
        old = document.effective_deadline
        if old and new_deadline <= old:
            raise IncomingError("Hạn mới phải sau hạn hiện tại.", code="invalid_deadline")
        extension = DeadlineExtension.objects.create(document=document, old_deadline=old, new_deadline=new_deadline,
                                                     reason=reason, by=person, on_behalf_of=on_behalf_of)
        document.due_on = new_deadline
        document.save(update_fields=["due_on"])
        WorkItem.objects.filter(document=document, status=WorkStatus.OPEN).update(deadline=new_deadline)
        _step(document, "deadline_extended", person, on_behalf_of=on_behalf_of, text=reason, request=request,
              data={"old": old.isoformat() if old else None, "new": new_deadline.isoformat()})
    return extension
