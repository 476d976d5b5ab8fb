"""The incoming statistics on a hand-built data set: exact counts and rates, boundaries, scopes, page and API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from eoffice.documents.models import Channel
from eoffice.incoming.models import DocumentStatus, WorkStatus
from eoffice.reports.statistics import Period, ReportError, Scope, incoming_statistics, resolve_scope

from .conftest import at, give, make_doc

Q1 = Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
AFTER_Q1 = dt.date(2026, 5, 1)


@pytest.fixture
def data(org):
    """Thirteen documents around the first quarter of 2026 (the comments say how each must count)."""
    d = {}
    # Carried over (arrived before 1 Jan, not done by then), handled on its deadline day, late in the evening.
    d[1] = make_doc(org, arrived=at(2025, 12, 20), deadline=dt.date(2026, 1, 10), completed=at(2026, 1, 10, 23, 0),
                    lead_unit=org.lead, handler=org.spec1)
    # Completed on the last evening before the period: not counted at all.
    d[2] = make_doc(org, arrived=at(2025, 12, 15), channel=Channel.INTERCONNECTION, completed=at(2025, 12, 31, 23, 59),
                    lead_unit=org.lead)
    # Carried over, no deadline, still open: in progress within the deadline; arrived by e-mail (electronic).
    d[3] = make_doc(org, arrived=at(2025, 11, 1), channel=Channel.EMAIL, lead_unit=org.lead)
    # Arrived at the very first minute of the period online; handled a day after the instruction's deadline.
    d[4] = make_doc(org, arrived=at(2026, 1, 1, 0, 0), channel=Channel.INTERCONNECTION, due_on=dt.date(2026, 2, 1),
                    completed=at(2026, 2, 2, 8, 0), lead_unit=org.lead, handler=org.spec1)
    # Arrived at the last minute of the period on paper, deadline = the last day: in progress within the deadline.
    d[5] = make_doc(org, arrived=at(2026, 3, 31, 23, 59), deadline=dt.date(2026, 3, 31),
                    status=DocumentStatus.REGISTERED)
    # Arrived at the first minute after the period: not counted.
    d[6] = make_doc(org, arrived=at(2026, 4, 1, 0, 0), channel=Channel.INTERCONNECTION)
    # Inside the deployment, the issuer's deadline passed before the end: in progress and overdue.
    d[7] = make_doc(org, arrived=at(2026, 2, 10), channel=Channel.INTERNAL, deadline=dt.date(2026, 3, 30),
                    lead_unit=org.other, handler=org.spec2)
    # Completed only after the period: at the end of the period it was in progress, and overdue.
    d[8] = make_doc(org, arrived=at(2026, 3, 1), channel=Channel.INTERCONNECTION, due_on=dt.date(2026, 3, 20),
                    completed=at(2026, 4, 2), lead_unit=org.other)
    # Paper, no deadline, handled: on time.
    d[9] = make_doc(org, arrived=at(2026, 2, 1), completed=at(2026, 3, 15), lead_unit=org.lead)
    # Recalled by the sender: never counted.
    d[10] = make_doc(org, arrived=at(2026, 2, 1), channel=Channel.INTERCONNECTION, status=DocumentStatus.RECALLED,
                     lead_unit=org.lead)
    # E-mail; the instruction's deadline (20 Jan) wins over the issuer's (31 Jan): handled 25 Jan is late. It was
    # first given to spec2 and reassigned to spec1 (spec2's item canceled: not theirs any more).
    d[11] = make_doc(org, arrived=at(2026, 1, 15), channel=Channel.EMAIL, deadline=dt.date(2026, 1, 31),
                     due_on=dt.date(2026, 1, 20), completed=at(2026, 1, 25), lead_unit=org.lead, handler=org.spec1)
    give(d[11], org.spec2, WorkStatus.CANCELED)
    # Completed half an hour after midnight following its deadline day (17:30 UTC on the deadline day): late.
    d[13] = make_doc(org, arrived=at(2026, 1, 5), deadline=dt.date(2026, 1, 10), completed=at(2026, 1, 11, 0, 30),
                     lead_unit=org.lead)
    # Another agency's document: never counted for this one.
    d[12] = make_doc(org, arrived=at(2026, 2, 1), agency=org.outsider_agency)
    return d


def _numbers(counts) -> dict:
    return {k: v for k, v in counts.to_dict().items() if k not in ("label", "key")}


def test_agency_statistics_give_the_exact_counts_and_rates_of_the_hand_built_quarter(org, data):
    stats = incoming_statistics(Scope(agency=org.agency), Q1, today=AFTER_Q1)
    assert stats.measured_on == dt.date(2026, 3, 31)
    assert _numbers(stats.total) == {
        "received_online": 4,  # 4, 7, 8, 11
        "received_paper": 3,  # 5, 9, 13
        "carried_over": 2,  # 1, 3
        "received_total": 9,
        "received_electronic": 5,  # 3, 4, 7, 8, 11
        "handled_on_time": 2,  # 1 (deadline = completion day), 9 (no deadline)
        "handled_late": 3,  # 4, 11 (instruction deadline wins), 13 (after midnight local time)
        "handled_total": 5,
        "in_progress_on_time": 2,  # 3 (no deadline), 5 (deadline = end of period)
        "in_progress_overdue": 2,  # 7, 8 (completed only after the period)
        "in_progress_total": 4,
        "late_rate": round(5 / 9, 4),
        "on_time_rate": 0.4,
        "electronic_share": round(5 / 9, 4),
    }


def test_the_agency_table_has_one_line_per_lead_unit_adding_up_to_the_total(org, data):
    stats = incoming_statistics(Scope(agency=org.agency), Q1, today=AFTER_Q1)
    assert stats.group_by == "unit"
    rows = {row.key: row for row in stats.rows}
    assert set(rows) == {f"unit:{org.lead.pk}", f"unit:{org.other.pk}", "unit:"}
    lead = rows[f"unit:{org.lead.pk}"]
    assert (lead.received_total, lead.carried_over, lead.handled_on_time, lead.handled_late,
            lead.in_progress_on_time, lead.in_progress_overdue) == (6, 2, 2, 3, 1, 0)
    other = rows[f"unit:{org.other.pk}"]
    assert (other.received_total, other.received_online, other.in_progress_overdue, other.late_rate) == (2, 2, 2, 1.0)
    assert other.on_time_rate is None  # nothing handled: no rate, not a division by zero
    unassigned = rows["unit:"]
    assert (unassigned.label, unassigned.received_paper, unassigned.in_progress_on_time) == (
        "Chưa giao đơn vị xử lý", 1, 1)
    for field in ("received_total", "handled_on_time", "handled_late", "in_progress_on_time", "in_progress_overdue"):
        assert sum(getattr(row, field) for row in stats.rows) == getattr(stats.total, field)


def test_person_statistics_count_only_the_documents_they_handle_not_those_taken_from_them(org, data):
    spec1 = incoming_statistics(Scope(agency=org.agency, person=org.spec1), Q1, today=AFTER_Q1).total
    assert (spec1.received_total, spec1.carried_over, spec1.received_online, spec1.handled_on_time,
            spec1.handled_late) == (3, 1, 2, 1, 2)  # documents 1, 4, 11
    assert (spec1.late_rate, spec1.on_time_rate) == (round(2 / 3, 4), round(1 / 3, 4))
    spec2 = incoming_statistics(Scope(agency=org.agency, person=org.spec2), Q1, today=AFTER_Q1).total
    assert (spec2.received_total, spec2.in_progress_overdue, spec2.handled_total) == (1, 1, 0)  # document 7 only


def test_unit_statistics_list_the_units_people_and_the_unassigned_documents(org, data):
    stats = incoming_statistics(Scope(agency=org.agency, unit=org.lead), Q1, today=AFTER_Q1)
    assert stats.total.received_total == 6
    rows = {row.key: row.received_total for row in stats.rows}
    assert rows == {f"person:{org.spec1.pk}": 3, "person:": 3}


def test_a_period_that_has_not_ended_measures_in_progress_work_at_today(org, data):
    stats = incoming_statistics(Scope(agency=org.agency), Q1, today=dt.date(2026, 3, 25))
    assert stats.measured_on == dt.date(2026, 3, 25)
    # Document 7's deadline (30 March) has not come yet; document 8's (20 March) has.
    assert (stats.total.in_progress_on_time, stats.total.in_progress_overdue) == (3, 1)


def test_the_next_period_carries_over_what_was_in_progress_at_the_end_of_the_previous_one(org, data):
    april = Period.month(2026, 4)
    stats = incoming_statistics(Scope(agency=org.agency), april, today=AFTER_Q1).total
    # Carried over: 3, 5, 7, 8 (in progress at the end of March); new: 6. Document 8 is handled late in April.
    assert (stats.carried_over, stats.received_online, stats.received_total) == (4, 1, 5)
    assert (stats.handled_late, stats.handled_total) == (1, 1)


def test_an_empty_period_has_zero_counts_and_no_rates(org):
    stats = incoming_statistics(Scope(agency=org.agency), Q1, today=AFTER_Q1)
    assert stats.total.received_total == 0
    assert (stats.total.late_rate, stats.total.on_time_rate, stats.total.electronic_share) == (None, None, None)
    assert stats.rows == []


def test_a_period_ending_before_it_starts_is_refused():
    with pytest.raises(ReportError) as caught:
        Period(dt.date(2026, 3, 1), dt.date(2026, 2, 1))
    assert caught.value.code == "invalid_period"


# ------------------------------------------------------------------------------------------------ scopes
def test_each_role_gets_its_own_default_scope(org):
    assert resolve_scope(org.leader).kind == "agency"
    assert resolve_scope(org.clerk).kind == "agency"
    head_scope = resolve_scope(org.head)
    assert (head_scope.kind, head_scope.unit) == ("unit", org.lead)
    spec_scope = resolve_scope(org.spec1)
    assert (spec_scope.kind, spec_scope.person) == ("person", org.spec1)


@pytest.mark.parametrize("who, kwargs", [
    ("spec1", {"unit": "lead"}),
    ("spec1", {"subject": "spec2"}),
    ("head", {"unit": "other"}),
    ("head", {"subject": "spec2"}),
    ("outsider", {"agency": "agency"}),
    ("outsider", {"unit": "lead"}),
])
def test_a_person_asking_beyond_their_scope_is_refused(org, who, kwargs):
    kwargs = {name: getattr(org, value) for name, value in kwargs.items()}
    with pytest.raises(ReportError) as caught:
        resolve_scope(getattr(org, who), **kwargs)
    assert caught.value.status_code == 403


def test_leaders_may_look_at_any_unit_or_person_of_their_agency_and_the_operator_at_any_agency(org):
    from tests.factories import make_person

    assert resolve_scope(org.leader, unit=org.other).unit == org.other
    assert resolve_scope(org.head, subject=org.spec1).person == org.spec1
    operator = make_person(None, is_superuser=True, is_staff=True)
    assert resolve_scope(operator, agency=org.outsider_agency.pk).agency == org.outsider_agency
    with pytest.raises(ReportError):
        resolve_scope(operator)  # the operator has no agency of their own: they must choose one


# ------------------------------------------------------------------------------------------------ page and API
def test_the_report_page_shows_the_table_and_an_inline_svg_chart(client, org, data):
    client.force_login(org.leader)
    response = client.get(reverse("module-reports"), {"tu": "2026-01-01", "den": "2026-03-31"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and 'data-series="handled_late" data-value="3"' in html
    assert 'data-field="received_total">9<' in html
    assert "Phòng Phổ biến, giáo dục pháp luật" in html
    assert "<script" not in html.split("<main", 1)[1]  # no chart library


def test_the_report_page_runs_a_constant_number_of_queries(client, org, data):
    client.force_login(org.leader)
    url = reverse("module-reports")
    params = {"tu": "2026-01-01", "den": "2026-03-31"}
    client.get(url, params)
    with CaptureQueriesContext(connection) as small:
        client.get(url, params)
    for day in range(1, 25):
        make_doc(org, arrived=at(2026, 2, day), lead_unit=org.other if day % 2 else org.lead,
                 handler=org.spec1 if day % 3 else None)
    with CaptureQueriesContext(connection) as big:
        client.get(url, params)
    assert len(big) == len(small)


def test_the_report_page_explains_a_bad_date_in_vietnamese(client, org):
    client.force_login(org.leader)
    response = client.get(reverse("module-reports"), {"tu": "31/02/2026"})
    assert response.status_code == 400
    assert "Ngày không hợp lệ" in response.content.decode()


def test_a_specialist_sees_only_their_own_line_on_the_report_page(client, org, data):
    client.force_login(org.spec2)
    response = client.get(reverse("module-reports"), {"tu": "2026-01-01", "den": "2026-03-31"})
    assert response.status_code == 200
    assert 'data-field="received_total">1<' in response.content.decode()
    assert client.get(reverse("module-reports"), {"don_vi": org.lead.pk}).status_code == 400


def test_the_api_returns_the_statistics_with_their_definitions_applied(client, org, data):
    client.force_login(org.leader)
    response = client.get("/api/v1/reports/incoming-statistics/", {"from": "2026-01-01", "to": "2026-03-31"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["scope"]["kind"] == "agency" and body["group_by"] == "unit"
    assert (body["total"]["received_total"], body["total"]["handled_late"], body["total"]["on_time_rate"]) == (
        9, 3, 0.4)
    by_person = client.get("/api/v1/reports/incoming-statistics/",
                           {"from": "2026-01-01", "to": "2026-03-31", "person": org.spec1.pk}).json()
    assert by_person["scope"]["kind"] == "person" and by_person["total"]["received_total"] == 3


@pytest.mark.parametrize("params, status, code", [
    ({"from": "2026-13-01"}, 400, "invalid_date"),
    ({"from": "2026-03-01", "to": "2026-02-01"}, 400, "invalid_period"),
    ({"unit": "abc"}, 400, "invalid"),
    ({"group_by": "agency"}, 400, "invalid"),
    ({"unit": "999999"}, 404, "not_found"),
])
def test_the_api_answers_bad_requests_with_structured_errors(client, org, params, status, code):
    client.force_login(org.leader)
    response = client.get("/api/v1/reports/incoming-statistics/", params)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_the_api_refuses_another_agencys_statistics(client, org):
    client.force_login(org.outsider)
    response = client.get("/api/v1/reports/incoming-statistics/", {"agency": org.agency.pk})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_the_statistics_endpoint_is_in_the_openapi_schema(client, org):
    client.force_login(org.leader)
    assert "/api/v1/reports/incoming-statistics/" in client.get("/api/schema/").content.decode()


def test_someone_without_an_agency_gets_a_clear_refusal_not_an_error_page(client, db):
    from tests.factories import make_person

    client.force_login(make_person(None))
    response = client.get(reverse("module-reports"))
    assert response.status_code == 400
    assert "Bạn không có quyền xem thống kê này." in response.content.decode()


def test_the_operator_first_chooses_an_agency(client, org, data):
    from tests.factories import make_person

    client.force_login(make_person(None, is_superuser=True, is_staff=True))
    response = client.get(reverse("module-reports"))
    assert response.status_code == 200 and org.agency.name in response.content.decode()
    chosen = client.get(reverse("module-reports"), {"co_quan": org.agency.pk, "tu": "2026-01-01", "den": "2026-03-31"})
    assert 'data-field="received_total">9<' in chosen.content.decode()
