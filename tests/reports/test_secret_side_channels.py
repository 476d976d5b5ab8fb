"""Secret documents (mật, tối mật, tuyệt mật) reach nobody not named on them through the reports: the deadline
reminders (in-app and e-mail), the e-mail text itself, and the statistics' per-unit and per-person rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from eoffice.documents.models import Confidentiality
from eoffice.incoming.models import Instruction
from eoffice.notifications import services as notifications
from eoffice.notifications.models import Notification
from eoffice.reports.services import due_reminders, send_deadline_reminders
from eoffice.reports.statistics import Period, incoming_statistics, resolve_scope

from .conftest import at, give, make_doc

TODAY = dt.date(2026, 3, 10)
SECRET_SUMMARY = "V/v phương án bảo vệ mục tiêu trọng yếu"


@pytest.fixture
def secret_work(org):
    """An overdue secret document handled by spec1 (named on it through the work), in the head's unit; neither the
    unit head nor the leader who instructed is named on it."""
    document = make_doc(org, arrived=at(2026, 3, 1), due_on=dt.date(2026, 3, 9), lead_unit=org.lead,
                        summary=SECRET_SUMMARY, confidentiality=Confidentiality.SECRET, series_code="den-mat")
    document.named_people.set([org.spec1])
    Instruction.objects.create(document=document, author=org.leader, text="Đề nghị xử lý", lead_unit=org.lead,
                               deadline=dt.date(2026, 3, 9))
    return give(document, org.spec1)


def test_a_secret_documents_reminder_names_only_the_people_who_may_see_it(org, secret_work):
    reminders = {r.item.pk: r.recipients for r in due_reminders(TODAY, within_days=2)}
    assert reminders[secret_work.pk] == [org.spec1]  # not the unit head, not the instructing leader


def test_the_reminder_job_tells_nobody_else_of_a_secret_document_in_app_or_by_mail(
        org, secret_work, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert send_deadline_reminders(TODAY, within_days=2) == 1
    assert list(Notification.objects.values_list("recipient_id", flat=True)) == [org.spec1.pk]
    assert [m.to for m in mail.outbox] == [[org.spec1.email]]


def test_the_email_about_a_secret_document_says_there_is_secret_work_and_links_to_it(
        org, secret_work, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send_deadline_reminders(TODAY, within_days=2)
    (message,) = mail.outbox
    document = secret_work.document
    for leaked in (SECRET_SUMMARY, document.number_notation, f"{document.arrival_number_display}/{document.year}"):
        assert leaked not in message.subject and leaked not in message.body
    assert "văn bản mật" in message.subject and "văn bản mật" in message.body
    assert reverse("incoming:document", args=[document.pk]) in message.body
    in_app = Notification.objects.get(recipient=org.spec1)
    assert SECRET_SUMMARY in in_app.text  # behind the login, for the person named on it


def test_an_ordinary_documents_email_still_carries_its_text(org, django_capture_on_commit_callbacks):
    document = make_doc(org, arrived=at(2026, 3, 1), due_on=dt.date(2026, 3, 9), lead_unit=org.lead)
    give(document, org.spec1)
    with django_capture_on_commit_callbacks(execute=True):
        send_deadline_reminders(TODAY, within_days=2)
    (message,) = mail.outbox  # the head has no part in it: not told
    assert document.summary in message.body


def test_notify_stores_nothing_for_a_recipient_who_may_not_see_the_document(org, secret_work):
    assert notifications.notify(org.head, about=secret_work.document, text="x", key="k") is None
    assert notifications.notify(org.spec1, about=secret_work.document, text="x", key="k") is not None
    assert not Notification.objects.filter(recipient=org.head).exists()


# ------------------------------------------------------------------------------------------------ statistics
@pytest.fixture
def mixed(org):
    """In March: two ordinary documents handled by spec1, one secret document handled by spec2 (named on it)."""
    for _ in range(2):
        make_doc(org, arrived=at(2026, 3, 2), lead_unit=org.lead, handler=org.spec1)
    secret = make_doc(org, arrived=at(2026, 3, 3), lead_unit=org.other, handler=org.spec2,
                      confidentiality=Confidentiality.SECRET, series_code="den-mat", summary=SECRET_SUMMARY)
    secret.named_people.set([org.spec2])
    return secret


MARCH = Period.month(2026, 3)


def test_the_agencys_total_counts_secret_documents_but_its_rows_count_only_what_the_viewer_may_see(org, mixed):
    statistics = incoming_statistics(resolve_scope(org.leader), MARCH, today=TODAY, group_by="unit")
    assert statistics.total.received_total == 3  # the official report: every document, secret ones as a count
    rows = {row.key: row.received_total for row in statistics.rows}
    assert rows == {f"unit:{org.lead.pk}": 2}  # the other unit's only document is secret: no row at all
    by_person = incoming_statistics(resolve_scope(org.leader), MARCH, today=TODAY, group_by="person")
    assert {row.label for row in by_person.rows} == {org.spec1.full_name}


def test_a_person_named_on_the_secret_document_sees_it_in_the_rows(org, mixed):
    statistics = incoming_statistics(resolve_scope(org.leader, subject=org.spec2), MARCH, today=TODAY)
    assert statistics.total.received_total == 0  # the leader is not named on spec2's secret document
    own = incoming_statistics(resolve_scope(org.spec2), MARCH, today=TODAY)
    assert own.total.received_total == 1  # spec2 is


def test_a_unit_heads_statistics_do_not_count_a_secret_document_of_the_unit_they_may_not_see(org, mixed):
    statistics = incoming_statistics(resolve_scope(org.other_head), MARCH, today=TODAY)
    assert statistics.scope.kind == "unit" and statistics.total.received_total == 0


def test_the_statistics_api_and_page_apply_the_same_rule(client, org, mixed):
    client.force_login(org.leader)
    data = client.get(reverse("reports-incoming-statistics"), {"nam": 2026, "thang": 3,
                                                                   "group_by": "person"}).json()
    assert data["total"]["received_total"] == 3
    assert [row["label"] for row in data["rows"]] == [org.spec1.full_name]
    unit = client.get(reverse("reports-incoming-statistics"), {"nam": 2026, "thang": 3,
                                                                   "unit": org.other.pk}).json()
    assert unit["total"]["received_total"] == 0
    page = client.get(reverse("module-reports"), {"nam": 2026, "thang": 3, "don_vi": org.other.pk})
    assert 'data-key="total"' in page.content.decode()
    assert '<td data-field="received_total">1</td>' not in page.content.decode()

