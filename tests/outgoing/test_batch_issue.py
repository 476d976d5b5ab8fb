"""The clerk's batch issue: number, seal and release many signed dispatches at once, one Celery task each.

The tasks run on a REAL Celery worker (the project's app, the test broker, queue ``signing``); the tests wait on
each task's result (``AsyncResult.get``), never on a sleep.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from celery.contrib.testing.worker import start_worker
from celery.result import AsyncResult
from django.urls import reverse
from rest_framework.test import APIClient

from eoffice.audit.models import AuditRecord
from eoffice.documents.models import NumberSeries
from eoffice.documents.services import store_file
from eoffice.notifications.models import Notification
from eoffice.orgs.models import Person, Unit
from eoffice.outgoing import batch, services
from eoffice.outgoing.models import OutgoingDocument, Status, VersionKind
from tests.signing._pdf_checks import pyhanko_statuses

from .conftest import draft_pdf
from .test_flow import new_draft, to_signed

TIMEOUT = 300


@contextmanager
def signing_worker() -> Iterator[None]:
    """A real worker on the signing queue (and interchange, where releases hand deliveries over)."""
    from eoffice.celery import app

    with start_worker(app, perform_ping_check=False, pool="solo", queues=["signing", "interchange"],
                      shutdown_timeout=60):
        yield


def signed_documents(p, n: int) -> list[OutgoingDocument]:
    return [to_signed(p, new_draft(p, recipient_units=[p.vp])) for _i in range(n)]


def wait_for(task_ids: list[str]) -> list[dict]:
    return [AsyncResult(task_id).get(timeout=TIMEOUT) for task_id in task_ids]


def queued_task_ids(documents: list[OutgoingDocument]) -> list[str]:
    """The Celery task of each document's latest batch (recorded when the batch was queued)."""
    found = []
    for document in documents:
        rec = AuditRecord.objects.filter(action=batch.QUEUED, object_type=batch.OBJECT_TYPE,
                                         object_id=str(document.pk)).order_by("-at", "-id").first()
        found.append(rec.data["task"])
    return found


def last_number(p) -> int:
    series = NumberSeries.objects.filter(agency=p.stp, direction="outgoing", code="di").first()
    return series.last_number if series else 0


def api(person) -> APIClient:
    client = APIClient()
    client.force_authenticate(person)
    return client


@pytest.mark.django_db(transaction=True)
def test_clerk_batch_issues_three_documents_from_the_list_consecutive_numbers_sealed_and_released(
    client, keys, dev_pki
):
    p = keys
    documents = signed_documents(p, 3)
    client.force_login(p.clerk)
    page = client.get(reverse("module-outgoing")).content.decode()
    assert "Cấp số, đóng dấu và phát hành các văn bản đã chọn" in page
    for d in documents:
        assert f'name="documents" value="{d.pk}"' in page

    response = client.post(reverse("outgoing-issue-batch"), {"documents": [d.pk for d in documents]}, follow=True)
    page = response.content.decode()
    assert "Đã đưa 3 văn bản vào hàng đợi đóng dấu…" in page
    # Not yet processed (no worker yet): the list says so, and the documents can't be chosen twice meanwhile.
    assert page.count('data-batch-state="queued"') >= 3
    assert "Đang chờ cấp số, đóng dấu…" in page
    assert f'name="documents" value="{documents[0].pk}"' not in page

    with signing_worker():
        results = wait_for(queued_task_ids(documents))
    assert [r["status"] for r in results] == ["released"] * 3

    numbers = []
    for d in documents:
        d.refresh_from_db()
        assert d.status == Status.RELEASED
        numbers.append(d.number)
        assert d.notation == f"{d.number:02d}/STP-PBGDPL"
        statuses = pyhanko_statuses(d.current_file.read(), dev_pki.root_cert_path)
        assert len(statuses) == 2 and all(s.bottom_line for s in statuses)
        assert statuses[0].modification_level.name in ("FORM_FILLING", "LTA_UPDATES")
        assert d.versions.order_by("-seq").first().kind == VersionKind.SEALED
    # One worker takes the tasks in the order they were queued: the numbers follow the clerk's order, no gap.
    assert numbers == [1, 2, 3]
    assert last_number(p) == 3
    assert not Notification.objects.filter(recipient=p.clerk, key__startswith="outgoing-batch-failed").exists()

    # The page shows where each document ended up; the status endpoint the page polls says the same.
    page = client.get(reverse("module-outgoing")).content.decode()
    assert page.count('data-batch-state="released"') == 3
    status = client.get(reverse("outgoing-batch-status"), {"ids": ",".join(str(d.pk) for d in documents)}).json()
    assert {v["state"] for v in status["documents"].values()} == {"released"}
    assert not any(v["pending"] for v in status["documents"].values())

    # Idempotent: the same task again (a redelivered message) changes nothing and numbers nothing.
    again = batch.run_one(documents[0].pk, p.clerk.pk, release=True)
    assert again["status"] == "skipped"
    assert last_number(p) == 3
    # And a new batch with a released document is refused as a whole.
    refused = api(p.clerk).post("/api/v1/outgoing-documents/issue-batch/", {"documents": [documents[0].pk]},
                                format="json")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "wrong_state"


