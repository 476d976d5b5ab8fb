"""The search through the real pipeline: register an incoming document, a real Celery worker indexes it (queue
``indexing``), and the search finds exactly what ``visible_to`` would show each person."""

from __future__ import annotations

import pytest

import search
from eoffice.documents.models import Confidentiality
from eoffice.incoming.models import IncomingDocument
from eoffice.orgs.scoping import visible_to
from search.indexing import viewer_for
from tests.factories import make_incoming
from tests.search.integration import wait_for_tasks

pytestmark = pytest.mark.django_db(transaction=True)


def ids(result) -> set[str]:
    return {hit.id for hit in result.hits}


def test_a_registered_document_is_found_with_and_without_diacritics(worker, office):
    doc = make_incoming(office.clerk, "Kế hoạch cải cách hành chính năm 2026 của Sở",
                        body=("Đẩy mạnh chuyển đổi số trong công tác văn thư.",))
    assert wait_for_tasks() >= 1
    viewer = viewer_for(office.clerk)
    for query in ("cải cách hành chính", "cai cach hanh chinh", "chuyen doi so", "đẩy mạnh", "day manh",
                  '"cải cách hành chính"'):
        result = search.search(query, viewer)
        assert ids(result) == {f"in:{doc.pk}"}, query
    hit = search.search("cai cach", viewer).hits[0]
    assert "<mark>cải</mark>" in hit.summary_html.lower()
    assert search.search("dieu duong", viewer).total == 0


def test_search_results_equal_visible_to_for_several_people(worker, office):
    ordinary = make_incoming(office.clerk, "Báo cáo tổng kết công tác pháp chế")
    secret = make_incoming(office.clerk, "Báo cáo mật về công tác pháp chế",
                           confidentiality=Confidentiality.SECRET, named_people=[office.specialist])
    wait_for_tasks()
    people = [office.clerk, office.leader, office.archivist, office.head, office.specialist, office.bystander,
              office.outsider_clerk, office.outsider_leader]
    for person in people:
        expected = {f"in:{pk}" for pk in visible_to(IncomingDocument, person)
                    .exclude(confidentiality__in=["mat", "toi_mat", "tuyet_mat"]).values_list("pk", flat=True)}
        result = search.search("bao cao phap che", viewer_for(person), page_size=100)
        assert ids(result) == expected, person
        assert result.total == len(expected)
        assert sum(count for _value, count in result.facets.get("year", [])) == len(expected)
    # the leader sees the ordinary one; nobody finds the secret one, not even the person named on it
    assert ids(search.search("phap che", viewer_for(office.leader))) == {f"in:{ordinary.pk}"}
    assert ids(search.search("phap che", viewer_for(office.archivist))) == {f"in:{ordinary.pk}"}
    assert f"in:{secret.pk}" not in ids(search.search("mat", viewer_for(office.specialist)))
    assert search.search("phap che", viewer_for(office.outsider_leader)).total == 0


def test_a_document_that_becomes_secret_is_removed_from_the_index(worker, office):
    doc = make_incoming(office.clerk, "Tờ trình về quy hoạch cán bộ")
    wait_for_tasks()
    assert search.search("quy hoach can bo", viewer_for(office.clerk)).total == 1
    doc.refresh_from_db()
    doc.confidentiality = Confidentiality.SECRET
    doc.save(update_fields=["confidentiality"])
    wait_for_tasks()
    assert search.search("quy hoach can bo", viewer_for(office.clerk)).total == 0
