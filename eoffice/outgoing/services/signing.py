"""The leader's signature: :func:`sign` with the key store, or :func:`prepare_two_step` +
:func:`complete_two_step` with the official's token through the signing agent. A delegate approves for the absent
leader but signs with their own key and name (recorded as on behalf)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from eoffice.audit.services import record
from eoffice.documents.services import store_file
from eoffice.orgs.models import Person

from .. import policy
from ..models import Opinion, OutgoingDocument, Status, Step, TwoStepSession, VersionKind
from ..process import driver as process_driver
from ._common import _add_readers, _error, _lock, _new_version, _not_your_task, clerks_of, position_of


def _signing_input(document: OutgoingDocument) -> bytes:
    latest = document.versions.filter(kind=VersionKind.FIELDS).order_by("-seq").first()
    if latest is None or latest.file_id != document.current_file_id:
        raise _error("Dự thảo chưa được chuẩn bị để ký (thiếu ô số, ngày).", "not_prepared", 409)
    return latest.file.read()


def _start_signing(document: OutgoingDocument, person: Person) -> tuple[OutgoingDocument, Person | None]:
    flow = process_driver()

    document = _lock(document)
    if document.status != Status.TO_SIGN:
        raise _error("Văn bản không ở bước chờ ký.", "wrong_state", 409)
    flow.open_task(document, "sign")
    allowed, behalf = policy.may_sign(person, document)
    if not allowed:
        raise _not_your_task()
    return document, behalf


def _finish_signing(document: OutgoingDocument, person: Person, behalf: Person | None, signed: bytes,
                    field_name: str, request) -> OutgoingDocument:
    flow = process_driver()

    stored = store_file(signed, name=f"van-ban-{document.pk}-da-ky.pdf")
    _new_version(document, VersionKind.SIGNED, stored, person)
    Opinion.objects.create(document=document, step=Step.SIGN, person=person, on_behalf_of=behalf, approved=True)
    document.status = Status.SIGNED
    document.signed_at = timezone.now()
    document.signed_by = person
    document.person_field = field_name
    document.save(update_fields=["status", "signed_at", "signed_by", "person_field", "updated_at"])
    _add_readers(document, person, *clerks_of(document.agency))
    flow.complete(document, "sign", person)
    record("outgoing.signed", actor=person, obj=document, request=request, on_behalf_of=behalf,
           data={"sha256": stored.sha256, "field": field_name})
    return document


def _signer_name_position(document: OutgoingDocument, person: Person) -> tuple[str, str]:
    if person.pk == document.signer_id:
        return person.get_full_name(), position_of(document)
    return person.get_full_name(), str(person.position) if person.position_id else position_of(document)


def _signature_block(document: OutgoingDocument, pdf: bytes):
    """The block printed for the intended signer (a delegate signs there too, under their own name)."""
    from signing.appearance import find_signature_block

    return find_signature_block(pdf, name=document.signer.get_full_name(), position=position_of(document))


def sign(document: OutgoingDocument, person: Person, *, request=None) -> OutgoingDocument:
    """The leader approves and signs with their key store (:func:`eoffice.documents.keyring.person_key_source`)."""
    from eoffice.documents.keyring import person_key_source
    from signing.appearance import LayoutError
    from signing.images import signature_image
    from signing.keys import KeyStoreError
    from signing.ltv import get_timestamper
    from signing.pades import apply_plan, plan_person_signature

    with transaction.atomic():
        document, behalf = _start_signing(document, person)
        pdf = _signing_input(document)
        name, position = _signer_name_position(document, person)
        try:
            source = person_key_source(person)
            plan = plan_person_signature(pdf, name=name, position=position, signature_image=signature_image(name),
                                         block=_signature_block(document, pdf))
            signed = apply_plan(pdf, plan, source, timestamper=get_timestamper())
        except KeyStoreError as exc:
            raise _error(str(exc), "no_key", 409) from exc
        except LayoutError as exc:
            raise _error(f"Không đặt được chữ ký: {exc}", "layout") from exc
        return _finish_signing(document, person, behalf, signed, plan.metadata.field_name, request)


def prepare_two_step(document: OutgoingDocument, person: Person, chain: Sequence[bytes], *,
                     request=None) -> tuple[TwoStepSession, Any]:
    """Prepare the leader's signature for their token: returns the session and the agent's request body."""
    from signing import twostep
    from signing.appearance import LayoutError
    from signing.images import signature_image
    from signing.ltv import get_timestamper

    with transaction.atomic():
        document, _behalf = _start_signing(document, person)
        pdf = _signing_input(document)
        name, position = _signer_name_position(document, person)
        chain = _complete_chain(chain)
        try:
            # B-T when a TSA is configured (or the development one runs): the timestamp is fetched on completion.
            prepared = twostep.prepare(pdf, chain=list(chain), name=name, position=position,
                                       signature_image=signature_image(name), block=_signature_block(document, pdf),
                                       timestamper=get_timestamper())
        except (LayoutError, twostep.TwoStepError, ValueError) as exc:
            raise _error(f"Không chuẩn bị được chữ ký: {exc}", "prepare_failed") from exc
        session = TwoStepSession.objects.create(document=document, person=person, state=prepared.state,
                                                field_name=prepared.field_name)
        record("outgoing.two_step_prepared", actor=person, obj=document, request=request,
               data={"certificate": prepared.certificate_fingerprint})
    return session, prepared


def _complete_chain(chain: Sequence[bytes]) -> list:
    """The signer's certificate as the agent lists it, followed by its issuers (the deployment's CA chain)."""
    chain = list(chain)
    if len(chain) == 1:
        from signing.keyring import ca_chain

        chain.extend(ca_chain())  # SIGNING_CA_CHAIN in production, the development intermediate otherwise
    return chain


def complete_two_step(document: OutgoingDocument, person: Person, session_id: int, signature_value: bytes, *,
                      request=None) -> OutgoingDocument:
    """Embed the token's signature value; the finished document is validated before it is kept."""
    from pyhanko_certvalidator import ValidationContext

    from signing import twostep
    from signing.validation import default_trust_roots

    with transaction.atomic():
        document, behalf = _start_signing(document, person)
        session = TwoStepSession.objects.select_for_update().filter(
            pk=session_id, document=document, person=person, completed_at__isnull=True).first()
        if session is None:
            raise _error("Phiên ký không còn hiệu lực, hãy ký lại.", "no_session", 409)
        context = ValidationContext(trust_roots=default_trust_roots(), allow_fetching=False,
                                    revocation_mode="soft-fail")
        try:
            signed = twostep.complete(session.state, signature_value, validation_context=context)
        except twostep.TwoStepError as exc:
            raise _error(str(exc), "signature_rejected") from exc
        session.completed_at = timezone.now()
        session.save(update_fields=["completed_at"])
        return _finish_signing(document, person, behalf, signed, session.field_name, request)
