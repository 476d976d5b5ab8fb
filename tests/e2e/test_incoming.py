"""An incoming dispatch walked through the browser as the people of the demo Department of Justice would: the clerk
uploads and registers it, the director writes the instruction, the head of the lead unit assigns a specialist, the
chief of office gives the supporting unit's input, the specialist finishes. Each finds it in their inbox (Việc cần
xử lý) at their step and no longer once their step is done; the document page shows every step, who and when."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from eoffice.demo.province import DEMO_PASSWORD, load_demo
from eoffice.documents.services import ensure_document_types
from eoffice.incoming.models import DocumentStatus, IncomingDocument
from eoffice.orgs.models import Person
from tests.e2e.conftest import login, off_the_loop
from tests.fixtures_pki import make_sample_pdf

pytestmark = pytest.mark.django_db(transaction=True)

SUMMARY = "V/v tổ chức Ngày Pháp luật Việt Nam năm 2026 trên địa bàn tỉnh"


def logout(page) -> None:
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url(re.compile(r"/dang-nhap/"))


def open_from_inbox(page):
    """Open the inbox through the menu, check the dispatch is there, and open it."""
    page.locator("nav.sidenav").get_by_role("link", name="Việc cần xử lý").click()
    expect(page.get_by_role("heading", name="Việc cần xử lý")).to_be_visible()
    page.get_by_role("link", name=SUMMARY).click()
    expect(page.get_by_role("heading", name=re.compile(r"^Văn bản đến số 01 ?"))).to_be_visible()


def expect_inbox_without_it(page) -> None:
    page.goto("/viec-can-xu-ly/")
    expect(page.get_by_role("link", name=SUMMARY)).to_have_count(0)


def test_clerk_registers_leader_instructs_head_assigns_specialist_finishes(page, tmp_path):
    load_demo()
    ensure_document_types()
    pdf = tmp_path / "cv-ngay-phap-luat.pdf"
    pdf.write_bytes(off_the_loop(make_sample_pdf, ("ỦY BAN NHÂN DÂN TỈNH", SUMMARY)))
    people = {p.username: str(p) for p in Person.objects.filter(username__endswith=".stp")}
    due = timezone.localdate() + dt.timedelta(days=10)

    # 1. The clerk uploads the PDF and registers it with its metadata.
    login(page, "vanthu.stp", DEMO_PASSWORD)
    page.locator("nav.sidenav").get_by_role("link", name="Văn bản đến").click()
    page.get_by_role("link", name="Vào sổ văn bản đến").click()
    page.get_by_label("Tệp văn bản (PDF)").set_input_files(str(pdf))
    page.get_by_label("Phương thức nhận").select_option(label="Thư điện tử")
    page.get_by_label("Cơ quan ban hành").fill("Ủy ban nhân dân tỉnh Bình Minh")
    page.get_by_label("Số, ký hiệu").fill("215/UBND-NC")
    page.get_by_label("Ngày ban hành").fill("2026-03-02")
    page.get_by_label("Loại văn bản").select_option(label="Công văn")
    page.get_by_label("Trích yếu").fill(SUMMARY)
    page.get_by_label(re.compile(r"^Người ký")).fill("Trần Quốc Hưng")
    page.get_by_label("Độ khẩn").select_option(label="Khẩn")
    page.get_by_label("Trình lãnh đạo").select_option(label=people["giamdoc.stp"])
    page.get_by_role("button", name="Vào sổ và trình").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Văn bản đến số 01 ?"))).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("Đã vào sổ văn bản đến số 01")
    expect(page.locator(".incoming-meta")).to_contain_text("215/UBND-NC")
    # The upload carries no signature: the clerk reads that, not a dash.
    expect(page.locator(".incoming-validation")).to_contain_text("Không có chữ ký số")
    doc = IncomingDocument.objects.get()
    assert doc.arrival_number == 1 and doc.urgency == "khan" and doc.channel == "email"
    logout(page)

    # 2. The director writes the instruction: lead unit, a supporting unit, a deadline, the text.
    login(page, "giamdoc.stp", DEMO_PASSWORD)
    open_from_inbox(page)
    action = page.locator("section.incoming-action")
    action.get_by_label("Ý kiến chỉ đạo").fill("Giao Phòng PBGDPL chủ trì, Văn phòng phối hợp tổ chức.")
    action.get_by_label("Đơn vị xử lý chính").select_option(label="Phòng Phổ biến, giáo dục pháp luật (STP)")
    action.get_by_label("Đơn vị phối hợp").select_option(label="Văn phòng (STP)")
    action.get_by_label("Hạn xử lý").fill(due.isoformat())
    action.get_by_role("button", name="Cho ý kiến chỉ đạo").click()
    expect(page.locator(".messages")).to_contain_text("Đã ghi nhận.")
    expect(page.locator("section.incoming-action")).to_have_count(0)
    expect(page.locator("article.incoming-instruction")).to_contain_text(
        "Chủ trì: Phòng Phổ biến, giáo dục pháp luật")
    expect_inbox_without_it(page)
    logout(page)

    # 3. The head of the lead unit assigns the specialist.
    login(page, "truongphong.stp", DEMO_PASSWORD)
    open_from_inbox(page)
    action = page.locator("section.incoming-action")
    expect(action.get_by_role("heading")).to_have_text("Giao xử lý")
    action.get_by_label("Chuyên viên xử lý chính").select_option(label=people["chuyenvien.stp"])
    action.get_by_label("Ghi chú giao việc").fill("Xây dựng kế hoạch trước ngày 15.")
    action.get_by_role("button", name="Giao xử lý").click()
    expect(page.locator(".messages")).to_contain_text("Đã ghi nhận.")
    expect_inbox_without_it(page)
    logout(page)

    # 4. The supporting unit (the chief of office) gives its input.
    login(page, "chanhvanphong.stp", DEMO_PASSWORD)
    open_from_inbox(page)
    action = page.locator("section.incoming-action")
    action.get_by_label("Ý kiến").fill("Văn phòng bố trí hội trường.")
    action.get_by_role("button", name="Gửi ý kiến").click()
    expect(page.locator(".messages")).to_contain_text("Đã ghi nhận.")
    expect_inbox_without_it(page)
    logout(page)

    # 5. The specialist handles it and finishes; the document is closed.
    login(page, "chuyenvien.stp", DEMO_PASSWORD)
    open_from_inbox(page)
    expect(page.locator(".incoming-meta")).to_contain_text(due.strftime("%d/%m/%Y"))
    action = page.locator("section.incoming-action")
    action.get_by_role("button", name="Hoàn thành xử lý").click()  # nothing typed: the page says what is missing
    expect(action.get_by_label("Kết quả xử lý")).to_have_js_property("validity.valueMissing", True)
    action.get_by_label("Kết quả xử lý").fill("Đã trình kế hoạch tổ chức Ngày Pháp luật.")
    action.get_by_role("button", name="Hoàn thành xử lý").click()
    expect(page.locator(".messages")).to_contain_text("Đã ghi nhận.")
    expect(page.locator(".incoming-status")).to_have_text("Đã xử lý xong")
    expect_inbox_without_it(page)
    expect(page.get_by_text("Không có việc nào cần xử lý.")).to_be_visible()

    # The document page shows every step: who, what, when.
    page.goto(f"/van-ban-den/{doc.pk}/")
    rows = page.locator("table.incoming-table").first.locator("tbody tr")
    expected = [
        ("vanthu.stp", "Vào sổ"), ("vanthu.stp", "Trình"), ("giamdoc.stp", "Cho ý kiến chỉ đạo"),
        ("truongphong.stp", "Giao xử lý"), ("chanhvanphong.stp", "Cho ý kiến phối hợp"),
        ("chuyenvien.stp", "Hoàn thành xử lý"),
    ]
    expect(rows).to_have_count(len(expected))
    today = timezone.localdate().strftime("%d/%m/%Y")
    for row, (username, action_label) in zip(rows.all(), expected, strict=True):
        cells = row.locator("td").all_inner_texts()
        assert cells[0].startswith(today) and cells[1].startswith(people[username]) and cells[2] == action_label, \
            cells
    doc.refresh_from_db()
    assert doc.status == DocumentStatus.DONE and doc.lead_unit.abbreviation == "PBGDPL"
