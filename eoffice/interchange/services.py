"""Liên thông (edXML) operations. The endpoint, the Celery tasks, the signal receivers and the management commands
call these and hold no logic of their own.

Sending (our outgoing documents to other systems):
- :func:`queue_delivery` — an external delivery (business kind 0 new, 1 recall, 2 update, 3 replace) becomes an
  :class:`~eoffice.interchange.models.OutboundMessage`, keyed by DocumentId + recipient + kind, sent by the task
  ``interchange.edxml_send`` (:func:`send_outbound`) with retries and exponential backoff.
- :func:`receive_status` / :func:`apply_status` — the recipients' status messages (01 … 16) update the delivery;
  a status meaning "recall" (13) from the system that sent us a document is applied as a recall of it.

Statuses are named in the program by their fixed meaning (arrived, refused, accepted, assigned, done,
recall_agreed…, see ``edxml.codes.STATUS_MEANINGS``); the code that travels is the one the administrator's table
(:class:`~eoffice.interchange.models.CodeRow`) gives that meaning when the status is built. A table that lost a
meaning makes the status fail in the outbound journal with the reason, never silently.

Receiving (other systems' documents for our agencies):
- :func:`receive_message` — verify (signature of a configured peer), check, and apply in one transaction: a new
  document becomes a receipt in the addressed agency's queue (``incoming.services.receive``, channel
  ``interconnection``, source ``edxml``); recall/update/replace are applied and answered 15 or 16. A refusal is a
  status 02 with the reason, returned to the caller and queued back to the sending peer. A resend of the same
  DocumentId for the same recipient is answered with the existing receipt's status, never a second receipt.
- :func:`on_incoming_status` — the incoming flow's stages (arrived, refused, accepted, assigned, done) are sent
  back to the sender as status messages 01, 02, 03, 05, 06.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from lxml import etree

from eoffice.audit.services import record
from eoffice.core.errors import DomainError
from eoffice.documents.models import Channel
from eoffice.orgs.models import Agency

from . import mapping
from .edxml import (
    NS,
    VN_TZ,
    CodeTables,
    EdxmlRefused,
    EdxmlSigner,
    MissingCode,
    Organization,
    ParsedMessage,
    ParseLimits,
    ResponseFor,
    StatusMessage,
    build_message,
    build_status,
    parse_message,
    parse_status,
    safe_parse,
    split_document_id,
)
from .models import (
    CodeRow,
    InboundMessage,
    InboundStatus,
    OutboundKind,
    OutboundMessage,
    OutboundState,
    Peer,
)

log = logging.getLogger(__name__)

SOURCE = "edxml"  # the ``source`` of receipts made from edXML messages
CONTENT_TYPE = "application/xml; charset=utf-8"


class TransportError(Exception):
    """The peer could not be reached or failed (5xx): the task retries with backoff."""


# ------------------------------------------------------------------------------------------------ configuration
def code_tables() -> CodeTables:
    """The code tables the codec uses: the administrator's rows (with their fixed meanings), tables without rows
    keep the packaged defaults."""
    tables: dict[str, list[tuple[str, str, str]]] = {}
    for row in CodeRow.objects.order_by("table", "position", "code"):
        tables.setdefault(row.table, []).append((row.code, row.name, row.meaning))
    return CodeTables.from_mappings(tables)


def limits() -> ParseLimits:
    return ParseLimits(
        max_message_bytes=settings.EDXML_MAX_MESSAGE_BYTES,
        max_attachment_bytes=settings.EDXML_MAX_ATTACHMENT_BYTES,
        max_attachments=settings.EDXML_MAX_ATTACHMENTS,
    )


def enabled_peers() -> list[Peer]:
    return list(Peer.objects.filter(enabled=True))


def peer_serving(code: str) -> Peer | None:
    return next((peer for peer in enabled_peers() if peer.serves(code)), None)


def signer_for(agency: Agency) -> EdxmlSigner:
    """The agency's seal key (its certificate signs what the agency sends)."""
    from eoffice.documents.keyring import seal_key
    from signing.keyring import dev_pki

    pki = dev_pki()
    key = seal_key(agency)
    try:
        data = pki.key_store_path(key).read_bytes()
        password = pki.key_store_passphrase(key)
    except (KeyError, OSError) as exc:
        raise EdxmlRefused("no_key", f"Chưa có khóa đóng dấu của {agency.name} để ký gói tin edXML.") from exc
    return EdxmlSigner.from_pkcs12(data, password)


