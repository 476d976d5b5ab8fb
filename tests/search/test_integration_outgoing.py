"""Outgoing documents in the search: what each person finds is exactly what ``visible_to`` shows them (drafts,
released ones with recipients, named readers), and secret ones are never indexed."""

from __future__ import annotations

import pytest

import search
from eoffice.documents.models import Confidentiality, DocumentType
from eoffice.orgs.scoping import visible_to
from eoffice.outgoing.models import OutgoingDocument
from search.indexing import viewer_for
from tests.factories import make_person, make_unit
from tests.search.integration import wait_for_tasks

pytestmark = pytest.mark.django_db(transaction=True)


def outgoing(office, summary: str, **extra) -> OutgoingDocument:
    people = {key: extra.pop(key, []) for key in ("readers", "recipient_units", "recipient_people")}
    document = OutgoingDocument.objects.create(
        agency=office.agency, drafting_unit=office.lead, drafter=office.specialist, signer=office.leader,
        document_type=DocumentType.objects.get(code="cong-van"), summary=summary, **extra)
    for key, values in people.items():
        getattr(document, key).set(values)
    return document


def test_outgoing_search_results_equal_visible_to(worker, office):
    third = make_unit(office.agency, "TTr", "Thanh tra Sở")
    inspector = make_person(office.agency, "specialist", unit=third)
    outgoing(office, "Dự thảo công văn hướng dẫn hòa giải ở cơ sở", readers=[office.specialist])
    outgoing(office, "Công văn hướng dẫn hòa giải đã phát hành", status="released", notation="12/STP-PBGDPL",
             recipient_units=[third], readers=[office.specialist])
    outgoing(office, "Công văn mật về hòa giải", confidentiality=Confidentiality.SECRET,
             readers=[office.specialist, office.leader])
    wait_for_tasks()
    people = [office.clerk, office.leader, office.head, office.specialist, office.bystander, inspector,
              office.archivist, office.outsider_clerk, office.outsider_leader]
    for person in people:
        expected = {f"out:{pk}" for pk in visible_to(OutgoingDocument, person)
                    .exclude(confidentiality__in=["mat", "toi_mat", "tuyet_mat"]).values_list("pk", flat=True)}
        result = search.search("hoa giai", viewer_for(person), page_size=100)
        assert {hit.id for hit in result.hits} == expected, person
        assert result.total == len(expected)
    assert search.search("hoa giai", viewer_for(inspector)).total == 1  # the released one, to its unit
    assert search.search("mat", viewer_for(office.leader)).total == 0  # secret: never indexed