def test_batch_refused_for_other_agency_non_clerk_bad_ids_and_wrong_state_with_no_number_consumed(keys):
    p = keys
    signed = signed_documents(p, 2)
    draft = new_draft(p)
    other = services.create_draft(
        Person.objects.get(username="chuyenvien.dongson"), document_type=p.type("cong-van"),
        summary="V/v báo cáo công tác tư pháp", signer=Person.objects.get(username="chutich.dongson"),
        file=("du-thao.pdf", draft_pdf(p.director)), recipient_units=[Unit.objects.filter(agency=p.dongson).first()])
    url = "/api/v1/outgoing-documents/issue-batch/"
    ids = [d.pk for d in signed]

    # A document of another agency in the batch: 404, told apart neither from an id that does not exist.
    foreign = api(p.clerk).post(url, {"documents": [*ids, other.pk]}, format="json")
    missing = api(p.clerk).post(url, {"documents": [*ids, 999_999]}, format="json")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"
    assert foreign.json()["error"]["details"] == {"ids": [other.pk]}
    # The clerk of another agency cannot batch this agency's documents either (same 404, nothing revealed).
    district = api(p.district_clerk).post(url, {"documents": ids}, format="json")
    assert district.status_code == 404 and district.json()["error"]["code"] == "not_found"
    # Not a clerk: 403.
    for person in (p.specialist, p.director):
        refused = api(person).post(url, {"documents": ids}, format="json")
        assert refused.status_code == 403, refused.content
        assert refused.json()["error"]["code"] == "not_clerk"
    # A document not waiting for the clerk: 409 naming it.
    wrong = api(p.clerk).post(url, {"documents": [*ids, draft.pk]}, format="json")
    assert wrong.status_code == 409
    assert wrong.json()["error"]["details"] == {"documents": [{"id": draft.pk, "status": "draft"}]}
    assert "Dự thảo" in wrong.json()["error"]["message"]
    # Malformed bodies: structured 400s.
    for body in ({"documents": []}, {"documents": ["x"]}, {}):
        bad = api(p.clerk).post(url, body, format="json")
        assert bad.status_code == 400 and "error" in bad.json()

    # Nothing was queued, numbered or changed.
    assert last_number(p) == 0
    assert not AuditRecord.objects.filter(action=batch.QUEUED).exists()
    for d in signed:
        d.refresh_from_db()
        assert (d.status, d.number) == (Status.SIGNED, None)

    # The same through the page: the message says why, nothing is queued.
    from django.test import Client

    browser = Client()
    browser.force_login(p.specialist)
    assert browser.post(reverse("outgoing-issue-batch"), {"documents": ids}).status_code in (302, 403)
    browser.force_login(p.clerk)
    page = browser.post(reverse("outgoing-issue-batch"), {"documents": [*ids, other.pk]}, follow=True)
    assert "Không tìm thấy văn bản" in page.content.decode()
    assert not AuditRecord.objects.filter(action=batch.QUEUED).exists()


