import pytest

from eoffice.demo.province import DEMO_PASSWORD, load_demo
from tests.e2e.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


def test_clerk_signs_in_on_a_phone_and_opens_the_menu(phone_page):
    load_demo()
    login(phone_page, "vanthu.stp", DEMO_PASSWORD)
    assert phone_page.get_by_role("heading", name="Xin chào, Dung").is_visible()
    menu = phone_page.locator("nav.sidenav")
    assert not menu.is_visible()
    phone_page.locator("label.nav-toggle-label").click()
    assert menu.get_by_role("link", name="Văn bản đến").is_visible()
    assert not menu.get_by_role("link", name="Quản trị").is_visible()


def test_leader_and_archivist_see_their_navigation_on_a_desktop(page):
    load_demo()
    login(page, "giamdoc.stp", DEMO_PASSWORD)
    links = page.locator("nav.sidenav a").all_inner_texts()
    assert [text.strip()[1:].strip() for text in links] == [
        "Việc cần xử lý", "Văn bản đến", "Văn bản đi", "Hồ sơ", "Tra cứu", "Báo cáo",
    ]
    page.get_by_role("button", name="Đăng xuất").click()
    login(page, "luutru.stp", DEMO_PASSWORD)
    links = page.locator("nav.sidenav a").all_inner_texts()
    assert [text.strip()[1:].strip() for text in links] == ["Việc cần xử lý", "Hồ sơ", "Tra cứu", "Báo cáo"]


def test_wrong_password_is_refused_in_vietnamese(page):
    load_demo()
    page.goto("/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill("vanthu.stp")
    page.get_by_label("Mật khẩu").fill("sai-mat-khau")
    page.get_by_role("button", name="Đăng nhập").click()
    assert page.get_by_role("alert").inner_text().startswith("Tên đăng nhập hoặc mật khẩu không đúng")
