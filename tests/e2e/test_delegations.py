"""The delegation page (ủy quyền): the director delegates to the deputy on a desktop and reads it on a phone."""

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from eoffice.demo.province import DEMO_PASSWORD, load_demo
from eoffice.orgs.models import Delegation, Person
from tests.e2e.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


def _shot(page, name: str) -> None:
    folder = Path(settings.VAR_DIR) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_the_director_delegates_to_the_deputy_and_sees_it_listed_on_desktop_and_phone(page, phone_page):
    load_demo()
    login(page, "giamdoc.stp", DEMO_PASSWORD)
    page.goto("/uy-quyen/")
    assert page.get_by_role("heading", name="Ủy quyền", exact=True).is_visible()
    deputy = Person.objects.get(username="phogiamdoc.stp")
    now = timezone.localtime()
    page.locator("#id_delegate").select_option(str(deputy.pk))
    page.locator("#id_starts_at").fill(now.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#id_ends_at").fill((now + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Lý do").fill("Đi công tác")
    page.get_by_role("button", name="Lập ủy quyền").click()
    page.wait_for_selector("tr[data-delegation]")
    delegation = Delegation.objects.get()
    assert (delegation.delegator.username, delegation.delegate_id) == ("giamdoc.stp", deputy.pk)
    assert page.locator(f'tr[data-delegation="{delegation.pk}"]').inner_text().count("Đi công tác") == 1
    _shot(page, "delegations-desktop")

    login(phone_page, "giamdoc.stp", DEMO_PASSWORD)
    phone_page.goto("/uy-quyen/")
    assert phone_page.locator(f'tr[data-delegation="{delegation.pk}"]').count() == 1
    # The page fits the phone's width: only the table scrolls sideways, inside its own box.
    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    _shot(phone_page, "delegations-phone")