def default_agency() -> Agency | None:
    """The agency that answers for the deployment when a message names none of ours (refusals)."""
    code = getattr(settings, "EDXML_DEFAULT_AGENCY", "")
    if code:
        found = Agency.objects.filter(code=code).first()
        if found:
            return found
    return Agency.objects.filter(parent__isnull=True, is_active=True).order_by("pk").first()


def _now() -> dt.datetime:
    return dt.datetime.now(VN_TZ).replace(microsecond=0)


def _ref(document_id: str, agency_code: str) -> str:
    """The receipt's ``source_ref``: DocumentId + recipient, the idempotency key of a delivery."""
    return f"{document_id}|{agency_code}"


def _key(document_id: str, agency_code: str, kind: int) -> str:
    return f"{document_id}|{agency_code}|{kind}"


# ------------------------------------------------------------------------------------------------ sending
def queue_delivery(delivery, *, business_kind: int = mapping.NEW, reason: str = "") -> OutboundMessage | None:
    """Queue one external delivery for sending (idempotent: queuing the same kind twice returns the first)."""
    from eoffice.outgoing.models import DeliveryKind

    if delivery.kind != DeliveryKind.EXTERNAL:
        return None
    document = delivery.document
    document_id = mapping.document_id_of(document)
    key = "message|" + _key(document_id, delivery.external_code, business_kind)
    outbound, created = OutboundMessage.objects.get_or_create(
        key=key,
        defaults={"kind": OutboundKind.MESSAGE, "delivery": delivery, "document_id": document_id,
                  "recipient_code": delivery.external_code, "business_kind": business_kind, "reason": reason,
                  "peer": peer_serving(delivery.external_code)},
    )
    if created:
        record("interchange.queued", obj=document, agency=document.agency_id,
               data={"delivery": delivery.pk, "document_id": document_id, "to": delivery.external_code,
                     "business_kind": business_kind})
        _schedule(outbound)
    return outbound


def queue_status(*, agency: Agency, peer: Peer | None, response_for: ResponseFor, recipient: Organization,
                 meaning: str, description: str = "") -> OutboundMessage | None:
    """Queue a status message (signed by ``agency``) to the peer that sent the document; once per meaning.

    The code is the one the code table gives ``meaning`` now. When it cannot be built (the table lost that
    meaning, the agency has no key), the message is recorded as failed with the Vietnamese reason in the outbound
    journal; once the administrator fixed it, "Gửi lại" builds and sends it.
    """
    if peer is None:
        return None
    key = f"status|{response_for.document_id}|{agency.code}|{recipient.organ_id}|{meaning}"
    if OutboundMessage.objects.filter(key=key).exists():
        return None
    data = {"agency": agency.code, "meaning": meaning, "description": description[:2000],
            "recipient": {"organ_id": recipient.organ_id, "organ_name": recipient.organ_name},
            "response_for": {"organ_id": response_for.organ_id, "code": response_for.code,
                             "promulgation_date": response_for.promulgation_date.isoformat()
                             if response_for.promulgation_date else None,
                             "document_id": response_for.document_id}}
    outbound, created = OutboundMessage.objects.get_or_create(
        key=key,
        defaults={"kind": OutboundKind.STATUS, "peer": peer, "document_id": response_for.document_id,
                  "recipient_code": recipient.organ_id, "reason": description, "status_data": data},
    )
    if not created:
        return outbound
    try:
        code, payload = _status_payload(agency, response_for=response_for, recipient=recipient, meaning=meaning,
                                        description=description)
    except (MissingCode, EdxmlRefused) as exc:
        _status_not_built(outbound, exc)
        return outbound
    OutboundMessage.objects.filter(pk=outbound.pk).update(status_code=code, payload=payload)
    outbound.status_code, outbound.payload = code, payload
    _schedule(outbound)
    return outbound


