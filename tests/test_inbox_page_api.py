"""Việc cần xử lý has one owner (``eoffice.work.inbox``): the page inbox and ``GET /api/v1/my-tasks/`` list the
same steps of both directions, in the same order, with the same filters."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from eoffice.documents.services import ensure_document_types
from eoffice.incoming.models import WorkItem, WorkStatus
from tests.factories import make_agency, make_draft, make_incoming, make_person, make_unit

pytestmark = pytest.mark.django_db

ROW = re.compile(r'<tr class="[^"]*" data-(incoming|outgoing)="\d+".*?<a href="([^"]+)"', re.DOTALL)


def add_steps(clerk, leader, head, office, lead, n: int):
    """Document ``n``: an incoming one whose next step is the head's (assign the handlers) and a draft of the
    head's (submit it)."""
    document = make_incoming(clerk, f"V/v triển khai cải cách hành chính {n}", channel="email", route_to=lead,
                             instruction="Giao PBGDPL")
    draft = make_draft(head, leader, f"Dự thảo kế hoạch tuyên truyền {n}", with_file=False,
                       recipient_units=[office])
    return document, draft


@pytest.fixture
def people():
    ensure_document_types()
    agency = make_agency(name="Sở Tư pháp thử", abbreviation="STP")
    office, lead = make_unit(agency, "VP"), make_unit(agency, "PBGDPL", "Phòng Phổ biến, giáo dục pháp luật")
    return (make_person(agency, "clerk", unit=office), make_person(agency, "leader"),
            make_person(agency, "unit_head", unit=lead), office, lead)


@pytest.fixture
def waiting(people):
    """A unit head with one incoming step (assign the handlers) and one outgoing draft of theirs (submit it)."""
    head = people[2]
    document, draft = add_steps(*people, 12)
    return head, document, draft


def page_rows(client, **params) -> list[tuple[str, str]]:
    response = client.get(reverse("module-tasks"), params)
    assert response.status_code == 200
    return ROW.findall(response.content.decode())


def api_rows(client, **params) -> list[dict]:
    response = client.get("/api/v1/my-tasks/", params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_the_page_inbox_and_the_api_list_the_same_documents_of_both_directions(waiting, client):
    head, document, draft = waiting
    client.force_login(head)
    expected = {("incoming", reverse("incoming:document", args=[document.pk])),
                ("outgoing", reverse("outgoing-detail", args=[draft.pk]))}
    on_page = page_rows(client)
    assert set(on_page) == expected
    rows = api_rows(client)
    assert [(row["direction"], row["url"]) for row in rows] == on_page
    by_direction = {row["direction"]: row for row in rows}
    step = WorkItem.objects.get(document=document, person=head, status=WorkStatus.OPEN)
    assert by_direction["incoming"]["id"] == step.pk and by_direction["incoming"]["kind"] == "assign"
    assert by_direction["incoming"]["document"]["id"] == document.pk
    assert by_direction["incoming"]["outgoing_document"] is None
    assert by_direction["outgoing"]["id"] is None and by_direction["outgoing"]["kind"] == "out_draft"
    assert by_direction["outgoing"]["outgoing_document"]["id"] == draft.pk
    assert by_direction["outgoing"]["document"] is None
    assert by_direction["outgoing"]["api_url"].endswith(f"/api/v1/outgoing-documents/{draft.pk}/")


def test_the_page_and_the_api_filter_the_inbox_alike(waiting, client):
    head, _document, _draft = waiting
    client.force_login(head)
    for page_params, api_params in (({"huong": "den"}, {"direction": "incoming"}),
                                    ({"huong": "di"}, {"direction": "outgoing"}),
                                    ({"loai": "out_draft"}, {"kind": "out_draft"}),
                                    ({"loai": "assign"}, {"kind": "assign"}),
                                    ({"q": "kế hoạch"}, {"q": "kế hoạch"})):
        on_page = page_rows(client, **page_params)
        assert len(on_page) == 1, page_params
        assert [(row["direction"], row["url"]) for row in api_rows(client, **api_params)] == on_page
    refused = client.get("/api/v1/my-tasks/", {"kind": "nothing"})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_parameter"


def test_the_api_lists_the_inbox_with_a_constant_number_of_queries(people, client, django_assert_max_num_queries):
    add_steps(*people, 1)
    client.force_login(people[2])
    with django_assert_max_num_queries(30) as small:
        assert len(api_rows(client)) == 2
    for n in range(2, 7):
        add_steps(*people, n)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(api_rows(client)) == 12
