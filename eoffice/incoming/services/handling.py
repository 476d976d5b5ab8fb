"""Handling a registered document, step by step: the flow's callbacks (a step created, those for information
told, the process closed), then the actions at each step: :func:`propose`, :func:`instruct`, :func:`send_back`,
:func:`represent`, :func:`assign_handlers`, :func:`finish_handling` (optionally filing the document,
:func:`finish_handling_and_file`), :func:`give_input`, :func:`mark_read`, and :func:`reply_released` when the
reply to the document is released.

Starting an outgoing reply draft is not done here (incoming never imports outgoing): ``eoffice.work`` registers
the function that does it (:func:`register_reply_starter`) and drafts replies itself (``eoffice.work.replies``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from eoffice.archive.services import ArchiveError, file_document
from eoffice.documents.models import is_secret
from eoffice.orgs.models import Person, RoleCode, Unit

from .. import signals
from ..models import (
    DocumentStatus,
    IncomingDocument,
    IncomingProcess,
    Instruction,
    WorkItem,
    WorkKind,
    WorkStatus,
)
from ..process import driver as process_driver
from ._common import IncomingError, _close_item, _document_status_signal, _lock_item, _new_item, _step
from .receipts import ReceiptMetadata

#: ``starter(document, person) -> draft``: starts the outgoing draft answering an incoming document.
ReplyStarter = Callable[[IncomingDocument, Person], object]

_reply_starter: ReplyStarter | None = None


def register_reply_starter(starter: ReplyStarter) -> None:
    """``eoffice.work`` registers how a reply draft is started, when Django starts."""
    global _reply_starter
    _reply_starter = starter


# ------------------------------------------------------------------------------------------- helpers
def _unit_heads(units: Iterable[Unit]) -> dict[int, Person]:
    """The first active head of each of several units, in one query: {unit id: head} (units without one are
    left out)."""
    heads: dict[int, Person] = {}
    ids = {unit.pk for unit in units if unit is not None}
    if not ids:
        return heads
    for head in (Person.objects.filter(unit_id__in=ids, is_active=True, roles__code=RoleCode.UNIT_HEAD)
                 .order_by("pk")):
        heads.setdefault(head.unit_id, head)
    return heads


def _complete_task(task) -> None:
    """Finish a human step of the flow and let the flow move on, under the process lock."""
    process_driver().complete(task)


def _process(item: WorkItem) -> IncomingProcess:
    return IncomingProcess.objects.get(pk=item.task.process_id)


def _finish_support(incoming_process: IncomingProcess) -> None:
    now = timezone.now()
    WorkItem.objects.filter(document_id=incoming_process.document_id, kind=WorkKind.SUPPORT,
                            status=WorkStatus.OPEN).update(status=WorkStatus.CANCELED, finished_at=now)
    process_driver().finish_support(incoming_process)


def lock_handling(item: WorkItem, person) -> tuple[WorkItem, Person | None]:
    """Lock the open handling step ``item`` for ``person`` (its owner, or a delegate standing in for them):
    the item, and on whose behalf the person acts. For actions outside incoming on the handling step (a reply)."""
    return _lock_item(item, person, [WorkKind.HANDLE])


def record_reply_drafted(document: IncomingDocument, person, draft, *, on_behalf_of=None, request=None) -> None:
    """The history of ``document`` shows that ``person`` started the reply ``draft``."""
    _step(document, "reply_drafted", person, on_behalf_of=on_behalf_of, text="Đã tạo dự thảo văn bản trả lời",
          request=request, data={"draft_id": getattr(draft, "pk", None)})


# ------------------------------------------------------------------------------------------- flow callbacks
_NODE_KINDS = {"propose": WorkKind.PROPOSE, "instruct": WorkKind.INSTRUCT, "revise": WorkKind.REVISE,
               "assign": WorkKind.ASSIGN, "handle": WorkKind.HANDLE}


def on_flow_task_created(task, process: IncomingProcess | None = None) -> None:
    """A human step of the flow was created: it appears in its owner's inbox.

    ``process`` is the flow activation's process (read under the process lock, with its document), when given.
    """
    if process is None or process.pk != task.process_id:
        process = IncomingProcess.objects.select_related("document").get(pk=task.process_id)
    kind = _NODE_KINDS[task.flow_task.name]
    if task.owner_id is None:
        return
    if (kind == WorkKind.INSTRUCT or kind == WorkKind.PROPOSE or kind == WorkKind.REVISE) and process.decision:
        process.decision = ""
        process.save(update_fields=["decision"])
    _new_item(process.document, task.owner, kind, task=task)
    if kind == WorkKind.ASSIGN:
        _document_status_signal(process.document, signals.ASSIGNED)


def on_inform(process: IncomingProcess) -> None:
    """Units and people for information (để biết) see the document in their inbox."""
    document = process.document
    instruction = document.instructions.filter(is_proposal=False).order_by("-pk").first()
    if instruction is None:
        return
    people = {p.pk: p for p in instruction.info_people.all()}
    heads = Person.objects.filter(unit__in=instruction.info_units.all(), roles__code=RoleCode.UNIT_HEAD,
                                  is_active=True)
    people.update({p.pk: p for p in heads})
    for person in people.values():
        _new_item(document, person, WorkKind.INFO)
    if is_secret(document.confidentiality):
        document.named_people.add(*people.values())


def on_flow_closed(process: IncomingProcess) -> None:
    document = process.document
    now = timezone.now()
    document.status = DocumentStatus.DONE
    document.completed_at = now
    document.save(update_fields=["status", "completed_at"])
    WorkItem.objects.filter(document=document, status=WorkStatus.OPEN).exclude(kind=WorkKind.INFO).update(
        status=WorkStatus.CANCELED, finished_at=now)
    _document_status_signal(document, signals.DONE)


# ------------------------------------------------------------------------------------------- the steps
def propose(item: WorkItem, person, *, text: str, lead_unit: Unit | None = None, request=None) -> Instruction:
    """The chief of office proposes how to handle the document; it goes on to the leader."""
    with transaction.atomic():
        item, on_behalf_of = _lock_item(item, person, [WorkKind.PROPOSE])
        instruction = Instruction.objects.create(document=item.document, author=person, on_behalf_of=on_behalf_of,
                                                 is_proposal=True, text=text, lead_unit=lead_unit)
        _close_item(item, result=text)
        _step(item.document, "proposed", person, on_behalf_of=on_behalf_of, text=text, request=request)
        process = _process(item)
        process.decision = "route"
        process.save(update_fields=["decision"])
        _complete_task(item.task)
    return instruction


def instruct(
    item: WorkItem,
    person,
    *,
    text: str,
    lead_unit: Unit,
    supporting_units: Iterable[Unit] = (),
    info_units: Iterable[Unit] = (),
    info_people: Iterable[Person] = (),
    deadline: date | None = None,
    request=None,
) -> Instruction:
    """The leader's instruction: lead unit, supporting units, units/people for information, deadline, text."""
    supporting_units, info_units, info_people = list(supporting_units), list(info_units), list(info_people)
    with transaction.atomic():
        item, on_behalf_of = _lock_item(item, person, [WorkKind.INSTRUCT])
        document = item.document
        for unit in [lead_unit, *supporting_units, *info_units]:
            if unit is None or unit.agency_id != document.agency_id:
                raise IncomingError("Đơn vị phải thuộc cơ quan.", code="invalid_unit")
        if any(p.agency_id != document.agency_id for p in info_people):
            raise IncomingError("Người nhận để biết phải thuộc cơ quan.", code="invalid_person")
        heads = _unit_heads([lead_unit, *supporting_units])  # one query for the lead and supporting units
        head = heads.get(lead_unit.pk)
        if head is None:
            raise IncomingError(f"{lead_unit.name} chưa có lãnh đạo đơn vị để giao việc.", code="no_unit_head")
        if deadline and deadline < timezone.localdate():
            raise IncomingError("Hạn xử lý không được trước ngày hôm nay.", code="invalid_deadline")
        instruction = Instruction.objects.create(document=document, author=person, on_behalf_of=on_behalf_of,
                                                 text=text, lead_unit=lead_unit, deadline=deadline)
        # A new instruction has no links yet: add (one INSERT each, none when empty) rather than set.
        if supporting_units:
            instruction.supporting_units.add(*supporting_units)
        if info_units:
            instruction.info_units.add(*info_units)
        if info_people:
            instruction.info_people.add(*info_people)
        document.lead_unit = lead_unit
        document.due_on = deadline or document.deadline
        document.status = DocumentStatus.IN_PROGRESS
        document.save(update_fields=["lead_unit", "due_on", "status"])
        if is_secret(document.confidentiality):
            document.named_people.add(head)
        _close_item(item, result=text)
        _step(document, "instructed", person, on_behalf_of=on_behalf_of, target=head, text=text, request=request,
              data={"lead_unit": lead_unit.pk, "supporting_units": [u.pk for u in supporting_units],
                    "info_units": [u.pk for u in info_units], "info_people": [p.pk for p in info_people],
                    "deadline": deadline.isoformat() if deadline else None})
        has_support = bool(supporting_units)
        IncomingProcess.objects.filter(pk=item.task.process_id).update(
            decision="route", lead_head=head, has_support=has_support,
            has_information=bool(info_units or info_people))
        support_items = 0
        for unit in supporting_units:
            supporter = heads.get(unit.pk)
            if supporter is not None:
                _new_item(document, supporter, WorkKind.SUPPORT, unit=unit)
                support_items += 1
                if is_secret(document.confidentiality):
                    document.named_people.add(supporter)
        _complete_task(item.task)
        if has_support and not support_items and not WorkItem.objects.filter(
                document=document, kind=WorkKind.SUPPORT, status=WorkStatus.OPEN).exists():
            _finish_support(_process(item))  # no supporting unit has anyone to answer: nothing to wait for
    return instruction


