"""Hostile input to the incoming API and pages is a structured 400, never a 500, and nothing is half-stored
(issue 13): deeply nested or oversized JSON, text longer than its column or the free-text bound, refused before any
file is stored."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from eoffice.documents.models import StoredFile
from eoffice.incoming.models import IncomingDocument, WorkItem, WorkKind

from .conftest import metadata


def _item(office, pdf):
    from eoffice.incoming import services

    doc = services.register_incoming(office.clerk, files=[("cv.pdf", pdf)], channel="email", metadata=metadata())
    return WorkItem.objects.get(document=doc, kind=WorkKind.INSTRUCT)


def test_deeply_nested_json_to_a_task_action_is_a_structured_400(office, pdf, client):
    item = _item(office, pdf)
    client.force_login(office.leader)
    body = '{"action": "instruct", "text": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = client.post(f"/api/v1/my-tasks/{item.pk}/act/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_json_nested_beyond_the_limit_is_refused_even_when_python_could_decode_it(office, pdf, client, settings):
    settings.EOFFICE_MAX_JSON_DEPTH = 8
    item = _item(office, pdf)
    client.force_login(office.leader)
    body = '{"action": "instruct", "text": ' + "[" * 20 + "]" * 20 + "}"
    response = client.post(f"/api/v1/my-tasks/{item.pk}/act/", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "parse_error"


def test_an_oversized_json_body_is_a_structured_400(office, pdf, client, settings):
    settings.EOFFICE_MAX_JSON_BYTES = 10_000
    item = _item(office, pdf)
    client.force_login(office.leader)
    body = '{"action": "instruct", "text": "' + "a" * 20_000 + '"}'
    response = client.post(f"/api/v1/my-tasks/{item.pk}/act/", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "parse_error"


def test_a_reason_longer_than_the_free_text_bound_is_refused_by_the_task_api(office, pdf, client, settings):
    item = _item(office, pdf)
    client.force_login(office.leader)
    response = client.post(f"/api/v1/my-tasks/{item.pk}/act/",
                           {"action": "instruct", "text": "x" * (settings.EOFFICE_MAX_TEXT + 1),
                            "lead_unit": office.lead.pk}, content_type="application/json")
    assert response.status_code == 400
    assert "text" in response.json()["error"]["details"]


def test_a_signer_name_longer_than_its_column_is_refused_before_any_file_is_stored(office, pdf, client):
    client.force_login(office.clerk)
    body = {"channel": "email", "issuer_name": "UBND tỉnh", "number_notation": "8/UBND-VP",
            "issued_on": "2026-03-02", "summary": "V/v API", "document_type": "cong-van",
            "signer_name": "N" * 10_000}
    files_before = StoredFile.objects.count()
    response = client.post("/api/v1/incoming-documents/", {**body, "file": SimpleUploadedFile("a.pdf", pdf)})
    assert response.status_code == 400
    assert "signer_name" in response.json()["error"]["details"]
    assert IncomingDocument.objects.count() == 0 and StoredFile.objects.count() == files_before


def test_a_summary_longer_than_the_summary_bound_is_refused_by_the_register_page(office, pdf, client, settings):
    client.force_login(office.clerk)
    form = {"channel": "email", "issuer_name": "UBND tỉnh", "number_notation": "9/UBND-VP",
            "issued_on": "2026-03-02", "summary": "S" * (settings.EOFFICE_MAX_SUMMARY + 1),
            "document_type": "cong-van", "urgency": "thuong", "confidentiality": "thuong"}
    files_before = StoredFile.objects.count()
    response = client.post(reverse("incoming:register"),
                           {**form, "files": SimpleUploadedFile("cv.pdf", pdf, "application/pdf")})
    assert response.status_code in (200, 400)
    assert IncomingDocument.objects.count() == 0 and StoredFile.objects.count() == files_before


# ------------------------------------------------------------------------------- decomposed Unicode (NFD)
def _nfd(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFD", text)


def test_a_dispatch_typed_decomposed_is_detected_as_a_duplicate_of_the_composed_one(office, pdf):
    from eoffice.incoming import services
    from eoffice.incoming.services.queries import find_duplicate

    first = services.register_incoming(office.clerk, files=[("cv.pdf", pdf)], channel="email",
                                       metadata=metadata(issuer_name="Ủy ban nhân dân tỉnh Bình Minh",
                                                         number_notation="123/QĐ-UBND"))
    md = metadata(issuer_name="Ủy ban nhân dân tỉnh Bình Minh", number_notation="123/QĐ-UBND")
    assert _nfd(md.issuer_name) != md.issuer_name
    assert find_duplicate(office.agency, _nfd(md.issuer_name), _nfd(md.number_notation), md.issued_on) == first


def test_the_api_refuses_an_nfd_typed_duplicate_like_the_composed_one(office, pdf, client):
    client.force_login(office.clerk)
    body = {"channel": "email", "issuer_name": "Ủy ban nhân dân tỉnh", "number_notation": "8/QĐ-UBND",
            "issued_on": "2026-03-02", "summary": "V/v cải cách", "document_type": "cong-van"}
    created = client.post("/api/v1/incoming-documents/", {**body, "file": SimpleUploadedFile("a.pdf", pdf)})
    assert created.status_code == 201
    nfd = {**body, "issuer_name": _nfd(body["issuer_name"]), "number_notation": _nfd(body["number_notation"])}
    dup = client.post("/api/v1/incoming-documents/", {**nfd, "file": SimpleUploadedFile("a.pdf", pdf)})
    assert dup.status_code == 409 and dup.json()["error"]["code"] == "duplicate"


def test_text_typed_decomposed_is_stored_composed(office, pdf):
    from eoffice.incoming import services

    doc = services.register_incoming(office.clerk, files=[("cv.pdf", pdf)], channel="email",
                                     metadata=metadata(summary=_nfd("V/v cải cách hành chính")))
    doc.refresh_from_db()
    assert doc.summary == "V/v cải cách hành chính"


def test_a_username_typed_decomposed_logs_in_on_the_page_and_gets_a_token(office, client):
    from eoffice.orgs.models import Person

    person = Person.objects.create_user(username="nguyễn.hà", password="Mật-khẩu-đủ-dài-1", agency=office.agency)
    assert _nfd(person.username) != person.username
    response = client.post(reverse("login"), {"username": _nfd("nguyễn.hà"), "password": "Mật-khẩu-đủ-dài-1"})
    assert response.status_code == 302 and client.session.get("_auth_user_id") == str(person.pk)
    client.logout()
    token = client.post("/api/v1/auth/token/", {"username": _nfd("nguyễn.hà"), "password": "Mật-khẩu-đủ-dài-1"},
                        content_type="application/json")
    assert token.status_code == 200 and token.json()["token"]


def test_a_page_form_refuses_an_id_beyond_64_bits_as_an_invalid_choice(office):
    from eoffice.pages.incoming.forms import InstructForm

    form = InstructForm({"text": "Giao xử lý", "lead_unit": office.lead.pk, "supporting_units": [str(2**64)]},
                        agency=office.agency)
    assert not form.is_valid()
    assert "supporting_units" in form.errors
