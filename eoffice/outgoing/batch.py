"""The clerk's batch issue: number, seal and release many signed dispatches at once, through Celery.

:func:`issue_batch` checks up front what is cheap to check — the person is a clerk, every document exists among
what they may see and belongs to their agency, each waits for the clerk (signed; or already issued when the batch
releases too) — and refuses the whole batch otherwise, before anything is queued or numbered. It then queues ONE
task per document (``signing.outgoing_issue``, queue ``signing`` by the project's routes, sent after commit):

* the task calls :func:`eoffice.outgoing.services.issue` and then :func:`~eoffice.outgoing.services.release` for
  that document as the clerk, so the number comes from the usual allocation (series row locked until commit: no
  gap, no duplicate, in the order the workers take the documents) and each step is atomic as it is by hand;
* documents are independent: one failure does not touch the others, and throughput grows with the workers of the
  ``signing`` queue (numbering of one series is serialised by the series lock; sealing work is not shared);
* idempotent: a task for a document already issued (and released, when asked) does nothing, so a redelivered
  message or a double click numbers nothing twice;
* a failure leaves the document as it was before that step (issue() and release() each roll back entirely) and is
  recorded for the clerk: an audit record ``outgoing.batch_failed`` with the Vietnamese reason, shown on the
  document's page and in the list, and a notification to the clerk.

The state of a document in a batch (:func:`batch_states`) comes from its status and its latest batch record
(``outgoing.batch_queued`` / ``outgoing.batch_failed``): no extra table.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Iterable

from celery import current_app
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from eoffice.audit.models import AuditRecord
from eoffice.audit.services import record
from eoffice.core.errors import DomainError
from eoffice.notifications.services import notify
from eoffice.orgs.models import Person, RoleCode

from . import services
from .models import OutgoingDocument, Status

log = logging.getLogger(__name__)

MAX_BATCH = 200
ISSUE_TASK = "signing.outgoing_issue"
QUEUED = "outgoing.batch_queued"
FAILED = "outgoing.batch_failed"
OBJECT_TYPE = OutgoingDocument._meta.label_lower
UNEXPECTED = "Lỗi hệ thống khi xử lý; văn bản giữ nguyên trạng thái trước bước này, vui lòng thử lại."


@dataclasses.dataclass
class Queued:
    """What :func:`issue_batch` queued: the document ids (in order) and the id of each one's Celery task."""

    batch: str
    documents: list[int]
    tasks: list[str]
    release: bool


@dataclasses.dataclass
class BatchState:
    """Where a document stands in the clerk's batch: ``code`` is queued / releasing / issued / released / failed."""

    code: str
    label: str
    reason: str = ""
    pending: bool = False


def _ids(documents: Iterable[int | OutgoingDocument]) -> list[int]:
    seen: dict[int, None] = {}
    for item in documents:
        pk = item.pk if isinstance(item, OutgoingDocument) else item
        if isinstance(pk, bool) or not isinstance(pk, int):
            raise DomainError(_("Mã văn bản không hợp lệ."), code="bad_id", details={"id": str(pk)})
        seen.setdefault(pk, None)
    return list(seen)


def issue_batch(documents: Iterable[int | OutgoingDocument], clerk: Person, *, release: bool = True,
                request=None) -> Queued:
    """Check the batch and queue one issue (+ release) task per document; see the module docstring.

    Refusals (DomainError, nothing queued, no number consumed): ``not_clerk`` (403), ``no_documents`` /
    ``too_many`` / ``bad_id`` (400), ``not_found`` (404: unknown ids and documents the clerk may not see, other
    agencies' included, are not told apart), ``wrong_state`` (409, ``details`` names each document and its status).
    """
    from eoffice.orgs.scoping import visible_to

    if not clerk.has_role(RoleCode.CLERK) or not clerk.agency_id:
        raise DomainError(_("Chỉ văn thư của cơ quan ban hành được cấp số, đóng dấu và phát hành."),
                          code="not_clerk", status_code=403)
    ids = _ids(documents)
    if not ids:
        raise DomainError(_("Chưa chọn văn bản nào."), code="no_documents")
    if len(ids) > MAX_BATCH:
        raise DomainError(_("Mỗi lần chỉ xử lý tối đa %(n)d văn bản.") % {"n": MAX_BATCH}, code="too_many",
                          details={"max": MAX_BATCH})
    found = {d.pk: d for d in visible_to(OutgoingDocument, clerk).filter(pk__in=ids, agency_id=clerk.agency_id)}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise DomainError(_("Không tìm thấy văn bản: %(ids)s.") % {"ids": ", ".join(map(str, missing))},
                          code="not_found", details={"ids": missing}, status_code=404)
    allowed = {Status.SIGNED, Status.ISSUED} if release else {Status.SIGNED}
    wrong = [found[pk] for pk in ids if found[pk].status not in allowed]
    if wrong:
        raise DomainError(
            _("Có văn bản không ở bước chờ văn thư cấp số, đóng dấu: %(list)s.")
            % {"list": "; ".join(f"{d.notation or d.summary[:60]} ({d.get_status_display()})" for d in wrong)},
            code="wrong_state", status_code=409,
            details={"documents": [{"id": d.pk, "status": d.status} for d in wrong]})

    batch = uuid.uuid4().hex
    tasks = [uuid.uuid4().hex for _pk in ids]
    with transaction.atomic():
        for pk, task_id in zip(ids, tasks, strict=True):
            record(QUEUED, actor=clerk, obj=found[pk], request=request,
                   data={"batch": batch, "task": task_id, "release": release})
        for pk, task_id in zip(ids, tasks, strict=True):
            # By name (the task module calls this one): ``signing.outgoing_issue`` in eoffice.outgoing.tasks.
            transaction.on_commit(lambda pk=pk, task_id=task_id: current_app.send_task(
                ISSUE_TASK, args=[pk, clerk.pk], kwargs={"release": release, "batch": batch}, task_id=task_id))
    return Queued(batch=batch, documents=ids, tasks=tasks, release=release)