def _status_not_built(outbound: OutboundMessage, exc: MissingCode | EdxmlRefused) -> None:
    reason = f"Không lập được thông điệp trạng thái: {exc.reason_vi}"[:1000]
    _give_up(outbound, reason)
    agency = Agency.objects.filter(code=outbound.status_data.get("agency", "")).values_list("pk", flat=True).first()
    record("interchange.status_not_built", agency=agency,
           data={"document_id": outbound.document_id, "to": outbound.recipient_code,
                 "meaning": outbound.status_data.get("meaning", ""), "reason": reason})
    log.error("edXML status %s for %s not built: %s", outbound.status_data.get("meaning"), outbound.document_id,
              exc.reason_vi)


def _status_from_data(outbound: OutboundMessage) -> bytes:
    """Build again the status of a journal row (a resend after the administrator fixed the code table)."""
    data = outbound.status_data or {}
    agency = Agency.objects.filter(code=data.get("agency", "")).first()
    if agency is None or not data.get("meaning"):
        raise EdxmlRefused("status_data", "Thiếu thông tin để lập lại thông điệp trạng thái.")
    rf = data.get("response_for") or {}
    response_for = ResponseFor(organ_id=rf.get("organ_id", ""), code=rf.get("code", ""),
                               promulgation_date=dt.date.fromisoformat(rf["promulgation_date"])
                               if rf.get("promulgation_date") else None, document_id=rf.get("document_id", ""))
    recipient = Organization(**(data.get("recipient") or {"organ_id": outbound.recipient_code}))
    code, payload = _status_payload(agency, response_for=response_for, recipient=recipient, meaning=data["meaning"],
                                    description=data.get("description", ""))
    OutboundMessage.objects.filter(pk=outbound.pk).update(status_code=code)
    return payload


def _schedule(outbound: OutboundMessage) -> None:
    from .tasks import send

    transaction.on_commit(lambda: send.delay(outbound.pk))


def _status_payload(agency: Agency, *, response_for: ResponseFor, recipient: Organization | None, meaning: str,
                    description: str = "") -> tuple[str, bytes]:
    """(code, signed bytes) of the status meaning ``meaning``; raises ``MissingCode`` when the administrator's
    table has no code for it, ``EdxmlRefused`` when it cannot be signed."""
    tables = code_tables()
    code = mapping.status_code(meaning, tables)
    status = StatusMessage(response_for=response_for, sender=mapping.organization(agency), recipient=recipient,
                           status_code=code, description=description[:2000], timestamp=_now())
    return code, build_status(status, signer=signer_for(agency), code_tables=tables)


def build_outbound_message(outbound: OutboundMessage) -> bytes:
    """The signed edXML bytes of a queued message (raises ``EdxmlRefused`` for what must not be sent)."""
    tables = code_tables()
    delivery = outbound.delivery
    msg, attachments = mapping.message_for_delivery(delivery, business_kind=outbound.business_kind or 0,
                                                    reason=outbound.reason, tables=tables)
    return build_message(msg, attachments, signer=signer_for(delivery.document.agency), limits=limits(),
                         code_tables=tables)


def post(url: str, data: bytes) -> tuple[int, bytes]:
    """POST ``data``; returns (HTTP status, body) for any HTTP answer, raises TransportError when unreachable."""
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": CONTENT_TYPE})
    try:
        with urllib.request.urlopen(request, timeout=settings.EDXML_HTTP_TIMEOUT) as response:  # noqa: S310
            return response.status, response.read(1024 * 1024)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(1024 * 1024)
    except (urllib.error.URLError, OSError) as exc:
        raise TransportError(f"{url}: {exc}") from exc


