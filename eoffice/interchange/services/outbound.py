"""The outbound journal: queuing messages (:func:`queue_delivery`) and status messages (:func:`queue_status`),
building them, giving up, resending, and the file exchange (:func:`export_package`).

Statuses are queued by their fixed meaning; the code that travels is the one the administrator's table gives that
meaning when the status is built. A table that lost a meaning makes the status fail in the outbound journal with
the reason, never silently. The incoming flow's stages are sent back to the sender by :func:`on_incoming_status`.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from django.db import transaction

from eoffice.audit.services import record
from eoffice.core.tasks import send_on_commit
from eoffice.orgs.models import Agency

from .. import mapping
from ..edxml import (
    EdxmlRefused,
    MissingCode,
    Organization,
    ResponseFor,
    StatusMessage,
    build_message,
    build_status,
)
from ..models import InboundMessage, OutboundKind, OutboundMessage, OutboundState, Peer
from .common import _key, _now, code_tables, limits, peer_serving, signer_for

log = logging.getLogger(__name__)


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
    send_on_commit("interchange.edxml_send", outbound.pk)


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


#: Prefix of a delivery's reason while its message could not be sent (cleared when it is queued again).
NOT_SENT_YET = "Chưa gửi được qua trục liên thông, quản trị cần kiểm tra rồi gửi lại hoặc trao đổi bằng tệp:"


def _give_up(outbound: OutboundMessage, reason: str, *, refuse_delivery: bool = False) -> None:
    """Stop trying. ``refuse_delivery``: the document must not travel at all (secret, not issued), which the
    sender sees on the delivery; after a transport failure the delivery stays "queued" (Chờ gửi liên thông) with
    the reason it has not left, so that the administrator can resend it or the clerk exchange it as a file
    (``edxml_export``)."""
    from eoffice.outgoing.services import note_not_sent

    OutboundMessage.objects.filter(pk=outbound.pk).update(state=OutboundState.FAILED, last_error=reason)
    outbound.state, outbound.last_error = OutboundState.FAILED, reason
    if not (outbound.delivery_id and outbound.kind == OutboundKind.MESSAGE):
        return
    if refuse_delivery:
        _delivery_status(outbound.delivery_id, "refused", reason)
    else:  # the sender sees on the document page why it has not left yet
        note_not_sent(outbound.delivery_id, f"{NOT_SENT_YET} {reason}")


def resend(outbound_ids: list[int]) -> int:
    """Queue failed messages again (after the administrator fixed the peer); returns how many."""
    from eoffice.outgoing.models import Delivery, DeliveryStatus
    from eoffice.outgoing.services import note_not_sent

    count = 0
    for outbound in OutboundMessage.objects.filter(pk__in=outbound_ids, state=OutboundState.FAILED):
        OutboundMessage.objects.filter(pk=outbound.pk).update(state=OutboundState.PENDING, last_error="")
        if outbound.delivery_id and outbound.kind == OutboundKind.MESSAGE and Delivery.objects.filter(
                pk=outbound.delivery_id, status=DeliveryStatus.QUEUED_EXTERNAL, reason__startswith=NOT_SENT_YET).exists():
            note_not_sent(outbound.delivery_id, "")
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
