"""The outgoing path through the browser: a specialist of the Sở Tư pháp drafts a công văn to the UBND huyện Đông
Sơn, the head of the unit approves it, the director signs with the two-step client (the signing agent and a SoftHSM2
token holding his key), the clerk numbers, seals and releases it, a real Celery worker delivers it, and the district
clerk finds it in the receipt queue with both signatures valid; the department's page shows it arrived.

Then the district registers it (the clerk presents it to the chairman, the page lists both signatures valid), the
chairman instructs the Phòng Nội vụ, whose head finds it in the inbox; the department sees each answer arrive
(accepted, then assigned); the department's clerk recalls it with a reason, the worker takes the recall to the
district, whose page says it was recalled and whose inbox no longer has it, and the department sees the recall done.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from eoffice.demo.province import DEMO_PASSWORD
from eoffice.incoming.models import IncomingDocument, Receipt
from eoffice.orgs.models import Person
from eoffice.outgoing.models import Delivery, DeliveryStatus, OutgoingDocument, Status
from signing.dev.softhsm import softhsm_available
from tests.outgoing._celery import drain, outgoing_worker
from tests.outgoing.conftest import draft_pdf, keys, province  # noqa: F401 - fixtures
from tests.signing.test_agent import start_agent, stop_agent
from tests.signing.test_pkcs11 import PIN, make_person_token

from .conftest import login

pytestmark = pytest.mark.skipif(
    not softhsm_available(), reason="needs Debian packages softhsm2 and opensc (installed by `make test`)"
)


SUMMARY = "V/v phối hợp tuyên truyền pháp luật về chuyển đổi số"
REASON = "Văn bản ghi sai thời hạn báo cáo, sẽ ban hành văn bản thay thế."
#: How long the page may take to answer an action that writes (registration, the flow's next step): seconds under
#: load on a shared machine, well past Playwright's 5 s default for ``expect``.
ACTION_MS = 60000


def expect_message(page, text: str) -> None:
    """The page's message after an action: the expected one (an error message fails with its own words).

    Signing and sealing run inside the request (a PAdES signature, a timestamp from the development TSA): on a
    loaded shared machine that has taken longer than Playwright's 15 s default, hence the longer wait here.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    shown = page.locator(".messages li, .token-message.error").first
    try:
        shown.wait_for(timeout=120000)
    except PlaywrightTimeout as exc:
        raise AssertionError(f"no message on {page.url}: {page.locator('main').inner_text()[:1500]}") from exc
    assert shown.inner_text() == text


def logout(page) -> None:
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url("**/dang-nhap/")


def reload_until(page, locator, text: str, *, timeout: float = 120) -> None:
    """Reload the page, as a person waiting for news would, until ``locator`` shows ``text`` (bounded: fails
    with Playwright's own message after ``timeout`` seconds). Each look waits a little through Playwright."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            expect(locator).to_contain_text(text, timeout=3000)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            page.reload()


def delivery_status(page, recipient: str):
    """The status cell of ``recipient``'s row in the table "Tình hình nhận văn bản" of the outgoing page."""
    return page.locator("[data-list=deliveries] tr", has_text=recipient).locator(".delivery-status")


def delivery_history(page, recipient: str):
    return page.locator("[data-list=deliveries] tr", has_text=recipient).locator("td").nth(2)


