"""Confidentiality on the outgoing side: a secret document reaches only the people named on it.

Every step that moves a secret document towards its recipients re-checks them on the stored document (not only the
form at creation): a recipient that is a whole unit, a whole agency or the interconnection is refused with the same
coded error, before a number is taken or anything is sent. A reply to a secret incoming document is addressed by
name, never to the issuing agency as a whole.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from eoffice.core.errors import DomainError
from eoffice.documents.models import Confidentiality, NumberSeries
from eoffice.incoming import services as incoming
from eoffice.incoming.models import IncomingDocument, Receipt, ReceiptStatus
from eoffice.orgs.scoping import visible_to
from eoffice.outgoing import services
from eoffice.outgoing.models import Delivery, DeliveryKind, DeliveryStatus, OutgoingDocument, Status

from .conftest import draft_pdf, person


def client_for(someone) -> APIClient:
    client = APIClient()
    client.force_authenticate(someone)
    return client


def signed_secret(p, *, named, summary: str = "Về việc bảo vệ bí mật nhà nước") -> OutgoingDocument:
    document = services.create_draft(
        p.specialist, document_type=p.type("cong-van"), summary=summary, signer=p.director,
        file=("mat.pdf", draft_pdf(p.director)), confidentiality=Confidentiality.SECRET, recipient_people=named,
    )
    services.submit(document, p.specialist)
    services.review(document, p.unit_head, approve=True)
    return services.sign(document, p.director)


def released(p, document: OutgoingDocument) -> OutgoingDocument:
    services.issue(document, p.clerk)
    services.release(document, p.clerk)
    # What the ``interchange.outgoing_deliver`` task runs for each delivery (on commit, in a worker).
    for delivery in document.deliveries.all():
        services.deliver(delivery.pk)
    document.refresh_from_db()
    return document


def secret_numbers_taken(p) -> int:
    series = NumberSeries.objects.filter(agency=p.stp, direction="outgoing", code="di-mat").first()
    return series.last_number if series is not None else 0


def sees_outgoing(someone, document: OutgoingDocument) -> bool:
    return visible_to(OutgoingDocument, someone).filter(pk=document.pk).exists()


@pytest.mark.django_db
def test_secret_document_to_named_people_of_another_agency_reaches_only_them(keys, client):
    p = keys
    named_clerk, named_specialist = p.district_clerk, person("chuyenvien.dongson")
    others = [person(u) for u in ("chutich.dongson", "phochutich.dongson", "truongphong.dongson",
                                  "chanhvanphong.dongson", "luutru.dongson")]
    document = released(p, signed_secret(p, named=[named_clerk, named_specialist]))

    # One delivery, to the agency of the named people only as the channel to them; the receipt names them.
    [delivery] = document.deliveries.all()
    assert (delivery.kind, delivery.agency) == (DeliveryKind.AGENCY, p.dongson)
    receipt = Receipt.objects.get(source=services.SOURCE, source_ref=delivery.source_ref)
    assert receipt.agency == p.dongson and receipt.confidentiality == Confidentiality.SECRET
    assert set(receipt.named_recipients.all()) == {named_clerk, named_specialist}
    # No other agency received anything.
    assert not Receipt.objects.exclude(pk=receipt.pk).filter(number_notation=document.notation).exists()

    # The sending agency's own document: nobody of the district sees it, through the pages or the API.
    for someone in [named_clerk, named_specialist, *others]:
        assert not sees_outgoing(someone, document)
        client.force_login(someone)
        # 404, or 403 for a role without the outgoing module (the archivist)
        assert client.get(reverse("outgoing-detail", args=[document.pk])).status_code in (403, 404)
        assert client.get(reverse("outgoing-file", args=[document.pk])).status_code in (403, 404)
        api = client_for(someone)
        assert api.get(f"/api/v1/outgoing-documents/{document.pk}/").status_code == 404
        assert document.pk not in [d["id"] for d in api.get("/api/v1/outgoing-documents/").json()["results"]]

    # In the district, the named clerk finds it in the receipt queue (page and API) to register it.
    client.force_login(named_clerk)
    assert client.get(reverse("incoming:receipt", args=[receipt.pk])).status_code == 200
    assert client_for(named_clerk).get(f"/api/v1/incoming-receipts/{receipt.pk}/").status_code == 200


@pytest.mark.django_db
def test_leaders_of_the_recipient_agency_not_named_cannot_see_the_secret_receipt(keys, client):
    p = keys
    document = released(p, signed_secret(p, named=[p.district_clerk]))
    receipt = Receipt.objects.get(source=services.SOURCE, source_ref=document.deliveries.get().source_ref)
    for username in ("chutich.dongson", "phochutich.dongson"):
        leader = person(username)
        assert not visible_to(Receipt, leader).filter(pk=receipt.pk).exists()
        client.force_login(leader)
        assert client.get(reverse("incoming:receipt", args=[receipt.pk])).status_code == 404
        assert client_for(leader).get(f"/api/v1/incoming-receipts/{receipt.pk}/").status_code == 404


@pytest.mark.django_db
def test_release_of_a_secret_document_with_a_whole_agency_as_recipient_is_refused_and_sends_nothing(keys):
    p = keys
    document = signed_secret(p, named=[p.specialist2])
    services.issue(document, p.clerk)
    numbers = secret_numbers_taken(p)
    # Old data: an agency-wide delivery where nobody is named (as the old reply drafts made).
    Delivery.objects.create(document=document, kind=DeliveryKind.AGENCY, agency=p.dongson)

    with pytest.raises(DomainError) as refused:
        services.release(document, p.clerk)
    assert refused.value.code == "secret_named_only"
    assert "chỉ gửi cho cá nhân có tên" in refused.value.message
    document.refresh_from_db()
    assert document.status == Status.ISSUED and document.released_at is None
    assert not Receipt.objects.filter(agency=p.dongson).exists()
    assert set(document.deliveries.values_list("status", flat=True)) == {DeliveryStatus.PLANNED}
    assert secret_numbers_taken(p) == numbers

    # Through the API: the same structured error.
    response = client_for(p.clerk).post(f"/api/v1/outgoing-documents/{document.pk}/release/")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "secret_named_only"


@pytest.mark.django_db
def test_issuing_a_secret_document_with_a_non_named_recipient_is_refused_before_a_number_is_taken(keys):
    p = keys
    document = signed_secret(p, named=[p.specialist2])
    sealed_before = document.versions.count()
    numbers = secret_numbers_taken(p)
    Delivery.objects.create(document=document, kind=DeliveryKind.AGENCY, agency=p.dongson)

    with pytest.raises(DomainError) as refused:
        services.issue(document, p.clerk)
    assert refused.value.code == "secret_named_only"
    document.refresh_from_db()
    assert document.status == Status.SIGNED and document.number is None and document.notation == ""
    assert document.versions.count() == sealed_before  # nothing numbered, nothing sealed
    assert secret_numbers_taken(p) == numbers

    # A recipient unit or an interconnection recipient injected the same way is refused too.
    Delivery.objects.filter(document=document).delete()
    document.recipient_units.add(p.vp)
    with pytest.raises(DomainError) as unit:
        services.issue(document, p.clerk)
    assert unit.value.code == "secret_named_only"
    document.recipient_units.clear()
    Delivery.objects.create(document=document, kind=DeliveryKind.EXTERNAL, external_code="000.00.00.G22",
                            external_name="Bộ Tư pháp")
    with pytest.raises(DomainError) as external:
        services.issue(document, p.clerk)
    assert external.value.code == "secret_external"
    assert secret_numbers_taken(p) == numbers

    # Once the injected recipient is gone, the clerk issues it with the first number of the secret series.
    Delivery.objects.filter(document=document).delete()
    assert services.issue(document, p.clerk).number == numbers + 1


@pytest.mark.django_db
def test_a_delivery_task_never_hands_a_secret_document_to_an_agency_where_nobody_is_named(keys):
    p = keys
    document = signed_secret(p, named=[p.district_clerk])
    services.issue(document, p.clerk)
    services.release(document, p.clerk)
    # Injected after release (old data), before the task runs.
    stray = Delivery.objects.create(document=document, kind=DeliveryKind.AGENCY, agency=person("vanthu.tinh").agency,
                                    status=DeliveryStatus.SENDING)
    services.deliver(stray.pk)
    stray.refresh_from_db()
    assert stray.status == DeliveryStatus.REFUSED and "cá nhân có tên" in stray.reason
    assert not Receipt.objects.filter(agency=stray.agency).exists()
    # The named person's delivery goes through.
    services.deliver(document.deliveries.get(agency=p.dongson).pk)
    assert Receipt.objects.filter(agency=p.dongson, status=ReceiptStatus.WAITING).count() == 1


def registered_secret_incoming(p) -> tuple[OutgoingDocument, IncomingDocument]:
    """A secret dispatch of the Sở Tư pháp, signed by the director, received and registered in Đông Sơn."""
    sent = released(p, signed_secret(p, named=[p.district_clerk, person("chuyenvien.dongson")]))
    receipt = Receipt.objects.get(source=services.SOURCE, source_ref=sent.deliveries.get().source_ref)
    document = incoming.register_incoming(p.district_clerk, receipt=receipt, present_to=person("chutich.dongson"))
    return sent, document


@pytest.mark.django_db
def test_reply_to_a_secret_document_from_this_deployment_is_addressed_to_its_signer_by_name(keys):
    p = keys
    sent, received = registered_secret_incoming(p)
    drafter = person("chuyenvien.dongson")
    reply = services.start_reply_draft(received, drafter)

    assert reply.confidentiality == Confidentiality.SECRET
    assert list(reply.recipient_people.all()) == [p.director]  # who signed the dispatch it answers
    assert not reply.recipient_units.exists()
    # The only delivery goes to the agency of the named person, as the channel to them.
    assert [(d.kind, d.agency) for d in reply.deliveries.all()] == [(DeliveryKind.AGENCY, p.stp)]
    services.check_secret_recipients(reply)  # passes the rule release applies
    # Nobody of the Sở Tư pháp sees the district's draft; in the district, not the leaders who are not named.
    assert not sees_outgoing(p.director, reply) and not sees_outgoing(p.clerk, reply)
    assert sees_outgoing(drafter, reply)
    assert not sees_outgoing(person("phochutich.dongson"), reply)


@pytest.mark.django_db
def test_reply_to_a_secret_document_from_outside_has_no_recipient_until_the_drafter_names_people(keys):
    p = keys
    # A secret document registered from paper: no trace of who in the issuing agency sent it.
    from eoffice.incoming.services import ReceiptMetadata
    from tests.fixtures_pki import make_sample_pdf

    received = incoming.register_incoming(
        p.district_clerk, files=[("mat.pdf", make_sample_pdf(("Văn bản mật",)))], channel="paper",
        present_to=person("chutich.dongson"),
        metadata=ReceiptMetadata(issuer_name=p.stp.name, issuer_agency=p.stp, number_notation="07/STP-VP",
                                 issued_on=date(2026, 3, 2), summary="Về việc bảo mật",
                                 signer_name=p.director.get_full_name(), confidentiality=Confidentiality.SECRET),
        named_people=[person("chuyenvien.dongson")],
    )
    drafter = person("chuyenvien.dongson")
    reply = services.start_reply_draft(received, drafter)
    assert reply.confidentiality == Confidentiality.SECRET
    # Never the issuing agency as a whole, and no person guessed from the printed signer's name.
    assert not reply.deliveries.exists() and not reply.recipient_people.exists()
    services.add_version(reply, drafter, "tra-loi.pdf", draft_pdf(p.director))
    with pytest.raises(DomainError) as unnamed:
        services.submit(reply, drafter)
    assert unnamed.value.code == "no_recipient"

    # The drafter may not name the agency (the API refuses it the same way), but names a person there.
    refused = client_for(drafter).post(f"/api/v1/outgoing-documents/{reply.pk}/recipients/",
                                       {"recipient_agencies": [p.stp.pk]}, format="json")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "secret_named_only"
    named = client_for(drafter).post(f"/api/v1/outgoing-documents/{reply.pk}/recipients/",
                                     {"recipient_people": [p.director.pk]}, format="json")
    assert named.status_code == 200, named.content
    assert named.json()["recipient_people"] == [p.director.pk]
    assert [(d.kind, d.agency) for d in reply.deliveries.all()] == [(DeliveryKind.AGENCY, p.stp)]


@pytest.mark.django_db
def test_an_ordinary_reply_is_still_addressed_to_the_issuing_agency(keys):
    from types import SimpleNamespace

    p = keys
    incoming_document = SimpleNamespace(pk=7, number_notation="15/UBND-VP", issuer_agency=p.dongson,
                                        urgency="thuong", confidentiality="thuong")
    draft = services.start_reply_draft(incoming_document, p.specialist)
    assert [(d.kind, d.agency) for d in draft.deliveries.all()] == [(DeliveryKind.AGENCY, p.dongson)]