def run_one(document_id: int, clerk_id: int, *, release: bool = True, batch: str = "") -> dict:
    """The work of one task: issue then (optionally) release ``document_id`` as the clerk.

    Returns ``{"document", "status", "reason"}`` with status ``issued`` / ``released`` (done now), ``skipped``
    (nothing left to do, or no longer waiting for the clerk) or ``failed`` (recorded, see :func:`record_failure`).
    Unexpected exceptions propagate (the task retries them, then records a failure).
    """
    clerk = Person.objects.filter(pk=clerk_id).first()
    if clerk is None:
        return {"document": document_id, "status": "skipped", "reason": "gone"}
    done = ""
    for _step in range(3):  # signed → issued → released; each pass re-reads the status
        document = OutgoingDocument.objects.filter(pk=document_id).select_related("agency").first()
        if document is None:
            break
        try:
            if document.status == Status.SIGNED:
                services.issue(document, clerk)
                done = "issued"
            elif release and document.status == Status.ISSUED:
                services.release(document, clerk)
                done = "released"
            else:
                break  # nothing (left) to do: done, or no longer waiting for the clerk
        except DomainError as exc:
            if exc.code == "wrong_state":
                continue  # another task (a double click, a redelivered message) or the clerk got there first
            reason = exc.message
            record_failure(document_id, clerk_id, reason=reason, code=exc.code, batch=batch)
            return {"document": document_id, "status": "failed", "reason": reason}
    return {"document": document_id, "status": done or "skipped", "reason": ""}


def record_failure(document_id: int, clerk_id: int, *, reason: str, code: str = "error", batch: str = "") -> None:
    """Record why the batch could not finish ``document_id``: an audit record the pages show, and a notification
    to the clerk (once per batch and document)."""
    document = OutgoingDocument.objects.filter(pk=document_id).first()
    clerk = Person.objects.filter(pk=clerk_id).first()
    if document is None:
        return
    step = "release" if document.status == Status.ISSUED else "issue"
    with transaction.atomic():
        record(FAILED, actor=clerk, obj=document,
               data={"batch": batch, "step": step, "code": code, "reason": reason})
        if clerk is not None:
            if step == "issue":
                text = _("Văn bản “%(doc)s” chưa được cấp số, đóng dấu: %(reason)s") % {
                    "doc": document.summary[:120], "reason": reason}
            else:
                text = _("Văn bản %(doc)s đã được cấp số, đóng dấu nhưng chưa phát hành được: %(reason)s") % {
                    "doc": document.notation, "reason": reason}
            notify(clerk, about=document, text=text, link=reverse("outgoing-detail", args=[document.pk]),
                   key=f"outgoing-batch-failed:{document.pk}:{batch or uuid.uuid4().hex}", email=False)
    log.warning("batch issue of outgoing document %s failed at %s: %s", document_id, step, reason)


def batch_states(documents: Iterable[OutgoingDocument]) -> dict[int, BatchState]:
    """The batch state of each document that has been in a batch (others are absent). One query."""
    documents = list(documents)
    if not documents:
        return {}
    latest: dict[str, AuditRecord] = {}
    records = (AuditRecord.objects.filter(object_type=OBJECT_TYPE, object_id__in=[str(d.pk) for d in documents],
                                          action__in=[QUEUED, FAILED])
               .only("object_id", "action", "data", "at").order_by("at", "id"))
    for rec in records:
        latest[rec.object_id] = rec
    states: dict[int, BatchState] = {}
    for document in documents:
        rec = latest.get(str(document.pk))
        if rec is not None:
            states[document.pk] = state_of(document, rec)
    return states


def state_of(document: OutgoingDocument, rec: AuditRecord) -> BatchState:
    status = document.status
    step = rec.data.get("step")
    if rec.action == FAILED and (status, step) in ((Status.SIGNED, "issue"), (Status.ISSUED, "release")):
        if step == "release":
            label = _("Đã cấp số, đóng dấu; chưa phát hành được")
        else:
            label = _("Cấp số, đóng dấu không thành công")
        return BatchState("failed", label, reason=rec.data.get("reason", ""))
    if status == Status.SIGNED:
        return BatchState("queued", _("Đang chờ cấp số, đóng dấu…"), pending=rec.action == QUEUED)
    if status == Status.ISSUED:
        if rec.action == QUEUED and rec.data.get("release"):
            return BatchState("releasing", _("Đã cấp số, đóng dấu; đang phát hành…"), pending=True)
        return BatchState("issued", _("Đã cấp số, đóng dấu"))
    if status == Status.RELEASED:
        return BatchState("released", _("Đã phát hành"))
    return BatchState(status, document.get_status_display())


def last_failure(document: OutgoingDocument) -> BatchState | None:
    """The batch failure still standing on ``document`` (for its page), if any."""
    state = batch_states([document]).get(document.pk)
    return state if state is not None and state.code == "failed" else None
