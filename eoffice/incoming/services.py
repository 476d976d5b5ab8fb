"""Operations on incoming dispatches. Views, the API, the flow, tasks and commands call these; nothing else writes.

Receipt API (for the outgoing module and edXML): :func:`receive`, :func:`recall_receipt`, and the signal
:data:`eoffice.incoming.signals.status_changed`. Registration: :func:`register_incoming`, :func:`return_receipt`.
The flow: :func:`propose`, :func:`instruct`, :func:`send_back`, :func:`represent`, :func:`assign_handlers`,
:func:`finish_handling`, :func:`give_input`, :func:`mark_read`, :func:`reassign`, :func:`take_back`,
:func:`extend_deadline`. Each checks who may act (the owner of the work item, or a delegate standing in for them,
recorded as on behalf of) and writes the audit trail.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from eoffice.audit.services import record
from eoffice.core.errors import DomainError
from eoffice.documents.models import (
    URGENCY_RANK,
    Channel,
    Confidentiality,
    Direction,
    DocumentType,
    Urgency,
    is_secret,
)
from eoffice.documents.services import allocate_number, format_number, incoming_series_for, store_file
from eoffice.orgs.models import Agency, Delegation, Person, RoleCode, Unit

from . import signals
from .models import (
    DeadlineExtension,
    DocumentStatus,
    FileKind,
    IncomingDocument,
    IncomingFile,
    IncomingProcess,
    Instruction,
    Receipt,
    ReceiptFile,
    ReceiptStatus,
    Step,
    WorkItem,
    WorkKind,
    WorkStatus,
)
from .process import driver as process_driver


class IncomingError(DomainError):
    """A refused incoming operation; ``message`` is Vietnamese, ``code`` stable (API: a structured 4xx)."""


@dataclass
class ReceiptMetadata:
    """What the sender says about a dispatch (DOMAIN.md, metadata)."""

    issuer_name: str
    number_notation: str
    issued_on: date
    summary: str
    issuer_agency: Agency | None = None
    document_type: DocumentType | str | None = None  # a DocumentType or its code
    place_of_issue: str = ""
    signer_name: str = ""
    signer_position: str = ""
    signer_capacity: str = ""
    recipients_text: str = ""
    urgency: str = Urgency.NORMAL
    confidentiality: str = Confidentiality.NORMAL
    deadline: date | None = None
    page_count: int | None = None
    named_recipients: Sequence[Person] = field(default_factory=list)
    #: (source, source_ref) of the earlier dispatch to the same agency that this one replaces, if any.
    replaces_ref: tuple[str, str] | None = None

    def model_fields(self) -> dict:
        doc_type = self.document_type
        if isinstance(doc_type, str):
            doc_type = DocumentType.objects.filter(code=doc_type).first()
        if self.urgency not in Urgency.values:
            raise IncomingError("Độ khẩn không hợp lệ.", code="invalid_urgency")
        if self.confidentiality not in Confidentiality.values:
            raise IncomingError("Độ mật không hợp lệ.", code="invalid_confidentiality")
        for name, label in (("issuer_name", "cơ quan ban hành"), ("number_notation", "số, ký hiệu"),
                            ("summary", "trích yếu")):
            if not str(getattr(self, name) or "").strip():
                raise IncomingError(f"Chưa nhập {label}.", code="missing_field", details={"field": name})
        if not self.issued_on:
            raise IncomingError("Chưa nhập ngày ban hành.", code="missing_field", details={"field": "issued_on"})
        return {
            "issuer_agency": self.issuer_agency, "issuer_name": self.issuer_name.strip(),
            "number_notation": self.number_notation.strip(), "issued_on": self.issued_on,
            "place_of_issue": self.place_of_issue, "document_type": doc_type, "summary": self.summary.strip(),
            "signer_name": self.signer_name, "signer_position": self.signer_position,
            "signer_capacity": self.signer_capacity, "recipients_text": self.recipients_text,
            "urgency": self.urgency, "confidentiality": self.confidentiality, "deadline": self.deadline,
            "page_count": self.page_count,
        }


# --------------------------------------------------------------------------------------------------- helpers
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


def _validate_bytes(data: bytes) -> dict:
    """Validate the signatures of one acceptable PDF; never raises (a validator failure is a result too)."""
    from signing.validation import validate_pdf

    try:
        report = validate_pdf(data, allow_fetching=getattr(settings, "EOFFICE_VALIDATION_FETCH", False))
    except Exception as exc:  # the file was accepted; a validator failure is reported, not fatal
        return {"status": "error", "summary": "Không kiểm tra được chữ ký số.", "error": str(exc)[:300]}
    return report.to_dict()


def _aggregate_validation(results: list[tuple[str, dict]]) -> tuple[dict, str, str]:
    order = ["error", "invalid", "indeterminate", "unsigned", "valid"]
    statuses = [str(r.get("status", "error")) for _n, r in results]
    worst = min(statuses, key=lambda s: order.index(s) if s in order else 0) if statuses else ""
    summary = " ".join(f"{name}: {r.get('summary', '')}" for name, r in results) if len(results) > 1 else (
        results[0][1].get("summary", "") if results else "")
    return {"files": [{"name": name, "report": r} for name, r in results]}, worst, summary


def check_upload(name: str, data: bytes) -> None:
    """Refuse anything that is not a whole, readable, unencrypted PDF within the size limit."""
    from signing.validation import PdfNotAcceptableError, check_pdf_acceptable

    try:
        check_pdf_acceptable(data, max_bytes=settings.EOFFICE_MAX_UPLOAD_BYTES)
    except PdfNotAcceptableError as exc:
        raise IncomingError(f"Tệp {name}: {exc.message}", code=f"pdf_{exc.code}",
                            details={"file": name, "reason": exc.code}) from exc


def find_duplicate(agency, issuer_name: str, number_notation: str, issued_on: date) -> IncomingDocument | None:
    """The registered document with the same issuer, number/notation and date of issue, if any."""
    return (IncomingDocument.objects.filter(agency=agency, issued_on=issued_on,
                                            number_notation__iexact=number_notation.strip(),
                                            issuer_name__iexact=issuer_name.strip())
            .exclude(status=DocumentStatus.RECALLED).order_by("pk").first())


def _require_clerk(person, agency) -> None:
    if not person.is_superuser and (person.agency_id != getattr(agency, "pk", agency)
                                    or not person.has_role(RoleCode.CLERK)):
        raise IncomingError("Chỉ văn thư của cơ quan nhận mới được thực hiện thao tác này.", code="not_clerk",
                            status_code=403)


# ------------------------------------------------------------------------------------------- receipt API
def receive(agency, *, files: list[tuple[str, bytes]], metadata: ReceiptMetadata, channel: str = Channel.INTERNAL,
            source: str, source_ref: str) -> Receipt:
    """An electronic dispatch arrived for ``agency``: queue it for the clerk, with its signatures validated.

    Idempotent on (``source``, ``source_ref``): delivering the same dispatch twice returns the first receipt.
    A file that is not an acceptable PDF is kept and reported in the validation result; the clerk returns it.
    Sends ``arrived`` on commit.
    """
    existing = Receipt.objects.filter(source=source, source_ref=source_ref).first()
    if existing is not None:
        return existing
    if not files:
        raise IncomingError("Văn bản điện tử đến không có tệp đính kèm.", code="no_files")
    from signing.validation import PdfNotAcceptableError, check_pdf_acceptable

    results: list[tuple[str, dict]] = []
    for name, data in files:
        try:
            check_pdf_acceptable(data, max_bytes=settings.EOFFICE_MAX_UPLOAD_BYTES)
        except PdfNotAcceptableError as exc:
            results.append((name, {"status": "invalid", "summary": exc.message, "code": exc.code}))
            continue
        results.append((name, _validate_bytes(data)))
    validation, status, summary = _aggregate_validation(results)
    fields = metadata.model_fields()
    with transaction.atomic():
        existing = Receipt.objects.select_for_update().filter(source=source, source_ref=source_ref).first()
        if existing is not None:
            return existing
        receipt = Receipt.objects.create(
            agency=agency, channel=channel, source=source, source_ref=source_ref, validation=validation,
            validation_status=status, validation_summary=summary,
            duplicate_of=find_duplicate(agency, fields["issuer_name"], fields["number_notation"],
                                        fields["issued_on"]),
            **fields,
        )
        if metadata.named_recipients:
            receipt.named_recipients.set(metadata.named_recipients)
        if metadata.replaces_ref:
            replaced = Receipt.objects.filter(agency=agency, source=metadata.replaces_ref[0],
                                              source_ref=metadata.replaces_ref[1]).first()
            if replaced is not None:
                Receipt.objects.filter(pk=receipt.pk).update(replaces=replaced)
                receipt.replaces = replaced
        for position, (name, data) in enumerate(files):
            ReceiptFile.objects.create(receipt=receipt, stored_file=store_file(data, name=name), position=position)
        record("incoming.receipt_arrived", obj=receipt, agency=agency.pk,
               data={"source": source, "source_ref": source_ref, "validation": status})
        _send_status(source=source, source_ref=source_ref, agency=agency, status=signals.ARRIVED)
    return receipt


def return_receipt(receipt: Receipt, person, *, reason: str, request=None) -> Receipt:
    """The clerk refuses a misaddressed or invalid electronic dispatch; the sender is told why (``refused``)."""
    _require_clerk(person, receipt.agency)
    if not reason.strip():
        raise IncomingError("Cần ghi lý do trả lại.", code="reason_required")
    with transaction.atomic():
        receipt = Receipt.objects.select_for_update().get(pk=receipt.pk)
        if receipt.status != ReceiptStatus.WAITING:
            raise IncomingError("Văn bản này không còn chờ tiếp nhận.", code="not_waiting", status_code=409)
        receipt.status = ReceiptStatus.RETURNED
        receipt.reason = reason.strip()
        receipt.decided_at = timezone.now()
        receipt.decided_by = person
        receipt.save(update_fields=["status", "reason", "decided_at", "decided_by"])
        record("incoming.receipt_returned", actor=person, obj=receipt, request=request, data={"reason": reason})
        _send_status(source=receipt.source, source_ref=receipt.source_ref, agency=receipt.agency,
                     status=signals.REFUSED, reason=receipt.reason)
    return receipt


def recall_receipt(source: str, source_ref: str, *, reason: str) -> None:
    """The sender recalls a dispatch: a waiting receipt is withdrawn; a registered document is marked recalled and
    leaves every inbox. Answers ``recall_done`` through the signal. Unknown deliveries are ignored."""
    with transaction.atomic():
        receipt = Receipt.objects.select_for_update().filter(source=source, source_ref=source_ref).first()
        if receipt is None or receipt.status == ReceiptStatus.RECALLED:
            return
        now = timezone.now()
        document = IncomingDocument.objects.filter(receipt=receipt).first()
        if document is not None:
            document.status = DocumentStatus.RECALLED
            document.recalled_at = now
            document.save(update_fields=["status", "recalled_at"])
            WorkItem.objects.filter(document=document, status=WorkStatus.OPEN).update(
                status=WorkStatus.CANCELED, finished_at=now)
            _cancel_processes(document)
            _step(document, "recalled", text=reason)
        receipt.status = ReceiptStatus.RECALLED
        receipt.reason = reason
        receipt.decided_at = now
        receipt.save(update_fields=["status", "reason", "decided_at"])
        record("incoming.receipt_recalled", obj=receipt, data={"reason": reason})
        _send_status(source=source, source_ref=source_ref, agency=receipt.agency, status=signals.RECALL_DONE,
                     reason=reason)


def _cancel_processes(document: IncomingDocument) -> None:
    process_driver().cancel(document)


# ------------------------------------------------------------------------------------------- registration
def default_leader(agency) -> Person | None:
    return (Person.objects.filter(agency=agency, is_active=True, roles__code=RoleCode.LEADER)
            .order_by("pk").first())


def unit_head(unit: Unit) -> Person | None:
    return (Person.objects.filter(unit=unit, is_active=True, roles__code=RoleCode.UNIT_HEAD)
            .order_by("pk").first())


def _unit_heads(units: Iterable[Unit]) -> dict[int, Person]:
    """``unit_head`` of several units in one query: {unit id: head} (units without one are left out)."""
    heads: dict[int, Person] = {}
    ids = {unit.pk for unit in units if unit is not None}
    if not ids:
        return heads
    for head in (Person.objects.filter(unit_id__in=ids, is_active=True, roles__code=RoleCode.UNIT_HEAD)
                 .order_by("pk")):
        heads.setdefault(head.unit_id, head)
    return heads


def register_incoming(
    person,
    *,
    metadata: ReceiptMetadata | None = None,
    files: list[tuple[str, bytes]] | None = None,
    receipt: Receipt | None = None,
    channel: str | None = None,
    arrived_at: datetime | None = None,
    scanned_paper: bool = False,
    present_to: Person | None = None,
    propose_by: Person | None = None,
    named_people: Iterable[Person] = (),
    notes: str = "",
    request=None,
) -> IncomingDocument:
    """Register an incoming dispatch in the agency's incoming register and present it (start the flow).

    From a waiting ``receipt`` (electronic), or from uploaded ``files`` with ``metadata`` (paper, e-mail). Uploads
    are checked first (not a PDF, encrypted, empty, too large → :class:`IncomingError`); the arrival number is
    allocated inside the registration's transaction, so a refused registration consumes no number. A scanned paper
    original becomes a sao y signed with the agency's seal. The same dispatch already registered (issuer,
    number/notation, date) is refused with a link to it.
    """
    agency = person.agency
    _require_clerk(person, agency)
    now = timezone.now()
    arrived_at = arrived_at or (receipt.received_at if receipt is not None else now)
    if receipt is not None:
        if receipt.agency_id != agency.pk:
            raise IncomingError("Văn bản không gửi đến cơ quan của bạn.", code="wrong_agency", status_code=403)
        fields = {name: getattr(receipt, name) for name in (
            "issuer_agency", "issuer_name", "number_notation", "issued_on", "place_of_issue", "document_type",
            "summary", "signer_name", "signer_position", "signer_capacity", "recipients_text", "urgency",
            "confidentiality", "deadline", "page_count", "validation", "validation_status", "validation_summary")}
        if metadata is not None:  # the clerk may correct what the sender wrote
            fields.update(metadata.model_fields())
        channel = receipt.channel
        uploads: list[tuple[str, bytes, str]] = []
        named_people = list(named_people) + list(receipt.named_recipients.all())
    else:
        if metadata is None or not files:
            raise IncomingError("Cần tải lên tệp văn bản và nhập thông tin văn bản.", code="no_files")
        if channel not in Channel.values:
            raise IncomingError("Phương thức nhận không hợp lệ.", code="invalid_channel")
        fields = metadata.model_fields()
        for name, data in files:
            check_upload(name, data)
        results = [(name, _validate_bytes(data)) for name, data in files]
        fields["validation"], fields["validation_status"], fields["validation_summary"] = \
            _aggregate_validation(results)
        main_kind = FileKind.ORIGINAL_SCAN if scanned_paper else FileKind.MAIN
        uploads = [(name, data, main_kind if i == 0 else FileKind.ATTACHMENT) for i, (name, data) in
                   enumerate(files)]
    duplicate = find_duplicate(agency, fields["issuer_name"], fields["number_notation"], fields["issued_on"])
    if duplicate is not None:
        if receipt is not None and receipt.duplicate_of_id != duplicate.pk:
            Receipt.objects.filter(pk=receipt.pk).update(duplicate_of=duplicate)
        raise IncomingError(
            f"Văn bản này đã được vào sổ (số đến {duplicate.arrival_number_display}/{duplicate.year}).",
            code="duplicate", details={"existing_id": duplicate.pk, "arrival_number": duplicate.arrival_number,
                                       "year": duplicate.year}, status_code=409)
    leader = present_to or default_leader(agency)
    if leader is None or leader.agency_id != agency.pk:
        raise IncomingError("Chưa chọn lãnh đạo để trình văn bản.", code="no_leader")
    if propose_by is not None and propose_by.agency_id != agency.pk:
        raise IncomingError("Người đề xuất phải thuộc cơ quan.", code="invalid_proposer")
    stored: list[tuple] = [(store_file(data, name=name), kind) for name, data, kind in uploads]
    year = timezone.localtime(arrived_at).year
    series_code, series_name = incoming_series_for(fields["confidentiality"])
    with transaction.atomic():
        if receipt is not None:
            receipt = Receipt.objects.select_for_update().get(pk=receipt.pk)
            if receipt.status != ReceiptStatus.WAITING:
                raise IncomingError("Văn bản này không còn chờ tiếp nhận.", code="not_waiting", status_code=409)
            stored = [(rf.stored_file, FileKind.MAIN if i == 0 else FileKind.ATTACHMENT)
                      for i, rf in enumerate(receipt.files.select_related("stored_file"))]
        number = allocate_number(agency, Direction.INCOMING, series_code, year, name=series_name)
        # Again under the series lock (the same dispatch has the same confidentiality, hence the same series): two
        # clerks registering the same dispatch at once both passed the check above; the second sees the first now.
        duplicate = find_duplicate(agency, fields["issuer_name"], fields["number_notation"], fields["issued_on"])
        if duplicate is not None:
            raise IncomingError(
                f"Văn bản này vừa được vào sổ (số đến {duplicate.arrival_number_display}/{duplicate.year}).",
                code="duplicate", details={"existing_id": duplicate.pk, "arrival_number": duplicate.arrival_number,
                                           "year": duplicate.year}, status_code=409)
        if not scanned_paper and not fields.get("page_count") and stored:
            fields["page_count"] = stored[0][0].page_count  # known now: no second UPDATE after the insert
        document = IncomingDocument.objects.create(
            agency=agency, series_code=series_code, year=year, arrival_number=number, arrived_at=arrived_at,
            registered_at=now, registered_by=person, receipt=receipt, channel=channel, notes=notes, **fields)
        if scanned_paper and stored:
            copy_file, copy_notation = _make_certified_copy(agency, stored[0][0], year)
            document.copy_notation = copy_notation
            document.save(update_fields=["copy_notation"])
            stored.insert(0, (copy_file, FileKind.COPY))
        for position, (stored_file, kind) in enumerate(stored):
            IncomingFile.objects.create(document=document, stored_file=stored_file, kind=kind, position=position)
        if not document.page_count and stored and stored[0][0].page_count:
            document.page_count = stored[0][0].page_count
            document.save(update_fields=["page_count"])
        people = set(named_people)
        if is_secret(document.confidentiality):
            people |= {person, leader} | ({propose_by} if propose_by else set())
        if people:
            document.named_people.set(people)
        if receipt is not None:
            receipt.status = ReceiptStatus.REGISTERED
            receipt.decided_at = now
            receipt.decided_by = person
            receipt.save(update_fields=["status", "decided_at", "decided_by"])
        _step(document, "registered", person, request=request,
              text=f"Vào sổ văn bản đến số {format_number(number)}", data={"arrival_number": number,
                                                                            "series": series_code})
        _document_status_signal(document, signals.ACCEPTED)
        _start_flow(document, leader=leader, proposer=propose_by)
        _step(document, "presented", person, target=propose_by or leader, text="Trình văn bản")
    return document


def _make_certified_copy(agency, scan, year: int):
    """Turn a scanned paper original into a sao y signed by the agency (copy number from the copy register)."""
    from signing.keyring import seal_key_source
    from signing.pades import sign_copy

    n = allocate_number(agency, Direction.OUTGOING, "sao", year, name="Sổ đăng ký bản sao")
    notation = f"{format_number(n)}/SY-{agency.abbreviation}"
    try:
        signed = sign_copy(scan.read(), seal_key_source(agency), copy_form="sao y", copy_number=notation,
                           agency_name=agency.name)
    except Exception as exc:
        raise IncomingError(f"Không ký số được bản sao y: {exc}", code="copy_signing_failed") from exc
    return store_file(signed, name=f"sao-y-{format_number(n)}-{scan.name}"), notation


def _start_flow(document: IncomingDocument, *, leader, proposer=None) -> IncomingProcess:
    return process_driver().start(document, leader=leader, proposer=proposer)


# ------------------------------------------------------------------------------------------- flow callbacks
_NODE_KINDS = {"propose": WorkKind.PROPOSE, "instruct": WorkKind.INSTRUCT, "revise": WorkKind.REVISE,
               "assign": WorkKind.ASSIGN, "handle": WorkKind.HANDLE}


def _new_item(document, person, kind, *, task=None, unit=None, note: str = "") -> WorkItem:
    deadline = document.due_on or document.deadline
    return WorkItem.objects.create(
        document=document, agency_id=document.agency_id, person=person,
        unit_id=unit.pk if unit is not None else person.unit_id, kind=kind,
        task=task, urgency=document.urgency, urgency_rank=URGENCY_RANK.get(document.urgency, 0),
        deadline=deadline, note=note)


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


# ------------------------------------------------------------------------------------------- acting
def acting_for(item: WorkItem, person) -> tuple[bool, Person | None]:
    """Whether ``person`` may act on ``item``, and on whose behalf (a delegate standing in for the owner)."""
    if item.person_id == person.pk:
        return True, None
    if Delegation.objects.active().filter(delegator_id=item.person_id, delegate=person).exists():
        return True, item.person
    return False, None


def _lock_item(item: WorkItem, person, kinds: Sequence[str]) -> tuple[WorkItem, Person | None]:
    item = WorkItem.objects.select_for_update(of=("self",)).select_related("document", "task").get(pk=item.pk)
    if item.kind not in kinds:
        raise IncomingError("Thao tác không phù hợp với bước xử lý này.", code="wrong_step")
    if item.status != WorkStatus.OPEN:
        raise IncomingError("Việc này đã được xử lý.", code="not_open", status_code=409)
    allowed, on_behalf_of = acting_for(item, person)
    if not allowed:
        raise IncomingError("Bạn không được giao việc này.", code="not_assigned", status_code=403)
    return item, on_behalf_of


def _close_item(item: WorkItem, *, result: str = "") -> None:
    item.status = WorkStatus.DONE
    item.finished_at = timezone.now()
    item.result = result
    item.save(update_fields=["status", "finished_at", "result"])


def _complete_task(task) -> None:
    """Finish a human step of the flow and let the flow move on, under the process lock."""
    process_driver().complete(task)


def _process(item: WorkItem) -> IncomingProcess:
    return IncomingProcess.objects.get(pk=item.task.process_id)


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

    With ``draft_reply`` the reply becomes an outgoing draft linked to this document (through
    ``eoffice.outgoing.services.start_reply_draft`` when the outgoing module provides it; otherwise the intent is
    recorded on the document).
    """
    with transaction.atomic():
        item, on_behalf_of = _lock_item(item, person, [WorkKind.HANDLE])
        document = item.document
        _close_item(item, result=result)
        _step(document, "handled", person, on_behalf_of=on_behalf_of, text=result, request=request,
              data={"draft_reply": draft_reply})
        if draft_reply:
            _start_reply(document, person)
        process = _process(item)
        # The lead decides: supporting input still missing no longer holds the document open.
        _finish_support(process)
        _complete_task(item.task)


