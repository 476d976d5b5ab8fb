"""The outgoing API: the whole procedure over HTTP, structured errors, scoping, the register print-outs."""

from __future__ import annotations

import io

import pytest
from rest_framework.test import APIClient

from eoffice.outgoing.models import OutgoingDocument, Status

from .conftest import draft_pdf
from .test_drafts import encrypted_pdf

pytestmark = pytest.mark.django_db


def client_for(person) -> APIClient:
    client = APIClient()
    client.force_authenticate(person)
    return client


def upload(name: str, data: bytes):
    handle = io.BytesIO(data)
    handle.name = name
    return handle


def test_the_procedure_over_the_api_and_the_register_in_json_pdf_and_xlsx(keys):
    from openpyxl import load_workbook

    p = keys
    specialist = client_for(p.specialist)
    created = specialist.post("/api/v1/outgoing-documents/", {
        "document_type": "cong-van", "summary": "V/v phối hợp tuyên truyền pháp luật", "signer": p.director.pk,
        "recipient_units": [p.vp.pk], "file": upload("du-thao.pdf", draft_pdf(p.director)),
    }, format="multipart")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["versions"][0]["kind"] == "upload"
    assert specialist.post(f"/api/v1/outgoing-documents/{pk}/submit/").status_code == 200
    returned = client_for(p.unit_head).post(f"/api/v1/outgoing-documents/{pk}/review/", {"approve": False},
                                            format="json")
    assert returned.status_code == 400
    assert returned.json()["error"]["code"] == "comment_required"
    reviewed = client_for(p.unit_head).post(f"/api/v1/outgoing-documents/{pk}/review/", {"approve": True},
                                            format="json")
    assert reviewed.json()["status"] == "to_sign"
    assert client_for(p.director).post(f"/api/v1/outgoing-documents/{pk}/sign/").json()["status"] == "signed"
    # Not the clerk: a structured 403.
    refused = specialist.post(f"/api/v1/outgoing-documents/{pk}/issue/")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_clerk"
    clerk = client_for(p.clerk)
    issued = clerk.post(f"/api/v1/outgoing-documents/{pk}/issue/").json()
    assert issued["notation"] == "01/STP-PBGDPL"
    assert clerk.post(f"/api/v1/outgoing-documents/{pk}/release/").json()["status"] == "released"
    pdf = clerk.get(f"/api/v1/outgoing-documents/{pk}/file/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")

    rows = clerk.get("/api/v1/outgoing-register/", {"year": issued["issued_at"][:4]}).json()
    assert [r["notation"] for r in rows] == ["01/STP-PBGDPL"]
    assert rows[0]["signer"] == "Nguyễn Văn An"
    printed = clerk.get("/api/v1/outgoing-register/", {"year": issued["issued_at"][:4], "output": "pdf"})
    assert printed["Content-Type"] == "application/pdf" and printed.content.startswith(b"%PDF-")
    sheet = clerk.get("/api/v1/outgoing-register/", {"year": issued["issued_at"][:4], "output": "xlsx"})
    workbook = load_workbook(io.BytesIO(sheet.content))
    values = [[c.value for c in row] for row in workbook.active.iter_rows(min_row=2)]
    assert values[0][0] == "Số, ký hiệu văn bản"
    assert values[1][0] == "01/STP-PBGDPL" and "Công văn" in values[1][2]


