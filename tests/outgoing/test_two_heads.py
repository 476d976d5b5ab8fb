"""A drafting unit with two heads: both see the draft, either may review it, the other no longer can."""

from __future__ import annotations

import pytest

from eoffice.core.errors import DomainError
from eoffice.orgs.models import Person, Position, Role, RoleCode
from eoffice.outgoing import policy, services
from eoffice.outgoing.models import OutgoingDocument, Status

from .conftest import draft_pdf

pytestmark = pytest.mark.django_db


def second_head(p) -> Person:
    head = Person.objects.create_user(username="phophong.pbgdpl", password="x", full_name="Lê Thị Hoa",
                                      agency=p.stp, unit=p.pbgdpl, position=Position.objects.first())
    head.roles.add(Role.objects.get(code=RoleCode.UNIT_HEAD))
    return head


def submitted(p) -> OutgoingDocument:
    document = services.create_draft(
        p.specialist, document_type=p.type("cong-van"), summary="V/v phối hợp tuyên truyền pháp luật",
        signer=p.director, file=("du-thao.pdf", draft_pdf(p.director)), recipient_units=[p.vp])
    services.submit(document, p.specialist)
    document.refresh_from_db()
    return document


@pytest.mark.parametrize("which", ["first", "second"])
def test_either_head_of_a_two_head_unit_reviews_the_draft(province, which):
    p = province
    other = second_head(p)
    document = submitted(p)
    reviewer = p.unit_head if which == "first" else other
    for head in (p.unit_head, other):  # both see it waiting for them, both are offered the review
        assert services.waiting_for(head).filter(pk=document.pk).exists()
        assert policy.actions(head, document)["review"]
    services.review(document, reviewer, approve=True, comment="Đồng ý")
    document.refresh_from_db()
    assert document.status == Status.TO_SIGN
    assert document.opinions.get().person == reviewer


def test_a_specialist_of_the_unit_cannot_review_an_unassigned_review_step(province):
    p = province
    second_head(p)
    document = submitted(p)
    assert not policy.actions(p.specialist2, document)["review"]
    with pytest.raises(DomainError) as refused:
        services.review(document, p.specialist2, approve=True)
    assert refused.value.code == "not_your_task"
    document.refresh_from_db()
    assert document.status == Status.IN_REVIEW


def test_the_second_head_reviews_through_the_page(province, client):
    p = province
    other = second_head(p)
    document = submitted(p)
    client.force_login(other)
    page = client.get(f"/van-ban-di/{document.pk}/")
    assert page.status_code == 200
    assert page.context["actions"]["review"]
