"""The receipt queue: a dispatch arrives (:func:`receive`), the sender recalls it (:func:`recall_receipt`), the
clerk returns it (:func:`return_receipt`). Uploads are checked and their signatures validated here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from eoffice.audit.services import record
from eoffice.documents.models import Channel, Confidentiality, DocumentType, Urgency
from eoffice.documents.services import store_file
from eoffice.orgs.models import Agency, Person

from .. import signals
from ..models import (
    DocumentStatus,
    IncomingDocument,
    Receipt,
    ReceiptFile,
    ReceiptStatus,
    WorkItem,
    WorkStatus,
)
from ..process import driver as process_driver
from ._common import IncomingError, _require_clerk, _send_status, _step
from .queries import find_duplicate


@dataclass
class ReceiptMetadata:
    """What the sender says about a dispatch (docs/DOMAIN.md, metadata)."""

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


# ------------------------------------------------------------------------------------------- uploads
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
            process_driver().cancel(document)
            _step(document, "recalled", text=reason)
        receipt.status = ReceiptStatus.RECALLED
        receipt.reason = reason
        receipt.decided_at = now
        receipt.save(update_fields=["status", "reason", "decided_at"])
        record("incoming.receipt_recalled", obj=receipt, data={"reason": reason})
        _send_status(source=source, source_ref=source_ref, agency=receipt.agency, status=signals.RECALL_DONE,
                     reason=reason)


def update_waiting_receipt(receipt_id: int, metadata: ReceiptMetadata, *, reason: str = "") -> Receipt | None:
    """The sender updates the metadata of a dispatch (edXML business kind 2): a receipt still waiting for the clerk
    takes the new metadata; one already registered or returned is left as it is.

    Returns the updated receipt, or None when there is no waiting receipt (the caller answers the sender that the
    update was declined). Audited.
    """
    with transaction.atomic():
        receipt = Receipt.objects.select_for_update().filter(pk=receipt_id).first()
        if receipt is None or receipt.status != ReceiptStatus.WAITING:
            return None
        fields = metadata.model_fields()
        for name, value in fields.items():
            setattr(receipt, name, value)
        receipt.save(update_fields=list(fields))
        record("incoming.receipt_updated", obj=receipt, agency=receipt.agency_id,
               data={"reason": reason[:500], "fields": sorted(fields)})
    return receipt
