"""Status messages received (01 … 16): they update our deliveries; a status "recall" (13) from the system that
sent us a document is applied as a recall of it."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db import transaction

from eoffice.audit.services import record
from eoffice.orgs.models import Agency

from .. import mapping
from ..edxml import EdxmlRefused, ParseLimits, StatusMessage, parse_status, safe_parse
from ..models import InboundMessage, InboundStatus, OutboundKind, OutboundMessage, Peer
from .common import Answer, _unknown_peer, _verified, code_tables, enabled_peers, json_answer, peer_serving
from .gate import refuse_unauthenticated
from .outbound import _delivery_status
from .recall import _recall_one


def receive_status(data: bytes, *, expected_peer: Peer | None = None, address: str | None = None) -> Answer:
    """A status message from a peer about a document we sent (signed by a peer serving the status's sender).
    One no configured peer signed gets the fixed, unsigned refusal of :mod:`.gate` (counted, not audited)."""
    peers = [expected_peer] if expected_peer else enabled_peers()
    try:
        root = safe_parse(data, ParseLimits(max_message_bytes=1024 * 1024))
        found = root.xpath("//*[local-name()='MessageStatus']/*[local-name()='From']/*[local-name()='OrganId']/text()")
        sender = str(found[0]).strip() if found else ""
        parsed, peer = _verified(data, sender, peers, parse_status, code_tables())
        if parsed.status.sender.organ_id != sender:
            raise _unknown_peer()
    except EdxmlRefused as refused:
        peer = getattr(refused, "peer", None)
        if peer is None:
            return refuse_unauthenticated(refused, address=address, endpoint="status")
        record("interchange.status_refused", data={"code": refused.code, "reason": refused.reason_vi,
                                                   "peer": peer.name})
        return json_answer(400, refused.code, refused.reason_vi)
    apply_status(parsed.status, peer=peer)
    return json_answer(200, "ok", "Đã nhận trạng thái.")


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
    from eoffice.outgoing.services import restore_after_declined_recall

    restore_after_declined_recall(delivery_id, f"Bên nhận từ chối thu hồi/cập nhật: {description}".strip(), at=at)