def send_outbound(outbound_id: int) -> OutboundMessage | None:
    """Send one queued message or status (task ``interchange.edxml_send``). Sending something already sent does
    nothing; an unreachable or failing peer raises ``TransportError`` so that the task retries with backoff."""
    outbound = (OutboundMessage.objects.select_related("peer", "delivery__document__agency")
                .filter(pk=outbound_id).first())
    if outbound is None or outbound.state != OutboundState.PENDING:
        return outbound
    if outbound.peer is None or not outbound.peer.enabled:
        outbound.peer = peer_serving(outbound.recipient_code)
        if outbound.peer is None:
            _give_up(outbound, f"Chưa cấu hình hệ thống liên thông phục vụ cơ quan {outbound.recipient_code}.")
            return outbound
        outbound.save(update_fields=["peer"])
    if outbound.payload is None and outbound.kind == OutboundKind.STATUS:
        try:
            payload = _status_from_data(outbound)
        except (MissingCode, EdxmlRefused) as exc:
            _status_not_built(outbound, exc)
            return outbound
        OutboundMessage.objects.filter(pk=outbound.pk, payload__isnull=True).update(payload=payload)
        outbound.refresh_from_db()
    elif outbound.payload is None:
        try:
            payload = build_outbound_message(outbound)
        except EdxmlRefused as refused:
            _give_up(outbound, refused.reason_vi, refuse_delivery=True)
            return outbound
        OutboundMessage.objects.filter(pk=outbound.pk, payload__isnull=True).update(payload=payload)
        outbound.refresh_from_db()
    OutboundMessage.objects.filter(pk=outbound.pk).update(attempts=outbound.attempts + 1)
    try:
        status_code, body = post(outbound.peer.url_for(outbound.kind), bytes(outbound.payload))
    except TransportError as exc:
        OutboundMessage.objects.filter(pk=outbound.pk).update(last_error=str(exc)[:1000])
        raise
    if status_code >= 500:
        OutboundMessage.objects.filter(pk=outbound.pk).update(last_error=f"HTTP {status_code}")
        raise TransportError(f"HTTP {status_code} từ {outbound.peer.name}")
    answer = _answer_status(body) if outbound.kind == OutboundKind.MESSAGE else None
    state = OutboundState.SENT if status_code < 400 else OutboundState.REFUSED
    OutboundMessage.objects.filter(pk=outbound.pk).update(
        state=state, sent_at=timezone.now(),
        last_error="" if state == OutboundState.SENT else (answer.description if answer else f"HTTP {status_code}"))
    if answer is not None:
        apply_status(answer)
    elif state == OutboundState.REFUSED and outbound.delivery_id:
        _delivery_status(outbound.delivery_id, "refused", f"Hệ thống nhận từ chối gói tin (HTTP {status_code}).")
    outbound.refresh_from_db()
    return outbound


def _answer_status(body: bytes) -> StatusMessage | None:
    """The status the peer answered with (only when signed by a configured peer)."""
    try:
        parsed = parse_status(body, trusted_certs=_all_certs(), code_tables=code_tables())
    except EdxmlRefused:
        return None
    return parsed.status


#: Prefix of a delivery's reason while its message could not be sent (cleared when it is queued again).
NOT_SENT_YET = "Chưa gửi được qua trục liên thông, quản trị cần kiểm tra rồi gửi lại hoặc trao đổi bằng tệp:"


def _give_up(outbound: OutboundMessage, reason: str, *, refuse_delivery: bool = False) -> None:
    """Stop trying. ``refuse_delivery``: the document must not travel at all (secret, not issued), which the
    sender sees on the delivery; after a transport failure the delivery stays "queued" (Chờ gửi liên thông) with
    the reason it has not left, so that the administrator can resend it or the clerk exchange it as a file
    (``edxml_export``)."""
    from eoffice.outgoing.models import Delivery, DeliveryStatus

    OutboundMessage.objects.filter(pk=outbound.pk).update(state=OutboundState.FAILED, last_error=reason)
    outbound.state, outbound.last_error = OutboundState.FAILED, reason
    if not (outbound.delivery_id and outbound.kind == OutboundKind.MESSAGE):
        return
    if refuse_delivery:
        _delivery_status(outbound.delivery_id, "refused", reason)
    else:  # the sender sees on the document page why it has not left yet
        Delivery.objects.filter(pk=outbound.delivery_id, status=DeliveryStatus.QUEUED_EXTERNAL).update(
            reason=f"{NOT_SENT_YET} {reason}"[:1000], updated_at=timezone.now())


