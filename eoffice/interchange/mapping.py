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
    MissingCode,
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

# Statuses are named by their fixed meaning (``CodeRow.meaning``, edxml.codes.STATUS_MEANINGS); the code that travels
# is looked up in the administrator's table when a status is built, and a received code is read back to its meaning.
ARRIVED, REFUSED, ACCEPTED, WAITING_ASSIGNMENT = "arrived", "refused", "accepted", "waiting_assignment"
ASSIGNED, DONE, RECALL_REQUEST, AGREED, DECLINED = "assigned", "done", "recall", "recall_agreed", "recall_declined"
# Steering type meanings (edxml.codes.STEERING_MEANINGS).
NOT_STEERING, STEERING, STEERING_REPORT = "not_steering", "steering", "steering_report"

# The incoming side's stages (eoffice.incoming.signals) and the status meanings that report them.
SIGNAL_TO_STATUS = {
    "arrived": ARRIVED,
    "refused": REFUSED,
    "accepted": ACCEPTED,
    "assigned": ASSIGNED,
    "done": DONE,
    "recall_done": AGREED,
}
# A status meaning received from a recipient, as the outgoing side's status names (record_recipient_status).
STATUS_TO_DELIVERY = {
    ARRIVED: "arrived",
    REFUSED: "refused",
    ACCEPTED: "accepted",
    WAITING_ASSIGNMENT: "accepted",
    ASSIGNED: "assigned",
    DONE: "done",
    AGREED: "recall_done",
}

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


def status_code(meaning: str, tables: CodeTables) -> str:
    """The status code that carries ``meaning`` in the administrator's table (raises ``MissingCode``)."""
    return tables.statuses.code_for(meaning)


def status_meaning(code: str, tables: CodeTables) -> str:
    """The meaning of a received status code ("" for a code that is only data: recorded, nothing applied)."""
    return tables.statuses.meaning_of(code)


def edxml_steering_type(document: OutgoingDocument, tables: CodeTables) -> int:
    """The SteeringType of an outgoing document, from what the document holds and the steering table:

    - a document answering a document that arrived as a directive (its SteeringType meant ``steering``) reports on
      that directive (``steering_report``);
    - a document whose type the administrator listed in a steering row's ``local_value`` (codes of our document
      types, comma separated; the seed lists ``chi-thi`` for ``steering``) takes that row's code;
    - otherwise the row meaning ``not_steering``.

    Raises ``EdxmlRefused`` when the row needed is gone (the administrator must restore it).
    """
    steering = tables.steering_types
    meaning = NOT_STEERING
    if _answers_a_directive(document):
        meaning = STEERING_REPORT
    else:
        type_code = getattr(document.document_type, "code", "")
        for code, value in _local_values("steering_types").items():
            if type_code and type_code in [v.strip() for v in value.split(",")] and code in steering:
                return int(code)
    try:
        return int(steering.code_for(meaning))
    except MissingCode as exc:
        raise EdxmlRefused("missing_code", exc.reason_vi) from exc
    except ValueError as exc:
        raise EdxmlRefused("bad_code", f"Mã loại chỉ đạo «{steering.code_for(meaning)}» không phải là số.") from exc


def _answers_a_directive(document: OutgoingDocument) -> bool:
    inbound = _answered_inbound(document)
    return inbound is not None and inbound.steering_meaning == STEERING


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


def _answered_inbound(document: OutgoingDocument):
    """The received edXML message (InboundMessage, business kind 0) of the incoming document this one answers."""
    if not document.answers_incoming_id:
        return None
    from eoffice.incoming.models import IncomingDocument

    from .models import InboundMessage

    incoming = IncomingDocument.objects.filter(pk=document.answers_incoming_id).select_related("receipt").first()
    if incoming is None or incoming.receipt is None or incoming.receipt.source != "edxml":
        return None
    return InboundMessage.objects.filter(receipt=incoming.receipt, business_kind=NEW).order_by("pk").first()


def _response_for(document: OutgoingDocument) -> list[ResponseFor]:
    """When the document answers a document received by edXML: that document's identity."""
    inbound = _answered_inbound(document)
    if inbound is None:
        return []
    return [ResponseFor(organ_id=inbound.sender_code, code=inbound.code_text,
                        promulgation_date=inbound.promulgation_date, document_id=inbound.document_id)]


def answered_outgoing(response_for: list[ResponseFor], recipient):
    """Our outgoing document that a received message answers (its ResponseFor), issued by ``recipient`` (the
    agency of ours the message is addressed to), or None: by the DocumentId we sent it under, else by issuing
    agency, number/notation and date."""
    from eoffice.outgoing.models import OutgoingDocument

    from .edxml import split_document_id
    from .models import OutboundMessage

    for response in response_for:
        if response.organ_id and response.organ_id != recipient.code:
            continue
        if response.document_id:
            sent = (OutboundMessage.objects.filter(document_id=response.document_id, delivery__isnull=False,
                                                   delivery__document__agency=recipient)
                    .select_related("delivery__document").order_by("pk").first())
            if sent is not None:
                return sent.delivery.document
        parts = split_document_id(response.document_id) if response.document_id else None
        notation = response.code or (parts[2] if parts else "")
        issued = response.promulgation_date or (parts[1] if parts else None)
        if not notation:
            continue
        candidates = OutgoingDocument.objects.filter(agency=recipient, notation__iexact=notation.strip())
        for document in candidates.order_by("pk"):
            if issued is None or issued_on(document) == issued:
                return document
    return None


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
        steering_type=edxml_steering_type(document, tables),
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
