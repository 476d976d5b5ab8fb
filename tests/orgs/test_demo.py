import pytest
from django.test import Client

from eoffice.demo.province import AGENCIES, DEMO_PASSWORD, SHOWCASE_LOGINS, load_demo
from eoffice.orgs.models import Agency, AgencyKind, Delegation, Person, Role, RoleCode, Unit

pytestmark = pytest.mark.django_db


def snapshot():
    return {
        "agencies": sorted(Agency.objects.values_list("code", "name", "abbreviation", "kind", "parent__code")),
        "units": sorted(Unit.objects.values_list("agency__code", "abbreviation", "name")),
        "people": sorted(
            Person.objects.values_list("username", "full_name", "agency__code", "unit__abbreviation", "position__name",
                                       "password", "is_staff", "is_superuser")
        ),
        "roles": sorted(Person.roles.through.objects.values_list("person__username", "role__code")),
    }


def test_demo_loader_is_idempotent():
    first = load_demo()
    before = snapshot()
    second = load_demo()
    assert first["people"] > 0
    assert second == {"agencies": 0, "units": 0, "people": 0}
    assert snapshot() == before


def test_demo_loader_restores_a_changed_demo_row():
    load_demo()
    Person.objects.filter(username="vanthu.stp").update(full_name="Sai tên")
    load_demo()
    assert Person.objects.get(username="vanthu.stp").full_name == "Cao Thị Dung"


def test_demo_province_has_the_required_tree_and_every_role():
    load_demo()
    kinds = {kind: Agency.objects.filter(kind=kind).count() for kind in AgencyKind.values}
    assert kinds["province"] == 1 and kinds["department"] >= 3
    assert kinds["district"] >= 2 and kinds["commune"] >= 3
    province = Agency.objects.get(kind="province")
    assert all(a.parent == province for a in Agency.objects.filter(kind__in=["department", "district"]))
    assert all(a.parent.kind == "district" for a in Agency.objects.filter(kind="commune"))
    assert all(Unit.objects.filter(agency=a).exists() for a in Agency.objects.all())
    held = set(Role.objects.filter(people__isnull=False).values_list("code", flat=True))
    assert held == set(RoleCode.values)
    assert len(AGENCIES) == Agency.objects.count()
    assert not Delegation.objects.exists()


@pytest.mark.parametrize(
    ("username", "expected", "absent"),
    [
        ("vanthu.stp", ["Việc cần xử lý", "Văn bản đến", "Văn bản đi", "Hồ sơ", "Tra cứu", "Báo cáo"], ["Quản trị"]),
        ("giamdoc.stp", ["Việc cần xử lý", "Văn bản đến", "Văn bản đi", "Hồ sơ", "Tra cứu", "Báo cáo"], ["Quản trị"]),
        ("luutru.stp", ["Việc cần xử lý", "Hồ sơ", "Tra cứu", "Báo cáo"], ["Văn bản đi", "Quản trị"]),
        ("quantri.stp", ["Việc cần xử lý", "Quản trị"], ["Báo cáo"]),
    ],
)
def test_demo_people_log_in_and_see_the_navigation_of_their_role(username, expected, absent):
    load_demo()
    client = Client()
    response = client.post("/dang-nhap/", {"username": username, "password": DEMO_PASSWORD}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    nav = html.split('class="sidenav"')[1].split("</nav>")[0]
    for label in expected:
        assert label in nav, label
    for label in absent:
        assert label not in nav, label


def test_showcase_logins_exist_with_the_printed_password():
    load_demo()
    for username, _label in SHOWCASE_LOGINS:
        assert Person.objects.get(username=username).check_password(DEMO_PASSWORD), username


def test_agency_admin_manages_only_people_of_own_agency_in_the_admin():
    load_demo()
    client = Client()
    client.login(username="quantri.stp", password=DEMO_PASSWORD)
    response = client.get("/quan-tri/orgs/person/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "vanthu.stp" in html and "vanthu.tinh" not in html
    other = Person.objects.get(username="vanthu.tinh")
    assert client.get(f"/quan-tri/orgs/person/{other.pk}/change/").status_code in (302, 404)