def _start_reply(document: IncomingDocument, person) -> None:
    try:
        outgoing = importlib.import_module("eoffice.outgoing.services")
    except ImportError:
        outgoing = None
    hook = getattr(outgoing, "start_reply_draft", None)
    if hook is None:
        _step(document, "reply_requested", person, text="Dự thảo văn bản trả lời (chờ phân hệ văn bản đi)")
        return
    draft = hook(document, person)
    _step(document, "reply_drafted", person, text="Đã tạo dự thảo văn bản trả lời",
          data={"draft_id": getattr(draft, "pk", None)})


def _finish_support(incoming_process: IncomingProcess) -> None:
    now = timezone.now()
    WorkItem.objects.filter(document_id=incoming_process.document_id, kind=WorkKind.SUPPORT,
                            status=WorkStatus.OPEN).update(status=WorkStatus.CANCELED, finished_at=now)
    process_driver().finish_support(incoming_process)


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


def _is_leader(person, agency_id) -> bool:
    return person.agency_id == agency_id and person.has_role(RoleCode.LEADER, RoleCode.DEPUTY_LEADER)


def _may_redirect(item: WorkItem, person) -> tuple[bool, Person | None]:
    """The agency's leaders (or their delegates) may move any step; a unit head may move the steps of their unit."""
    if _is_leader(person, item.agency_id):
        return True, None
    for delegator in person.acting_for():
        if _is_leader(delegator, item.agency_id):
            return True, delegator
    if (person.has_role(RoleCode.UNIT_HEAD) and person.unit_id and item.unit_id == person.unit_id
            and item.kind in (WorkKind.HANDLE, WorkKind.COHANDLE)):
        return True, None
    return False, None


