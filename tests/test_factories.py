"""The builders of ``tests/factories.py`` make valid objects through the real actions."""

from __future__ import annotations

import pytest

from eoffice.archive.models import FileStatus
from eoffice.incoming.models import DocumentStatus, WorkItem, WorkKind, WorkStatus
from eoffice.outgoing.models import Status
from tests.factories import (
    make_case_file,
    make_draft,
    make_incoming,
    make_office,
    make_pdf,
    make_transferred_files,
    open_work_item,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def office():
    return make_office()


def test_the_office_has_the_usual_people_in_their_units(office):
    assert office.clerk.has_role("clerk") and office.clerk.unit == office.vp
    assert office.leader.has_role("leader") and office.leader.agency == office.agency
    assert office.head.has_role("unit_head") and office.head.unit == office.lead
    assert office.specialist.unit == office.lead and office.archivist.has_role("archivist")
    assert office.outsider_clerk.agency == office.other != office.agency


def test_the_pdf_is_a_valid_pdf_with_its_text():
    import io
    import subprocess

    from pyhanko.pdf_utils.reader import PdfFileReader

    data = make_pdf("Công văn về cải cách hành chính", pages=2)
    assert PdfFileReader(io.BytesIO(data)).root["/Pages"]["/Count"] == 2
    text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
    assert "cải cách hành chính" in text


def test_an_incoming_document_is_registered_and_presented_to_the_leader(office):
    document = make_incoming(office.clerk, "Công văn về phổ biến pháp luật")
    assert document.arrival_number >= 1 and document.registered_by == office.clerk
    assert document.status == DocumentStatus.REGISTERED
    item = open_work_item(document, WorkKind.INSTRUCT)
    assert item.person == office.leader and item.status == WorkStatus.OPEN
    again = make_incoming(office.clerk, "Công văn về phổ biến pháp luật")  # a new number/notation: no duplicate
    assert again.arrival_number == document.arrival_number + 1


def test_an_incoming_document_routed_to_a_handler_waits_for_them(office):
    routed = make_incoming(office.clerk, route_to=office.lead)
    assert routed.lead_unit == office.lead and routed.status == DocumentStatus.IN_PROGRESS
    assert open_work_item(routed, WorkKind.ASSIGN).person == office.head

    handled = make_incoming(office.clerk, handler=office.specialist, confidentiality="mat")
    assert handled.lead_unit == office.lead
    assert open_work_item(handled, WorkKind.HANDLE).person == office.specialist
    assert not WorkItem.objects.filter(document=handled, kind=WorkKind.ASSIGN, status=WorkStatus.OPEN).exists()


def test_an_outgoing_draft_is_created_submitted_and_reviewed_on_request(office):
    draft = make_draft(office.specialist, office.leader, recipient_units=[office.vp])
    assert draft.status == Status.DRAFT and draft.drafting_unit == office.lead
    assert draft.versions.count() == 1

    submitted = make_draft(office.specialist, office.leader, submit=True)
    assert submitted.status == Status.IN_REVIEW

    reviewed = make_draft(office.specialist, office.leader, reviewer=office.head)
    assert reviewed.status == Status.TO_SIGN

    bare = make_draft(office.head, office.leader, with_file=False)
    assert bare.status == Status.DRAFT and not bare.versions.exists()


def test_a_case_file_is_opened_with_its_documents_closed_and_transferred_on_request(office):
    document = make_incoming(office.clerk)
    case_file = make_case_file(office.clerk, documents=[document])
    assert case_file.status == FileStatus.OPEN and case_file.unit == office.vp
    assert [entry.document_id for entry in case_file.entries.all()] == [document.pk]

    closed = make_case_file(office.head, title="Hồ sơ phổ biến pháp luật", closed=True)
    assert closed.status == FileStatus.CLOSED and closed.unit == office.lead and closed.code != case_file.code
    transfer = make_transferred_files(office.archivist, closed, note="Nộp lưu")
    closed.refresh_from_db()
    assert closed.status == FileStatus.TRANSFERRED and closed.transfer == transfer
