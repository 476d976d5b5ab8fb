"""The task actions of the API (``/api/v1/my-tasks/{id}/act/``) offer what the document page offers, with the same
rules: extend a deadline with a reason, a unit head reassigning a specialist's step, a leader taking a step back;
someone without the right gets a structured 403 (or 404 when the document is not theirs to see) and nothing
changes."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from eoffice.incoming import services
from eoffice.incoming.models import DeadlineExtension, Step, WorkItem, WorkKind, WorkStatus

from .conftest import metadata


def routed(office, pdf, *, deadline_days=3):
    """Registered, instructed to the lead unit with a deadline, assigned to ``office.specialist``."""
    doc = services.register_incoming(office.clerk, files=[("cv.pdf", pdf)], channel="email", metadata=metadata())
    services.instruct(WorkItem.objects.get(document=doc, kind=WorkKind.INSTRUCT), office.leader, text="Giao PBGDPL",
                      lead_unit=office.lead, deadline=timezone.localdate() + dt.timedelta(days=deadline_days))
    return doc


def open_item(doc, person, kind):
    return WorkItem.objects.get(document=doc, person=person, kind=kind, status=WorkStatus.OPEN)


def act(client, item, **body):
    return client.post(f"/api/v1/my-tasks/{item.pk}/act/", body, content_type="application/json")


def snapshot(doc):
    doc.refresh_from_db()
    return (doc.due_on, sorted(WorkItem.objects.filter(document=doc).values_list("pk", "person_id", "status",
                                                                                   "deadline")),
            Step.objects.filter(document=doc).count(), DeadlineExtension.objects.filter(document=doc).count())


def test_leader_extends_the_deadline_with_a_reason_through_the_api(office, pdf, client):
    doc = routed(office, pdf)
    item = open_item(doc, office.head, WorkKind.ASSIGN)  # the head's step, not the leader's
    new = timezone.localdate() + dt.timedelta(days=10)
    client.force_login(office.leader)
    no_reason = act(client, item, action="extend", deadline=new.isoformat(), text=" ")
    assert no_reason.status_code == 400 and no_reason.json()["error"]["code"] == "reason_required"
    no_date = act(client, item, action="extend", text="Cần thêm thời gian")
    assert no_date.status_code == 400 and no_date.json()["error"]["details"] == {"field": "deadline"}
    answer = act(client, item, action="extend", deadline=new.isoformat(), text="Cần lấy ý kiến các sở")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["deadline"] == new.isoformat() and answer.json()["status"] == "open"
    doc.refresh_from_db()
    assert doc.due_on == new
    extension = doc.extensions.get()
    assert extension.reason == "Cần lấy ý kiến các sở" and extension.by == office.leader
    assert Step.objects.filter(document=doc, action="deadline_extended", actor=office.leader).exists()
    earlier = act(client, item, action="extend", deadline=(new - dt.timedelta(days=1)).isoformat(), text="Lùi")
    assert earlier.status_code == 400 and earlier.json()["error"]["code"] == "invalid_deadline"


def test_unit_head_reassigns_the_specialists_step_through_the_api(office, pdf, client):
    doc = routed(office, pdf)
    services.assign_handlers(open_item(doc, office.head, WorkKind.ASSIGN), office.head,
                             main_handler=office.specialist)
    item = open_item(doc, office.specialist, WorkKind.HANDLE)
    client.force_login(office.head)
    answer = act(client, item, action="reassign", to=office.specialist2.pk, text="Chuyên viên nghỉ phép")
    assert answer.status_code == 200, answer.json()
    moved = answer.json()
    assert moved["person"] == office.specialist2.pk and moved["kind"] == "handle" and moved["status"] == "open"
    item.refresh_from_db()
    assert item.status == WorkStatus.CANCELED
    step = Step.objects.get(document=doc, action="reassigned")
    assert (step.actor, step.target, step.text) == (office.head, office.specialist2, "Chuyên viên nghỉ phép")
    # The new handler finds it in their tasks and finishes it through the API.
    client.force_login(office.specialist2)
    assert [t["id"] for t in client.get("/api/v1/my-tasks/").json()["results"]] == [moved["id"]]
    done = client.post(f"/api/v1/my-tasks/{moved['id']}/act/", {"action": "finish", "text": "Đã xử lý"},
                       content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "done"
    doc.refresh_from_db()
    assert doc.status == "done"


def test_leader_takes_back_the_heads_step_through_the_api(office, pdf, client):
    doc = routed(office, pdf)
    item = open_item(doc, office.head, WorkKind.ASSIGN)
    client.force_login(office.leader)
    answer = act(client, item, action="take_back", text="Lãnh đạo trực tiếp giao việc")
    assert answer.status_code == 200, answer.json()
    taken = answer.json()
    assert taken["person"] == office.leader.pk and taken["kind"] == "assign" and taken["status"] == "open"
    assert not WorkItem.objects.filter(document=doc, person=office.head, status=WorkStatus.OPEN).exists()
    assert Step.objects.filter(document=doc, action="taken_back", actor=office.leader).exists()
    # The step is now the leader's: assigning it moves the flow on.
    assigned = client.post(f"/api/v1/my-tasks/{taken['id']}/act/",
                           {"action": "assign", "main_handler": office.specialist.pk},
                           content_type="application/json")
    assert assigned.status_code == 200 and assigned.json()["status"] == "done"
    assert open_item(doc, office.specialist, WorkKind.HANDLE)


def test_people_without_the_right_are_refused_and_nothing_changes(office, pdf, client):
    doc = routed(office, pdf)
    services.assign_handlers(open_item(doc, office.head, WorkKind.ASSIGN), office.head,
                             main_handler=office.specialist)
    handle = open_item(doc, office.specialist, WorkKind.HANDLE)
    later = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    before = snapshot(doc)
    refusals = [
        # The specialist sees the document (it is their work) but may not move or extend it.
        (office.specialist, dict(action="reassign", to=office.specialist2.pk, text="x"), 403, "permission_denied"),
        (office.specialist, dict(action="take_back", text="x"), 403, "permission_denied"),
        (office.specialist, dict(action="extend", deadline=later, text="x"), 403, "permission_denied"),
        # The unit head may reassign within the unit, but neither take back nor extend (leaders only).
        (office.head, dict(action="take_back", text="x"), 403, "permission_denied"),
        (office.head, dict(action="extend", deadline=later, text="x"), 403, "permission_denied"),
        # Seeing a step is not owning it.
        (office.head, dict(action="finish", text="x"), 403, "not_assigned"),
        # The head of another unit, a specialist of the unit with no part in it, another agency: not found.
        (office.support_head, dict(action="reassign", to=office.bystander.pk, text="x"), 404, "not_found"),
        (office.specialist2, dict(action="reassign", to=office.specialist2.pk, text="x"), 404, "not_found"),
        (office.outsider_leader, dict(action="take_back", text="x"), 404, "not_found"),
        (office.outsider_leader, dict(action="extend", deadline=later, text="x"), 404, "not_found"),
    ]
    for person, body, status, code in refusals:
        client.force_login(person)
        answer = act(client, handle, **body)
        assert answer.status_code == status, (person, body, answer.json())
        error = answer.json()["error"]
        assert error["code"] == code and error["message"], (person, body, error)
    assert snapshot(doc) == before
    handle.refresh_from_db()
    assert handle.status == WorkStatus.OPEN and handle.person == office.specialist
