"""Outgoing permissions that leaked work to people who may not do it: the replacement draft of a released document
(only those who may draft for it), and a delegation on a secret document counts only where the delegator is named on it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from eoffice.audit.models import AuditRecord
from eoffice.core.errors import DomainError
from eoffice.orgs.models import Delegation, RoleCode
from eoffice.outgoing import policy, services
from eoffice.outgoing.models import OutgoingDocument, Status
from tests.factories import make_draft, make_office, make_person


@pytest.fixture
def office(db):
    return make_office()


@pytest.fixture
def released(office):
    """A document drafted by the specialist, signed by the leader, released to another unit of the agency (the
    release itself is the flow's business, tested elsewhere: here only who may replace it matters)."""
    document = make_draft(office.specialist, office.leader, recipient_units=[office.vp])
    OutgoingDocument.objects.filter(pk=document.pk).update(status=Status.RELEASED, notation="12/STP-PBGDPL")
    document.refresh_from_db()
    return document


def _replacements(document):
    return OutgoingDocument.objects.filter(replaces=document)


def test_only_the_drafter_the_drafting_units_head_and_the_signer_may_draft_the_replacement(office, released):
    deputy = make_person(office.agency, RoleCode.DEPUTY_LEADER)
    for person in (office.specialist, office.head, office.leader):
        assert policy.may_replace(person, released), person
    for person in (office.clerk, office.archivist, office.bystander, deputy, office.outsider_leader):
        assert not policy.may_replace(person, released), person
        with pytest.raises(DomainError) as err:
            services.create_replacement(released, person, summary="Thay thế")
        assert err.value.code == "permission_denied" and err.value.status_code == 403
    assert not _replacements(released).exists()


def test_the_api_refuses_the_replacement_to_the_clerk_and_makes_it_for_the_drafter(office, released, client):
    client.force_login(office.clerk)  # sees every document of the agency, drafts for none of them
    url = f"/api/v1/outgoing-documents/{released.pk}/replace/"
    refused = client.post(url, {"summary": "Thay thế"}, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"
    assert not _replacements(released).exists()
    client.force_login(office.specialist)
    made = client.post(url, {"summary": "Thay thế"}, content_type="application/json")
    assert made.status_code == 201 and made.json()["replaces"] == released.pk
    assert AuditRecord.objects.filter(action="outgoing.draft_created", object_id=str(made.json()["id"])).exists()


def test_the_page_offers_and_makes_the_replacement_only_for_those_who_may_draft_for_it(office, released, client):
    page = reverse("outgoing-detail", args=[released.pk])
    act = reverse("outgoing-act", args=[released.pk, "replace"])
    client.force_login(office.clerk)
    assert 'data-action="replace"' not in client.get(page).content.decode()
    response = client.post(act, {"summary": "Thay thế"}, follow=True)
    assert "Chỉ người soạn thảo, lãnh đạo đơn vị soạn thảo hoặc người ký" in response.content.decode()
    assert not _replacements(released).exists()
    client.force_login(office.head)
    assert 'data-action="replace"' in client.get(page).content.decode()
    response = client.post(act, {"summary": "Thay thế"})
    new = _replacements(released).get()
    assert response.status_code == 302 and response["Location"] == reverse("outgoing-detail", args=[new.pk])


# ------------------------------------------------------------------------------------------------ delegation
def test_a_delegate_signs_a_secret_draft_for_the_leader_named_on_it_and_sees_no_other_secret(office, client):
    deputy = make_person(office.agency, RoleCode.DEPUTY_LEADER)
    other_leader = make_person(office.agency, RoleCode.LEADER)
    now = timezone.now()
    Delegation.objects.create(delegator=office.leader, delegate=deputy, starts_at=now - dt.timedelta(hours=1),
                              ends_at=now + dt.timedelta(days=1))
    ordinary = make_draft(office.specialist, office.leader, reviewer=office.head)
    secret = make_draft(office.specialist, office.leader, reviewer=office.head, confidentiality="mat",
                        recipient_people=[office.bystander])
    not_theirs = make_draft(office.specialist, other_leader, reviewer=office.head, confidentiality="mat",
                            recipient_people=[office.bystander], summary="V/v công tác mật khác")
    assert ordinary.status == secret.status == not_theirs.status == Status.TO_SIGN
    assert policy.may_sign(deputy, ordinary) == (True, office.leader)
    # The leader signs the secret draft, so is named on it: the delegation counts there.
    assert policy.may_sign(deputy, secret) == (True, office.leader)
    waiting = set(services.waiting_for(deputy).values_list("pk", flat=True))
    assert {ordinary.pk, secret.pk} <= waiting and not_theirs.pk not in waiting
    client.force_login(deputy)
    assert client.get(reverse("outgoing-detail", args=[secret.pk])).status_code == 200
    assert client.get(reverse("outgoing-detail", args=[not_theirs.pk])).status_code == 404
    with pytest.raises(DomainError):
        services.sign(not_theirs, deputy)


def test_the_admin_lists_outgoing_documents_as_visible_to_shows_them(office, client):
    from django.contrib.auth.models import Permission

    secret = make_draft(office.specialist, office.leader, "V/v phương án mật", confidentiality="mat",
                        recipient_people=[office.bystander])
    staff = make_person(office.agency, RoleCode.CLERK, unit=office.vp, is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(codename="view_outgoingdocument"))
    client.force_login(staff)  # a clerk of the agency, not named on the secret draft
    listing = client.get("/quan-tri/outgoing/outgoingdocument/")
    assert listing.status_code == 200 and "V/v phương án mật" not in listing.content.decode()
    assert client.get(f"/quan-tri/outgoing/outgoingdocument/{secret.pk}/change/").status_code in (302, 404)
