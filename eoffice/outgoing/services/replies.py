"""The outgoing side of a reply: :func:`start_reply_draft`, the draft answering an incoming document."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from eoffice.audit.services import record
from eoffice.documents.models import Confidentiality, DocumentType, Urgency, is_secret
from eoffice.orgs.models import Agency, Person, RoleCode

from ..models import Delivery, DeliveryKind, OutgoingDocument
from ._common import SOURCE, _add_readers, _error
from .drafting import check_secret_recipients


def _sender_in_deployment(incoming_document: Any) -> Person | None:
    """The person who signed ``incoming_document`` when it came from an agency of this deployment (its receipt
    points at one of our deliveries), if that person is still active; else None. Never guessed from a name."""
    receipt = getattr(incoming_document, "receipt", None)
    if receipt is None or getattr(receipt, "source", None) != SOURCE or not str(receipt.source_ref).isdigit():
        return None
    delivery = Delivery.objects.select_related("document__signed_by", "document__signer").filter(
        pk=int(receipt.source_ref)).first()
    if delivery is None:
        return None
    sender = delivery.document.signed_by or delivery.document.signer
    if not sender.is_active or sender.agency_id != delivery.document.agency_id:
        return None
    return sender


def start_reply_draft(incoming_document: Any, person: Person) -> OutgoingDocument:
    """A draft answering ``incoming_document`` (called by the incoming flow when a specialist drafts a reply).

    The draft has no file yet: the specialist uploads it. It is signed by default by the agency's head. An ordinary
    reply is addressed to the incoming document's issuer when that agency is in this deployment.

    A secret reply (it keeps the incoming document's confidentiality) is never addressed to a whole agency: it
    must reach only named people (:func:`check_secret_recipients`). Decision: when the incoming document came from
    an agency of this deployment, the reply is addressed by name to the person who signed it there (found through
    our own delivery record, never guessed from the printed name), and the delivery to that agency only carries
    it to that person. Otherwise (paper, e-mail, interconnection, the signer no longer active) the draft starts
    with no recipient and the drafter names the people (:func:`set_recipients`); it cannot be submitted before.
    """
    if person.agency_id is None or person.unit_id is None:
        raise _error("Người soạn thảo phải thuộc một đơn vị của cơ quan.", "no_unit", 403)
    cong_van = DocumentType.objects.filter(code="cong-van").first()
    if cong_van is None:
        raise _error("Chưa có loại văn bản công văn trong danh mục.", "no_type", 409)
    signer = (Person.objects.filter(agency_id=person.agency_id, roles__code=RoleCode.LEADER, is_active=True)
              .order_by("pk").first())
    if signer is None:
        raise _error("Cơ quan chưa có lãnh đạo để ký văn bản trả lời.", "no_signer", 409)
    label = str(getattr(incoming_document, "number_notation", "") or incoming_document)
    confidentiality = getattr(incoming_document, "confidentiality", Confidentiality.NORMAL) or Confidentiality.NORMAL
    issuer = None
    for attr in ("issuer_agency", "issuing_agency", "issuer"):
        value = getattr(incoming_document, attr, None)
        if isinstance(value, Agency):
            issuer = value
            break
    named: list[Person] = []
    if is_secret(confidentiality):
        sender = _sender_in_deployment(incoming_document)
        if sender is not None and sender.agency_id != person.agency_id:
            named = [sender]
        recipients = [sender.agency] if named else []
    else:
        recipients = [issuer] if issuer is not None and issuer.pk != person.agency_id else []
    with transaction.atomic():
        document = OutgoingDocument.objects.create(
            agency_id=person.agency_id, drafting_unit_id=person.unit_id, drafter=person, document_type=cong_van,
            summary=f"Trả lời văn bản {label}"[:500], signer=signer, keeper_unit_id=person.unit_id,
            answers_incoming_id=getattr(incoming_document, "pk", None), answers_label=label[:255],
            urgency=getattr(incoming_document, "urgency", Urgency.NORMAL) or Urgency.NORMAL,
            confidentiality=confidentiality,
        )
        document.recipient_people.set(named)
        _add_readers(document, person, signer)
        for target in recipients:
            Delivery.objects.create(document=document, kind=DeliveryKind.AGENCY, agency=target)
        if named:
            check_secret_recipients(document)
        record("outgoing.reply_draft_created", actor=person, obj=document,
               data={"answers": label, "named": [p.pk for p in named]})
    return document