def resend(outbound_ids: list[int]) -> int:
    """Queue failed messages again (after the administrator fixed the peer); returns how many."""
    count = 0
    from eoffice.outgoing.models import Delivery, DeliveryStatus

    for outbound in OutboundMessage.objects.filter(pk__in=outbound_ids, state=OutboundState.FAILED):
        OutboundMessage.objects.filter(pk=outbound.pk).update(state=OutboundState.PENDING, last_error="")
        if outbound.delivery_id and outbound.kind == OutboundKind.MESSAGE:
            Delivery.objects.filter(pk=outbound.delivery_id, status=DeliveryStatus.QUEUED_EXTERNAL,
                                    reason__startswith=NOT_SENT_YET).update(reason="", updated_at=timezone.now())
        _schedule(outbound)
        count += 1
    return count


def mark_failed(outbound_id: int, error: str) -> None:
    """The task gave up after its last retry."""
    outbound = OutboundMessage.objects.filter(pk=outbound_id, state=OutboundState.PENDING).first()
    if outbound is not None:
        _give_up(outbound, f"Không gửi được sau {outbound.attempts} lần: {error}"[:1000])


def _delivery_status(delivery_id: int, status: str, reason: str, at: dt.datetime | None = None) -> None:
    from eoffice.outgoing.services import record_recipient_status

    record_recipient_status(str(delivery_id), status, reason=reason, at=at)


# ------------------------------------------------------------------------------------------ statuses received
def _all_certs() -> list[x509.Certificate]:
    return [cert for peer in enabled_peers() for cert in peer.certificates()]


@dataclass
class Answer:
    """What the endpoint answers: an HTTP status and a body (a signed status message, or a JSON error)."""

    http_status: int
    body: bytes
    content_type: str = CONTENT_TYPE
    status_code: str = ""
    reason: str = ""


def receive_status(data: bytes, *, expected_peer: Peer | None = None) -> Answer:
    """A status message from a peer about a document we sent (signed by a peer serving the status's sender)."""
    peers = [expected_peer] if expected_peer else enabled_peers()
    try:
        root = safe_parse(data, ParseLimits(max_message_bytes=1024 * 1024))
        found = root.xpath("//*[local-name()='MessageStatus']/*[local-name()='From']/*[local-name()='OrganId']/text()")
        sender = str(found[0]).strip() if found else ""
        parsed, peer = _verified(data, sender, peers, parse_status, code_tables())
        if parsed.status.sender.organ_id != sender:
            raise _unknown_peer()
    except EdxmlRefused as refused:
        record("interchange.status_refused", data={"code": refused.code, "reason": refused.reason_vi})
        return json_answer(400, refused.code, refused.reason_vi)
    apply_status(parsed.status, peer=peer)
    return json_answer(200, "ok", "Đã nhận trạng thái.")


def json_answer(http_status: int, code: str, message: str) -> Answer:
    import json

    body = json.dumps({"error": {"code": code, "message": message}} if http_status >= 400 else
                      {"ok": True, "message": message}, ensure_ascii=False).encode()
    return Answer(http_status=http_status, body=body, content_type="application/json", reason=message)


def apply_status(status: StatusMessage, *, peer: Peer | None = None) -> InboundStatus | None:
    """Record a status (each once) and apply what its meaning says.

    - From a recipient about a document we sent: the delivery's status (arrived, refused, accepted, assigned, done,
      recall agreed) or, for "recall declined" (16), the delivery goes back to where it was.
    - "Recall" (13) is what the *sending* side says: from the system that sent us a document, about that document,
      it is a recall request, applied as a recall message (business kind 1) is and answered 15 or 16. A 13 from a
      recipient about a document of ours means nothing the standard defines: it is only recorded.
    - A code with no meaning (an additional code of the administrator's table) is only recorded.
    """
    document_id = status.response_for.document_id
    sender = status.sender.organ_id
    key = f"{document_id}|{sender}|{status.status_code}"
    meaning = mapping.status_meaning(status.status_code, code_tables())
    with transaction.atomic():
        inbound, created = InboundStatus.objects.get_or_create(
            key=key, defaults={"document_id": document_id, "sender_code": sender,
                               "status_code": status.status_code, "description": status.description,
                               "at": status.timestamp})
        if not created:
            return inbound
        if meaning == mapping.RECALL_REQUEST:
            _recall_requested(status, peer or peer_serving(sender))
            return inbound
        outbound = (OutboundMessage.objects.filter(kind=OutboundKind.MESSAGE, document_id=document_id,
                                                   recipient_code=sender, delivery__isnull=False)
                    .order_by("pk").first())
        if outbound is None:
            return inbound
        inbound.delivery_id = outbound.delivery_id
        inbound.save(update_fields=["delivery"])
        name = mapping.STATUS_TO_DELIVERY.get(meaning)
        if name is not None:
            _delivery_status(outbound.delivery_id, name, status.description, status.timestamp)
        elif meaning == mapping.DECLINED:
            _recall_declined(outbound.delivery_id, status.description, status.timestamp)
    return inbound


