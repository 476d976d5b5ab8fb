import pytest
from django.test import Client

from eoffice.orgs.models import RoleCode
from eoffice.orgs.navigation import NAVIGATION, navigation_for
from tests.factories import make_agency, make_person

pytestmark = pytest.mark.django_db


def test_login_page_is_in_vietnamese():
    html = Client().get("/dang-nhap/").content.decode()
    assert "Đăng nhập" in html and "Tên đăng nhập" in html and "Mật khẩu" in html
    assert '<html lang="vi">' in html


def test_wrong_password_shows_a_vietnamese_error():
    make_person(make_agency(), username="an")
    html = Client().post("/dang-nhap/", {"username": "an", "password": "sai"}).content.decode()
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in html


def test_pages_require_login():
    response = Client().get("/van-ban-den/")
    assert response.status_code == 302 and response["Location"].startswith("/dang-nhap/")


def test_layout_is_usable_on_a_phone():
    client = Client()
    client.force_login(make_person(make_agency(), RoleCode.CLERK))
    html = client.get("/").content.decode()
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    assert 'class="nav-toggle"' in html


def test_english_can_be_switched_on():
    client = Client()
    client.force_login(make_person(make_agency(), RoleCode.CLERK))
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Incoming documents" in html and "Văn bản đến" not in html


def test_a_module_outside_ones_role_is_forbidden():
    client = Client()
    client.force_login(make_person(make_agency(), RoleCode.ARCHIVIST))
    assert client.get("/van-ban-di/").status_code == 403
    assert client.get("/tra-cuu/").status_code == 200


def test_every_role_gets_tasks_and_search():
    for code in RoleCode.values:
        person = make_person(make_agency(), code)
        keys = [item.key for item in navigation_for(person)]
        assert keys[0] == "tasks" and "search" in keys, code
    assert [item.key for item in NAVIGATION] == ["tasks", "incoming", "outgoing", "files", "search", "reports", "admin"]


def test_interface_stays_vietnamese_for_a_browser_that_prefers_english():
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    html = client.get("/dang-nhap/").content.decode()
    assert '<html lang="vi">' in html and "Tên đăng nhập" in html
