"""The draft form and the API accept and refuse the same recipients and signers, with the same error code.

Before the input objects (eoffice/outgoing/services/inputs.py), the form offered only people of the drafter's
agency while the API took any active person: an ordinary draft could name someone of another agency through the
API and not through the page, and a secret draft could name an outsider only through the API.
"""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from eoffice.outgoing.models import OutgoingDocument

from .conftest import draft_pdf

pytestmark = pytest.mark.django_db


def _fields(p, **overrides) -> dict:
    fields = {"document_type": "cong-van", "summary": "V/v phối hợp tuyên truyền pháp luật", "signer": p.director.pk,
              "signer_capacity": "", "urgency": "thuong", "confidentiality": "thuong", "recipient_units": [p.vp.pk],
              "recipient_people": [], "recipient_agencies": []}
    fields.update(overrides)
    return fields


def through_page(client, p, **overrides) -> tuple[OutgoingDocument | None, str | None]:
    """(the draft created, or None with the code of the form's error)."""
    client.force_login(p.specialist)
    before = set(OutgoingDocument.objects.values_list("pk", flat=True))
    response = client.post(reverse("outgoing-create"), {
        **_fields(p, **overrides), "file": SimpleUploadedFile("du-thao.pdf", draft_pdf(p.director))})
    created = OutgoingDocument.objects.exclude(pk__in=before).first()
    if created is not None:
        assert response.status_code == 302
        return created, None
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors().as_data()
    assert errors, response.context["form"].errors
    return None, errors[0].code


def through_api(p, **overrides) -> tuple[OutgoingDocument | None, str | None]:
    api = APIClient()
    api.force_authenticate(p.specialist)
    upload = io.BytesIO(draft_pdf(p.director))
    upload.name = "du-thao.pdf"
    response = api.post("/api/v1/outgoing-documents/", {**_fields(p, **overrides), "file": upload},
                        format="multipart")
    if response.status_code == 201:
        return OutgoingDocument.objects.get(pk=response.json()["id"]), None
    assert response.status_code == 400, response.content
    return None, response.json()["error"]["code"]


def test_an_ordinary_draft_naming_someone_of_another_agency_is_refused_alike_and_nothing_is_created(client, province):
    p = province
    page_draft, page_code = through_page(client, p, recipient_people=[p.district_clerk.pk])
    api_draft, api_code = through_api(p, recipient_people=[p.district_clerk.pk])
    assert page_draft is None and api_draft is None
    assert page_code == api_code == "bad_recipient"
    assert not OutgoingDocument.objects.exists()


def test_a_secret_draft_may_name_someone_of_another_agency_through_the_page_and_the_api(client, province):
    p = province
    page_draft, page_code = through_page(client, p, confidentiality="mat", recipient_units=[],
                                         recipient_people=[p.district_clerk.pk])
    api_draft, api_code = through_api(p, confidentiality="mat", recipient_units=[],
                                      recipient_people=[p.district_clerk.pk])
    assert page_code is None and api_code is None
    assert list(page_draft.recipient_people.all()) == list(api_draft.recipient_people.all()) == [p.district_clerk]


def test_a_signer_who_is_not_a_leader_of_the_agency_is_refused_alike(client, province):
    p = province
    page_draft, page_code = through_page(client, p, signer=p.specialist2.pk)
    api_draft, api_code = through_api(p, signer=p.specialist2.pk)
    assert page_draft is None and api_draft is None
    assert page_code == api_code == "bad_signer"


def test_a_unit_of_another_agency_as_recipient_is_refused_alike(client, province):
    from eoffice.orgs.models import Unit

    p = province
    other_unit = Unit.objects.filter(agency=p.dongson).first()
    page_draft, page_code = through_page(client, p, recipient_units=[other_unit.pk])
    api_draft, api_code = through_api(p, recipient_units=[other_unit.pk])
    assert page_draft is None and api_draft is None
    assert page_code == api_code == "bad_recipient"


def test_the_same_valid_draft_through_the_page_and_the_api_has_the_same_recipients_and_signer(client, province):
    p = province
    page_draft, _ = through_page(client, p, recipient_people=[p.office_head.pk])
    api_draft, _ = through_api(p, recipient_people=[p.office_head.pk])
    for field in ("signer_id", "confidentiality", "status", "document_type_id"):
        assert getattr(page_draft, field) == getattr(api_draft, field)
    assert list(page_draft.recipient_units.all()) == list(api_draft.recipient_units.all()) == [p.vp]
    assert list(page_draft.recipient_people.all()) == list(api_draft.recipient_people.all()) == [p.office_head]
