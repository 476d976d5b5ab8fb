"""The incoming pages, form by form, through Django's test client: instruct, propose, assign, finish, give input,
mark read, send back and present again, reassign (also a step already started in viewflow), take back, extend a
deadline, and the receipt page (register, return with a reason). Refused input shows a Vietnamese message and keeps
what the person typed."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.status import PROCESS, STATUS

from eoffice.incoming import services
from eoffice.incoming.models import (
    DocumentStatus,
    IncomingProcess,
    Instruction,
    Receipt,
    ReceiptStatus,
    Step,
    WorkItem,
    WorkKind,
    WorkStatus,
)

from .conftest import metadata

REQUIRED = "Trường này là bắt buộc."


def register(office, pdf, **kw):
    kw.setdefault("metadata", metadata())
    return services.register_incoming(office.clerk, files=[("cv.pdf", pdf)], channel="paper", **kw)


def open_item(person, kind) -> WorkItem:
    return WorkItem.objects.get(person=person, kind=kind, status=WorkStatus.OPEN)


def act_url(doc, item) -> str:
    return reverse("incoming:act", args=[doc.pk, item.pk])


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def in_inbox(client, person, doc) -> bool:
    client.force_login(person)
    return reverse("incoming:document", args=[doc.pk]) in client.get(reverse("module-tasks")).content.decode()


def instructed(office, pdf, **kw):
    doc = register(office, pdf)
    services.instruct(open_item(office.leader, WorkKind.INSTRUCT), office.leader, text="Giao PBGDPL chủ trì",
                      lead_unit=office.lead, **kw)
    return doc


def assigned(office, pdf):
    doc = instructed(office, pdf)
    services.assign_handlers(open_item(office.head, WorkKind.ASSIGN), office.head, main_handler=office.specialist)
    return doc


# ------------------------------------------------------------------------------------------------ instruct
def test_leader_writes_the_instruction_on_the_document_page(office, pdf, client):
    doc = register(office, pdf)
    item = open_item(office.leader, WorkKind.INSTRUCT)
    client.force_login(office.leader)
    page = text_of(client.get(reverse("incoming:document", args=[doc.pk])))
    for label in ("Ý kiến chỉ đạo", "Đơn vị xử lý chính", "Đơn vị phối hợp", "Đơn vị để biết", "Hạn xử lý",
                  "Lý do trả lại văn thư"):
        assert f">{label}:</label>" in page, label
    due = timezone.localdate() + dt.timedelta(days=7)
    p = f"i{item.pk}-"
    response = client.post(act_url(doc, item), {
        "action": "do", p + "text": "Giao Phòng PBGDPL chủ trì tham mưu", p + "lead_unit": office.lead.pk,
        p + "supporting_units": [office.support.pk], p + "info_people": [office.chief.pk],
        p + "deadline": due.isoformat()})
    assert response.status_code == 302
    instruction = Instruction.objects.get(document=doc)
    assert instruction.lead_unit == office.lead and instruction.deadline == due
    assert list(instruction.supporting_units.all()) == [office.support]
    assert open_item(office.head, WorkKind.ASSIGN).deadline == due
    assert open_item(office.support_head, WorkKind.SUPPORT)
    assert open_item(office.chief, WorkKind.INFO)
    assert not in_inbox(client, office.leader, doc) and in_inbox(client, office.head, doc)


def test_instruction_without_lead_unit_is_refused_and_keeps_the_text(office, pdf, client):
    doc = register(office, pdf)
    item = open_item(office.leader, WorkKind.INSTRUCT)
    client.force_login(office.leader)
    response = client.post(act_url(doc, item), {"action": "do", f"i{item.pk}-text": "Ý kiến rất dài của tôi"})
    page = text_of(response)
    assert response.status_code == 400
    assert REQUIRED in page and "Ý kiến rất dài của tôi</textarea>" in page
    assert open_item(office.leader, WorkKind.INSTRUCT) and not Instruction.objects.exists()


def test_instruction_with_a_past_deadline_shows_the_service_error_and_keeps_input(office, pdf, client):
    doc = register(office, pdf)
    item = open_item(office.leader, WorkKind.INSTRUCT)
    client.force_login(office.leader)
    p = f"i{item.pk}-"
    past = timezone.localdate() - dt.timedelta(days=1)
    response = client.post(act_url(doc, item), {"action": "do", p + "text": "Giao gấp", p + "lead_unit":
                                                  office.lead.pk, p + "deadline": past.isoformat()})
    page = text_of(response)
    assert response.status_code == 400
    assert "Hạn xử lý không được trước ngày hôm nay." in page
    assert "Giao gấp</textarea>" in page and f'value="{past.isoformat()}"' in page
    assert not Instruction.objects.exists() and not WorkItem.objects.filter(kind=WorkKind.ASSIGN).exists()


def test_lead_unit_cannot_also_be_a_supporting_unit(office, pdf, client):
    doc = register(office, pdf)
    item = open_item(office.leader, WorkKind.INSTRUCT)
    client.force_login(office.leader)
    p = f"i{item.pk}-"
    response = client.post(act_url(doc, item), {"action": "do", p + "text": "x", p + "lead_unit": office.lead.pk,
                                                  p + "supporting_units": [office.lead.pk]})
    assert response.status_code == 400
    assert "Đơn vị xử lý chính không đồng thời là đơn vị phối hợp." in text_of(response)


def test_chief_of_office_proposes_through_the_page(office, pdf, client):
    doc = register(office, pdf, propose_by=office.chief)
    item = open_item(office.chief, WorkKind.PROPOSE)
    client.force_login(office.chief)
    p = f"i{item.pk}-"
    response = client.post(act_url(doc, item), {"action": "do", p + "text": "Đề xuất giao PBGDPL",
                                                  p + "lead_unit": office.lead.pk})
    assert response.status_code == 302
    assert Instruction.objects.get(document=doc, is_proposal=True).lead_unit == office.lead
    assert open_item(office.leader, WorkKind.INSTRUCT)


# ------------------------------------------------------------------------------------------------ send back
def test_leader_sends_back_with_a_reason_and_the_clerk_presents_again(office, pdf, client):
    doc = register(office, pdf)
    item = open_item(office.leader, WorkKind.INSTRUCT)
    client.force_login(office.leader)
    empty = client.post(act_url(doc, item), {"action": "send_back", f"b{item.pk}-reason": ""})
    assert empty.status_code == 400 and REQUIRED in text_of(empty)
    assert open_item(office.leader, WorkKind.INSTRUCT)
    response = client.post(act_url(doc, item), {"action": "send_back", f"b{item.pk}-reason": "Sai trích yếu"})
    assert response.status_code == 302
    doc.refresh_from_db()
    assert doc.status == DocumentStatus.RETURNED
    revise = open_item(office.clerk, WorkKind.REVISE)
    client.force_login(office.clerk)
    page = text_of(client.get(reverse("incoming:document", args=[doc.pk])))
    assert "Sai trích yếu" in page and "Trả lại văn thư" in page and "Trình lại" in page
    assert client.post(act_url(doc, revise), {"action": "do"}).status_code == 302
    assert open_item(office.leader, WorkKind.INSTRUCT)
    doc.refresh_from_db()
    assert doc.status == DocumentStatus.REGISTERED


# ------------------------------------------------------------------------------------------------ assign, finish
def test_unit_head_assigns_a_specialist_of_the_unit(office, pdf, client):
    doc = instructed(office, pdf)
    item = open_item(office.head, WorkKind.ASSIGN)
    client.force_login(office.head)
    page = text_of(client.get(reverse("incoming:document", args=[doc.pk])))
    assert ">Chuyên viên xử lý chính:</label>" in page
    section = page[page.index('data-kind="assign"'):]
    section = section[:section.index("</section>")]
    assert str(office.specialist) in section and str(office.bystander) not in section  # the lead unit's people
    p = f"i{item.pk}-"
    missing = client.post(act_url(doc, item), {"action": "do", p + "note": "Làm trong tuần"})
    assert missing.status_code == 400 and REQUIRED in text_of(missing)
    assert 'value="Làm trong tuần"' in text_of(missing)
    response = client.post(act_url(doc, item), {"action": "do", p + "main_handler": office.specialist.pk,
                                                  p + "co_handlers": [office.specialist2.pk], p + "note": "Gấp"})
    assert response.status_code == 302
    assert open_item(office.specialist, WorkKind.HANDLE) and open_item(office.specialist2, WorkKind.COHANDLE)
    assert IncomingProcess.objects.get(document=doc).main_handler == office.specialist


def test_specialist_finishes_and_the_document_closes(office, pdf, client):
    doc = assigned(office, pdf)
    item = open_item(office.specialist, WorkKind.HANDLE)
    client.force_login(office.specialist)
    empty = client.post(act_url(doc, item), {"action": "do", f"i{item.pk}-text": ""})
    assert empty.status_code == 400 and REQUIRED in text_of(empty)
    response = client.post(act_url(doc, item), {"action": "do", f"i{item.pk}-text": "Đã tham mưu văn bản"})
    assert response.status_code == 302
    doc.refresh_from_db()
    assert doc.status == DocumentStatus.DONE
    assert IncomingProcess.objects.get(document=doc).status == PROCESS.DONE
    assert not in_inbox(client, office.specialist, doc)
    page = text_of(client.get(reverse("incoming:document", args=[doc.pk])))
    for label in ("Vào sổ", "Trình", "Cho ý kiến chỉ đạo", "Giao xử lý", "Hoàn thành xử lý"):
        assert f">{label}</td>" in page, label
    assert "Đã tham mưu văn bản" in page


def test_acting_twice_on_a_finished_step_is_refused_in_vietnamese(office, pdf, client):
    doc = assigned(office, pdf)
    item = open_item(office.specialist, WorkKind.HANDLE)
    client.force_login(office.specialist)
    client.post(act_url(doc, item), {"action": "do", f"i{item.pk}-text": "Xong"})
    again = client.post(act_url(doc, item), {"action": "do", f"i{item.pk}-text": "Xong lần hai"})
    assert again.status_code == 409 and "Việc này đã được xử lý." in text_of(again)


# ------------------------------------------------------------------------------------------------ support, info
def test_supporting_unit_gives_input_through_the_page(office, pdf, client):
    doc = instructed(office, pdf, supporting_units=[office.support])
    item = open_item(office.support_head, WorkKind.SUPPORT)
    client.force_login(office.support_head)
    page = text_of(client.get(reverse("incoming:document", args=[doc.pk])))
    assert ">Ý kiến:</label>" in page and "Dự thảo văn bản trả lời" not in page
    assert client.post(act_url(doc, item), {"action": "do", f"i{item.pk}-text": ""}).status_code == 400
    assert client.post(act_url(doc, item), {"action": "do", f"i{item.pk}-text": "Nhất trí"}).status_code == 302
    item.refresh_from_db()
    assert item.status == WorkStatus.DONE and item.result == "Nhất trí"
    assert Step.objects.filter(document=doc, action="input_given", actor=office.support_head).exists()


def test_person_for_information_marks_read_without_typing_anything(office, pdf, client):
    doc = instructed(office, pdf, info_units=[office.support])
    item = open_item(office.support_head, WorkKind.INFO)
    client.force_login(office.support_head)
    page = text_of(client.get(reverse("incoming:document", args=[doc.pk])))
    section = page[page.index('data-kind="info"'):]
    assert "<textarea" not in section[:section.index("</section>")]
    assert client.post(act_url(doc, item), {"action": "do"}).status_code == 302
    item.refresh_from_db()
    assert item.status == WorkStatus.DONE
    assert not in_inbox(client, office.support_head, doc)


# ------------------------------------------------------------------------------------------------ reassign, take back
def redirect_url(doc, item) -> str:
    return reverse("incoming:redirect-work", args=[doc.pk, item.pk])


def test_leader_reassigns_a_step_through_the_page(office, pdf, client):
    doc = assigned(office, pdf)
    item = open_item(office.specialist, WorkKind.HANDLE)
    client.force_login(office.leader)
    page = text_of(client.get(reverse("incoming:document", args=[doc.pk])))
    assert ">Chuyển cho:</label>" in page and ">Lý do:</label>" in page
    missing = client.post(redirect_url(doc, item), {f"r{item.pk}-reason": "Nghỉ phép"})
    assert missing.status_code == 400 and REQUIRED in text_of(missing) and 'value="Nghỉ phép"' in text_of(missing)
    response = client.post(redirect_url(doc, item), {f"r{item.pk}-to": office.specialist2.pk,
                                                     f"r{item.pk}-reason": "Nghỉ phép"})
    assert response.status_code == 302
    new = open_item(office.specialist2, WorkKind.HANDLE)
    assert new.task.owner == office.specialist2
    assert not in_inbox(client, office.specialist, doc) and in_inbox(client, office.specialist2, doc)


def test_reassigning_a_started_task_keeps_viewflow_in_step_with_the_inbox(office, pdf, client):
    doc = assigned(office, pdf)
    item = open_item(office.specialist, WorkKind.HANDLE)
    task = item.task
    activation = task.flow_task.activation_class(task)
    activation.start(None)  # the specialist opened the step: viewflow's task is STARTED, not finished
    task.save()
    task.refresh_from_db()
    assert task.status == STATUS.STARTED
    client.force_login(office.head)
    response = client.post(redirect_url(doc, item), {f"r{item.pk}-to": office.specialist2.pk,
                                                     f"r{item.pk}-reason": "Đổi người"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.owner == office.specialist2 and task.status == STATUS.ASSIGNED and task.started is None
    new = open_item(office.specialist2, WorkKind.HANDLE)
    client.force_login(office.specialist2)
    assert client.post(act_url(doc, new), {"action": "do", f"i{new.pk}-text": "Xong"}).status_code == 302
    task.refresh_from_db()
    doc.refresh_from_db()
    assert task.status == STATUS.DONE and doc.status == DocumentStatus.DONE
    assert IncomingProcess.objects.get(document=doc).status == PROCESS.DONE


def test_finishing_a_step_that_viewflow_already_started_completes_it(office, pdf, client):
    doc = assigned(office, pdf)
    item = open_item(office.specialist, WorkKind.HANDLE)
    activation = item.task.flow_task.activation_class(item.task)
    activation.start(None)
    item.task.save()
    client.force_login(office.specialist)
    assert client.post(act_url(doc, item), {"action": "do", f"i{item.pk}-text": "Xong"}).status_code == 302
    doc.refresh_from_db()
    assert doc.status == DocumentStatus.DONE


def test_leader_takes_a_step_back_and_unit_head_may_not(office, pdf, client):
    doc = assigned(office, pdf)
    item = open_item(office.specialist, WorkKind.HANDLE)
    client.force_login(office.head)
    page = text_of(client.get(reverse("incoming:document", args=[doc.pk])))
    assert "Thu hồi về mình" not in page
    refused = client.post(redirect_url(doc, item), {"action": "take_back", f"r{item.pk}-reason": "x"})
    assert refused.status_code == 403
    assert "Chỉ lãnh đạo cơ quan mới được thu hồi việc đã giao." in text_of(refused)
    client.force_login(office.leader)
    assert "Thu hồi về mình" in text_of(client.get(reverse("incoming:document", args=[doc.pk])))
    response = client.post(redirect_url(doc, item), {"action": "take_back", f"r{item.pk}-reason": "Tự xử lý"})
    assert response.status_code == 302
    mine = open_item(office.leader, WorkKind.HANDLE)
    assert mine.task.owner == office.leader
    assert Step.objects.filter(document=doc, action="taken_back", actor=office.leader).exists()
    assert client.post(act_url(doc, mine), {"action": "do", f"i{mine.pk}-text": "Đã xử lý"}).status_code == 302
    doc.refresh_from_db()
    assert doc.status == DocumentStatus.DONE


# ------------------------------------------------------------------------------------------------ extend deadline
def test_leader_extends_the_deadline_with_a_required_reason(office, pdf, client):
    due = timezone.localdate() + dt.timedelta(days=2)
    doc = instructed(office, pdf, deadline=due)
    later = due + dt.timedelta(days=10)
    url = reverse("incoming:extend", args=[doc.pk])
    client.force_login(office.leader)
    page = text_of(client.get(reverse("incoming:document", args=[doc.pk])))
    assert ">Hạn xử lý mới:</label>" in page and ">Lý do gia hạn:</label>" in page
    no_reason = client.post(url, {"new_deadline": later.isoformat(), "reason": ""})
    assert no_reason.status_code == 400
    assert REQUIRED in text_of(no_reason) and f'value="{later.isoformat()}"' in text_of(no_reason)
    earlier = client.post(url, {"new_deadline": due.isoformat(), "reason": "Chờ số liệu"})
    assert earlier.status_code == 400 and "Hạn mới phải sau hạn hiện tại." in text_of(earlier)
    assert 'value="Chờ số liệu"' in text_of(earlier)
    doc.refresh_from_db()
    assert doc.due_on == due
    assert client.post(url, {"new_deadline": later.isoformat(), "reason": "Chờ số liệu"}).status_code == 302
    doc.refresh_from_db()
    assert doc.due_on == later and open_item(office.head, WorkKind.ASSIGN).deadline == later
    assert doc.extensions.get().reason == "Chờ số liệu"


def test_only_a_leader_may_extend_the_deadline(office, pdf, client):
    doc = instructed(office, pdf)
    client.force_login(office.head)
    assert "Gia hạn xử lý" not in text_of(client.get(reverse("incoming:document", args=[doc.pk])))
    response = client.post(reverse("incoming:extend", args=[doc.pk]),
                           {"new_deadline": (timezone.localdate() + dt.timedelta(days=9)).isoformat(),
                            "reason": "Xin thêm thời gian"})
    assert response.status_code == 403
    assert "Chỉ lãnh đạo cơ quan mới được gia hạn xử lý." in text_of(response)
    assert not doc.extensions.exists()


# ------------------------------------------------------------------------------------------------ receipt page
@pytest.fixture
def receipt(office, pdf) -> Receipt:
    return services.receive(office.agency, files=[("cv.pdf", pdf)], metadata=metadata(number_notation="77/UBND-VP"),
                            source="internal", source_ref="test-77")


def test_receipt_page_shows_the_dispatch_and_registers_it(office, receipt, client):
    client.force_login(office.clerk)
    url = reverse("incoming:receipt", args=[receipt.pk])
    page = text_of(client.get(url))
    assert "77/UBND-VP" in page and receipt.validation_summary in page
    assert ">Trình lãnh đạo:</label>" in page and ">Lý do trả lại:</label>" in page
    missing = client.post(url, {})
    assert missing.status_code == 400 and REQUIRED in text_of(missing)
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.WAITING and not office.agency.incoming_documents.exists()
    response = client.post(url, {"leader": office.leader.pk})
    assert response.status_code == 302
    doc = office.agency.incoming_documents.get()
    assert doc.receipt == receipt and doc.arrival_number == 1
    assert open_item(office.leader, WorkKind.INSTRUCT).document == doc


def test_clerk_returns_a_receipt_only_with_a_reason(office, receipt, client):
    client.force_login(office.clerk)
    url = reverse("incoming:receipt-return", args=[receipt.pk])
    empty = client.post(url, {"reason": "  "})
    assert empty.status_code == 400 and REQUIRED in text_of(empty)
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.WAITING
    response = client.post(url, {"reason": "Gửi nhầm cơ quan"})
    assert response.status_code == 302
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.RETURNED and receipt.reason == "Gửi nhầm cơ quan"
    again = client.post(url, {"reason": "Lần nữa"})
    assert again.status_code == 409 and "Văn bản này không còn chờ tiếp nhận." in text_of(again)
    assert not office.agency.incoming_documents.exists()


def test_receipt_of_another_agency_is_not_found(office, receipt, client):
    client.force_login(office.outsider_clerk)
    assert client.get(reverse("incoming:receipt", args=[receipt.pk])).status_code == 404
    assert client.post(reverse("incoming:receipt-return", args=[receipt.pk]),
                       {"reason": "x"}).status_code == 404