def _recall_requested(status: StatusMessage, peer: Peer | None) -> None:
    """A status "recall" (13) from the sender of a document we received: recall it at each of our agencies it
    reached (as business kind 1 does), answering 15 or 16. Unknown documents are only recorded (no guessing)."""
    if peer is None:
        return
    document_id = status.response_for.document_id
    originals = InboundMessage.objects.filter(document_id=document_id, business_kind=mapping.NEW,
                                              sender_code=status.sender.organ_id)
    sha = hashlib.sha256(f"status|{document_id}|{status.sender.organ_id}|{status.status_code}".encode()).hexdigest()
    reason = status.description or "Cơ quan gửi thu hồi văn bản."
    for original in originals:
        agency = Agency.objects.filter(code=original.recipient_code).first()
        if agency is not None:
            _recall_one(status.sender, peer, agency, document_id, sha, reason=reason)


def _recall_declined(delivery_id: int, description: str, at: dt.datetime) -> None:
    """16: the recipient refused the recall or update; the delivery goes back to where it was, with the reason."""
    from eoffice.outgoing.models import Delivery, DeliveryEvent, DeliveryStatus

    delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
    previous = (delivery.events.exclude(status__in=[DeliveryStatus.RECALLING, DeliveryStatus.RECALL_DONE])
                .order_by("-at", "-pk").values_list("status", flat=True).first()) or DeliveryStatus.ARRIVED
    reason = f"Bên nhận từ chối thu hồi/cập nhật: {description}".strip()
    DeliveryEvent.objects.create(delivery=delivery, status=previous, reason=reason, at=at)
    delivery.status = previous
    delivery.reason = reason
    delivery.save(update_fields=["status", "reason", "updated_at"])


# ------------------------------------------------------------------------------------------ messages received
def receive_message(data: bytes, *, expected_peer: Peer | None = None) -> Answer:
    """Verify, check and apply a received edXML message; never raises for bad input (a refusal is a 02 answer).

    Only configured peers are heard: the peers serving the sender's agency code are found first, and the XML
    signature must verify against one of their certificates. ``expected_peer`` (file import) allows only that peer.
    """
    tables = code_tables()
    peers = [expected_peer] if expected_peer else enabled_peers()
    try:
        fields = _unverified_fields(data, strict=True)
        parsed, peer = _verified(data, fields.get("from", ""), peers, parse_message, tables)
        if parsed.header.sender.organ_id != fields.get("from") or not peer.serves(parsed.header.sender.organ_id):
            raise _unknown_peer()
        if mapping.is_secret_header(parsed.header):
            raise EdxmlRefused("secret", "Văn bản mật không được gửi, nhận qua trục liên thông.")
        try:
            with transaction.atomic():
                return _apply_message(parsed, peer, data, tables)
        except IntegrityError:  # a concurrent copy of the same message won the race: answer as for a resend
            with transaction.atomic():
                return _apply_message(parsed, peer, data, tables)
    except EdxmlRefused as refused:
        return refuse(data, refused, peers)


def _verified(data: bytes, sender_code: str, peers: list[Peer], parse, tables: CodeTables):
    """Parse with the certificates of each peer serving ``sender_code`` in turn: (parsed, the peer it verified
    against). A signature no serving peer's certificate accepts is refused."""
    from .edxml import SignatureRefused

    candidates = [peer for peer in peers if sender_code and peer.serves(sender_code) and peer.certificates()]
    if not candidates:
        raise _unknown_peer()
    refusal: EdxmlRefused | None = None
    for peer in candidates:
        try:
            return parse(data, trusted_certs=peer.certificates(), limits=limits(), code_tables=tables), peer
        except SignatureRefused as exc:
            refusal = exc
    assert refusal is not None
    raise refusal