@pytest.mark.django_db(transaction=True)
def test_draft_sign_number_release_receive_route_and_recall_in_the_browser(
    page, live_server, keys, dev_pki, settings, tmp_path  # noqa: F811 - fixture
):
    p = keys
    token = make_person_token(tmp_path / "token", dev_pki)  # giamdoc.stp's key, as a CA would issue it
    agent = start_agent(token, "--module", token.module_path, "--allow-origin", live_server.url)
    settings.SIGNING_AGENT_URL = f"http://{agent.host}:{agent.port}"
    draft_file = tmp_path / "cong-van-du-thao.pdf"
    draft_file.write_bytes(draft_pdf(p.director))
    try:
        with outgoing_worker():
            # The specialist drafts and submits.
            login(page, "chuyenvien.stp", DEMO_PASSWORD)
            page.goto("/van-ban-di/")
            page.get_by_role("link", name="Soạn dự thảo").click()
            page.get_by_label("Loại văn bản").select_option(label="Công văn")
            page.get_by_label("Trích yếu").fill(SUMMARY)
            page.get_by_label("Người ký").select_option(label=p.director.get_full_name())
            page.get_by_label("Cơ quan nhận (trong hệ thống)").select_option(label=p.dongson.name)
            page.get_by_label("Tệp dự thảo (PDF hoặc DOCX)").set_input_files(str(draft_file))
            page.get_by_role("button", name="Lưu dự thảo").click()
            expect_message(page, "Đã lưu dự thảo.")
            page.get_by_role("button", name="Trình lãnh đạo đơn vị").click()
            expect_message(page, "Đã trình dự thảo.")
            document = OutgoingDocument.objects.get()
            detail = f"/van-ban-di/{document.pk}/"
            logout(page)

            # The head of the unit approves.
            login(page, "truongphong.stp", DEMO_PASSWORD)
            page.goto("/van-ban-di/")
            page.locator("[data-list=waiting]").get_by_role("link").first.click()
            page.get_by_role("button", name="Đồng ý, trình ký").click()
            expect_message(page, "Đã đồng ý, chuyển bước tiếp theo.")
            logout(page)

            # The director signs with his token through the signing agent.
            login(page, "giamdoc.stp", DEMO_PASSWORD)
            page.goto(detail)
            page.get_by_label("Mã PIN của token").fill(PIN)
            page.get_by_role("button", name="Ký số bằng token USB").click()
            expect_message(page, "Đã ký số văn bản.")
            document.refresh_from_db()
            assert document.status == Status.SIGNED
            logout(page)

            # The clerk numbers, seals and releases.
            login(page, "vanthu.stp", DEMO_PASSWORD)
            page.goto(detail)
            page.get_by_role("button", name="Cấp số, đăng ký và đóng dấu").click()
            expect_message(page, "Đã cấp số, đăng ký và đóng dấu văn bản.")
            page.get_by_role("heading", name="Công văn 01/STP-PBGDPL").wait_for()
            page.get_by_role("button", name="Phát hành").click()
            expect_message(page, "Đã phát hành văn bản.")
            drain("interchange")
            delivery = Delivery.objects.get(document=document)
            assert delivery.status == DeliveryStatus.ARRIVED
            page.reload()
            assert page.locator(f"[data-delivery='{delivery.pk}'] .delivery-status").inner_text().startswith("Đã đến")
            logout(page)

            # The district clerk finds it waiting, with both signatures valid.
            login(page, "vanthu.dongson", DEMO_PASSWORD)
            page.goto("/van-ban-den/")
            page.get_by_role("link", name="V/v phối hợp tuyên truyền pháp luật").click()
            page.get_by_role("heading", name="01/STP-PBGDPL — Sở Tư pháp tỉnh Bình Minh").wait_for()

            receipt = Receipt.objects.get(source="internal", source_ref=str(delivery.pk))
            assert receipt.validation_status == "valid", receipt.validation_summary
            assert receipt.validation_summary in page.content()
            assert len(receipt.validation["files"][0]["report"]["signatures"]) == 2

            # She registers it and presents it to the chairman; the document page lists both signatures, valid.
            chairman = Person.objects.get(username="chutich.dongson")
            # The page embeds the PDF preview; let it finish loading so the click is not taken by the viewer.
            page.wait_for_load_state("load")
            page.get_by_label("Trình lãnh đạo").select_option(label=str(chairman))
            with page.expect_navigation(url=re.compile(r"/van-ban-den/\d+/$"), timeout=ACTION_MS):
                page.get_by_role("button", name="Vào sổ và trình").click()
            registered = page.get_by_role("heading", name=re.compile(r"^Văn bản đến số 01\b"))
            expect(registered).to_be_visible(timeout=ACTION_MS)
            expect(page.locator(".messages")).to_contain_text("Đã vào sổ văn bản đến số 01")
            expect(page.locator(".incoming-meta")).to_contain_text("01/STP-PBGDPL")
            expect(page.locator(".incoming-validation")).to_have_text("Hợp lệ")
            signatures = page.locator("p", has_text=re.compile(r" — Hợp lệ$"))
            expect(signatures).to_have_count(2)
            expect(signatures.filter(has_text=f": {p.director.get_full_name()} — ")).to_have_count(1)
            expect(signatures.filter(has_text=f": {p.stp.name} — ")).to_have_count(1)
            incoming_url = page.url
            logout(page)

            # The specialist who drafted it sees the district accepted it.
            login(page, "chuyenvien.stp", DEMO_PASSWORD)
            page.goto(detail)
            reload_until(page, delivery_status(page, p.dongson.name), "Đã tiếp nhận")
            logout(page)

            # The chairman finds it in his inbox and gives the instruction to the Phòng Nội vụ.
            login(page, "chutich.dongson", DEMO_PASSWORD)
            page.locator("nav.sidenav").get_by_role("link", name="Việc cần xử lý").click()
            page.get_by_role("link", name=SUMMARY).click()
            action = page.locator("section.incoming-action")
            action.get_by_label("Ý kiến chỉ đạo").fill("Giao Phòng Nội vụ chủ trì, phối hợp với Sở Tư pháp.")
            action.get_by_label("Đơn vị xử lý chính").select_option(label="Phòng Nội vụ (UBND)")
            action.get_by_role("button", name="Cho ý kiến chỉ đạo").click()
            expect(page.locator(".messages")).to_contain_text("Đã ghi nhận.", timeout=ACTION_MS)
            expect(page.locator("article.incoming-instruction")).to_contain_text("Chủ trì: Phòng Nội vụ")
            logout(page)

            # The head of the Phòng Nội vụ has it waiting.
            login(page, "truongphong.dongson", DEMO_PASSWORD)
            page.locator("nav.sidenav").get_by_role("link", name="Việc cần xử lý").click()
            expect(page.get_by_role("link", name=SUMMARY)).to_have_count(1)
            logout(page)

            # The department's clerk sees it assigned, then recalls it with a reason.
            login(page, "vanthu.stp", DEMO_PASSWORD)
            page.goto(detail)
            reload_until(page, delivery_status(page, p.dongson.name), "Đã phân công xử lý")
            history = delivery_history(page, p.dongson.name)
            for status in ("Đã đến", "Đã tiếp nhận", "Đã phân công xử lý"):
                expect(history).to_contain_text(status)
            recall = page.locator("section[data-action=recall]")
            recall.get_by_label("Lý do thu hồi").fill(REASON)
            recall.get_by_role("button", name="Thu hồi văn bản").click()
            expect_message(page, "Đã thu hồi văn bản.")
            expect(page.locator(".outgoing-status")).to_contain_text("Đã thu hồi")
            expect(page.get_by_text(f"Văn bản đã bị thu hồi: {REASON}")).to_be_visible()
            expect(page.locator("section[data-action=recall]")).to_have_count(0)
            # The worker takes the recall to the district, whose answer comes back.
            reload_until(page, delivery_status(page, p.dongson.name), f"Đã thu hồi: {REASON}")
            logout(page)

            # On the district side it has left the head's inbox, and its page says it was recalled, and why.
            login(page, "truongphong.dongson", DEMO_PASSWORD)
            page.locator("nav.sidenav").get_by_role("link", name="Việc cần xử lý").click()
            expect(page.get_by_role("heading", name="Việc cần xử lý")).to_be_visible()
            expect(page.get_by_role("link", name=SUMMARY)).to_have_count(0)
            page.goto(incoming_url)
            expect(page.locator(".incoming-status")).to_have_text("Đã bị thu hồi")
            expect(page.locator("section.incoming-action")).to_have_count(0)
            steps = page.locator("table.incoming-table").first
            expect(steps.locator("tr", has_text="Bên gửi thu hồi văn bản")).to_contain_text(REASON)
            logout(page)
            delivery.refresh_from_db()
            assert delivery.status == DeliveryStatus.RECALL_DONE
            assert IncomingDocument.objects.get(receipt=receipt).status == "recalled"
    finally:
        stop_agent(agent)
