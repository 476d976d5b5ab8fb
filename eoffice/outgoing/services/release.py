"""Release and delivery: :func:`release` to every recipient at once (units and people of the agency see it,
agencies of this deployment get it in their receipt queue through :func:`deliver`, run by the Celery task
``interchange.outgoing_deliver`` and idempotent on the delivery id; external agencies are queued for the edXML
transport), and :func:`record_recipient_status`, what the recipients answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from eoffice.audit.services import record
from eoffice.documents.models import Channel
from eoffice.orgs.models import Person

from ..models import Delivery, DeliveryEvent, DeliveryKind, DeliveryStatus, OutgoingDocument, Status
from ..process import driver as process_driver
from ._common import SOURCE, _enqueue, _error, _lock, position_of
from .drafting import SECRET_NAMED_ONLY, check_secret_recipients
from .issuing import _require_clerk
from .recall import _supersede


def release(document: OutgoingDocument, person: Person, *, case_file: Any = None, request=None) -> OutgoingDocument:
    """Release to every recipient at once (see the module docstring). With ``case_file`` the document is filed
    into that file (hồ sơ) in the same transaction: a refused filing releases nothing."""
    flow = process_driver()

    _require_clerk(person, document)
    with transaction.atomic():
        document = _lock(document)
        if document.status != Status.ISSUED:
            raise _error("Văn bản chưa được cấp số, đóng dấu, hoặc đã phát hành.", "wrong_state", 409)
        flow.open_task(document, "release")
        check_secret_recipients(document)  # nothing is sent, the document stays issued
        now = timezone.now()
        document.status = Status.RELEASED
        document.released_at = now
        document.save(update_fields=["status", "released_at", "updated_at"])
        to_send = []
        for delivery in document.deliveries.select_for_update():
            if delivery.kind == DeliveryKind.AGENCY:
                delivery.status = DeliveryStatus.SENDING
                to_send.append(delivery.pk)
            else:
                delivery.status = DeliveryStatus.QUEUED_EXTERNAL
            delivery.sent_at = now
            delivery.save(update_fields=["status", "sent_at", "updated_at"])
            DeliveryEvent.objects.create(delivery=delivery, status=delivery.status, at=now)
        if document.replaces_id:
            _supersede(document.replaces, document, person)
        flow.complete(document, "release", person)
        record("outgoing.released", actor=person, obj=document, request=request,
               data={"deliveries": len(to_send)})
        _link_reply(document)
        if case_file is not None:
            from eoffice.archive.services import ArchiveError, file_document

            try:
                file_document(person, case_file, "outgoing", document.pk, request=request)
            except ArchiveError as exc:
                raise _error(exc.message, f"file_{exc.code}", exc.status_code) from exc
        for pk in to_send:
            _enqueue("interchange.outgoing_deliver", pk)
    return document


def _link_reply(document: OutgoingDocument) -> None:
    """A released reply closes or links the incoming work it answers (the incoming side's hook)."""
    if not document.answers_incoming_id:
        return
    from eoffice.incoming import services as incoming

    incoming.reply_released(document.answers_incoming_id, document)


def _receipt_metadata(document: OutgoingDocument, delivery: Delivery):
    """What the recipient's receipt queue is told about the document (the incoming side's ``ReceiptMetadata``)."""
    from eoffice.incoming.services import ReceiptMetadata

    signer = document.signed_by or document.signer
    deliveries = document.deliveries.select_related("agency")
    recipients = [d.recipient_name for d in deliveries]
    summary = document.summary
    named = list(document.recipient_people.filter(agency_id=delivery.agency_id)) if document.is_secret else []
    replaces_ref = None
    if document.replaces_id:
        summary = f"{summary} (thay thế văn bản số {document.replaces.notation})"
        # The recipient links the new dispatch to the one it replaces (their receipt of our earlier delivery).
        earlier = document.replaces.deliveries.filter(kind=DeliveryKind.AGENCY, agency_id=delivery.agency_id).first()
        if earlier is not None:
            replaces_ref = (SOURCE, earlier.source_ref)
    return ReceiptMetadata(
        issuer_name=document.agency.name,
        issuer_agency=document.agency,
        number_notation=document.notation,
        issued_on=timezone.localtime(document.issued_at).date(),
        summary=summary,
        document_type=document.document_type,
        place_of_issue=document.agency.place_name,
        signer_name=signer.get_full_name(),
        signer_position=position_of(document) if signer.pk == document.signer_id else str(signer.position or ""),
        signer_capacity=document.capacity_line,
        recipients_text="; ".join(recipients),
        urgency=document.urgency,
        confidentiality=document.confidentiality,
        deadline=document.deadline,
        page_count=document.current_file.page_count,
        named_recipients=named,
        replaces_ref=replaces_ref,
    )


def deliver(delivery_id: int) -> Delivery:
    """Hand one delivery to the recipient agency's receipt queue (task ``interchange.outgoing_deliver``).

    Idempotent: the incoming side keys receipts on (``"internal"``, delivery id), so a retried task lands once.
    """
    from eoffice.incoming import services as incoming

    delivery = Delivery.objects.select_related("document__agency", "document__document_type", "agency").get(
        pk=delivery_id)
    document = delivery.document
    if delivery.kind != DeliveryKind.AGENCY or document.status not in (Status.RELEASED,):
        return delivery
    if document.is_secret and not document.recipient_people.filter(agency_id=delivery.agency_id).exists():
        # Last line of defence (release checks first): a secret document never lands in the receipt queue of an
        # agency where nobody is named on it. The sender sees the delivery refused, with the reason.
        _refuse_delivery(delivery, SECRET_NAMED_ONLY)
        return delivery
    pdf = document.current_file.read()
    name = f"{document.notation.replace('/', '-')}.pdf"
    incoming.receive(delivery.agency, files=[(name, pdf)], metadata=_receipt_metadata(document, delivery),
                     channel=Channel.INTERNAL, source=SOURCE, source_ref=delivery.source_ref)
    return delivery


def _refuse_delivery(delivery: Delivery, reason: str) -> None:
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.status == DeliveryStatus.REFUSED:
            return
        now = timezone.now()
        delivery.status = DeliveryStatus.REFUSED
        delivery.reason = reason
        delivery.save(update_fields=["status", "reason", "updated_at"])
        DeliveryEvent.objects.create(delivery=delivery, status=DeliveryStatus.REFUSED, reason=reason, at=now)
        record("outgoing.delivery_blocked", obj=delivery.document, agency=delivery.document.agency,
               data={"delivery": delivery.pk, "recipient": delivery.recipient_name, "reason": reason})


STATUS_MAP = {
    "arrived": DeliveryStatus.ARRIVED,
    "refused": DeliveryStatus.REFUSED,
    "accepted": DeliveryStatus.ACCEPTED,
    "assigned": DeliveryStatus.ASSIGNED,
    "done": DeliveryStatus.DONE,
    "recall_done": DeliveryStatus.RECALL_DONE,
}


_ORDER = [DeliveryStatus.SENDING, DeliveryStatus.ARRIVED, DeliveryStatus.ACCEPTED, DeliveryStatus.ASSIGNED,
          DeliveryStatus.DONE]


def record_recipient_status(source_ref: str, status: str, *, reason: str = "", at: datetime | None = None) -> None:
    """A recipient's answer (from the incoming side's ``status_changed`` signal, or later edXML status)."""
    mapped = STATUS_MAP.get(status)
    if mapped is None or not str(source_ref).isdigit():
        return
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().filter(pk=int(source_ref)).first()
        if delivery is None:
            return
        at = at or timezone.now()
        DeliveryEvent.objects.create(delivery=delivery, status=mapped, reason=reason or "", at=at)
        # Statuses can arrive out of order (signals on commit of different transactions): never step back,
        # except that a refusal or a recall answer always shows.
        current = delivery.status
        forward = (mapped not in _ORDER or current not in _ORDER or _ORDER.index(mapped) >= _ORDER.index(current))
        if current in (DeliveryStatus.RECALLING, DeliveryStatus.RECALL_DONE) and mapped != DeliveryStatus.RECALL_DONE:
            forward = False
        if forward:
            delivery.status = mapped
            delivery.reason = reason or ""
            delivery.save(update_fields=["status", "reason", "updated_at"])
        record("outgoing.recipient_status", obj=delivery.document, agency=delivery.document.agency,
               data={"delivery": delivery.pk, "recipient": delivery.recipient_name, "status": status,
                     "reason": reason})


def restore_after_declined_recall(delivery_id: int, reason: str, *, at: datetime | None = None) -> None:
    """The recipient refused a recall or an update (edXML status 16): the delivery goes back to the status it had
    before the recall, with the recipient's reason."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None:
            return
        previous = (delivery.events.exclude(status__in=[DeliveryStatus.RECALLING, DeliveryStatus.RECALL_DONE])
                    .order_by("-at", "-pk").values_list("status", flat=True).first()) or DeliveryStatus.ARRIVED
        DeliveryEvent.objects.create(delivery=delivery, status=previous, reason=reason, at=at or timezone.now())
        delivery.status = previous
        delivery.reason = reason
        delivery.save(update_fields=["status", "reason", "updated_at"])
        record("outgoing.recall_declined", obj=delivery.document, agency=delivery.document.agency,
               data={"delivery": delivery.pk, "recipient": delivery.recipient_name, "reason": reason})


def note_not_sent(delivery_id: int, reason: str) -> None:
    """The transport could not send an external delivery yet: it stays "queued" (Chờ gửi liên thông) and shows
    why on the document page. ``reason`` replaces an earlier one; empty clears it (the message is queued again)."""
    Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.QUEUED_EXTERNAL).update(
        reason=reason[:1000], updated_at=timezone.now())
