"""Delegation (ủy quyền) is the delegator's own act or a leader's, made through one action (admin and API alike),
audited and told to both people; an agency administrator cannot give himself the director's work."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from eoffice.audit.models import AuditRecord
from eoffice.notifications.models import Notification
from eoffice.orgs.models import Delegation, RoleCode
from eoffice.work.delegations import DelegationError, create_delegation, revoke_delegation
from tests.factories import make_agency, make_person, make_unit


@pytest.fixture
def agency(db):
    agency = make_agency(name="Sở Tư pháp thử", abbreviation="STP")
    vp = make_unit(agency, "VP")
    admin = make_person(agency, RoleCode.ADMIN, unit=vp, is_staff=True)
    admin.user_permissions.set(Permission.objects.filter(content_type__app_label="orgs",
                                                         codename__in=["add_delegation", "view_delegation",
                                                                       "change_delegation", "delete_delegation"]))
    return type("A", (), dict(
        agency=agency, admin=admin, director=make_person(agency, RoleCode.LEADER, email="gd@example.test"),
        deputy=make_person(agency, RoleCode.DEPUTY_LEADER, email="pgd@example.test"),
        specialist=make_person(agency, RoleCode.SPECIALIST, unit=vp),
        outsider=make_person(make_agency(name="Sở khác", abbreviation="SK"), RoleCode.LEADER)))


def _period():
    now = timezone.now()
    return now - dt.timedelta(minutes=5), now + dt.timedelta(days=2)


def _admin_form(delegator, delegate):
    start, end = (timezone.localtime(t) for t in _period())
    return {"delegator": delegator.pk, "delegate": delegate.pk, "reason": "Đi công tác",
            "starts_at_0": f"{start:%Y-%m-%d}", "starts_at_1": f"{start:%H:%M:%S}",
            "ends_at_0": f"{end:%Y-%m-%d}", "ends_at_1": f"{end:%H:%M:%S}"}


def test_an_agency_administrator_cannot_make_the_directors_delegation_to_himself_in_the_admin(agency, client):
    client.force_login(agency.admin)
    response = client.post("/quan-tri/orgs/delegation/add/", _admin_form(agency.director, agency.admin))
    assert response.status_code == 200  # the form again, with the refusal
    assert "Chỉ người ủy quyền hoặc lãnh đạo cơ quan mới được lập ủy quyền." in response.content.decode()
    assert not Delegation.objects.exists()
    assert agency.director.acting_for() == [] and agency.admin.acting_for() == []


def test_nor_through_the_api(agency, client):
    start, end = _period()
    client.force_login(agency.admin)
    response = client.post("/api/v1/delegations/", {
        "delegator": agency.director.pk, "delegate": agency.admin.pk, "starts_at": start.isoformat(),
        "ends_at": end.isoformat()}, content_type="application/json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
    assert not Delegation.objects.exists()


def test_the_director_delegates_through_the_api_audited_and_both_people_told(agency, client):
    start, end = _period()
    client.force_login(agency.director)
    response = client.post("/api/v1/delegations/", {
        "delegator": agency.director.pk, "delegate": agency.deputy.pk, "starts_at": start.isoformat(),
        "ends_at": end.isoformat(), "reason": "Nghỉ phép"}, content_type="application/json")
    assert response.status_code == 201
    delegation = Delegation.objects.get()
    assert [p.pk for p in agency.deputy.acting_for()] == [agency.director.pk]
    audit = AuditRecord.objects.get(action="orgs.delegation_created")
    assert audit.actor_id == agency.director.pk and audit.object_id == str(delegation.pk)
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {agency.director.pk,
                                                                                 agency.deputy.pk}


def test_a_leader_may_make_someone_elses_delegation_and_the_delegator_is_told_who_did(agency):
    start, end = _period()
    create_delegation(agency.director, delegator=agency.deputy, delegate=agency.specialist, starts_at=start,
                      ends_at=end)
    told = Notification.objects.get(recipient=agency.deputy)
    assert agency.director.get_full_name() in told.text


def test_the_admin_makes_a_delegation_only_through_the_action_when_the_delegator_does(agency, client):
    agency.director.is_staff = True
    agency.director.save(update_fields=["is_staff"])
    agency.director.user_permissions.set(agency.admin.user_permissions.all())
    client.force_login(agency.director)
    response = client.post("/quan-tri/orgs/delegation/add/", _admin_form(agency.director, agency.deputy))
    assert response.status_code == 302
    delegation = Delegation.objects.get()
    assert AuditRecord.objects.filter(action="orgs.delegation_created", object_id=str(delegation.pk)).exists()
    assert Notification.objects.filter(recipient=agency.deputy).exists()
    # Nothing is changed or deleted in place: the change form is read-only, deleting is not offered.
    client.force_login(agency.admin)
    change = client.post(f"/quan-tri/orgs/delegation/{delegation.pk}/change/",
                         {**_admin_form(agency.director, agency.admin)})
    assert change.status_code == 403
    assert client.post(f"/quan-tri/orgs/delegation/{delegation.pk}/delete/", {"post": "yes"}).status_code == 403
    delegation.refresh_from_db()
    assert delegation.delegate_id == agency.deputy.pk


@pytest.mark.parametrize("who", ["specialist", "outsider"])
def test_nobody_else_makes_a_delegation(agency, who):
    start, end = _period()
    with pytest.raises(DelegationError) as err:
        create_delegation(getattr(agency, who), delegator=agency.director, delegate=agency.deputy, starts_at=start,
                          ends_at=end)
    assert err.value.status_code == 403


def test_a_delegation_to_another_agency_or_backwards_in_time_is_refused(agency):
    start, end = _period()
    with pytest.raises(DelegationError):
        create_delegation(agency.director, delegator=agency.director, delegate=agency.outsider, starts_at=start,
                          ends_at=end)
    with pytest.raises(DelegationError):
        create_delegation(agency.director, delegator=agency.director, delegate=agency.deputy, starts_at=end,
                          ends_at=start)
    assert not Delegation.objects.exists()


def test_revoking_is_an_audited_action_of_the_delegator_a_leader_or_the_delegate(agency, client):
    start, end = _period()
    delegation = create_delegation(agency.director, delegator=agency.director, delegate=agency.deputy,
                                   starts_at=start, ends_at=end)
    with pytest.raises(DelegationError):
        revoke_delegation(agency.admin, delegation)
    client.force_login(agency.deputy)
    assert client.post(f"/api/v1/delegations/{delegation.pk}/revoke/").status_code == 200
    assert agency.deputy.acting_for() == []
    assert AuditRecord.objects.filter(action="orgs.delegation_revoked").count() == 1


def _page_form(delegator, delegate):
    start, end = (timezone.localtime(t) for t in _period())
    return {"delegator": delegator.pk, "delegate": delegate.pk, "starts_at": f"{start:%Y-%m-%dT%H:%M}",
            "ends_at": f"{end:%Y-%m-%dT%H:%M}", "reason": "Đi công tác"}


def test_the_page_makes_ones_own_delegation_through_the_action_and_refuses_someone_elses(agency, client):
    from django.urls import reverse

    url = reverse("delegations:index")
    client.force_login(agency.admin)
    refused = client.post(url, _page_form(agency.director, agency.admin))
    assert refused.status_code == 400 and not Delegation.objects.exists()
    client.force_login(agency.director)
    assert client.post(url, _page_form(agency.director, agency.deputy)).status_code == 302
    delegation = Delegation.objects.get()
    assert AuditRecord.objects.filter(action="orgs.delegation_created", object_id=str(delegation.pk)).exists()
    page = client.get(url).content.decode()
    assert f'data-delegation="{delegation.pk}"' in page
    assert client.post(reverse("delegations:revoke", args=[delegation.pk])).status_code == 302
    delegation.refresh_from_db()
    assert delegation.revoked_at is not None


def test_an_agency_administrator_cannot_give_himself_a_leaders_role_to_delegate_for_the_director(agency, client):
    from eoffice.orgs.models import Role, ensure_roles

    ensure_roles()
    agency.admin.user_permissions.add(*Permission.objects.filter(codename__in=["change_person", "view_person"]))
    client.force_login(agency.admin)
    page = client.get(f"/quan-tri/orgs/person/{agency.admin.pk}/change/")
    assert page.status_code == 200 and "roles" in page.context["adminform"].readonly_fields
    leader = Role.objects.get(code=RoleCode.LEADER)
    client.post(f"/quan-tri/orgs/person/{agency.admin.pk}/change/", {
        "username": agency.admin.username, "full_name": agency.admin.full_name, "roles": [leader.pk],
        "agency": agency.agency.pk, "is_active": "on", "is_staff": "on"})
    agency.admin.refresh_from_db()
    assert not agency.admin.roles.filter(code=RoleCode.LEADER).exists()
