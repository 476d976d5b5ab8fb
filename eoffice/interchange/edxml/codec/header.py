"""The envelope's header: ``MessageHeader`` and ``TraceHeaderList`` (with ``Bussiness``), written, read and
checked against the limits and the code tables."""

from __future__ import annotations

from lxml import etree

from ..codes import CodeTables
from ..errors import InvalidStructure, LimitExceeded
from ..messages import (
    Bussiness,
    BussinessDocumentInfo,
    Code,
    DocumentType,
    MessageHeader,
    Organization,
    OtherInfo,
    PromulgationInfo,
    Receiver,
    ReplacementInfo,
    SignerInfo,
    TraceHeader,
    TraceHeaderList,
)
from ..security import ParseLimits
from .base import (
    _bad_value,
    _child,
    _children,
    _date,
    _first_of,
    _fmt_date,
    _fmt_timestamp,
    _int,
    _missing,
    _read_organization,
    _read_response_for,
    _read_staff,
    _sub,
    _text,
    _timestamp,
    _write_organization,
    _write_response_for,
    _write_staff,
)


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
