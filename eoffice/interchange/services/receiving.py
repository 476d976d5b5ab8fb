"""Messages received from other systems: verify (signature of a configured peer), check and apply in one
transaction; a refusal is a status 02 with the reason, answered now and queued back to the sending peer."""

from __future__ import annotations

import hashlib

from django.db import IntegrityError, transaction
from lxml import etree

from eoffice.audit.services import record
from eoffice.core.errors import DomainError
from eoffice.documents.models import Channel
from eoffice.orgs.models import Agency

from .. import mapping
from ..edxml import (
    NS,
    CodeTables,
    EdxmlRefused,
    MissingCode,
    Organization,
    ParsedMessage,
    ResponseFor,
    parse_message,
    safe_parse,
    split_document_id,
)
from ..models import InboundMessage, Peer
from .common import (
    SOURCE,
    Answer,
    _code_of,
    _key,
    _ref,
    _unknown_peer,
    _verified,
    code_tables,
    default_agency,
    enabled_peers,
    json_answer,
    limits,
)
from .gate import refuse_unauthenticated
from .outbound import _status_payload, queue_status
from .recall import _original, _recall_one, _update_one, from_original_sender


def receive_message(data: bytes, *, expected_peer: Peer | None = None, address: str | None = None) -> Answer:
    """Verify, check and apply a received edXML message; never raises for bad input.

    Only configured peers are heard: the peers serving the sender's agency code are found first, and the XML
    signature must verify against one of their certificates. ``expected_peer`` (file import) allows only that peer.
    A message no configured peer signed gets the fixed, unsigned refusal of :mod:`.gate` (counted per ``address``,
    nothing signed, queued or audited); one its peer signed but we refuse gets a signed status 02 with the reason,
    also queued back to that peer, and an audit record.
    """
    tables = code_tables()
    peers = [expected_peer] if expected_peer else enabled_peers()
    try:
        fields = _unverified_fields(data, strict=True)
        parsed, peer = _verified(data, fields.get("from", ""), peers, parse_message, tables)
    except EdxmlRefused as refused:
        peer = getattr(refused, "peer", None)
        if peer is None:
            return refuse_unauthenticated(refused, address=address, endpoint="message")
        return refuse(data, refused, [peer])
    try:
        if parsed.header.sender.organ_id != fields.get("from") or not peer.serves(parsed.header.sender.organ_id):
            return refuse_unauthenticated(_unknown_peer(), address=address, endpoint="message")
        if mapping.is_secret_header(parsed.header):
            raise EdxmlRefused("secret", "Văn bản mật không được gửi, nhận qua trục liên thông.")
        try:
            with transaction.atomic():
                return _apply_message(parsed, peer, data, tables)
        except IntegrityError:  # a concurrent copy of the same message won the race: answer as for a resend
            with transaction.atomic():
                return _apply_message(parsed, peer, data, tables)
    except EdxmlRefused as refused:
        return refuse(data, refused, [peer])


def _local_recipients(parsed: ParsedMessage) -> list[Agency]:
    codes = [r.organ_id.strip() for r in parsed.header.recipients]
    agencies = {a.code: a for a in Agency.objects.filter(code__in=codes, is_active=True)}
    found = [agencies[c] for c in dict.fromkeys(codes) if c in agencies]
    if not found:
        raise EdxmlRefused("unknown_recipient", "Cơ quan nhận («{}») không có trong hệ thống này.".format(
            ", ".join(codes)))
    return found


def _response_for(parsed: ParsedMessage, document_id: str | None = None) -> ResponseFor:
    header = parsed.header
    return ResponseFor(organ_id=header.sender.organ_id, code=mapping.code_text(header),
                       promulgation_date=header.promulgation_info.promulgation_date,
                       document_id=document_id or header.document_id)


