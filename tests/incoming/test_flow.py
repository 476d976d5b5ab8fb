"""Every path of the incoming flow: instruct, proposal, send back, assign, handle, support, information, reassign,
take back, extend, delegation, recall."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from viewflow.workflow.status import PROCESS

from eoffice.incoming import services, signals
from eoffice.incoming.models import DocumentStatus, IncomingProcess, Step, WorkItem, WorkKind, WorkStatus
from eoffice.incoming.services import IncomingError
from eoffice.orgs.models import Delegation

from .conftest import metadata


def register(office, pdf, **kw):
    kw.setdefault("metadata", metadata())
    return services.register_incoming(office.clerk, files=[("cv.pdf", pdf)], channel="paper", **kw)


def open_item(person, kind):
    return WorkItem.objects.get(person=person, kind=kind, status=WorkStatus.OPEN)


def process_of(document):
    return IncomingProcess.objects.get(document=document)


def test_main_path_register_instruct_assign_handle_closes_document(office, pdf):
    doc = register(office, pdf)
    item = open_item(office.leader, WorkKind.INSTRUCT)
    services.instruct(item, office.leader, text="Giao PBGDPL chủ trì", lead_unit=office.lead,
                      deadline=timezone.localdate() + dt.timedelta(days=5))
    assert open_item(office.head, WorkKind.ASSIGN).deadline == timezone.localdate() + dt.timedelta(days=5)
    services.assign_handlers(open_item(office.head, WorkKind.ASSIGN), office.head, main_handler=office.specialist,
                             co_handlers=[office.specialist2])
    assert open_item(office.specialist2, WorkKind.COHANDLE)
    services.finish_handling(open_item(office.specialist, WorkKind.HANDLE), office.specialist, result="Đã xong")
    doc.refresh_from_db()
    assert doc.status == DocumentStatus.DONE and doc.completed_at is not None
    assert process_of(doc).status == PROCESS.DONE
    actions = list(Step.objects.filter(document=doc).values_list("action", flat=True))
    assert actions == ["registered", "presented", "instructed", "assigned", "handled"]


def test_proposal_by_chief_of_office_goes_to_leader(office, pdf):
    register(office, pdf, propose_by=office.chief)
    assert not WorkItem.objects.filter(person=office.leader, status=WorkStatus.OPEN).exists()
    services.propose(open_item(office.chief, WorkKind.PROPOSE), office.chief, text="Đề xuất giao PBGDPL",
                     lead_unit=office.lead)
    assert open_item(office.leader, WorkKind.INSTRUCT)


def test_leader_sends_back_to_clerk_who_presents_again(office, pdf):
    doc = register(office, pdf)
    with pytest.raises(IncomingError):
        services.send_back(open_item(office.leader, WorkKind.INSTRUCT), office.leader, reason="  ")
    services.send_back(open_item(office.leader, WorkKind.INSTRUCT), office.leader, reason="Sai trích yếu")
    doc.refresh_from_db()
    assert doc.status == DocumentStatus.RETURNED
    services.represent(open_item(office.clerk, WorkKind.REVISE), office.clerk, leader=office.deputy)
    assert open_item(office.deputy, WorkKind.INSTRUCT)


def test_supporting_units_and_information_in_parallel_lead_closes(office, pdf):
    doc = register(office, pdf)
    services.instruct(open_item(office.leader, WorkKind.INSTRUCT), office.leader, text="Chỉ đạo",
                      lead_unit=office.lead, supporting_units=[office.support], info_people=[office.chief])
    assert open_item(office.support_head, WorkKind.SUPPORT)
    assert open_item(office.chief, WorkKind.INFO)
    services.give_input(open_item(office.support_head, WorkKind.SUPPORT), office.support_head, text="Nhất trí")
    services.assign_handlers(open_item(office.head, WorkKind.ASSIGN), office.head, main_handler=office.specialist)
    doc.refresh_from_db()
    assert doc.status == DocumentStatus.IN_PROGRESS
    services.finish_handling(open_item(office.specialist, WorkKind.HANDLE), office.specialist, result="Xong")
    doc.refresh_from_db()
    assert doc.status == DocumentStatus.DONE
    assert process_of(doc).status == PROCESS.DONE


def test_lead_done_first_closes_without_waiting_for_supporting_input(office, pdf):
    doc = register(office, pdf)
    services.instruct(open_item(office.leader, WorkKind.INSTRUCT), office.leader, text="Chỉ đạo",
                      lead_unit=office.lead, supporting_units=[office.support])
    services.assign_handlers(open_item(office.head, WorkKind.ASSIGN), office.head, main_handler=office.specialist)
    services.finish_handling(open_item(office.specialist, WorkKind.HANDLE), office.specialist, result="Xong")
    doc.refresh_from_db()
    assert doc.status == DocumentStatus.DONE
    assert WorkItem.objects.get(person=office.support_head).status == WorkStatus.CANCELED


def test_unit_head_reassigns_handler_and_new_handler_finishes(office, pdf):
    doc = register(office, pdf)
    services.instruct(open_item(office.leader, WorkKind.INSTRUCT), office.leader, text="x", lead_unit=office.lead)
    services.assign_handlers(open_item(office.head, WorkKind.ASSIGN), office.head, main_handler=office.specialist)
    services.reassign(open_item(office.specialist, WorkKind.HANDLE), office.head, to=office.specialist2,
                      reason="Nghỉ ốm")
    with pytest.raises(IncomingError):
        services.finish_handling(WorkItem.objects.get(person=office.specialist, kind=WorkKind.HANDLE),
                                 office.specialist, result="x")
    services.finish_handling(open_item(office.specialist2, WorkKind.HANDLE), office.specialist2, result="Xong")
    doc.refresh_from_db()
    assert doc.status == DocumentStatus.DONE


def test_specialist_cannot_reassign(office, pdf):
    register(office, pdf)
    services.instruct(open_item(office.leader, WorkKind.INSTRUCT), office.leader, text="x", lead_unit=office.lead)
    services.assign_handlers(open_item(office.head, WorkKind.ASSIGN), office.head, main_handler=office.specialist)
    with pytest.raises(IncomingError) as err:
        services.reassign(open_item(office.specialist, WorkKind.HANDLE), office.specialist, to=office.specialist2)
    assert err.value.status_code == 403


def test_leader_takes_task_back_and_handles_it(office, pdf):
    doc = register(office, pdf)
    services.instruct(open_item(office.leader, WorkKind.INSTRUCT), office.leader, text="x", lead_unit=office.lead)
    services.take_back(open_item(office.head, WorkKind.ASSIGN), office.leader, reason="Lãnh đạo tự giao")
    assert not WorkItem.objects.filter(person=office.head, status=WorkStatus.OPEN).exists()
    services.assign_handlers(open_item(office.leader, WorkKind.ASSIGN), office.leader, main_handler=office.specialist)
    services.finish_handling(open_item(office.specialist, WorkKind.HANDLE), office.specialist, result="Xong")
    doc.refresh_from_db()
    assert doc.status == DocumentStatus.DONE
    assert Step.objects.filter(document=doc, action="taken_back", actor=office.leader).exists()


def test_extend_deadline_with_reason_moves_open_work(office, pdf):
    doc = register(office, pdf)
    today = timezone.localdate()
    services.instruct(open_item(office.leader, WorkKind.INSTRUCT), office.leader, text="x", lead_unit=office.lead,
                      deadline=today + dt.timedelta(days=2))
    with pytest.raises(IncomingError):
        services.extend_deadline(doc, office.head, new_deadline=today + dt.timedelta(days=9), reason="Phức tạp")
    with pytest.raises(IncomingError):
        services.extend_deadline(doc, office.leader, new_deadline=today + dt.timedelta(days=9), reason="")
    services.extend_deadline(doc, office.leader, new_deadline=today + dt.timedelta(days=9), reason="Phức tạp")
    doc.refresh_from_db()
    assert doc.due_on == today + dt.timedelta(days=9)
    assert open_item(office.head, WorkKind.ASSIGN).deadline == today + dt.timedelta(days=9)
    assert doc.extensions.get().old_deadline == today + dt.timedelta(days=2)


def test_delegate_instructs_for_absent_leader_recorded_on_behalf(office, pdf):
    doc = register(office, pdf)
    now = timezone.now()
    item = open_item(office.leader, WorkKind.INSTRUCT)
    with pytest.raises(IncomingError):
        services.instruct(item, office.deputy, text="x", lead_unit=office.lead)
    Delegation.objects.create(delegator=office.leader, delegate=office.deputy, starts_at=now - dt.timedelta(hours=1),
                              ends_at=now + dt.timedelta(days=3))
    assert item in services.inbox_items(office.deputy)
    instruction = services.instruct(item, office.deputy, text="KT. Giám đốc", lead_unit=office.lead)
    assert instruction.author == office.deputy and instruction.on_behalf_of == office.leader
    step = Step.objects.get(document=doc, action="instructed")
    assert step.on_behalf_of == office.leader
    from eoffice.audit.models import AuditRecord

    assert AuditRecord.objects.filter(action="incoming.instructed", on_behalf_of_id=office.leader.pk).exists()


def test_status_signal_reports_each_stage_of_an_electronic_dispatch(office, pdf, django_capture_on_commit_callbacks):
    seen = []

    def listener(sender, source, source_ref, agency, status, reason, at, **kw):
        seen.append(status)

    signals.status_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            receipt = services.receive(office.agency, files=[("a.pdf", pdf)], metadata=metadata(),
                                       source="internal", source_ref="d-1")
        with django_capture_on_commit_callbacks(execute=True):
            services.register_incoming(office.clerk, receipt=receipt)
            services.instruct(open_item(office.leader, WorkKind.INSTRUCT), office.leader, text="x",
                              lead_unit=office.lead)
            services.assign_handlers(open_item(office.head, WorkKind.ASSIGN), office.head,
                                     main_handler=office.specialist)
            services.finish_handling(open_item(office.specialist, WorkKind.HANDLE), office.specialist, result="x")
    finally:
        signals.status_changed.disconnect(listener)
    assert seen == ["arrived", "accepted", "assigned", "done"]


def test_recall_removes_registered_document_from_inboxes(office, pdf, django_capture_on_commit_callbacks):
    receipt = services.receive(office.agency, files=[("a.pdf", pdf)], metadata=metadata(), source="internal",
                               source_ref="d-2")
    doc = services.register_incoming(office.clerk, receipt=receipt)
    assert services.inbox_items(office.leader).exists()
    seen = []
    signals.status_changed.connect(lambda **kw: seen.append((kw["status"], kw["reason"])), weak=False,
                                   dispatch_uid="t-recall")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.recall_receipt("internal", "d-2", reason="Ban hành nhầm")
    finally:
        signals.status_changed.disconnect(dispatch_uid="t-recall")
    doc.refresh_from_db()
    assert doc.status == DocumentStatus.RECALLED
    assert not services.inbox_items(office.leader).exists()
    assert seen == [("recall_done", "Ban hành nhầm")]
