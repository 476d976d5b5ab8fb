"""``manage.py load_demo_documents``: the demo province gets documents in every state, through the real services."""

from __future__ import annotations

import io
from urllib.parse import urlparse

import pytest
from django.core.management import call_command
from django.utils import timezone

from eoffice.archive.models import CaseFile, FileEntry
from eoffice.audit.models import AuditRecord
from eoffice.documents.models import StoredFile, Urgency
from eoffice.incoming.models import (
    DocumentStatus,
    IncomingDocument,
    Receipt,
    ReceiptStatus,
    WorkItem,
    WorkKind,
    WorkStatus,
)
from eoffice.orgs.models import Person
from eoffice.orgs.scoping import visible_to
from eoffice.outgoing.models import OutgoingDocument, Status
from eoffice.outgoing.services import waiting_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_province(dev_pki_settings, dev_pki):
    """The demo province on a fresh database, the signing code pointed at the test PKI and its services."""
    from eoffice.demo.province import load_demo
    from eoffice.documents.services import ensure_document_types

    # The command looks for the PKI services on this port (and serves them itself when nothing listens there).
    dev_pki_settings.SIGNING_DEV_SERVICES_PORT = urlparse(dev_pki.services.url).port
    ensure_document_types()
    load_demo()


def run_command() -> str:
    out = io.StringIO()
    call_command("load_demo_documents", stdout=out)
    return out.getvalue()


def person(username: str) -> Person:
    return Person.objects.select_related("agency", "unit").get(username=username)


def open_items(username: str, kind: str):
    someone = person(username)
    return visible_to(WorkItem, someone).filter(person=someone, kind=kind, status=WorkStatus.OPEN)


def counts() -> dict[str, int]:
    models = (Receipt, IncomingDocument, WorkItem, OutgoingDocument, CaseFile, FileEntry, StoredFile, AuditRecord)
    return {model.__name__: model.objects.count() for model in models}


def test_demo_documents_put_work_at_every_stage_in_the_inboxes_of_the_showcase_people(demo_province):
    output = run_command()
    assert "8 incoming, 3 outgoing, 1 file(s) created" in output
    today = timezone.localdate()

    # The clerk: two dispatches waiting in the receipt queue, their sender's signature and seal valid.
    clerk = person("vanthu.stp")
    waiting = visible_to(Receipt, clerk).filter(status=ReceiptStatus.WAITING)
    assert waiting.count() == 2
    all_receipts = visible_to(Receipt, clerk).filter(source="demo")
    assert all_receipts.count() == 8
    assert set(all_receipts.values_list("validation_status", flat=True)) == {"valid"}
    assert all("Hợp lệ" in summary for summary in all_receipts.values_list("validation_summary", flat=True))
    assert all_receipts.exclude(issuer_agency=None).count() == 8

    # The director: one registered dispatch waiting for the instruction, one draft waiting for the signature.
    instruct = open_items("giamdoc.stp", WorkKind.INSTRUCT)
    assert instruct.count() == 1
    assert instruct.get().document.status == DocumentStatus.REGISTERED
    to_sign = waiting_for(person("giamdoc.stp"))
    assert list(to_sign.values_list("status", flat=True)) == [Status.TO_SIGN]

    # The head of PBGDPL: one instructed dispatch to assign, one draft to check.
    assign = open_items("truongphong.stp", WorkKind.ASSIGN)
    assert assign.count() == 1
    assert assign.get().document.lead_unit == person("truongphong.stp").unit
    assert list(waiting_for(person("truongphong.stp")).values_list("status", flat=True)) == [Status.IN_REVIEW]

    # The specialist: three dispatches being handled, one of them urgent and one overdue.
    handle = open_items("chuyenvien.stp", WorkKind.HANDLE)
    assert handle.count() == 3
    assert handle.filter(deadline__lt=today).count() == 1
    assert handle.filter(urgency=Urgency.URGENT).count() == 1
    assert open_items("phogiamdoc.stp", WorkKind.INFO).count() == 1

    # One done, registered with real arrival numbers 1..6 of this year's incoming register.
    documents = visible_to(IncomingDocument, clerk)
    assert documents.filter(status=DocumentStatus.DONE).count() == 1
    assert sorted(documents.values_list("arrival_number", flat=True)) == [1, 2, 3, 4, 5, 6]

    # Outgoing: the released one was numbered and sealed, and delivered to Đông Sơn's receipt queue.
    released = visible_to(OutgoingDocument, clerk).get(status=Status.RELEASED)
    assert released.notation.startswith("01/STP-")
    district_clerk = person("vanthu.dongson")
    arrived = visible_to(Receipt, district_clerk).filter(status=ReceiptStatus.WAITING)
    assert list(arrived.values_list("number_notation", flat=True)) == [released.notation]
    assert arrived.get().validation_status == "valid"
    assert arrived.get().issuer_agency == clerk.agency

    # The PBGDPL file of this year holds the done dispatch, one being handled and the released document.
    case_file = visible_to(CaseFile, person("luutru.stp")).get(year=today.year, unit=person("truongphong.stp").unit)
    assert sorted(case_file.entries.values_list("kind", flat=True)) == ["incoming", "incoming", "outgoing"]

    # Made through the services: the audit trail has the steps a person would have taken.
    actions = set(AuditRecord.objects.values_list("action", flat=True))
    assert {"incoming.receipt_arrived", "incoming.registered", "incoming.instructed", "incoming.assigned",
            "incoming.handled", "outgoing.signed", "outgoing.issued", "outgoing.released",
            "archive.file_opened", "archive.document_filed"} <= actions


def test_a_second_run_creates_nothing(demo_province):
    run_command()
    before = counts()
    output = run_command()
    assert "0 incoming, 0 outgoing, 0 file(s) created" in output
    assert counts() == before