def test_issue_batch_is_in_the_openapi_schema(client, province):
    client.force_login(province.clerk)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/outgoing-documents/issue-batch/"]["post"]
    assert "202" in operation["responses"]


@pytest.mark.django_db(transaction=True)
def test_one_broken_document_fails_alone_with_its_reason_while_the_others_are_issued(client, keys, dev_pki):
    p = keys
    first, broken, last = signed_documents(p, 3)
    # The broken one: its current file lost the number/date fields (a PDF that cannot be numbered).
    broken.current_file = store_file(draft_pdf(p.director), name="hong.pdf")
    broken.save(update_fields=["current_file"])

    answer = api(p.clerk).post("/api/v1/outgoing-documents/issue-batch/",
                               {"documents": [first.pk, broken.pk, last.pk], "release": True}, format="json")
    assert answer.status_code == 202, answer.content
    body = answer.json()
    assert body["documents"] == [first.pk, broken.pk, last.pk] and body["release"] is True
    with signing_worker():
        results = wait_for(body["tasks"])
    assert [r["status"] for r in results] == ["released", "failed", "released"]
    reason = "Không cấp số, đóng dấu được: Văn bản không có ô số, ký hiệu hoặc ô ngày ban hành để điền."
    assert results[1]["reason"] == reason

    for d in (first, broken, last):
        d.refresh_from_db()
    # The failure consumed no number: the others are 1 and 2, consecutive.
    assert (first.number, last.number) == (1, 2)
    assert (first.status, last.status) == (Status.RELEASED, Status.RELEASED)
    assert (broken.status, broken.number, broken.notation) == (Status.SIGNED, None, "")
    assert not broken.versions.filter(kind__in=[VersionKind.NUMBERED, VersionKind.SEALED]).exists()
    assert last_number(p) == 2
    for d in (first, last):
        statuses = pyhanko_statuses(d.current_file.read(), dev_pki.root_cert_path)
        assert len(statuses) == 2 and all(s.bottom_line for s in statuses)

    # The clerk sees the reason: on the document's page, in the list, in the API and as a notification.
    client.force_login(p.clerk)
    page = client.get(reverse("outgoing-detail", args=[broken.pk])).content.decode()
    assert "data-batch-failure" in page and reason in page
    listing = client.get(reverse("module-outgoing")).content.decode()
    assert 'data-batch-state="failed"' in listing and reason in listing
    # Not pending any more: it can be chosen again once the clerk has fixed it.
    assert f'name="documents" value="{broken.pk}"' in listing
    state = api(p.clerk).get(f"/api/v1/outgoing-documents/{broken.pk}/").json()["batch"]
    assert state["code"] == "failed" and state["reason"] == reason and state["pending"] is False
    [note] = Notification.objects.filter(recipient=p.clerk, key__startswith="outgoing-batch-failed")
    assert reason in note.text and note.link == reverse("outgoing-detail", args=[broken.pk])
    assert AuditRecord.objects.filter(action=batch.FAILED, object_id=str(broken.pk)).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_and_a_double_click_number_each_document_once_without_gap(keys, dev_pki):
    p = keys
    documents = signed_documents(p, 4)
    first = batch.issue_batch(documents, p.clerk)
    # The clerk clicks again before anything ran: the same documents are queued a second time.
    again = batch.issue_batch(documents[:2], p.clerk)
    from eoffice.celery import app

    with start_worker(app, perform_ping_check=False, pool="threads", concurrency=2, queues=["signing"],
                      shutdown_timeout=60):
        results = wait_for(first.tasks + again.tasks)
    assert sum(r["status"] == "released" for r in results) == 4
    assert {r["status"] for r in results} <= {"released", "skipped"}
    numbers = []
    for d in documents:
        d.refresh_from_db()
        assert d.status == Status.RELEASED
        assert d.versions.filter(kind=VersionKind.SEALED).count() == 1
        numbers.append(d.number)
    assert sorted(numbers) == [1, 2, 3, 4]
    assert last_number(p) == 4
