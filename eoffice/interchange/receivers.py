"""Signal receivers: the hooks between liên thông and the incoming/outgoing modules (which never import us).

- Outgoing: a ``DeliveryEvent`` "queued" (Chờ gửi liên thông) of an external delivery queues the edXML message
  (kind 0 new, or 3 replace when the document replaces one sent to the same recipient); a "recalling" event queues
  the recall (kind 1), except for a document superseded by a replacement that goes to the same recipient (the
  replace message carries the recall).
- Incoming: ``status_changed`` for receipts of source ``edxml`` sends the status message back to the sender.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from eoffice.incoming.signals import status_changed
from eoffice.outgoing.models import DeliveryEvent, DeliveryKind, DeliveryStatus

from . import mapping, services


def _replaced_to_same(delivery) -> bool:
    """The document is superseded by a replacement that also goes to this external recipient."""
    from eoffice.outgoing.models import Delivery

    return Delivery.objects.filter(document__replaces_id=delivery.document_id, kind=DeliveryKind.EXTERNAL,
                                   external_code=delivery.external_code).exists()


@receiver(post_save, sender=DeliveryEvent, dispatch_uid="interchange.delivery_event")
def on_delivery_event(sender, instance: DeliveryEvent, created: bool, **kwargs) -> None:
    if not created:
        return
    delivery = instance.delivery
    if delivery.kind != DeliveryKind.EXTERNAL:
        return
    if instance.status == DeliveryStatus.QUEUED_EXTERNAL:
        document = delivery.document
        replaces = document.replaces
        kind = mapping.NEW
        if replaces is not None and replaces.deliveries.filter(
                kind=DeliveryKind.EXTERNAL, external_code=delivery.external_code).exists():
            kind = mapping.REPLACE
        transaction.on_commit(lambda: services.queue_delivery(delivery, business_kind=kind))
    elif instance.status == DeliveryStatus.RECALLING:
        reason = instance.reason

        def queue_recall() -> None:
            if not _replaced_to_same(delivery):
                services.queue_delivery(delivery, business_kind=mapping.RECALL, reason=reason)

        transaction.on_commit(queue_recall)


@receiver(status_changed, dispatch_uid="interchange.incoming_status")
def on_status_changed(sender, source, source_ref, agency, status, reason="", at=None, **kwargs) -> None:
    if source != services.SOURCE:
        return
    services.on_incoming_status(source_ref, status, reason or "")
