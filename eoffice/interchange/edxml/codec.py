"""Build and parse edXML messages and status messages (QCVN 102:2016/BTTTT).

Layout of a message, as the standard and the public SDKs write it (one namespace, ``edXML:`` prefix inside
the envelope, default namespace for the attachments beside it)::

    <edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">
      <edXML:edXMLEnvelope xmlns:edXML="...">
        <edXML:edXMLHeader>
          <edXML:MessageHeader> From, To+, Code, PromulgationInfo, DocumentType, Subject, Content, SignerInfo,
                                DueDate, ToPlaces, OtherInfo, ResponseFor*, SteeringType, DocumentId
          <edXML:TraceHeaderList> TraceHeader*, Bussiness
          <ds:Signature> (enveloped, covers the whole document)
        <edXML:edXMLBody>
          <edXML:edXMLManifest version="1.0"> Reference* (xlink:href="cid:...")
      <AttachmentEncoded>
        <Attachment> ContentType, ContentId, Description, AttachmentName, ContentTransferEncoded (base64)

A status message is ``<Status>`` with ``edXML:Header/edXML:MessageStatus`` (ResponseFor, From, To, StatusCode,
Description, Timestamp, StaffInfo) and its signature in ``edXML:Header``.

``parse_*`` either returns a complete, verified result or raises an ``EdxmlRefused`` whose Vietnamese reason is
ready for a status 02 answer.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Callable, Sequence
from typing import TypeVar
from zoneinfo import ZoneInfo

from cryptography import x509
from lxml import etree

from .codes import CodeTables, default_code_tables
from .errors import EdxmlRefused, InvalidStructure, LimitExceeded
from .messages import (
    Attachment,
    Bussiness,
    BussinessDocumentInfo,
    Code,
    DocumentType,
    EdxmlMessage,
    MessageHeader,
    Organization,
    OtherInfo,
    ParsedMessage,
    ParsedStatus,
    PromulgationInfo,
    Receiver,
    ReplacementInfo,
    ResponseFor,
    SignerInfo,
    StaffInfo,
    StatusMessage,
    TraceHeader,
    TraceHeaderList,
    strip_cid,
)
from .security import (
    DEFAULT_LIMITS,
    EdxmlSigner,
    ParseLimits,
    placeholder_signature,
    safe_parse,
    sign_document,
    verify_document,
)

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
XLINK_NS = "http://www.w3.org/1999/xlink"
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

DATE_FORMAT = "%Y/%m/%d"
TIMESTAMP_FORMAT = "%Y/%m/%d %H:%M:%S"
_DATE_FORMATS = (DATE_FORMAT, "%Y-%m-%d")
_TIMESTAMP_FORMATS = (TIMESTAMP_FORMAT, "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M:%S")


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


ROOT = _q("edXML")
ENVELOPE = _q("edXMLEnvelope")
HEADER = _q("edXMLHeader")
STATUS_ROOT = _q("Status")
STATUS_HEADER = _q("Header")


# ============================================================================================ writing helpers


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, _q(name))
    if text is not None:
        element.text = text
    return element


def _fmt_date(value: dt.date | None) -> str:
    return value.strftime(DATE_FORMAT) if value else ""


def _fmt_timestamp(value: dt.datetime) -> str:
    """Vietnam local time, second precision (naive datetimes are taken as Vietnam time already)."""
    if value.tzinfo is not None:
        value = value.astimezone(VN_TZ)
    return value.strftime(TIMESTAMP_FORMAT)


def _write_organization(parent: etree._Element, tag: str, org: Organization) -> None:
    element = _sub(parent, tag)
    _sub(element, "OrganId", org.organ_id)
    _sub(element, "OrganizationInCharge", org.organization_in_charge)
    _sub(element, "OrganName", org.organ_name)
    _sub(element, "OrganAdd", org.organ_add)
    _sub(element, "Email", org.email)
    _sub(element, "Telephone", org.telephone)
    _sub(element, "Fax", org.fax)
    _sub(element, "Website", org.website)


def _write_response_for(parent: etree._Element, response: ResponseFor) -> None:
    element = _sub(parent, "ResponseFor")
    _sub(element, "OrganId", response.organ_id)
    _sub(element, "Code", response.code)
    _sub(element, "PromulgationDate", _fmt_date(response.promulgation_date))
    _sub(element, "DocumentId", response.document_id)


def _write_staff(parent: etree._Element, staff: StaffInfo) -> None:
    element = _sub(parent, "StaffInfo")
    _sub(element, "Department", staff.department)
    _sub(element, "Staff", staff.staff)
    _sub(element, "Mobile", staff.mobile)
    _sub(element, "Email", staff.email)


def _write_message_header(parent: etree._Element, header: MessageHeader) -> None:
    element = _sub(parent, "MessageHeader")
    _write_organization(element, "From", header.sender)
    for recipient in header.recipients:
        _write_organization(element, "To", recipient)
    code = _sub(element, "Code")
    _sub(code, "CodeNumber", header.code.code_number)
    _sub(code, "CodeNotation", header.code.code_notation)
    promulgation = _sub(element, "PromulgationInfo")
    _sub(promulgation, "Place", header.promulgation_info.place)
    _sub(promulgation, "PromulgationDate", _fmt_date(header.promulgation_info.promulgation_date))
    doc_type = _sub(element, "DocumentType")
    _sub(doc_type, "Type", "" if header.document_type.type is None else str(header.document_type.type))
    _sub(doc_type, "TypeDetail", header.document_type.type_detail)
    _sub(doc_type, "TypeName", header.document_type.type_name)
    _sub(element, "Subject", header.subject)
    _sub(element, "Content", header.content)
    signer = _sub(element, "SignerInfo")
    _sub(signer, "Competence", header.signer_info.competence)
    _sub(signer, "Position", header.signer_info.position)
    _sub(signer, "FullName", header.signer_info.full_name)
    if header.due_date is not None:
        _sub(element, "DueDate", _fmt_date(header.due_date))
    if header.to_places:
        places = _sub(element, "ToPlaces")
        for place in header.to_places:
            _sub(places, "Place", place)
    other = _sub(element, "OtherInfo")
    info = header.other_info
    _sub(other, "Priority", str(info.priority))
    _sub(other, "SphereOfPromulgation", info.sphere_of_promulgation)
    _sub(other, "TyperNotation", info.typer_notation)
    if info.promulgation_amount is not None:
        _sub(other, "PromulgationAmount", str(info.promulgation_amount))
    if info.page_amount is not None:
        _sub(other, "PageAmount", str(info.page_amount))
    if info.appendixes:
        appendixes = _sub(other, "Appendixes")
        for appendix in info.appendixes:
            _sub(appendixes, "Appendix", appendix)
    for response in header.response_for:
        _write_response_for(element, response)
    if header.steering_type is not None:
        _sub(element, "SteeringType", str(header.steering_type))
    _sub(element, "DocumentId", header.document_id)


def _write_trace(parent: etree._Element, trace: TraceHeaderList) -> None:
    element = _sub(parent, "TraceHeaderList")
    for hop in trace.trace_headers:
        hop_el = _sub(element, "TraceHeader")
        _sub(hop_el, "OrganId", hop.organ_id)
        _sub(hop_el, "Timestamp", _fmt_timestamp(hop.timestamp))
    business = trace.bussiness
    b_el = _sub(element, "Bussiness")
    _sub(b_el, "BussinessDocType", str(business.bussiness_doc_type))
    _sub(b_el, "BussinessDocReason", business.bussiness_doc_reason)
    if business.bussiness_document_info is not None:
        info = business.bussiness_document_info
        info_el = _sub(b_el, "BussinessDocumentInfo")
        _sub(info_el, "DocumentInfo", info.document_info)
        _sub(info_el, "DocumentReceiver", info.document_receiver)
        receivers = _sub(info_el, "ReceiverList")
        for receiver in info.receivers:
            r_el = _sub(receivers, "Receiver")
            _sub(r_el, "ReceiverType", str(receiver.receiver_type))
            _sub(r_el, "OrganId", receiver.organ_id)
    _sub(b_el, "DocumentId", business.document_id)
    if business.staff_info is not None:
        _write_staff(b_el, business.staff_info)
    if business.paper is not None:
        _sub(b_el, "Paper", str(business.paper))
    if business.replacement_info:
        lst = _sub(b_el, "ReplacementInfoList")
        for replacement in business.replacement_info:
            rep_el = _sub(lst, "ReplacementInfo")
            _sub(rep_el, "DocumentId", replacement.document_id)
            organs = _sub(rep_el, "OrganIdList")
            for organ_id in replacement.organ_ids:
                _sub(organs, "OrganId", organ_id)


def message_to_xml(msg: EdxmlMessage, attachments: Sequence[Attachment] = ()) -> etree._Element:
    """The unsigned message tree, with the signature placeholder in the header.

    Exposed so that tools (and tests) can inspect or alter a message before ``sign_document``; normal callers
    use ``build_message``, which validates first.
    """
    root = etree.Element(ROOT, nsmap={None: NS})
    envelope = etree.SubElement(root, ENVELOPE, nsmap={"edXML": NS})
    header = _sub(envelope, "edXMLHeader")
    _write_message_header(header, msg.header)
    _write_trace(header, msg.trace)
    header.append(placeholder_signature())
    body = _sub(envelope, "edXMLBody")
    manifest = _sub(body, "edXMLManifest")
    manifest.set("version", "1.0")
    for attachment in attachments:
        cid = strip_cid(attachment.content_id)
        reference = etree.SubElement(manifest, _q("Reference"), nsmap={"xlink": XLINK_NS})
        reference.set(f"{{{XLINK_NS}}}href", f"cid:{cid}")
        reference.set(f"{{{XLINK_NS}}}type", "simple")
        _sub(reference, "ContentId", f"cid:{cid}")
        _sub(reference, "ContentType", attachment.content_type)
        _sub(reference, "Description", attachment.description)
        _sub(reference, "AttachmentName", attachment.name)
    if attachments:
        encoded = _sub(root, "AttachmentEncoded")
        for attachment in attachments:
            a_el = _sub(encoded, "Attachment")
            _sub(a_el, "ContentType", attachment.content_type)
            _sub(a_el, "ContentId", strip_cid(attachment.content_id))
            _sub(a_el, "Description", attachment.description)
            _sub(a_el, "AttachmentName", attachment.name)
            _sub(a_el, "ContentTransferEncoded", base64.b64encode(attachment.data).decode("ascii"))
    return root


def build_message(
    msg: EdxmlMessage,
    attachments: Sequence[Attachment],
    *,
    signer: EdxmlSigner,
    limits: ParseLimits = DEFAULT_LIMITS,
    code_tables: CodeTables | None = None,
) -> bytes:
    """Serialise and sign a message. A message that ``parse_message`` would refuse is never built.

    Raises ``EdxmlRefused`` (same codes and reasons as on receipt) when a field is missing or out of range.
    """
    tables = code_tables or default_code_tables()
    _validate_header(msg.header, limits, tables)
    _validate_trace(msg.trace, limits, tables)
    _validate_attachments(list(attachments), limits)
    root = message_to_xml(msg, attachments)
    return sign_document(root, signer, huge_tree=limits.needs_huge_tree())


def status_to_xml(status: StatusMessage) -> etree._Element:
    """The unsigned status tree with the signature placeholder (see ``message_to_xml``)."""
    root = etree.Element(STATUS_ROOT, nsmap={None: NS})
    header = etree.SubElement(root, STATUS_HEADER, nsmap={"edXML": NS})
    body = _sub(header, "MessageStatus")
    _write_response_for(body, status.response_for)
    _write_organization(body, "From", status.sender)
    if status.recipient is not None:
        _write_organization(body, "To", status.recipient)
    _sub(body, "StatusCode", status.status_code)
    _sub(body, "Description", status.description)
    _sub(body, "Timestamp", _fmt_timestamp(status.timestamp))
    if status.staff_info is not None:
        _write_staff(body, status.staff_info)
    header.append(placeholder_signature())
    return root


def build_status(
    status: StatusMessage,
    *,
    signer: EdxmlSigner,
    code_tables: CodeTables | None = None,
) -> bytes:
    """Serialise and sign a status message (01 arrived ... 16 recall/update refused)."""
    _validate_status(status, code_tables or default_code_tables())
    return sign_document(status_to_xml(status), signer, huge_tree=False)


# ============================================================================================ reading helpers


def _child(parent: etree._Element | None, name: str) -> etree._Element | None:
    return None if parent is None else parent.find(_q(name))


def _children(parent: etree._Element | None, name: str) -> list[etree._Element]:
    return [] if parent is None else parent.findall(_q(name))


def _text(parent: etree._Element | None, name: str) -> str:
    element = _child(parent, name)
    return (element.text or "") if element is not None else ""


def _bad_value(name: str, value: str) -> InvalidStructure:
    shown = value if len(value) <= 40 else value[:40] + "…"
    return InvalidStructure("bad_value", f"Giá trị của trường {name} không hợp lệ: «{shown}».")


def _int(parent: etree._Element | None, name: str) -> int | None:
    raw = _text(parent, name).strip()
    if raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise _bad_value(name, raw) from None


def _date(parent: etree._Element | None, name: str) -> dt.date | None:
    raw = _text(parent, name).strip()
    if raw == "":
        return None
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise _bad_value(name, raw)


def _timestamp(parent: etree._Element | None, name: str) -> dt.datetime | None:
    raw = _text(parent, name).strip()
    if raw == "":
        return None
    for fmt in _TIMESTAMP_FORMATS:
        try:
            return dt.datetime.strptime(raw, fmt).replace(tzinfo=VN_TZ)
        except ValueError:
            continue
    raise _bad_value(name, raw)


def _first_of(parent: etree._Element | None, *names: str) -> etree._Element | None:
    for name in names:
        element = _child(parent, name)
        if element is not None:
            return element
    return None


def _read_organization(element: etree._Element | None) -> Organization | None:
    if element is None:
        return None
    return Organization(
        organ_id=_text(element, "OrganId").strip(),
        organization_in_charge=_text(element, "OrganizationInCharge"),
        organ_name=_text(element, "OrganName"),
        organ_add=_text(element, "OrganAdd"),
        email=_text(element, "Email"),
        telephone=_text(element, "Telephone"),
        fax=_text(element, "Fax"),
        website=_text(element, "Website"),
    )


def _read_response_for(element: etree._Element) -> ResponseFor:
    return ResponseFor(
        organ_id=_text(element, "OrganId").strip(),
        code=_text(element, "Code"),
        promulgation_date=_date(element, "PromulgationDate"),
        document_id=_text(element, "DocumentId").strip(),
    )


def _read_staff(element: etree._Element | None) -> StaffInfo | None:
    if element is None:
        return None
    return StaffInfo(
        department=_text(element, "Department"),
        staff=_text(element, "Staff"),
        mobile=_text(element, "Mobile"),
        email=_text(element, "Email"),
    )


def _read_message_header(element: etree._Element | None) -> MessageHeader:
    if element is None:
        raise _missing("MessageHeader")
    sender = _read_organization(_child(element, "From"))
    recipients = [org for org in (_read_organization(e) for e in _children(element, "To")) if org]
    code_el = _child(element, "Code")
    promulgation_el = _child(element, "PromulgationInfo")
    type_el = _child(element, "DocumentType")
    signer_el = _child(element, "SignerInfo")
    other_el = _child(element, "OtherInfo")
    priority = _int(other_el, "Priority")
    return MessageHeader(
        sender=sender or Organization(organ_id=""),
        recipients=recipients,
        document_id=_text(element, "DocumentId").strip(),
        subject=_text(element, "Subject"),
        code=Code(
            code_number=_text(code_el, "CodeNumber").strip(),
            code_notation=_text(code_el, "CodeNotation").strip(),
        ),
        promulgation_info=PromulgationInfo(
            place=_text(promulgation_el, "Place"),
            promulgation_date=_date(promulgation_el, "PromulgationDate"),
        ),
        document_type=DocumentType(
            type=_int(type_el, "Type"),
            type_name=_text(type_el, "TypeName"),
            type_detail=_text(type_el, "TypeDetail"),
        ),
        content=_text(element, "Content"),
        signer_info=SignerInfo(
            competence=_text(signer_el, "Competence"),
            position=_text(signer_el, "Position"),
            full_name=_text(signer_el, "FullName"),
        ),
        due_date=_date(element, "DueDate"),
        to_places=[(e.text or "") for e in _children(_child(element, "ToPlaces"), "Place")],
        other_info=OtherInfo(
            priority=0 if priority is None else priority,
            sphere_of_promulgation=_text(other_el, "SphereOfPromulgation"),
            typer_notation=_text(other_el, "TyperNotation"),
            promulgation_amount=_int(other_el, "PromulgationAmount"),
            page_amount=_int(other_el, "PageAmount"),
            appendixes=[(e.text or "") for e in _children(_child(other_el, "Appendixes"), "Appendix")],
        ),
        response_for=[_read_response_for(e) for e in _children(element, "ResponseFor")],
        steering_type=_int(element, "SteeringType"),
    )


def _read_trace(element: etree._Element | None, limits: ParseLimits) -> TraceHeaderList:
    if element is None:
        return TraceHeaderList()
    hops_el = _children(element, "TraceHeader")
    if len(hops_el) > limits.max_trace_headers:
        raise LimitExceeded(
            "too_many_trace_headers", "Gói tin có quá nhiều bản ghi vết chuyển (TraceHeader)."
        )
    hops = []
    for hop in hops_el:
        timestamp = _timestamp(hop, "Timestamp")
        if timestamp is None:
            raise _missing("TraceHeader/Timestamp")
        hops.append(TraceHeader(organ_id=_text(hop, "OrganId").strip(), timestamp=timestamp))
    b_el = _first_of(element, "Bussiness", "Business")
    business = Bussiness()
    if b_el is not None:
        kind_el = _first_of(b_el, "BussinessDocType", "BusinessDocType")
        kind_raw = (kind_el.text or "").strip() if kind_el is not None else ""
        try:
            kind = int(kind_raw) if kind_raw else 0
        except ValueError:
            raise _bad_value("BussinessDocType", kind_raw) from None
        reason_el = _first_of(b_el, "BussinessDocReason", "BusinessDocReason")
        info_el = _first_of(b_el, "BussinessDocumentInfo", "BusinessDocumentInfo")
        info = None
        if info_el is not None:
            receivers = []
            for r_el in _children(_child(info_el, "ReceiverList"), "Receiver"):
                receiver_type = _int(r_el, "ReceiverType")
                receivers.append(
                    Receiver(
                        receiver_type=0 if receiver_type is None else receiver_type,
                        organ_id=_text(r_el, "OrganId").strip(),
                    )
                )
            info = BussinessDocumentInfo(
                document_info=_text(info_el, "DocumentInfo"),
                document_receiver=_text(info_el, "DocumentReceiver"),
                receivers=receivers,
            )
        business = Bussiness(
            bussiness_doc_type=kind,
            bussiness_doc_reason=(reason_el.text or "") if reason_el is not None else "",
            bussiness_document_info=info,
            document_id=_text(b_el, "DocumentId").strip(),
            staff_info=_read_staff(_child(b_el, "StaffInfo")),
            paper=_int(b_el, "Paper"),
            replacement_info=[
                ReplacementInfo(
                    document_id=_text(r, "DocumentId").strip(),
                    organ_ids=[
                        (o.text or "").strip() for o in _children(_child(r, "OrganIdList"), "OrganId")
                    ],
                )
                for r in _children(_child(b_el, "ReplacementInfoList"), "ReplacementInfo")
            ],
        )
    return TraceHeaderList(trace_headers=hops, bussiness=business)


# ================================================================================================ validation

_FIELD_NAMES_VI = {
    "MessageHeader": "phần đầu thông điệp (MessageHeader)",
    "From": "cơ quan gửi (From)",
    "To": "cơ quan nhận (To)",
    "DocumentId": "mã định danh văn bản (DocumentId)",
    "Subject": "trích yếu (Subject)",
    "CodeNotation": "ký hiệu văn bản (Code/CodeNotation)",
    "PromulgationDate": "ngày ban hành (PromulgationInfo/PromulgationDate)",
    "StatusCode": "mã trạng thái (StatusCode)",
    "Timestamp": "thời điểm (Timestamp)",
    "ResponseFor": "văn bản được phản hồi (ResponseFor)",
    "TraceHeader/Timestamp": "thời điểm chuyển (TraceHeader/Timestamp)",
    "MessageStatus": "nội dung trạng thái (MessageStatus)",
}


def _missing(name: str) -> InvalidStructure:
    label = _FIELD_NAMES_VI.get(name, name)
    return InvalidStructure("missing_field", f"Gói tin thiếu thông tin bắt buộc: {label}.")


def _validate_header(header: MessageHeader, limits: ParseLimits, tables: CodeTables) -> None:
    if not header.sender.organ_id.strip():
        raise _missing("From")
    if not header.recipients or any(not r.organ_id.strip() for r in header.recipients):
        raise _missing("To")
    if len(header.recipients) > limits.max_recipients:
        raise LimitExceeded("too_many_recipients", "Gói tin có quá nhiều cơ quan nhận.")
    if not header.document_id.strip():
        raise _missing("DocumentId")
    if not header.subject.strip():
        raise _missing("Subject")
    if len(header.subject) > limits.max_subject_chars:
        raise LimitExceeded(
            "subject_too_long",
            f"Trích yếu (Subject) dài {len(header.subject)} ký tự, vượt quá {limits.max_subject_chars} ký tự cho phép.",
        )
    if not header.code.code_notation.strip():
        raise _missing("CodeNotation")
    if header.promulgation_info.promulgation_date is None:
        raise _missing("PromulgationDate")
    if str(header.other_info.priority) not in tables.priorities:
        raise InvalidStructure(
            "unknown_priority", f"Độ khẩn (Priority) «{header.other_info.priority}» không có trong bảng mã."
        )


def _validate_trace(trace: TraceHeaderList, limits: ParseLimits, tables: CodeTables) -> None:
    if len(trace.trace_headers) > limits.max_trace_headers:
        raise LimitExceeded(
            "too_many_trace_headers", "Gói tin có quá nhiều bản ghi vết chuyển (TraceHeader)."
        )
    kind = trace.bussiness.bussiness_doc_type
    if str(kind) not in tables.business_kinds:
        raise InvalidStructure(
            "unknown_business_kind", f"Loại nghiệp vụ (BussinessDocType) «{kind}» không có trong bảng mã."
        )


def _validate_attachments(attachments: list[Attachment], limits: ParseLimits) -> None:
    if len(attachments) > limits.max_attachments:
        raise _too_many_attachments(len(attachments), limits)
    seen: set[str] = set()
    for attachment in attachments:
        cid = strip_cid(attachment.content_id).strip()
        if not cid:
            raise InvalidStructure("attachment_without_cid", "Tệp đính kèm thiếu mã nội dung (ContentId).")
        if cid in seen:
            raise InvalidStructure("duplicate_cid", f"Mã nội dung tệp đính kèm bị trùng: «{cid}».")
        seen.add(cid)
        if len(attachment.data) > limits.max_attachment_bytes:
            raise _attachment_too_large(attachment.name, len(attachment.data), limits)


def _too_many_attachments(count: int, limits: ParseLimits) -> LimitExceeded:
    return LimitExceeded(
        "too_many_attachments",
        f"Gói tin có {count} tệp đính kèm, vượt quá {limits.max_attachments} tệp cho phép.",
    )


def _attachment_too_large(name: str, size: int, limits: ParseLimits) -> LimitExceeded:
    return LimitExceeded(
        "attachment_too_large",
        f"Tệp đính kèm «{name}» có dung lượng khoảng {size} byte, vượt quá {limits.max_attachment_bytes} byte cho phép.",
    )


def _validate_status(status: StatusMessage, tables: CodeTables) -> None:
    if status.status_code not in tables.statuses:
        raise InvalidStructure(
            "unknown_status", f"Mã trạng thái «{status.status_code}» không có trong bảng mã."
        )
    if not status.sender.organ_id.strip():
        raise _missing("From")
    if not (status.response_for.document_id.strip() or status.response_for.code.strip()):
        raise _missing("ResponseFor")


# =================================================================================================== parsing


def _check_root(root: etree._Element, expected: str, what_vi: str) -> None:
    tag = etree.QName(root)
    if tag.namespace != NS:
        raise InvalidStructure(
            "wrong_namespace",
            f"Gói tin không dùng không gian tên của QCVN 102:2016 ({NS}); nhận được «{tag.namespace or 'không có'}».",
        )
    if root.tag != expected:
        raise InvalidStructure(
            "wrong_root", f"Gói tin không phải là {what_vi} (phần tử gốc «{tag.localname}»)."
        )


def _precheck_attachments(root: etree._Element, limits: ParseLimits) -> None:
    """Refuse oversized or too many attachments before spending time on the signature."""
    items = root.findall(f"{_q('AttachmentEncoded')}/{_q('Attachment')}")
    if len(items) > limits.max_attachments:
        raise _too_many_attachments(len(items), limits)
    for item in items:
        encoded = _text(item, "ContentTransferEncoded")
        approx = len(encoded) * 3 // 4
        if approx > limits.max_attachment_bytes + 3:
            raise _attachment_too_large(_text(item, "AttachmentName"), approx, limits)


def _read_attachments(root: etree._Element, limits: ParseLimits) -> list[Attachment]:
    manifest = root.find(f"{ENVELOPE}/{_q('edXMLBody')}/{_q('edXMLManifest')}")
    references: dict[str, etree._Element] = {}
    for reference in _children(manifest, "Reference"):
        href = reference.get(f"{{{XLINK_NS}}}href") or _text(reference, "ContentId")
        cid = strip_cid(href.strip())
        if not cid:
            raise InvalidStructure(
                "reference_without_cid", "Tham chiếu trong danh mục (Manifest) thiếu mã nội dung."
            )
        if cid in references:
            raise InvalidStructure("duplicate_cid", f"Mã nội dung tệp đính kèm bị trùng: «{cid}».")
        references[cid] = reference
    attachments: list[Attachment] = []
    seen: set[str] = set()
    for item in root.findall(f"{_q('AttachmentEncoded')}/{_q('Attachment')}"):
        cid = strip_cid(_text(item, "ContentId").strip())
        name = _text(item, "AttachmentName")
        if not cid:
            raise InvalidStructure("attachment_without_cid", "Tệp đính kèm thiếu mã nội dung (ContentId).")
        if cid in seen:
            raise InvalidStructure("duplicate_cid", f"Mã nội dung tệp đính kèm bị trùng: «{cid}».")
        seen.add(cid)
        if cid not in references:
            raise InvalidStructure(
                "attachment_not_in_manifest",
                f"Tệp đính kèm «{name}» không được liệt kê trong danh mục (Manifest).",
            )
        try:
            data = base64.b64decode("".join(_text(item, "ContentTransferEncoded").split()), validate=True)
        except (binascii.Error, ValueError):
            raise InvalidStructure(
                "attachment_bad_base64", f"Nội dung tệp đính kèm «{name}» không phải base64 hợp lệ."
            ) from None
        if len(data) > limits.max_attachment_bytes:
            raise _attachment_too_large(name, len(data), limits)
        attachments.append(
            Attachment(
                content_id=cid,
                name=name,
                content_type=_text(item, "ContentType"),
                data=data,
                description=_text(item, "Description"),
            )
        )
    missing = [cid for cid in references if cid not in seen]
    if missing:
        raise InvalidStructure(
            "attachment_missing",
            f"Danh mục (Manifest) tham chiếu tệp «{missing[0]}» nhưng gói tin không kèm tệp đó.",
        )
    return attachments


_T = TypeVar("_T")


def _guard(func: Callable[[], _T]) -> _T:
    """Turn any unexpected failure while reading verified XML into a refusal (never a half-parsed result)."""
    try:
        return func()
    except EdxmlRefused:
        raise
    except (ValueError, TypeError, AttributeError, etree.LxmlError) as exc:
        raise InvalidStructure("unreadable", "Không đọc được nội dung gói tin theo cấu trúc edXML.") from exc


def parse_message(
    data: bytes,
    *,
    trusted_certs: Sequence[x509.Certificate],
    limits: ParseLimits = DEFAULT_LIMITS,
    code_tables: CodeTables | None = None,
    now: dt.datetime | None = None,
) -> ParsedMessage:
    """Parse, verify and check a received edXML message.

    Order: size → safe XML → namespace/root → attachment count and sizes → signature and trust → fields read
    from the signed bytes only → required fields and code tables → manifest/attachment consistency.
    """
    tables = code_tables or default_code_tables()
    root = safe_parse(data, limits)
    _check_root(root, ROOT, "một thông điệp edXML")
    _precheck_attachments(root, limits)
    signed, cert = verify_document(
        root, [ENVELOPE, HEADER], trusted_certs, huge_tree=limits.needs_huge_tree(), now=now
    )

    def read() -> ParsedMessage:
        header_el = signed.find(f"{ENVELOPE}/{HEADER}")
        header = _read_message_header(_child(header_el, "MessageHeader"))
        trace = _read_trace(_child(header_el, "TraceHeaderList"), limits)
        _validate_header(header, limits, tables)
        _validate_trace(trace, limits, tables)
        attachments = _read_attachments(signed, limits)
        return ParsedMessage(header=header, trace=trace, attachments=attachments, signer_certificate=cert)

    return _guard(read)


def parse_status(
    data: bytes,
    *,
    trusted_certs: Sequence[x509.Certificate],
    limits: ParseLimits = DEFAULT_LIMITS,
    code_tables: CodeTables | None = None,
    now: dt.datetime | None = None,
) -> ParsedStatus:
    """Parse and verify a received status message."""
    tables = code_tables or default_code_tables()
    status_limits = ParseLimits(
        max_message_bytes=min(limits.max_message_bytes, 1024 * 1024),
        max_attachment_bytes=0,
        max_attachments=0,
        max_subject_chars=limits.max_subject_chars,
    )
    root = safe_parse(data, status_limits)
    _check_root(root, STATUS_ROOT, "một thông điệp trạng thái edXML")
    signed, cert = verify_document(root, [STATUS_HEADER], trusted_certs, huge_tree=False, now=now)

    def read() -> ParsedStatus:
        body = signed.find(f"{STATUS_HEADER}/{_q('MessageStatus')}")
        if body is None:
            raise _missing("MessageStatus")
        response_el = _child(body, "ResponseFor")
        if response_el is None:
            raise _missing("ResponseFor")
        sender = _read_organization(_child(body, "From"))
        if sender is None:
            raise _missing("From")
        timestamp = _timestamp(body, "Timestamp")
        if timestamp is None:
            raise _missing("Timestamp")
        code = _text(body, "StatusCode").strip()
        if not code:
            raise _missing("StatusCode")
        status = StatusMessage(
            response_for=_read_response_for(response_el),
            sender=sender,
            recipient=_read_organization(_child(body, "To")),
            status_code=code,
            description=_text(body, "Description"),
            timestamp=timestamp,
            staff_info=_read_staff(_child(body, "StaffInfo")),
        )
        _validate_status(status, tables)
        return ParsedStatus(status=status, signer_certificate=cert)

    return _guard(read)


def refusal_status(
    refused: EdxmlRefused,
    *,
    response_for: ResponseFor,
    sender: Organization,
    recipient: Organization | None = None,
    timestamp: dt.datetime | None = None,
    staff_info: StaffInfo | None = None,
    code_tables: CodeTables | None = None,
) -> StatusMessage:
    """The status "refused" (02 in the packaged table) answer for a refusal, its description being the refusal's
    Vietnamese reason. The code is the one ``code_tables`` gives the meaning ``refused`` (``MissingCode`` if none)."""
    return StatusMessage(
        response_for=response_for,
        sender=sender,
        recipient=recipient,
        status_code=(code_tables or default_code_tables()).statuses.code_for("refused"),
        description=refused.reason_vi,
        timestamp=timestamp or dt.datetime.now(VN_TZ).replace(microsecond=0),
        staff_info=staff_info,
    )