def _apply_message(parsed: ParsedMessage, peer: Peer, data: bytes, tables: CodeTables) -> Answer:
    kind = parsed.trace.bussiness.bussiness_doc_type
    recipients = _local_recipients(parsed)
    sha = hashlib.sha256(data).hexdigest()
    answers: list[tuple[Agency, str, str, str]] = []  # (agency, document id answered, code, reason)
    for agency in recipients:
        if kind == mapping.RECALL:
            target = parsed.trace.bussiness.document_id or parsed.header.document_id
            meaning, reason = _recall_one(parsed.header.sender, peer, agency, target, sha,
                                          reason=parsed.trace.bussiness.bussiness_doc_reason,
                                          code_text=mapping.code_text(parsed.header))
            answers.append((agency, target, meaning, reason))
        elif kind == mapping.UPDATE:
            target = parsed.trace.bussiness.document_id or parsed.header.document_id
            meaning, reason = _update_one(parsed, peer, agency, target, sha, tables)
            answers.append((agency, target, meaning, reason))
        else:
            if kind == mapping.REPLACE:
                olds = [info.document_id for info in parsed.trace.bussiness.replacement_info] or (
                    [parsed.trace.bussiness.document_id] if parsed.trace.bussiness.document_id else [])
                for old in olds:
                    if old and old != parsed.header.document_id:
                        _recall_one(parsed.header.sender, peer, agency, old, sha,
                                    reason=parsed.trace.bussiness.bussiness_doc_reason
                                    or f"Được thay thế bởi văn bản {mapping.code_text(parsed.header)}",
                                    code_text=mapping.code_text(parsed.header))
            meaning, reason = _receive_new(parsed, peer, agency, sha, tables)
            answers.append((agency, parsed.header.document_id, meaning, reason))
    agency, document_id, meaning, reason = answers[0]
    try:
        code, body = _status_payload(agency, response_for=_response_for(parsed, document_id),
                                     recipient=parsed.header.sender, meaning=meaning, description=reason)
    except MissingCode as exc:  # applied; only our answer cannot be coded: say so, and leave it in the audit trail
        record("interchange.status_not_built", agency=agency.pk,
               data={"document_id": document_id, "meaning": meaning, "reason": exc.reason_vi})
        return json_answer(200, "applied", f"Đã nhận gói tin nhưng không lập được thông điệp trạng thái: "
                                           f"{exc.reason_vi}")
    return Answer(http_status=200, body=body, status_code=code, reason=reason)


def _receipt_meaning(receipt) -> tuple[str, str]:
    """The status (meaning, reason) that describes where a receipt is now (for a resend)."""
    from eoffice.incoming.models import DocumentStatus, IncomingDocument, ReceiptStatus

    if receipt is None:
        return mapping.ARRIVED, ""
    if receipt.status == ReceiptStatus.RETURNED:
        return mapping.REFUSED, receipt.reason
    if receipt.status == ReceiptStatus.RECALLED:
        return mapping.AGREED, receipt.reason
    if receipt.status == ReceiptStatus.WAITING:
        return mapping.ARRIVED, ""
    document = IncomingDocument.objects.filter(receipt=receipt).first()
    if document is None:
        return mapping.ACCEPTED, ""
    if document.status == DocumentStatus.DONE:
        return mapping.DONE, ""
    if document.status == DocumentStatus.IN_PROGRESS:
        return mapping.ASSIGNED, ""
    return mapping.ACCEPTED, ""


def _receive_new(parsed: ParsedMessage, peer: Peer, agency: Agency, sha: str, tables: CodeTables) -> tuple[str, str]:
    from eoffice.incoming import services as incoming

    header = parsed.header
    key = _key(header.document_id, agency.code, mapping.NEW)
    existing = InboundMessage.objects.filter(key=key).select_related("receipt").first()
    if existing is not None:
        return _receipt_meaning(existing.receipt)
    files = [(attachment.name or f"{attachment.content_id}.pdf", attachment.data) for attachment in parsed.attachments]
    metadata = mapping.receipt_metadata(parsed, tables)
    if parsed.trace.bussiness.bussiness_doc_type == mapping.REPLACE:
        # Link the replacement to the (first) dispatch it replaces, as the recipient's pages show.
        olds = [info.document_id for info in parsed.trace.bussiness.replacement_info] or (
            [parsed.trace.bussiness.document_id] if parsed.trace.bussiness.document_id else [])
        olds = [old for old in olds if old and old != header.document_id
                and from_original_sender(_original(old, agency), old, header.sender, peer)]
        if olds:
            metadata.replaces_ref = (SOURCE, _ref(olds[0], agency.code))
    try:
        receipt = incoming.receive(agency, files=files, metadata=metadata,
                                   channel=Channel.INTERCONNECTION, source=SOURCE,
                                   source_ref=_ref(header.document_id, agency.code))
    except DomainError as exc:  # IncomingError: no files, a required field missing...
        raise EdxmlRefused(f"receipt_{exc.code}", exc.message) from exc
    steering = "" if header.steering_type is None else str(header.steering_type)
    answers = mapping.answered_outgoing(header.response_for, agency)
    InboundMessage.objects.create(
        key=key, peer=peer, document_id=header.document_id, sender_code=header.sender.organ_id,
        sender_name=header.sender.organ_name, recipient_code=agency.code, business_kind=mapping.NEW,
        code_text=mapping.code_text(header), promulgation_date=header.promulgation_info.promulgation_date,
        receipt=receipt, answer_code=_code_of(mapping.ARRIVED), answer_meaning=mapping.ARRIVED, sha256=sha,
        content=header.content, steering_type=steering,
        steering_meaning=tables.steering_types.meaning_of(steering) if steering else "",
        response_for=[{"organ_id": r.organ_id, "code": r.code, "document_id": r.document_id,
                       "promulgation_date": r.promulgation_date.isoformat() if r.promulgation_date else None}
                      for r in header.response_for],
        answers_outgoing=answers,
    )
    record("interchange.received", obj=receipt, agency=agency.pk,
           data={"document_id": header.document_id, "from": header.sender.organ_id, "peer": peer.name,
                 "answers_outgoing": answers.pk if answers else None})
    if answers is not None:
        record("interchange.reply_received", obj=answers, agency=agency.pk,
               data={"document_id": header.document_id, "from": header.sender.organ_id,
                     "notation": mapping.code_text(header), "receipt": receipt.pk})
    return mapping.ARRIVED, ""