def _move_item(item: WorkItem, person, new_person: Person, *, action: str, reason: str, request=None) -> WorkItem:
    item = WorkItem.objects.select_for_update(of=("self",)).select_related("document", "task").get(pk=item.pk)
    if item.status != WorkStatus.OPEN:
        raise IncomingError("Việc này đã được xử lý.", code="not_open", status_code=409)
    allowed, on_behalf_of = _may_redirect(item, person)
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
    if not (_is_leader(person, item.agency_id) or any(_is_leader(d, item.agency_id) for d in person.acting_for())):
        raise IncomingError("Chỉ lãnh đạo cơ quan mới được thu hồi việc đã giao.", code="permission_denied",
                            status_code=403)
    with transaction.atomic():
        return _move_item(item, person, person, action="taken_back", reason=reason, request=request)


def extend_deadline(document: IncomingDocument, person, *, new_deadline: date, reason: str,
                    request=None) -> DeadlineExtension:
    """A leader (or their delegate) extends the deadline, with a reason; open work follows the new deadline."""
    if not reason.strip():
        raise IncomingError("Cần ghi lý do gia hạn.", code="reason_required")
    on_behalf_of = None
    if not _is_leader(person, document.agency_id):
        delegators = [d for d in person.acting_for() if _is_leader(d, document.agency_id)]
        if not delegators:
            raise IncomingError("Chỉ lãnh đạo cơ quan mới được gia hạn xử lý.", code="permission_denied",
                                status_code=403)
        on_behalf_of = delegators[0]
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