def _unknown_peer() -> EdxmlRefused:
    return EdxmlRefused("unknown_peer", "Hệ thống gửi không có trong danh sách hệ thống liên thông được tin cậy "
                                        "của cơ quan nhận.")


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


def _code_of(meaning: str) -> str:
    """The code of a status meaning for the journal ("" when the table lost it: the answer says why)."""
    try:
        return mapping.status_code(meaning, code_tables())
    except MissingCode:
        return ""


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
        olds = [old for old in olds if old and old != header.document_id]
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


def _previous_answer(previous: InboundMessage) -> tuple[str, str]:
    meaning = previous.answer_meaning or mapping.status_meaning(previous.answer_code, code_tables())
    return meaning, previous.answer_reason


def _answered(sender: Organization, peer: Peer, agency: Agency, target: str, kind: int, sha: str, meaning: str,
              reason: str, original: InboundMessage | None, code_text: str = "") -> tuple[str, str]:
    """Record a recall/update answer (agreed or declined: 15 or 16 by the code table) and queue it to the sender."""
    InboundMessage.objects.create(
        key=_key(target, agency.code, kind), peer=peer, document_id=target, sender_code=sender.organ_id,
        sender_name=sender.organ_name, recipient_code=agency.code, business_kind=kind,
        code_text=original.code_text if original else code_text,
        promulgation_date=original.promulgation_date if original else None,
        receipt=original.receipt if original else None, answer_code=_code_of(meaning), answer_meaning=meaning,
        answer_reason=reason, sha256=sha,
    )
    response_for = ResponseFor(organ_id=sender.organ_id, code=original.code_text if original else code_text,
                               promulgation_date=original.promulgation_date if original else None,
                               document_id=target)
    queue_status(agency=agency, peer=peer, response_for=response_for, recipient=sender, meaning=meaning,
                 description=reason)
    record("interchange.recall_answered" if kind == mapping.RECALL else "interchange.update_answered",
           agency=agency.pk, data={"document_id": target, "answer": meaning, "reason": reason})
    return meaning, reason


def _recall_one(sender: Organization, peer: Peer, agency: Agency, target: str, sha: str, *,
                reason: str = "", code_text: str = "") -> tuple[str, str]:
    """Recall ``target`` at ``agency`` (business kind 1, a replacement, or a status "recall"); once."""
    from eoffice.incoming import services as incoming
    from eoffice.incoming.models import DocumentStatus, IncomingDocument

    previous = InboundMessage.objects.filter(key=_key(target, agency.code, mapping.RECALL)).first()
    if previous is not None:
        return _previous_answer(previous)
    reason = reason or "Cơ quan gửi thu hồi văn bản."
    original = (InboundMessage.objects.filter(key=_key(target, agency.code, mapping.NEW))
                .select_related("receipt").first())
    if original is None or original.receipt is None:
        return _answered(sender, peer, agency, target, mapping.RECALL, sha, mapping.DECLINED,
                         "Không tìm thấy văn bản cần thu hồi tại cơ quan nhận.", original, code_text)
    document = IncomingDocument.objects.filter(receipt=original.receipt).first()
    if document is not None and document.status == DocumentStatus.DONE:
        return _answered(sender, peer, agency, target, mapping.RECALL, sha, mapping.DECLINED,
                         "Văn bản đã được xử lý xong, không thu hồi được.", original, code_text)
    incoming.recall_receipt(SOURCE, _ref(target, agency.code), reason=reason)
    return _answered(sender, peer, agency, target, mapping.RECALL, sha, mapping.AGREED, reason, original, code_text)


