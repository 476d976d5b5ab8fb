"""The rules of :mod:`eoffice.incoming.policy`, and that the services, the document page and the API follow them:
the owner of a step acts, a delegate acts on the owner's behalf, anyone else is refused; a unit head moves the
handling steps of their unit, a leader any step, and only a leader takes one back or extends the deadline; only the
agency's clerk registers and returns dispatches (both directions, one rule); a recalled document's files are not
offered."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from eoffice.incoming import policy, services
from eoffice.incoming.models import IncomingFile, ReceiptFile, WorkItem, WorkKind, WorkStatus
from eoffice.orgs.models import Delegation
from eoffice.outgoing import policy as outgoing_policy

from .conftest import metadata


def _assigned(office, pdf):
    """Registered, instructed to the lead unit (the support unit supporting), assigned to ``office.specialist``."""
    doc = services.register_incoming(office.clerk, files=[("cv.pdf", pdf)], channel="email", metadata=metadata())
    services.instruct(WorkItem.objects.get(document=doc, kind=WorkKind.INSTRUCT), office.leader, text="Giao PBGDPL",
                      lead_unit=office.lead, supporting_units=[office.support],
                      deadline=timezone.localdate() + dt.timedelta(days=5))
    services.assign_handlers(_open(doc, office.head, WorkKind.ASSIGN), office.head, main_handler=office.specialist)
    return doc


def _open(doc, person, kind) -> WorkItem:
    return WorkItem.objects.get(document=doc, person=person, kind=kind, status=WorkStatus.OPEN)


def _delegate(delegator, delegate) -> Delegation:
    now = timezone.now()
    return Delegation.objects.create(delegator=delegator, delegate=delegate, starts_at=now - dt.timedelta(hours=1),
                                     ends_at=now + dt.timedelta(days=1))


def test_the_owner_acts_a_delegate_acts_on_their_behalf_others_are_refused(office, pdf):
    doc = _assigned(office, pdf)
    handle = _open(doc, office.specialist, WorkKind.HANDLE)
    assert policy.may_act(office.specialist, handle) == (True, None)
    assert policy.may_act(office.specialist2, handle) == (False, None)
    assert policy.may_act(office.head, handle) == (False, None)  # seeing a step is not owning it
    _delegate(office.specialist, office.specialist2)
    assert policy.may_act(office.specialist2, handle) == (True, office.specialist)
    assert policy.actions(office.specialist2, handle)["act"] and policy.actions(office.specialist2, handle)[
        "draft_reply"]
    # The service follows the rule: the refusal, then the delegate's step recorded on behalf of the owner.
    with pytest.raises(services.IncomingError) as refused:
        services.finish_handling(handle, office.head, result="x")
    assert refused.value.code == "not_assigned" and refused.value.status_code == 403
    services.finish_handling(handle, office.specialist2, result="Đã xử lý thay")
    step = doc.steps.get(action="handled")
    assert (step.actor, step.on_behalf_of) == (office.specialist2, office.specialist)
    handle.refresh_from_db()
    assert not any(policy.actions(office.specialist, handle).values())  # a finished step offers nothing


def test_a_unit_head_redirects_within_the_unit_a_leader_any_step(office, pdf):
    doc = _assigned(office, pdf)
    handle = _open(doc, office.specialist, WorkKind.HANDLE)
    support = _open(doc, office.support_head, WorkKind.SUPPORT)
    assert policy.may_redirect(office.head, handle) == (True, None)
    assert policy.may_redirect(office.support_head, handle) == (False, None)  # another unit's step
    assert policy.may_redirect(office.head, support) == (False, None)  # not a handling step of their unit
    assert policy.may_redirect(office.specialist, handle) == (False, None)
    assert policy.may_redirect(office.leader, support) == (True, None)
    assert policy.may_redirect(office.outsider_leader, handle) == (False, None)  # a leader of another agency
    _delegate(office.leader, office.specialist2)
    assert policy.may_redirect(office.specialist2, support) == (True, office.leader)
    with pytest.raises(services.IncomingError) as refused:
        services.reassign(handle, office.support_head, to=office.bystander)
    assert refused.value.code == "permission_denied" and refused.value.status_code == 403
    moved = services.reassign(handle, office.head, to=office.specialist2, reason="Nghỉ phép")
    assert moved.person == office.specialist2


def test_only_a_leader_or_their_delegate_takes_back_and_extends(office, pdf):
    doc = _assigned(office, pdf)
    handle = _open(doc, office.specialist, WorkKind.HANDLE)
    assert policy.may_take_back(office.leader, handle) == (True, None)
    assert policy.may_take_back(office.deputy, handle) == (True, None)
    assert policy.may_take_back(office.head, handle) == (False, None)
    assert policy.actions(office.head, handle) == {"act": False, "send_back": False, "draft_reply": False,
                                                   "reassign": True, "take_back": False}
    assert policy.may_extend(office.head, doc) == (False, None)
    assert policy.document_actions(office.leader, doc) == {"extend": True}
    _delegate(office.leader, office.chief)
    assert policy.may_extend(office.chief, doc) == (True, office.leader)
    with pytest.raises(services.IncomingError) as refused:
        services.take_back(handle, office.head)
    assert refused.value.code == "permission_denied"
    with pytest.raises(services.IncomingError) as refused:
        services.extend_deadline(doc, office.head, new_deadline=timezone.localdate() + dt.timedelta(days=30),
                                 reason="Xin thêm")
    assert refused.value.code == "permission_denied"
    extension = services.extend_deadline(doc, office.chief, new_deadline=timezone.localdate() + dt.timedelta(days=30),
                                         reason="Chờ số liệu")
    assert (extension.by, extension.on_behalf_of) == (office.chief, office.leader)
    mine = services.take_back(handle, office.leader, reason="Tự xử lý")
    assert mine.person == office.leader


def test_the_clerk_of_another_agency_is_refused_in_both_directions(office, pdf):
    receipt = services.receive(office.agency, files=[("cv.pdf", pdf)], metadata=metadata(), source="internal",
                               source_ref="policy-1")
    assert policy.is_clerk_of(office.clerk, office.agency) and office.clerk.is_clerk_of(office.agency.pk)
    assert not policy.is_clerk_of(office.outsider_clerk, office.agency)
    assert not policy.is_clerk_of(office.leader, office.agency)
    assert policy.receipt_actions(office.clerk, receipt) == {"register": True, "return": True}
    assert policy.receipt_actions(office.leader, receipt) == {"register": False, "return": False}
    with pytest.raises(services.IncomingError) as refused:
        services.return_receipt(receipt, office.outsider_clerk, reason="Không đúng nơi nhận")
    assert refused.value.code == "not_clerk" and refused.value.status_code == 403
    # The outgoing side asks the same rule (Person.is_clerk_of).
    from eoffice.documents.models import DocumentType
    from eoffice.outgoing.services import create_draft

    draft = create_draft(office.head, document_type=DocumentType.objects.get(code="cong-van"), summary="Dự thảo",
                         signer=office.leader, recipient_units=[office.vp])
    assert outgoing_policy.is_clerk_of(office.clerk, draft)
    assert not outgoing_policy.is_clerk_of(office.outsider_clerk, draft)


def test_a_recalled_documents_files_are_not_offered(office, pdf, client):
    receipt = services.receive(office.agency, files=[("cv.pdf", pdf)], metadata=metadata(), source="internal",
                               source_ref="policy-2")
    doc = services.register_incoming(office.clerk, receipt=receipt)
    link = IncomingFile.objects.offered().get(document=doc)
    client.force_login(office.clerk)
    file_url = reverse("incoming:file", args=[doc.pk, link.pk])
    assert client.get(file_url).status_code == 200
    services.recall_receipt("internal", "policy-2", reason="Ban hành nhầm")
    assert not IncomingFile.objects.offered().filter(document=doc).exists()
    assert not ReceiptFile.objects.offered().filter(receipt=receipt).exists()
    assert IncomingFile.objects.filter(document=doc).exists()  # the record stays
    assert client.get(file_url).status_code == 404
    page = client.get(reverse("incoming:document", args=[doc.pk])).content.decode()
    assert file_url not in page


def test_page_and_api_offer_and_refuse_the_same_to_someone_who_may_not_act(office, pdf, client):
    doc = _assigned(office, pdf)
    doc.named_people.add(office.bystander)  # a specialist of another unit who may read the document
    handle = _open(doc, office.specialist, WorkKind.HANDLE)
    act_url = f"/api/v1/my-tasks/{handle.pk}/act/"
    for person in (office.bystander, office.support_head):
        client.force_login(person)
        page = client.get(reverse("incoming:document", args=[doc.pk])).content.decode()
        assert f'action="{reverse("incoming:act", args=[doc.pk, handle.pk])}"' not in page
        assert f'action="{reverse("incoming:redirect-work", args=[doc.pk, handle.pk])}"' not in page
        offered = client.get(f"/api/v1/incoming-documents/{doc.pk}/").json()["actions"]
        assert handle.pk not in [step["id"] for step in offered["steps"]] and not offered["extend"]
        finish = client.post(act_url, {"action": "finish", "text": "x"}, content_type="application/json")
        assert finish.status_code == 403 and finish.json()["error"]["code"] == "not_assigned"
        move = client.post(act_url, {"action": "reassign", "to": office.specialist2.pk, "text": "x"},
                           content_type="application/json")
        assert move.status_code == 403 and move.json()["error"]["code"] == "permission_denied"
        assert client.post(reverse("incoming:act", args=[doc.pk, handle.pk]),
                           {"action": "do", f"i{handle.pk}-text": "x"}).status_code == 403
    handle.refresh_from_db()
    assert handle.status == WorkStatus.OPEN and handle.person == office.specialist
    # The owner and the unit head: the page and the API offer the same.
    for person, offer in ((office.specialist, {"act": True, "reassign": False}),
                          (office.head, {"act": False, "reassign": True})):
        client.force_login(person)
        page = client.get(reverse("incoming:document", args=[doc.pk])).content.decode()
        assert (f'action="{reverse("incoming:act", args=[doc.pk, handle.pk])}"' in page) is offer["act"]
        assert (f'action="{reverse("incoming:redirect-work", args=[doc.pk, handle.pk])}"' in page) is offer["reassign"]
        steps = {s["id"]: s for s in client.get(f"/api/v1/incoming-documents/{doc.pk}/").json()["actions"]["steps"]}
        assert {k: steps[handle.pk][k] for k in offer} == offer
