"""Recall and replacement: :func:`recall` reaches every recipient (:func:`recall_delivery`, run by the Celery
task ``interchange.outgoing_recall``); :func:`create_replacement` drafts a document that, once released,
supersedes the old one everywhere (:func:`_supersede`)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from eoffice.audit.services import record
from eoffice.orgs.models import Person, RoleCode

from .. import policy
from ..models import Delivery, DeliveryEvent, DeliveryKind, DeliveryStatus, OutgoingDocument, Status
from ._common import SOURCE, _enqueue, _error, _lock
from .drafting import create_draft
from .inputs import DraftInput, ExternalRecipient, RecallInput, ReplacementInput, coerce


def recall(document: OutgoingDocument, person: Person, recall_input: RecallInput | None = None, *, request=None,
           _superseded_by: OutgoingDocument | None = None, **fields: Any) -> OutgoingDocument:
    """Recall a released document from every recipient (leaders or clerks of the issuing agency)."""
    reason = (coerce(RecallInput, recall_input, fields).reason or "").strip()
    if not reason:
        raise _error("Thu hồi văn bản cần ghi lý do.", "reason_required")
    if person.agency_id != document.agency_id or not person.has_role(RoleCode.CLERK, RoleCode.LEADER,
                                                                      RoleCode.DEPUTY_LEADER):
        raise _error("Chỉ lãnh đạo hoặc văn thư cơ quan ban hành được thu hồi văn bản.", "permission_denied", 403)
    with transaction.atomic():
        document = _lock(document)
        if document.status != Status.RELEASED:
            raise _error("Chỉ thu hồi được văn bản đã phát hành.", "wrong_state", 409)
        now = timezone.now()
        document.status = Status.SUPERSEDED if _superseded_by else Status.RECALLED
        document.recalled_at = now
        document.recall_reason = reason
        document.save(update_fields=["status", "recalled_at", "recall_reason", "updated_at"])
        to_recall = []
        for delivery in document.deliveries.select_for_update():
            if delivery.kind == DeliveryKind.AGENCY:
                to_recall.append(delivery.pk)
            delivery.status = DeliveryStatus.RECALLING
            delivery.reason = reason
            delivery.save(update_fields=["status", "reason", "updated_at"])
            DeliveryEvent.objects.create(delivery=delivery, status=DeliveryStatus.RECALLING, reason=reason, at=now)
        record("outgoing.superseded" if _superseded_by else "outgoing.recalled", actor=person, obj=document,
               request=request, data={"reason": reason,
                                      "replaced_by": _superseded_by.notation if _superseded_by else None})
        for pk in to_recall:
            _enqueue("interchange.outgoing_recall", pk, reason)
    return document


def recall_delivery(delivery_id: int, reason: str) -> None:
    """Tell one recipient agency the document is recalled (task ``interchange.outgoing_recall``; idempotent)."""
    from eoffice.incoming import services as incoming

    delivery = Delivery.objects.get(pk=delivery_id)
    incoming.recall_receipt(SOURCE, delivery.source_ref, reason=reason)


def create_replacement(document: OutgoingDocument, person: Person, replacement: ReplacementInput | None = None, *,
                       request=None, **fields: Any) -> OutgoingDocument:
    """A new draft that, once released, supersedes ``document`` everywhere (recalled at every recipient, with a
    link both ways). Everything but the summary (kept when empty) and the file comes from the old document. Only
    those who may draft for it (``policy.may_draft_for``: its drafter, the drafting unit's head, its signer)."""
    replacement = coerce(ReplacementInput, replacement, fields)
    if not policy.may_draft_for(person, document):
        raise _error("Chỉ người soạn thảo, lãnh đạo đơn vị soạn thảo hoặc người ký văn bản mới được soạn văn bản "
                     "thay thế.", "permission_denied", 403)
    if document.status != Status.RELEASED:
        raise _error("Chỉ thay thế được văn bản đã phát hành.", "wrong_state", 409)
    if OutgoingDocument.objects.filter(replaces=document).exists():
        raise _error("Văn bản này đã có văn bản thay thế.", "already_replaced", 409)
    agencies = ([] if document.is_secret
                else [d.agency for d in document.deliveries.filter(kind=DeliveryKind.AGENCY)])
    draft = DraftInput(
        document_type=document.document_type, summary=(replacement.summary or "").strip() or document.summary,
        signer=document.signer, signer_capacity=document.signer_capacity,
        signer_position=document.signer_position, urgency=document.urgency,
        confidentiality=document.confidentiality, recipient_units=tuple(document.recipient_units.all()),
        recipient_people=tuple(document.recipient_people.all()), recipient_agencies=tuple(agencies),
        external_recipients=tuple(ExternalRecipient(d.external_code, d.external_name)
                                  for d in document.deliveries.filter(kind=DeliveryKind.EXTERNAL)),
        file=replacement.file, replaces=document,
    )
    return create_draft(person, draft, request=request)


def _supersede(old: OutgoingDocument, new: OutgoingDocument, person: Person) -> None:
    if old.status == Status.RELEASED:
        recall(old, person, RecallInput(reason=f"Được thay thế bởi văn bản số {new.notation}"),
               _superseded_by=new)
    else:
        old.status = Status.SUPERSEDED
        old.save(update_fields=["status", "updated_at"])
