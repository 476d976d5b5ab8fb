"""Mapping between this deployment's documents and edXML (QCVN 102:2016).

- :func:`message_for_delivery`: an external :class:`~eoffice.outgoing.models.Delivery` of a released outgoing
  document becomes an :class:`~eoffice.interchange.edxml.EdxmlMessage` (every header field we hold) and its
  attachments, for business kind 0 (new), 1 (recall), 2 (update) or 3 (replace).
- :func:`receipt_metadata`: a received message becomes the :class:`~eoffice.incoming.services.ReceiptMetadata`
  of a receipt in the addressed agency's queue.
- Code translations (urgency ↔ priority, document type ↔ type code) read the administrator's code tables
  (:class:`~eoffice.interchange.models.CodeRow` ``local_value``), falling back to the table order and names.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import TYPE_CHECKING

from django.utils import timezone

from eoffice.documents.models import Urgency

from .edxml import (
    VN_TZ,
    Attachment,
    Bussiness,
    Code,
    CodeTables,
    DocumentType,
    EdxmlMessage,
    EdxmlRefused,
    MessageHeader,
    Organization,
    OtherInfo,
    PromulgationInfo,
    ReplacementInfo,
    ResponseFor,
    SignerInfo,
    StaffInfo,
    TraceHeader,
    TraceHeaderList,
    format_document_id,
)

if TYPE_CHECKING:
    from eoffice.incoming.services import ReceiptMetadata
    from eoffice.interchange.edxml import ParsedMessage
    from eoffice.outgoing.models import Delivery, OutgoingDocument

NEW, RECALL, UPDATE, REPLACE = 0, 1, 2, 3

# The incoming side's stages (eoffice.incoming.signals) and the edXML status codes that report them.
SIGNAL_TO_STATUS = {
    "arrived": "01",
    "refused": "02",
    "accepted": "03",
    "assigned": "05",
    "done": "06",
    "recall_done": "15",
}
# A status code received from a recipient, as the outgoing side's status names (record_recipient_status).
STATUS_TO_DELIVERY = {
    "01": "arrived",
    "02": "refused",
    "03": "accepted",
    "04": "accepted",
    "05": "assigned",
    "06": "done",
    "15": "recall_done",
}
AGREED, DECLINED = "15", "16"

_URGENCY_ORDER = [Urgency.NORMAL, Urgency.URGENT, Urgency.VERY_URGENT, Urgency.EXPRESS, Urgency.EXPRESS_TIMED]
SECRET_MARKS = ("mật",)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text or "").strip().casefold()


def _local_values(table: str) -> dict[str, str]:
    from .models import CodeRow

    return {row.code: row.local_value for row in CodeRow.objects.filter(table=table).exclude(local_value="")}


# ------------------------------------------------------------------------------------------------ code tables
def edxml_priority(urgency: str, tables: CodeTables) -> int:
    """The Priority code for one of our urgency values."""
    for code, value in _local_values("priorities").items():
        if value == urgency:
            return int(code)
    index = _URGENCY_ORDER.index(urgency) if urgency in _URGENCY_ORDER else 0
    codes = tables.priorities.codes()
    return int(codes[index]) if index < len(codes) else 0


def local_urgency(priority: int | None, tables: CodeTables) -> str:
    """Our urgency value for a received Priority code (unknown codes: ordinary)."""
    mapped = _local_values("priorities").get(str(priority))
    if mapped in Urgency.values:
        return mapped
    codes = tables.priorities.codes()
    if str(priority) in codes:
        index = codes.index(str(priority))
        if index < len(_URGENCY_ORDER):
            return _URGENCY_ORDER[index]
    return Urgency.NORMAL


def edxml_document_type(document_type, tables: CodeTables) -> DocumentType:
    """The DocumentType element for one of our document types (by the administrator's mapping, else by name)."""
    for code, value in _local_values("document_types").items():
        if value == document_type.code:
            entry = tables.document_types.get(code)
            return DocumentType(type=int(code), type_name=entry.name if entry else document_type.name)
    wanted = _fold(document_type.name)
    for entry in tables.document_types:
        if _fold(entry.name) == wanted:
            return DocumentType(type=int(entry.code), type_name=entry.name)
    return DocumentType(type=None, type_name=document_type.name)


def local_document_type(doc_type: DocumentType, tables: CodeTables):
    """Our DocumentType for a received type code (the mapping, else the name of the code, else the name sent)."""
    from eoffice.documents.models import DocumentType as LocalType

    mapped = _local_values("document_types").get(str(doc_type.type))
    if mapped:
        found = LocalType.objects.filter(code=mapped).first()
        if found:
            return found
    names = [doc_type.type_name]
    entry = tables.document_types.get(doc_type.type) if doc_type.type is not None else None
    if entry:
        names.insert(0, entry.name)
    for name in names:
        if name:
            found = LocalType.objects.filter(name__iexact=name.strip()).order_by("pk").first()
            if found:
                return found
    return None


def is_secret_header(header: MessageHeader) -> bool:
    """Whether a received message says it is secret (độ mật): such documents never travel on the axis."""
    marks = [header.other_info.sphere_of_promulgation, header.document_type.type_detail]
    return any(mark in _fold(text) for text in marks for mark in SECRET_MARKS if text)


# ---------------------------------------------------------------------------------------------- organisations
def organization(agency) -> Organization:
    """The From/To element for an agency of this deployment."""
    parent = agency.parent.name if getattr(agency, "parent_id", None) else ""
    return Organization(organ_id=agency.code, organ_name=agency.name, organization_in_charge=parent,
                        organ_add=getattr(agency, "address", "") or "", email=getattr(agency, "email", "") or "",
                        telephone=getattr(agency, "phone", "") or "")


def split_notation(notation: str) -> tuple[str, str]:
    """``"12/QĐ-UBND"`` → ``("12", "QĐ-UBND")``."""
    number, _sep, rest = notation.partition("/")
    return (number, rest) if rest else ("", number)


def document_id_of(document: OutgoingDocument) -> str:
    """The DocumentId of an issued outgoing document: ``agencyId,YYYY/MM/DD,number/notation``."""
    number, notation = split_notation(document.notation)
    return format_document_id(document.agency.code, issued_on(document), number, notation)


def issued_on(document: OutgoingDocument) -> dt.date:
    return timezone.localtime(document.issued_at).date() if document.issued_at else timezone.localdate()


def _now() -> dt.datetime:
    return dt.datetime.now(VN_TZ).replace(microsecond=0)


def _response_for(document: OutgoingDocument) -> list[ResponseFor]:
    """When the document answers a document received by edXML: that document's identity."""
    if not document.answers_incoming_id:
        return []
    from eoffice.incoming.models import IncomingDocument

    from .models import InboundMessage

    incoming = IncomingDocument.objects.filter(pk=document.answers_incoming_id).select_related("receipt").first()
    if incoming is None or incoming.receipt is None or incoming.receipt.source != "edxml":
        return []
    inbound = InboundMessage.objects.filter(receipt=incoming.receipt).order_by("pk").first()
    if inbound is None:
        return []
    return [ResponseFor(organ_id=inbound.sender_code, code=inbound.code_text,
                        promulgation_date=inbound.promulgation_date, document_id=inbound.document_id)]


def message_for_delivery(delivery: Delivery, *, business_kind: int = NEW, reason: str = "",
                         tables: CodeTables) -> tuple[EdxmlMessage, list[Attachment]]:
    """The edXML message (and attachments) for one external delivery of a released document.

    Raises ``EdxmlRefused`` for a secret document: secret documents never travel on the axis.
    """
    from eoffice.outgoing.services import position_of

    document = delivery.document
    if document.is_secret:
        raise EdxmlRefused("secret", "Văn bản mật không được gửi qua trục liên thông.")
    if not document.notation or not document.current_file_id:
        raise EdxmlRefused("not_issued", "Văn bản chưa được cấp số, đóng dấu nên chưa gửi liên thông được.")
    agency = document.agency
    number, notation = split_notation(document.notation)
    signer = document.signed_by or document.signer
    position = position_of(document) if signer.pk == document.signer_id else str(signer.position or "")
    recipients = [d.recipient_name for d in document.deliveries.select_related("agency")]
    pdf = document.current_file
    header = MessageHeader(
        sender=organization(agency),
        recipients=[Organization(organ_id=delivery.external_code, organ_name=delivery.external_name)],
        document_id=document_id_of(document),
        subject=document.summary,
        code=Code(code_number=number, code_notation=notation),
        promulgation_info=PromulgationInfo(place=agency.place_name, promulgation_date=issued_on(document)),
        document_type=edxml_document_type(document.document_type, tables),
        content=document.summary,
        signer_info=SignerInfo(competence=document.capacity_line, position=position,
                               full_name=signer.get_full_name()),
        due_date=document.deadline,
        to_places=recipients,
        other_info=OtherInfo(priority=edxml_priority(document.urgency, tables),
                             promulgation_amount=document.copies, page_amount=pdf.page_count),
        response_for=_response_for(document),
        steering_type=0,
    )
    clerk = _clerk_name(document)
    bussiness = Bussiness(bussiness_doc_type=business_kind, bussiness_doc_reason=reason,
                          document_id=header.document_id if business_kind != NEW else "",
                          staff_info=StaffInfo(department=agency.name, staff=clerk) if clerk else None)
    if business_kind == REPLACE and document.replaces_id:
        old = document.replaces
        bussiness.bussiness_doc_reason = reason or f"Thay thế văn bản số {old.notation}"
        bussiness.replacement_info = [ReplacementInfo(document_id=document_id_of(old),
                                                      organ_ids=[delivery.external_code])]
    trace = TraceHeaderList(trace_headers=[TraceHeader(organ_id=agency.code, timestamp=_now())], bussiness=bussiness)
    name = f"{document.notation.replace('/', '-')}.pdf"
    attachments = [] if business_kind == RECALL else [
        Attachment(content_id="vanban-1", name=name, content_type="application/pdf", data=pdf.read(),
                   description=document.summary[:200])
    ]
    return EdxmlMessage(header=header, trace=trace), attachments


def _clerk_name(document: OutgoingDocument) -> str:
    from eoffice.audit.models import AuditRecord

    row = (AuditRecord.objects.filter(action="outgoing.released", object_id=str(document.pk))
           .select_related("actor").order_by("-pk").first())
    return row.actor.get_full_name() if row and row.actor_id else ""


# ----------------------------------------------------------------------------------------------- receiving
def receipt_metadata(parsed: ParsedMessage, tables: CodeTables) -> ReceiptMetadata:
    """What the receipt queue is told about a received message (the sender's header)."""
    from eoffice.incoming.services import ReceiptMetadata
    from eoffice.orgs.models import Agency

    header = parsed.header
    code = header.code
    number_notation = f"{code.code_number}/{code.code_notation}" if code.code_number else code.code_notation
    signer = header.signer_info
    return ReceiptMetadata(
        issuer_name=header.sender.organ_name or header.sender.organ_id,
        issuer_agency=Agency.objects.filter(code=header.sender.organ_id).first(),
        number_notation=number_notation,
        issued_on=header.promulgation_info.promulgation_date,
        summary=header.subject,
        document_type=local_document_type(header.document_type, tables),
        place_of_issue=header.promulgation_info.place,
        signer_name=signer.full_name,
        signer_position=signer.position,
        signer_capacity=signer.competence,
        recipients_text="; ".join(header.to_places) or "; ".join(r.organ_name or r.organ_id
                                                                 for r in header.recipients),
        urgency=local_urgency(header.other_info.priority, tables),
        deadline=header.due_date,
        page_count=header.other_info.page_amount,
    )


def code_text(header: MessageHeader) -> str:
    code = header.code
    return f"{code.code_number}/{code.code_notation}" if code.code_number else code.code_notation