def test_bad_upload_is_a_structured_400_and_nothing_is_created(province):
    p = province
    response = client_for(p.specialist).post("/api/v1/outgoing-documents/", {
        "document_type": "cong-van", "summary": "V/v thử", "signer": p.director.pk, "recipient_units": [p.vp.pk],
        "file": upload("mat-khau.pdf", encrypted_pdf()),
    }, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "pdf_encrypted"
    assert "mật khẩu" in response.json()["error"]["message"].lower() or response.json()["error"]["message"]
    assert not OutgoingDocument.objects.exists()


def test_other_agencies_and_uninvolved_people_cannot_see_a_draft(province):
    from eoffice.orgs.models import Person

    p = province
    created = client_for(p.specialist).post("/api/v1/outgoing-documents/", {
        "document_type": "cong-van", "summary": "V/v thử", "signer": p.director.pk, "recipient_units": [p.vp.pk],
        "file": upload("du-thao.pdf", draft_pdf(p.director)),
    }, format="multipart")
    pk = created.json()["id"]
    assert client_for(p.district_clerk).get(f"/api/v1/outgoing-documents/{pk}/").status_code == 404
    archivist = Person.objects.get(username="luutru.stp")
    assert client_for(archivist).get(f"/api/v1/outgoing-documents/{pk}/").status_code == 404
    assert client_for(p.district_clerk).get(f"/api/v1/outgoing-documents/{pk}/file/").status_code == 404
    assert client_for(p.director).get(f"/api/v1/outgoing-documents/{pk}/").status_code == 200


def test_the_outgoing_api_is_in_the_openapi_schema(client, province):
    client.force_login(province.clerk)
    schema = client.get("/api/schema/").content.decode()
    for path in ("/api/v1/outgoing-documents/{id}/sign/prepare/", "/api/v1/outgoing-documents/{id}/release/",
                 "/api/v1/outgoing-documents/{id}/recall/", "/api/v1/outgoing-register/"):
        assert path in schema


def test_two_step_signing_over_the_api_refuses_a_forged_value_and_embeds_the_tokens(keys, dev_pki):
    import base64

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, utils
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

    from eoffice.outgoing import services
    from tests.signing._pdf_checks import pyhanko_statuses

    p = keys
    document = services.create_draft(p.specialist, document_type=p.type("cong-van"), summary="V/v ký hai bước",
                                      signer=p.director, file=("du-thao.pdf", draft_pdf(p.director)),
                                      recipient_units=[p.vp])
    services.submit(document, p.specialist)
    services.review(document, p.unit_head, approve=True)
    # What the token holds (the agent lists the certificate; the key never leaves the token).
    key, cert, _chain = pkcs12.load_key_and_certificates(
        dev_pki.key_store_path("giamdoc.stp").read_bytes(), dev_pki.key_store_passphrase("giamdoc.stp"))
    leaf = base64.b64encode(cert.public_bytes(Encoding.DER)).decode()
    director = client_for(p.director)
    url = f"/api/v1/outgoing-documents/{document.pk}/sign/"

    prepared = director.post(url + "prepare/", {"chain": [leaf]}, format="json").json()
    forged = director.post(url + "complete/", {"session": prepared["session"],
                                               "signature": base64.b64encode(b"\x01" * 256).decode()}, format="json")
    assert forged.status_code == 400 and forged.json()["error"]["code"] == "signature_rejected"
    document.refresh_from_db()
    assert document.status == Status.TO_SIGN

    digest = base64.b64decode(prepared["agent_request"]["digest"])
    value = key.sign(digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
    signed = director.post(url + "complete/", {"session": prepared["session"],
                                               "signature": base64.b64encode(value).decode()}, format="json")
    assert signed.status_code == 200, signed.content
    assert signed.json()["status"] == "signed"
    document.refresh_from_db()
    [status] = pyhanko_statuses(document.current_file.read(), dev_pki.root_cert_path)
    assert status.bottom_line
    # B-T: with a TSA configured, the token's signature carries a signature timestamp.
    assert status.timestamp_validity is not None and status.timestamp_validity.intact
    # The session is used up: replaying it is refused.
    replay = director.post(url + "complete/", {"session": prepared["session"],
                                               "signature": base64.b64encode(value).decode()}, format="json")
    assert replay.status_code == 409
    issued = client_for(p.clerk).post(f"/api/v1/outgoing-documents/{document.pk}/issue/")
    assert issued.status_code == 200, issued.content
