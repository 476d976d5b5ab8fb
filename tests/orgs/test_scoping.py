import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from rest_framework.test import APIClient

from eoffice.orgs.models import Agency, Person, RoleCode, Unit
from eoffice.orgs.scoping import can_see, visible_to
from tests.factories import make_agency, make_person, make_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_agencies():
    justice = make_agency("Sở Tư pháp", "STP")
    home = make_agency("Sở Nội vụ", "SNV")
    return {
        "justice": justice,
        "home": home,
        "clerk_justice": make_person(justice, RoleCode.CLERK, unit=make_unit(justice)),
        "specialist_justice": make_person(justice, RoleCode.SPECIALIST),
        "clerk_home": make_person(home, RoleCode.CLERK, unit=make_unit(home)),
    }


def api_as(person) -> APIClient:
    client = APIClient()
    client.force_authenticate(person)
    return client


def test_people_list_through_api_contains_only_own_agency(two_agencies):
    response = api_as(two_agencies["clerk_justice"]).get("/api/v1/people/")
    assert response.status_code == 200
    usernames = {row["username"] for row in response.json()["results"]}
    assert usernames == {two_agencies["clerk_justice"].username, two_agencies["specialist_justice"].username}


def test_fetching_a_person_of_another_agency_through_api_is_not_found(two_agencies):
    other = two_agencies["clerk_home"]
    response = api_as(two_agencies["clerk_justice"]).get(f"/api/v1/people/{other.pk}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_units_of_another_agency_are_not_listed_or_fetched(two_agencies):
    client = api_as(two_agencies["clerk_justice"])
    listed = {row["agency"] for row in client.get("/api/v1/units/").json()["results"]}
    assert listed == {two_agencies["justice"].pk}
    other_unit = Unit.objects.get(agency=two_agencies["home"])
    assert client.get(f"/api/v1/units/{other_unit.pk}/").status_code == 404


def test_visible_to_returns_nothing_for_anonymous_or_inactive_people(two_agencies):
    from django.contrib.auth.models import AnonymousUser

    assert not visible_to(Person, AnonymousUser()).exists()
    assert not visible_to(Person, None).exists()
    clerk = two_agencies["clerk_justice"]
    clerk.is_active = False
    assert not visible_to(Person, clerk).exists()


def test_person_without_agency_sees_no_people(two_agencies):
    stray = make_person(None)
    assert not visible_to(Person, stray).exists()


def test_superuser_sees_every_agency_people(two_agencies):
    operator = make_person(None, is_superuser=True, is_staff=True)
    assert visible_to(Person, operator).count() == Person.objects.count()


def test_can_see_applies_the_same_rule_to_one_object(two_agencies):
    assert can_see(two_agencies["specialist_justice"], two_agencies["clerk_justice"])
    assert not can_see(two_agencies["clerk_home"], two_agencies["clerk_justice"])


def test_a_model_without_a_scoping_rule_is_refused_not_returned_unscoped(two_agencies):
    from django.contrib.auth.models import Group

    with pytest.raises(ImproperlyConfigured):
        visible_to(Group.objects.all(), two_agencies["clerk_justice"])
    assert issubclass(Group, models.Model)


def test_agency_directory_is_visible_to_everyone_signed_in(two_agencies):
    response = api_as(two_agencies["clerk_justice"]).get("/api/v1/agencies/")
    codes = {row["code"] for row in response.json()["results"]}
    assert set(Agency.objects.values_list("code", flat=True)) == codes


def test_api_refuses_anonymous_requests_with_a_structured_401():
    response = APIClient().get("/api/v1/people/")
    assert response.status_code in (401, 403)
    body = response.json()["error"]
    assert body["code"] == "not_authenticated"
    assert body["message"] == "Bạn cần đăng nhập."
