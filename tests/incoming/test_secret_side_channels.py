"""Secret incoming documents say nothing of themselves to people not named on them: the duplicate check (service,
page, API, the receipt's page and API), and delegation (a delegate sees and acts on a secret document only where the delegator is named on it)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from eoffice.incoming import policy, services
from eoffice.incoming.models import WorkItem, WorkKind, WorkStatus
from eoffice.incoming.services import IncomingError
from eoffice.orgs.models import Delegation
from tests.factories import make_person

from .conftest import metadata

SECRET_NUMBER = "77/M-UBND"


@pytest.fixture
def secret(office, pdf):
    """A secret document registered by office.clerk (named on it), presented to the leader."""
    return services.register_incoming(
        office.clerk, files=[("m.pdf", pdf)], channel="paper",
        metadata=metadata(number_notation=SECRET_NUMBER, confidentiality="mat", summary="V/v công tác mật"))


@pytest.fixture
def clerk2(office):
    """Another clerk of the agency, not named on the secret document."""
    return make_person(office.agency, "clerk", unit=office.vp)


def _same_dispatch(**overrides):
    return metadata(number_notation=SECRET_NUMBER, **overrides)


def test_the_duplicate_of_a_secret_document_is_refused_without_its_id_or_number(office, pdf, secret, clerk2):
    with pytest.raises(IncomingError) as err:
        services.register_incoming(clerk2, files=[("m.pdf", pdf)], channel="paper", metadata=_same_dispatch())
    assert err.value.code == "duplicate" and err.value.status_code == 409
    assert err.value.details == {}
    assert err.value.message == "Văn bản này trùng với một văn bản đã vào sổ mà bạn không có quyền xem."
    assert secret.arrival_number_display not in err.value.message


def test_a_clerk_named_on_the_secret_document_is_told_which_one_it_duplicates(office, pdf, secret):
    with pytest.raises(IncomingError) as err:
        services.register_incoming(office.clerk, files=[("m.pdf", pdf)], channel="paper",
                                   metadata=_same_dispatch())
    assert err.value.details["existing_id"] == secret.pk
    assert secret.arrival_number_display in err.value.message


def test_the_register_page_and_the_api_say_only_what_the_clerk_may_see(office, pdf, secret, clerk2, client):
    client.force_login(clerk2)
    form = {"channel": "paper", "issuer_name": "UBND tỉnh Bình Minh", "number_notation": SECRET_NUMBER,
            "issued_on": "2026-03-02", "summary": "V/v thử", "urgency": "thuong", "confidentiality": "thuong",
            "leader": office.leader.pk, "files": SimpleUploadedFile("cv.pdf", pdf, "application/pdf")}
    page = client.post(reverse("incoming:register"), form)
    html = page.content.decode()
    assert page.status_code == 400 and "mà bạn không có quyền xem" in html
    assert reverse("incoming:document", args=[secret.pk]) not in html
    answer = client.post("/api/v1/incoming-documents/", {
        "channel": "email", "issuer_name": "UBND tỉnh Bình Minh", "number_notation": SECRET_NUMBER,
        "issued_on": "2026-03-02", "summary": "V/v API", "document_type": "cong-van",
        "file": SimpleUploadedFile("a.pdf", pdf)})
    error = answer.json()["error"]
    assert answer.status_code == 409 and error["code"] == "duplicate"
    assert error["details"] == {} and secret.arrival_number_display not in error["message"]


def test_a_receipt_duplicating_a_secret_document_does_not_name_it_to_the_clerk(office, pdf, secret, clerk2, client):
    receipt = services.receive(office.agency, files=[("a.pdf", pdf)], metadata=_same_dispatch(),
                               source="internal", source_ref="dup-secret")
    assert receipt.duplicate_of_id == secret.pk  # stored: the clerks who may see it are told
    client.force_login(clerk2)
    html = client.get(reverse("incoming:receipt", args=[receipt.pk])).content.decode()
    assert "mà bạn không có quyền xem" in html
    assert reverse("incoming:document", args=[secret.pk]) not in html
    assert f"số đến {secret.arrival_number_display}" not in html and SECRET_NUMBER in html  # its own number only
    data = client.get(f"/api/v1/incoming-receipts/{receipt.pk}/").json()
    assert data["duplicate_of"] is None and data["is_duplicate"] is True
    client.force_login(office.clerk)  # named on it
    html = client.get(reverse("incoming:receipt", args=[receipt.pk])).content.decode()
    assert reverse("incoming:document", args=[secret.pk]) in html
    assert client.get(f"/api/v1/incoming-receipts/{receipt.pk}/").json()["duplicate_of"] == secret.pk


# ------------------------------------------------------------------------------------------------ delegation
@pytest.fixture
def delegated(office):
    """The leader is away: the deputy stands in for them (a delegation as the admin or the API would make it)."""
    now = timezone.now()
    return Delegation.objects.create(delegator=office.leader, delegate=office.deputy,
                                     starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(days=3))


def _instruct_item(document):
    return WorkItem.objects.get(document=document, kind=WorkKind.INSTRUCT, status=WorkStatus.OPEN)


def test_a_delegate_sees_and_handles_the_delegators_secret_step_the_delegator_being_named(
        office, pdf, secret, delegated, client):
    # The rule: a delegation extends to a secret document only when the delegator is named on it. The
    # leader holds the instruction step of the secret document, so the deputy standing in for them sees and does it.
    ordinary = services.register_incoming(office.clerk, files=[("o.pdf", pdf)], channel="paper",
                                          metadata=metadata(number_notation="1/UBND-VP"))
    mine = set(services.inbox_items(office.deputy).values_list("document_id", flat=True))
    assert mine == {ordinary.pk, secret.pk}
    client.force_login(office.deputy)
    assert client.get(reverse("incoming:document", args=[secret.pk])).status_code == 200
    item = _instruct_item(secret)
    assert policy.may_act(office.deputy, item) == (True, office.leader)
    answer = client.post(f"/api/v1/my-tasks/{item.pk}/act/",
                         {"action": "instruct", "text": "Giao", "lead_unit": office.lead.pk},
                         content_type="application/json")
    assert answer.status_code == 200, answer.content
    item.refresh_from_db()
    assert item.status == WorkStatus.DONE


def test_a_delegation_never_shows_a_secret_document_the_delegator_is_not_named_on(
        office, pdf, secret, delegated, client):
    # The same secret document, its step given to another leader: the delegator (office.leader) is not named on
    # it any more, so neither they nor their deputy see it or anything of it.
    other_leader = make_person(office.agency, "leader")
    WorkItem.objects.filter(document=secret).update(person=other_leader)
    secret.named_people.remove(office.leader)
    assert secret.pk not in set(services.inbox_items(office.deputy).values_list("document_id", flat=True))
    item = _instruct_item(secret)
    assert policy.may_act(office.deputy, item) == (False, None)
    with pytest.raises(IncomingError):
        services.instruct(item, office.deputy, text="Giao", lead_unit=office.lead)
    client.force_login(office.deputy)
    assert client.get(reverse("incoming:document", args=[secret.pk])).status_code == 404
    html = client.get(reverse("module-tasks")).content.decode()
    assert "V/v công tác mật" not in html
    rows = client.get("/api/v1/my-tasks/").json()["results"]
    assert secret.pk not in [row["document"]["id"] for row in rows]
    answer = client.post(f"/api/v1/my-tasks/{item.pk}/act/",
                         {"action": "instruct", "text": "Giao", "lead_unit": office.lead.pk},
                         content_type="application/json")
    assert answer.status_code in (403, 404)
    item.refresh_from_db()
    assert item.status == WorkStatus.OPEN


def test_a_delegate_named_on_the_secret_document_stands_in_as_before(office, secret, delegated):
    secret.named_people.add(office.deputy)
    item = _instruct_item(secret)
    assert policy.may_act(office.deputy, item) == (True, office.leader)
    assert secret.pk in set(services.inbox_items(office.deputy).values_list("document_id", flat=True))


def test_a_dispatch_replacing_a_secret_one_does_not_name_it_to_a_clerk_not_named_on_it(office, pdf, clerk2, client):
    old = services.receive(office.agency, files=[("a.pdf", pdf)], source="internal", source_ref="old-secret",
                           metadata=metadata(number_notation="5/M-UBND", confidentiality="mat",
                                             named_recipients=[office.clerk]))
    new = services.receive(office.agency, files=[("b.pdf", pdf)], source="internal", source_ref="new",
                           metadata=metadata(number_notation="6/UBND", replaces_ref=("internal", "old-secret")))
    assert new.replaces == old
    client.force_login(clerk2)
    html = client.get(reverse("incoming:receipt", args=[new.pk])).content.decode()
    assert "Văn bản này thay thế văn bản số" in html and "(văn bản bạn không có quyền xem)" in html
    assert "5/M-UBND" not in html
    client.force_login(office.clerk)
    assert "5/M-UBND" in client.get(reverse("incoming:receipt", args=[new.pk])).content.decode()