# ------------------------------------------------------------------------------------------- queries
def inbox_items(person, *, include_delegated: bool = True):
    """The open work items of ``person`` (and of the people they stand in for), overdue and urgent first."""
    owners = Q(person=person)
    if include_delegated:
        owners |= Q(person__in=Delegation.objects.active().filter(delegate=person).values("delegator_id"))
    return (WorkItem.objects.filter(owners, status=WorkStatus.OPEN)
            .exclude(document__status=DocumentStatus.RECALLED)
            .select_related("document", "document__document_type", "person"))


def may_see_secret_register(person, agency) -> bool:
    """Whether ``person`` may open ``agency``'s secret incoming register (sổ văn bản mật đến).

    Secret documents are visible only to the people named on them, so the register is for those who may see at
    least one secret incoming document of the agency (and the deployment's operators); it shows them only those.
    ``agency`` None: any agency (the operator, who belongs to none)."""
    from eoffice.documents.services import INCOMING_SECRET_SERIES
    from eoffice.orgs.scoping import visible_to

    documents = visible_to(IncomingDocument, person).filter(series_code=INCOMING_SECRET_SERIES[0])
    if agency is not None:
        documents = documents.filter(agency=agency)
    return documents.exists()


def register_documents(person, *, year: int, agency=None, series: str = "", date_from: date | None = None,
                       date_to: date | None = None, urgency: str = "", channel: str = "", status: str = "",
                       text: str = ""):
    """The documents of the incoming register of ``year`` as ``person`` may see them (the list and the print-outs).

    One register at a time: the ordinary series unless ``series`` names another (secret documents have their own
    register and never appear in the ordinary one). ``date_from``/``date_to`` bound the arrival date (local,
    both included). ``agency`` None: every agency the person may see (the deployment's operator)."""
    from eoffice.documents.services import INCOMING_SERIES
    from eoffice.orgs.scoping import visible_to

    documents = visible_to(IncomingDocument, person).filter(year=year, series_code=series or INCOMING_SERIES[0])
    if agency is not None:
        documents = documents.filter(agency=agency)
    if date_from:
        documents = documents.filter(arrived_at__date__gte=date_from)
    if date_to:
        documents = documents.filter(arrived_at__date__lte=date_to)
    for field_name, value in (("urgency", urgency), ("channel", channel), ("status", status)):
        if value:
            documents = documents.filter(**{field_name: value})
    if text:
        documents = documents.filter(Q(summary__icontains=text) | Q(number_notation__icontains=text) |
                                     Q(issuer_name__icontains=text))
    return documents