def send_back(item: WorkItem, person, *, reason: str, request=None) -> None:
    """The chief of office or the leader sends the document back to the clerk, with a reason."""
    if not reason.strip():
        raise IncomingError("Cần ghi lý do trả lại.", code="reason_required")
    with transaction.atomic():
        item, on_behalf_of = _lock_item(item, person, [WorkKind.PROPOSE, WorkKind.INSTRUCT])
        _close_item(item, result=reason)
        item.document.status = DocumentStatus.RETURNED
        item.document.save(update_fields=["status"])
        _step(item.document, "sent_back", person, on_behalf_of=on_behalf_of, target=item.document.registered_by,
              text=reason, request=request)
        process = _process(item)
        process.decision = "return"
        process.save(update_fields=["decision"])
        _complete_task(item.task)


def represent(item: WorkItem, person, *, leader: Person | None = None, propose_by: Person | None = None,
              metadata: ReceiptMetadata | None = None, request=None) -> None:
    """The clerk corrects what was sent back and presents the document again."""
    with transaction.atomic():
        item, on_behalf_of = _lock_item(item, person, [WorkKind.REVISE])
        document = item.document
        if metadata is not None:
            for name, value in metadata.model_fields().items():
                setattr(document, name, value)
            document.save()
        document.status = DocumentStatus.REGISTERED
        document.save(update_fields=["status"])
        process = _process(item)
        process.leader = leader or process.leader
        process.proposer = propose_by
        process.decision = ""
        process.save(update_fields=["leader", "proposer", "decision"])
        if is_secret(document.confidentiality):
            document.named_people.add(process.leader, *([propose_by] if propose_by else []))
        _close_item(item)
        _step(document, "presented", person, on_behalf_of=on_behalf_of, target=propose_by or process.leader,
              text="Trình lại văn bản", request=request)
        _complete_task(item.task)