def _update_one(parsed: ParsedMessage, peer: Peer, agency: Agency, target: str, sha: str,
                tables: CodeTables) -> tuple[str, str]:
    """Update (kind 2): the metadata of a receipt still waiting for the clerk is replaced by the new header."""
    from eoffice.incoming.models import Receipt, ReceiptStatus

    key = _key(target, agency.code, mapping.UPDATE)
    previous = InboundMessage.objects.filter(key=key).first()
    if previous is not None:
        return _previous_answer(previous)
    original = (InboundMessage.objects.filter(key=_key(target, agency.code, mapping.NEW))
                .select_related("receipt").first())
    receipt = Receipt.objects.select_for_update().filter(pk=original.receipt_id).first() if original else None
    if receipt is None:
        return _answered(parsed.header.sender, peer, agency, target, mapping.UPDATE, sha, mapping.DECLINED,
                         "Không tìm thấy văn bản cần cập nhật tại cơ quan nhận.", original,
                         mapping.code_text(parsed.header))
    if receipt.status != ReceiptStatus.WAITING:
        return _answered(parsed.header.sender, peer, agency, target, mapping.UPDATE, sha, mapping.DECLINED,
                         "Văn bản đã được tiếp nhận, vào sổ; không cập nhật được, đề nghị gửi văn bản thay thế.",
                         original, mapping.code_text(parsed.header))
    fields = mapping.receipt_metadata(parsed, tables).model_fields()
    for name, value in fields.items():
        setattr(receipt, name, value)
    receipt.save(update_fields=list(fields))
    reason = parsed.trace.bussiness.bussiness_doc_reason or "Cập nhật thông tin văn bản."
    return _answered(parsed.header.sender, peer, agency, target, mapping.UPDATE, sha, mapping.AGREED, reason,
                     original, mapping.code_text(parsed.header))


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
    """Status 02 with the reason: answered now, and queued back to the sending peer when we know it."""
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


# ---------------------------------------------------------------------------------- the incoming flow's stages
def on_incoming_status(source_ref: str, status: str, reason: str = "") -> OutboundMessage | None:
    """A stage of a receipt made from an edXML message: tell the sender (arrived, refused, accepted, assigned,
    done: 01, 02, 03, 05, 06 in the packaged table)."""
    meaning = mapping.SIGNAL_TO_STATUS.get(status)
    if meaning is None or meaning == mapping.AGREED:  # recall answers are sent where the recall is applied
        return None
    document_id, _sep, agency_code = source_ref.rpartition("|")
    inbound = (InboundMessage.objects.filter(key=_key(document_id, agency_code, mapping.NEW))
               .select_related("peer").first())
    agency = Agency.objects.filter(code=agency_code).first()
    if inbound is None or agency is None:
        return None
    response_for = ResponseFor(organ_id=inbound.sender_code, code=inbound.code_text,
                               promulgation_date=inbound.promulgation_date, document_id=document_id)
    recipient = Organization(organ_id=inbound.sender_code, organ_name=inbound.sender_name)
    with transaction.atomic():
        return queue_status(agency=agency, peer=inbound.peer, response_for=response_for, recipient=recipient,
                            meaning=meaning, description=reason)


# --------------------------------------------------------------------------------------------- file exchange
def export_package(outbound_or_delivery, outdir: Path) -> Path:
    """Write the signed .edxml package of a delivery (business kind 0) to ``outdir``; returns the file."""
    from eoffice.outgoing.models import Delivery

    delivery = outbound_or_delivery if isinstance(outbound_or_delivery, Delivery) else outbound_or_delivery.delivery
    outbound = OutboundMessage(kind=OutboundKind.MESSAGE, delivery=delivery, business_kind=mapping.NEW,
                               document_id=mapping.document_id_of(delivery.document),
                               recipient_code=delivery.external_code)
    data = build_outbound_message(outbound)
    outdir.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in f"{outbound.document_id}_{delivery.external_code}")
    path = outdir / f"{safe}.edxml"
    path.write_bytes(data)
    record("interchange.exported", obj=delivery.document, agency=delivery.document.agency_id,
           data={"delivery": delivery.pk, "document_id": outbound.document_id, "file": path.name})
    return path


def is_status_document(data: bytes) -> bool:
    """Whether the bytes look like a status message rather than a document message (by the root element)."""
    try:
        root = safe_parse(data, limits())
    except EdxmlRefused:
        return False
    return etree.QName(root).localname == "Status" and etree.QName(root).namespace == NS
