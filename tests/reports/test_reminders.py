"""Deadline reminders: who is told about what, in-app and by e-mail, once; the beat task on a real worker."""

from __future__ import annotations

import datetime as dt

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core import mail
from django.urls import reverse

from eoffice.incoming.models import DocumentStatus, Instruction, WorkKind, WorkStatus
from eoffice.notifications import services
from eoffice.notifications.models import Notification
from eoffice.reports.services import DUE_SOON, OVERDUE, due_reminders, send_deadline_reminders

from .conftest import at, give, make_doc

TODAY = dt.date(2026, 3, 10)


@pytest.fixture
def work(org):
    """Open work with deadlines around TODAY, given to spec1 of the lead unit by its head (org.head), as the flow
    does: the head assigned it, so the document is one the head may see."""
    def doc(deadline, **extra):
        document = make_doc(org, arrived=at(2026, 3, 1), due_on=deadline, lead_unit=org.lead, **extra)
        give(document, org.head, WorkStatus.DONE, kind=WorkKind.ASSIGN)
        return document

    w = {
        "overdue": give(doc(dt.date(2026, 3, 9)), org.spec1),
        "today": give(doc(TODAY), org.spec1),
        "in_two_days": give(doc(dt.date(2026, 3, 12)), org.spec1),
        "in_three_days": give(doc(dt.date(2026, 3, 13)), org.spec1),
        "no_deadline": give(doc(None), org.spec1),
        "done": give(doc(dt.date(2026, 3, 1)), org.spec1, WorkStatus.DONE),
        "info": give(doc(dt.date(2026, 3, 1)), org.spec2, kind=WorkKind.INFO),
        "recalled": give(doc(dt.date(2026, 3, 1), status=DocumentStatus.RECALLED), org.spec1),
    }
    Instruction.objects.create(document=w["overdue"].document, author=org.leader, text="Đề nghị xử lý",
                               lead_unit=org.lead, deadline=dt.date(2026, 3, 9))
    return w


def test_due_soon_and_overdue_work_is_selected_with_its_stage(org, work):
    selected = {r.item.pk: r.stage for r in due_reminders(TODAY, within_days=2)}
    assert selected == {work["overdue"].pk: OVERDUE, work["today"].pk: DUE_SOON, work["in_two_days"].pk: DUE_SOON}


def test_the_person_responsible_and_their_unit_head_are_told_and_the_instructing_leader_when_overdue(org, work):
    recipients = {r.item.pk: [p.pk for p in r.recipients] for r in due_reminders(TODAY, within_days=2)}
    assert recipients[work["overdue"].pk] == [org.spec1.pk, org.head.pk, org.leader.pk]
    assert recipients[work["today"].pk] == [org.spec1.pk, org.head.pk]  # not yet overdue: the leader is spared


def test_running_the_job_twice_the_same_day_notifies_each_person_once_in_app_and_by_mail(
        org, work, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert send_deadline_reminders(TODAY, within_days=2) == 7  # 3 + 2 + 2
    assert len(mail.outbox) == 7
    with django_capture_on_commit_callbacks(execute=True):
        assert send_deadline_reminders(TODAY, within_days=2) == 0
    assert len(mail.outbox) == 7
    mine = Notification.objects.filter(recipient=org.spec1)
    assert mine.count() == 3
    overdue = mine.get(key__contains=f":{work['overdue'].pk}:overdue:")
    assert overdue.text.startswith("Quá hạn xử lý (hạn 09/03/2026)")
    assert overdue.link == reverse("incoming:document", args=[work["overdue"].document_id])
    assert overdue.emailed_at is not None
    message = next(m for m in mail.outbox if m.to == [org.leader.email])
    assert "đã quá hạn" in message.subject and overdue.link in message.body


def test_the_next_day_a_due_soon_item_that_became_overdue_is_reminded_again_as_overdue(org, work):
    send_deadline_reminders(TODAY, within_days=2)
    before = Notification.objects.count()
    send_deadline_reminders(dt.date(2026, 3, 11), within_days=2)  # "today" is now overdue; 13 March now due soon
    new = Notification.objects.order_by("pk")[before:]
    stages = {n.key.split(":")[2] for n in new if n.recipient_id == org.spec1.pk}
    assert stages == {OVERDUE, DUE_SOON}
    assert Notification.objects.filter(recipient=org.spec1, key__contains=f":{work['overdue'].pk}:").count() == 1


def test_an_extended_deadline_gets_its_own_reminder(org, work):
    send_deadline_reminders(TODAY, within_days=2)
    item = work["overdue"]
    item.deadline = dt.date(2026, 3, 11)
    item.save(update_fields=["deadline"])
    assert send_deadline_reminders(TODAY, within_days=2) == 2  # spec1 and the head, due soon on the new deadline


def test_the_bell_shows_the_unread_count_and_the_list_marks_notifications_read(client, org, work):
    send_deadline_reminders(TODAY, within_days=2)
    client.force_login(org.spec1)
    html = client.get(reverse("home")).content.decode()
    assert 'class="notification-bell has-unread"' in html and 'data-unread="3"' in html
    page = client.get(reverse("reports:notifications")).content.decode()
    assert "Quá hạn xử lý" in page and "Sắp đến hạn xử lý" in page
    first = Notification.objects.filter(recipient=org.spec1).order_by("pk").first()
    response = client.post(reverse("reports:notification-open", args=[first.pk]))
    assert response.status_code == 302 and response["Location"] == first.link
    assert services.unread_count(org.spec1) == 2
    client.post(reverse("reports:notifications-read-all"))
    assert services.unread_count(org.spec1) == 0


def test_nobody_opens_or_lists_someone_elses_notifications(client, org, work):
    send_deadline_reminders(TODAY, within_days=2)
    theirs = Notification.objects.filter(recipient=org.spec1).first()
    client.force_login(org.spec2)
    assert client.post(reverse("reports:notification-open", args=[theirs.pk])).status_code == 404
    assert theirs.text not in client.get(reverse("reports:notifications")).content.decode()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_reminder_job_is_on_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["reports.send-deadline-reminders"]
    assert entry["task"] == "reports.send_deadline_reminders"
    from eoffice.celery import app

    assert "reports.send_deadline_reminders" in app.tasks


@pytest.mark.django_db(transaction=True)
def test_the_beat_task_runs_on_a_real_worker_and_is_idempotent(org, work):
    from eoffice.celery import app
    from eoffice.reports.tasks import send_deadline_reminders as task

    with start_worker(app, perform_ping_check=False, pool="solo", queues=["default"]):
        assert task.delay(TODAY.isoformat()).get(timeout=60) == 7
        assert task.delay(TODAY.isoformat()).get(timeout=60) == 0
    assert Notification.objects.count() == 7
    assert Notification.objects.filter(emailed_at__isnull=False).count() == 7