def assign_handlers(item: WorkItem, person, *, main_handler: Person, co_handlers: Iterable[Person] = (),
                    note: str = "", request=None) -> None:
    """The lead unit's head assigns the specialist who handles it (and others who help)."""
    co_handlers = [p for p in co_handlers if p.pk != main_handler.pk]
    with transaction.atomic():
        item, on_behalf_of = _lock_item(item, person, [WorkKind.ASSIGN])
        document = item.document
        if any(p.agency_id != document.agency_id for p in [main_handler, *co_handlers]):
            raise IncomingError("Người xử lý phải thuộc cơ quan.", code="invalid_person")
        IncomingProcess.objects.filter(pk=item.task.process_id).update(main_handler=main_handler)
        if is_secret(document.confidentiality):
            document.named_people.add(main_handler, *co_handlers)
        _close_item(item, result=note)
        _step(document, "assigned", person, on_behalf_of=on_behalf_of, target=main_handler, text=note,
              request=request, data={"co_handlers": [p.pk for p in co_handlers]})
        for helper in co_handlers:
            _new_item(document, helper, WorkKind.COHANDLE, note=note)
        _complete_task(item.task)


def finish_handling(item: WorkItem, person, *, result: str, draft_reply: bool = False, request=None) -> None:
    """The specialist has handled the document: the lead is done, the document is closed.

    With ``draft_reply`` the reply becomes an outgoing draft linked to this document, started by the function
    ``eoffice.work`` registered (:func:`register_reply_starter`).
    """
    with transaction.atomic():
        item, on_behalf_of = _lock_item(item, person, [WorkKind.HANDLE])
        document = item.document
        _close_item(item, result=result)
        _step(document, "handled", person, on_behalf_of=on_behalf_of, text=result, request=request,
              data={"draft_reply": draft_reply})
        if draft_reply:
            if _reply_starter is None:
                raise ImproperlyConfigured("No reply starter: add 'eoffice.work' to INSTALLED_APPS.")
            record_reply_drafted(document, person, _reply_starter(document, person))
        process = _process(item)
        # The lead decides: supporting input still missing no longer holds the document open.
        _finish_support(process)
        _complete_task(item.task)