# ------------------------------------------------------------------------------------------- with outgoing, archive
def draft_reply(item: WorkItem, person, *, request=None) -> object:
    """The handler starts the reply (an outgoing draft linked to the document) and keeps the handling open: the
    work is done when the reply is released (:func:`reply_released`). Drafting twice opens the same draft."""
    from eoffice.outgoing.models import OutgoingDocument, Status

    with transaction.atomic():
        item, on_behalf_of = _lock_item(item, person, [WorkKind.HANDLE])
        document = item.document
        existing = (OutgoingDocument.objects.filter(answers_incoming_id=document.pk, drafter=person)
                    .exclude(status__in=[Status.RELEASED, Status.RECALLED, Status.SUPERSEDED]).order_by("pk").first())
        if existing is not None:
            return existing
        from eoffice.outgoing.services import start_reply_draft

        draft = start_reply_draft(document, person)
        _step(document, "reply_drafted", person, on_behalf_of=on_behalf_of, text="Đã tạo dự thảo văn bản trả lời",
              request=request, data={"draft_id": draft.pk})
    return draft


def reply_released(incoming_id: int, reply) -> IncomingDocument | None:
    """An outgoing reply to incoming document ``incoming_id`` was released (called by
    ``eoffice.outgoing.services.release`` in its transaction).

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


def finish_handling_and_file(item: WorkItem, person, *, result: str, draft_reply: bool = False, case_file=None,
                             request=None) -> None:
    """:func:`finish_handling`, and (when ``case_file`` is given) file the document into that file, in the same
    transaction: if the filing is refused, the handling is not recorded either."""
    from eoffice.archive.services import ArchiveError, file_document

    with transaction.atomic():
        if case_file is not None:
            try:
                file_document(person, case_file, "incoming", item.document_id, request=request)
            except ArchiveError as exc:
                raise IncomingError(exc.message, code=f"file_{exc.code}",
                                    status_code=exc.status_code) from exc
        finish_handling(item, person, result=result, draft_reply=draft_reply, request=request)