def _unverified_fields(data: bytes, *, strict: bool = False) -> dict[str, str]:
    """From, To, DocumentId and Code of a message, read without trusting them: only used to pick the peers whose
    certificates may verify it and to address a refusal (to a configured peer, never to an address taken from
    the message). ``strict``: an unsafe or oversized message is refused (else: nothing is known)."""
    try:
        root = safe_parse(data, limits())
    except EdxmlRefused:
        if strict:
            raise
        return {}

    def first(path: str) -> str:
        found = root.xpath(path)
        return str(found[0]).strip()[:300] if found else ""

    def el(name: str) -> str:
        return f"*[local-name()='{name}']"

    header = f"//{el('MessageHeader')}"
    return {
        "from": first(f"{header}/{el('From')}/{el('OrganId')}/text()"),
        "from_name": first(f"{header}/{el('From')}/{el('OrganName')}/text()"),
        "to": first(f"{header}/{el('To')}/{el('OrganId')}/text()"),
        "document_id": first(f"{header}/{el('DocumentId')}/text()"),
        "code_number": first(f"{header}/{el('Code')}/{el('CodeNumber')}/text()"),
        "code_notation": first(f"{header}/{el('Code')}/{el('CodeNotation')}/text()"),
    }


def refuse(data: bytes, refused: EdxmlRefused, peers: list[Peer] | tuple = ()) -> Answer:
    """Status 02 with the reason, signed by the addressed agency: answered now, and queued back to the sending peer.
    Only for a message whose signature verified against ``peers`` (an authenticated sender); anything else is
    :func:`.gate.refuse_unauthenticated`."""
    fields = _unverified_fields(data)
    agency = Agency.objects.filter(code=fields.get("to", ""), is_active=True).first() or default_agency()
    record("interchange.refused", agency=agency.pk if agency else None,
           data={"code": refused.code, "reason": refused.reason_vi, "document_id": fields.get("document_id", ""),
                 "from": fields.get("from", "")})
    http_status = 413 if refused.code in ("message_too_large",) else 422 if refused.code.startswith(
        "receipt_") else 400
    document_id = fields.get("document_id") or "?"
    number, notation = fields.get("code_number", ""), fields.get("code_notation", "")
    parts = split_document_id(document_id)
    response_for = ResponseFor(organ_id=fields.get("from", "") or (parts[0] if parts else ""),
                               code=f"{number}/{notation}" if number else notation,
                               promulgation_date=parts[1] if parts else None, document_id=document_id)
    sender = Organization(organ_id=fields.get("from", "") or "?", organ_name=fields.get("from_name", ""))
    if agency is None:
        return json_answer(http_status, refused.code, refused.reason_vi)
    peer = next((p for p in peers if fields.get("from") and p.serves(fields["from"])), None)
    if peer is not None and fields.get("document_id"):
        transaction.on_commit(lambda: _queue_refusal(agency, peer, response_for, sender, refused.reason_vi))
    try:
        code, body = _status_payload(agency, response_for=response_for, recipient=sender, meaning=mapping.REFUSED,
                                     description=refused.reason_vi)
    except (MissingCode, EdxmlRefused):
        return json_answer(http_status, refused.code, refused.reason_vi)
    return Answer(http_status=http_status, body=body, status_code=code, reason=refused.reason_vi)


def _queue_refusal(agency: Agency, peer: Peer, response_for: ResponseFor, sender: Organization, reason: str) -> None:
    queue_status(agency=agency, peer=peer, response_for=response_for, recipient=sender, meaning=mapping.REFUSED,
                 description=reason)


def is_status_document(data: bytes) -> bool:
    """Whether the bytes look like a status message rather than a document message (by the root element)."""
    try:
        root = safe_parse(data, limits())
    except EdxmlRefused:
        return False
    return etree.QName(root).localname == "Status" and etree.QName(root).namespace == NS