def finish_handling_and_file(item: WorkItem, person, *, result: str, draft_reply: bool = False, case_file=None,
                             request=None) -> None:
    """:func:`finish_handling`, and (when ``case_file`` is given) file the document into that file, in the same
    transaction: if the filing is refused, the handling is not recorded either."""
    with transaction.atomic():
        if case_file is not None:
            try:
                file_document(person, case_file, "incoming", item.document_id, request=request)
            except ArchiveError as exc:
                raise IncomingError(exc.message, code=f"file_{exc.code}",
                                    status_code=exc.status_code) from exc
        finish_handling(item, person, result=result, draft_reply=draft_reply, request=request)


def give_input(item: WorkItem, person, *, text: str, request=None) -> None:
    """A supporting unit gives its input; when every one has, the supporting branch is done."""
    with transaction.atomic():
        item, on_behalf_of = _lock_item(item, person, [WorkKind.SUPPORT, WorkKind.COHANDLE])
        _close_item(item, result=text)
        _step(item.document, "input_given", person, on_behalf_of=on_behalf_of, text=text, request=request,
              data={"kind": item.kind})
        if item.kind == WorkKind.SUPPORT and not WorkItem.objects.filter(
                document=item.document, kind=WorkKind.SUPPORT, status=WorkStatus.OPEN).exists():
            process = IncomingProcess.objects.filter(document=item.document).order_by("-pk").first()
            if process is not None:
                _finish_support(process)


def mark_read(item: WorkItem, person, request=None) -> None:
    """Someone who received the document for information has seen it."""
    with transaction.atomic():
        item, on_behalf_of = _lock_item(item, person, [WorkKind.INFO])
        _close_item(item)
        _step(item.document, "read", person, on_behalf_of=on_behalf_of, request=request)


def reply_released(incoming_id: int, reply) -> IncomingDocument | None:
    """An outgoing reply to incoming document ``incoming_id`` was released (called by the outgoing release, in
    its transaction; ``reply`` has ``pk``, ``agency_id``, ``drafter`` and ``notation``).

    Records the reply on the document and finishes the handling it came from, as :func:`finish_handling` does:
    the lead is done, the document is done, the status signal goes to the sender. Idempotent: the same reply
    twice changes nothing; a reply to a document of another agency or a recalled one only links where it may.
    """
    with transaction.atomic():
        document = (IncomingDocument.objects.select_for_update(of=("self",))
                    .filter(pk=incoming_id, agency_id=reply.agency_id).first())
        if document is None or document.steps.filter(action="reply_released",
                                                      data__outgoing_id=reply.pk).exists():
            return document
        drafter = reply.drafter
        _step(document, "reply_released", drafter, text=f"Đã ban hành văn bản trả lời: {reply.notation}",
              data={"outgoing_id": reply.pk, "notation": reply.notation})
        if document.status == DocumentStatus.RECALLED:
            return document
        open_handling = WorkItem.objects.select_for_update(of=("self",)).select_related("task").filter(
            document=document, kind=WorkKind.HANDLE, status=WorkStatus.OPEN, task__isnull=False)
        item = open_handling.filter(person=drafter).first() or open_handling.order_by("pk").first()
        if item is None:
            return document
        result = f"Đã ban hành văn bản trả lời số {reply.notation}"
        _close_item(item, result=result)
        _step(document, "handled", drafter, on_behalf_of=item.person if item.person_id != drafter.pk else None,
              text=result, data={"reply": reply.pk})
        _finish_support(_process(item))
        _complete_task(item.task)
    document.refresh_from_db()
    return document
