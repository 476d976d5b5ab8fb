"""The outgoing path through the browser: a specialist of the Sở Tư pháp drafts a công văn to the UBND huyện Đông
Sơn, the head of the unit approves it, the director signs with the two-step client (the signing agent and a SoftHSM2
token holding his key), the clerk numbers, seals and releases it, a real Celery worker delivers it, and the district
clerk finds it in the receipt queue with both signatures valid; the department's page shows it arrived.
"""

from __future__ import annotations

import pytest

from eoffice.orgs.demo import DEMO_PASSWORD
from eoffice.outgoing.models import Delivery, DeliveryStatus, OutgoingDocument, Status
from signing.softhsm import softhsm_available
from tests.outgoing._celery import drain, outgoing_worker
from tests.outgoing.conftest import draft_pdf, keys, province  # noqa: F401 - fixtures
from tests.signing.test_agent import start_agent, stop_agent
from tests.signing.test_pkcs11 import PIN, make_person_token

from .conftest import login

pytestmark = pytest.mark.skipif(
    not softhsm_available(), reason="needs Debian packages softhsm2 and opensc (installed by `make test`)"
)


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


@pytest.mark.django_db(transaction=True)
def test_draft_review_token_signature_numbering_release_and_receipt_in_the_browser(
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
            page.get_by_label("Trích yếu").fill("V/v phối hợp tuyên truyền pháp luật về chuyển đổi số")
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
            from eoffice.incoming.models import Receipt

            receipt = Receipt.objects.get(source="internal", source_ref=str(delivery.pk))
            assert receipt.validation_status == "valid", receipt.validation_summary
            assert receipt.validation_summary in page.content()
    finally:
        stop_agent(agent)
