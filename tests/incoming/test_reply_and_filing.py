"""Incoming and outgoing as one product: a released reply closes the incoming work; filing as work is done."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.status import PROCESS

from eoffice.archive.models import FileEntry, RetentionPeriod
from eoffice.archive.services import close_file, ensure_retention_periods, open_file
from eoffice.incoming import services, signals
from eoffice.incoming.models import DocumentStatus, IncomingProcess, Step, WorkItem, WorkKind, WorkStatus
from eoffice.incoming.services import IncomingError
from eoffice.outgoing.models import OutgoingDocument, Status
from eoffice.work.replies import draft_reply

from .conftest import metadata


def handled_by_specialist(office, pdf, *, receipt=None):
    """A registered document, instructed to PBGDPL and assigned to the specialist (HANDLE open)."""
    if receipt is not None:
        doc = services.register_incoming(office.clerk, receipt=receipt)
    else:
        doc = services.register_incoming(office.clerk, metadata=metadata(), files=[("cv.pdf", pdf)],
                                         channel="paper")
    item = WorkItem.objects.get(document=doc, kind=WorkKind.INSTRUCT, status=WorkStatus.OPEN)
    services.instruct(item, office.leader, text="Giao PBGDPL", lead_unit=office.lead,
                      deadline=timezone.localdate() + dt.timedelta(days=3))
    item = WorkItem.objects.get(document=doc, kind=WorkKind.ASSIGN, status=WorkStatus.OPEN)
    services.assign_handlers(item, office.head, main_handler=office.specialist)
    return doc, WorkItem.objects.get(document=doc, kind=WorkKind.HANDLE, status=WorkStatus.OPEN)


def released(draft: OutgoingDocument, notation: str = "07/STP-PBGDPL") -> OutgoingDocument:
    """Stand-in for the outgoing procedure's end (tested with real signatures in tests/outgoing)."""
    draft.status, draft.notation, draft.released_at = Status.RELEASED, notation, timezone.now()
    draft.save()
    return draft


def test_drafting_a_reply_keeps_the_handling_open_and_opens_the_same_draft_twice(office, pdf):
    doc, item = handled_by_specialist(office, pdf)
    draft = draft_reply(item, office.specialist)
    assert draft.answers_incoming_id == doc.pk and draft.drafter == office.specialist
    assert draft_reply(item, office.specialist).pk == draft.pk
    item.refresh_from_db()
    assert item.status == WorkStatus.OPEN
    assert Step.objects.filter(document=doc, action="reply_drafted").count() == 1
    with pytest.raises(IncomingError):
        draft_reply(item, office.specialist2)


def test_released_reply_finishes_the_handling_closes_the_document_and_tells_the_sender(
        office, pdf, django_capture_on_commit_callbacks):
    receipt = services.receive(office.agency, files=[("cv.pdf", pdf)], metadata=metadata(), source="test",
                               source_ref="r-1")
    doc, item = handled_by_specialist(office, pdf, receipt=receipt)
    draft = released(draft_reply(item, office.specialist))
    seen = []
    signals.status_changed.connect(lambda **kw: seen.append(kw["status"]), weak=False, dispatch_uid="t-reply")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.reply_released(doc.pk, draft)
        with django_capture_on_commit_callbacks(execute=True):
            services.reply_released(doc.pk, draft)  # idempotent
    finally:
        signals.status_changed.disconnect(dispatch_uid="t-reply")
    doc.refresh_from_db()
    item.refresh_from_db()
    assert doc.status == DocumentStatus.DONE and item.status == WorkStatus.DONE
    assert IncomingProcess.objects.get(document=doc).status == PROCESS.DONE
    step = Step.objects.get(document=doc, action="reply_released")
    assert step.text == "Đã ban hành văn bản trả lời: 07/STP-PBGDPL" and step.data["outgoing_id"] == draft.pk
    assert Step.objects.filter(document=doc, action="handled").count() == 1
    assert seen == [signals.DONE]


def test_reply_after_handling_was_finished_only_records_the_reply(office, pdf):
    doc, item = handled_by_specialist(office, pdf)
    services.finish_handling(item, office.specialist, result="Đã xử lý", draft_reply=True)
    draft = released(OutgoingDocument.objects.get(answers_incoming_id=doc.pk))
    services.reply_released(doc.pk, draft)
    doc.refresh_from_db()
    assert doc.status == DocumentStatus.DONE
    assert list(Step.objects.filter(document=doc, action__in=["handled", "reply_released"])
                .values_list("action", flat=True)) == ["handled", "reply_released"]


def test_reply_of_another_agency_changes_nothing(office, pdf):
    doc, item = handled_by_specialist(office, pdf)
    draft = released(draft_reply(item, office.specialist))
    draft.agency = office.other_agency
    assert services.reply_released(doc.pk, draft) is None
    item.refresh_from_db()
    assert item.status == WorkStatus.OPEN


def test_both_pages_link_the_reply_and_the_incoming_document(office, pdf, client):
    doc, item = handled_by_specialist(office, pdf)
    client.force_login(office.specialist)
    response = client.post(reverse("incoming:act", args=[doc.pk, item.pk]), {"action": "draft_reply"})
    draft = OutgoingDocument.objects.get(answers_incoming_id=doc.pk)
    assert response.status_code == 302 and response.url == reverse("outgoing-detail", args=[draft.pk])
    services.reply_released(doc.pk, released(draft))
    page = client.get(reverse("incoming:document", args=[doc.pk])).content.decode()
    assert f'data-reply="{draft.pk}"' in page and reverse("outgoing-detail", args=[draft.pk]) in page
    assert "Đã ban hành văn bản trả lời: 07/STP-PBGDPL" in page
    detail = client.get(reverse("outgoing-detail", args=[draft.pk])).content.decode()
    assert reverse("incoming:document", args=[doc.pk]) in detail and f'data-answers="{doc.pk}"' in detail


@pytest.fixture
def case_file(office):
    ensure_retention_periods()
    return open_file(office.specialist, unit=office.lead, year=timezone.localdate().year, code="PBGDPL-01",
                     title="Hồ sơ phổ biến pháp luật", retention=RetentionPeriod.objects.order_by("pk").first())


def test_specialist_files_the_document_in_the_form_that_finishes_the_handling(office, pdf, client, case_file):
    doc, item = handled_by_specialist(office, pdf)
    client.force_login(office.specialist)
    page = client.get(reverse("incoming:document", args=[doc.pk])).content.decode()
    assert "Đưa vào hồ sơ" in page and "PBGDPL-01" in page
    response = client.post(reverse("incoming:act", args=[doc.pk, item.pk]),
                           {f"i{item.pk}-text": "Đã xử lý", f"i{item.pk}-case_file": case_file.pk})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == WorkStatus.DONE
    assert FileEntry.objects.get(kind="incoming", document_id=doc.pk).case_file == case_file


def test_refused_filing_leaves_the_handling_open(office, pdf, client, case_file):
    doc, item = handled_by_specialist(office, pdf)
    close_file(office.specialist, case_file)
    client.force_login(office.specialist)
    response = client.post(reverse("incoming:act", args=[doc.pk, item.pk]),
                           {f"i{item.pk}-text": "Đã xử lý", f"i{item.pk}-case_file": case_file.pk})
    assert response.status_code == 400
    with pytest.raises(IncomingError) as refused:
        services.finish_handling_and_file(item, office.specialist, result="Đã xử lý", case_file=case_file)
    assert "kết thúc" in refused.value.message
    item.refresh_from_db()
    assert item.status == WorkStatus.OPEN and not FileEntry.objects.filter(document_id=doc.pk).exists()
