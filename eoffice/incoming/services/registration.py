"""Registration: the clerk enters a dispatch in the agency's incoming register and presents it to the leader
(which starts the process)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from eoffice.documents.models import Channel, Direction, is_secret
from eoffice.documents.services import allocate_number, format_number, incoming_series_for, store_file
from eoffice.orgs.models import Person, RoleCode

from .. import signals
from ..models import FileKind, IncomingDocument, IncomingFile, IncomingProcess, Receipt, ReceiptStatus
from ..process import driver as process_driver
from ._common import IncomingError, _document_status_signal, _require_clerk, _step
from .queries import duplicate_as_seen_by, find_duplicate
from .receipts import ReceiptMetadata, _aggregate_validation, _validate_bytes, check_upload


def default_leader(agency) -> Person | None:
    return (Person.objects.filter(agency=agency, is_active=True, roles__code=RoleCode.LEADER)
            .order_by("pk").first())


def _duplicate_error(duplicate: IncomingDocument, person, when: str) -> IncomingError:
    """The refusal of a dispatch already registered, saying only what ``person`` may see of the earlier one
    (:func:`duplicate_as_seen_by`): its arrival number and id, or — a secret document they are not named on —
    that it exists and is not theirs to see."""
    seen = duplicate_as_seen_by(duplicate, person)
    if not seen["visible"]:
        return IncomingError("Văn bản này trùng với một văn bản đã vào sổ mà bạn không có quyền xem.",
                             code="duplicate", details={}, status_code=409)
    return IncomingError(f"Văn bản này {when} được vào sổ (số đến {seen['label']}).", code="duplicate",
                         details={"existing_id": seen["id"], "arrival_number": seen["arrival_number"],
                                  "year": seen["year"]}, status_code=409)


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
        raise _duplicate_error(duplicate, person, "đã")
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
            raise _duplicate_error(duplicate, person, "vừa")
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
    from eoffice.documents.keyring import seal_key_source
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
