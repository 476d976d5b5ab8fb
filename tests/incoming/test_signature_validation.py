"""Signatures are validated when the clerk registers an upload: the result is kept with the document and the document
page shows the clerk-facing summary ("Hợp lệ", "Không hợp lệ: văn bản đã bị sửa sau khi ký").

The signed dispatch is made with the product's own signing code (``signing.pades``: the director's signature, then
the agency's seal) and the session's development PKI; the validator trusts only that PKI's root."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from eoffice.incoming.models import IncomingDocument
from signing import pades
from signing.dev.samples import sample_document
from signing.documents import date_line, render_document
from signing.images import seal_image, signature_image
from signing.keys import SoftwareKeyStore
from signing.validation import REASON_MODIFIED, SUMMARY_NO_SIGNATURE, SUMMARY_VALID
from tests.fixtures_pki import AGENCY_STP, DIRECTOR_KEY, SEAL_STP_KEY

NAME, POSITION = "Nguyễn Văn An", "Giám đốc"


def store(pki, key: str) -> SoftwareKeyStore:
    return SoftwareKeyStore(pki.key_store_path(key), pki.key_store_passphrase(key))


@pytest.fixture(scope="module")
def signed_pdf(dev_pki) -> bytes:
    """A công văn signed by the director, numbered, then sealed by the Sở Tư pháp (as another agency sends it)."""
    draft = pades.add_number_date_fields(render_document(sample_document(
        "cong-van", agency=AGENCY_STP, superior_agency="Ủy ban nhân dân tỉnh Bình Minh", agency_abbreviation="STP",
        signer_name=NAME, signer_position=POSITION, signer_capacity=None, paragraphs=2)))
    person = pades.sign_person(draft, store(dev_pki, DIRECTOR_KEY), name=NAME, position=POSITION,
                               signature_image=signature_image(NAME), preflight=False)
    filled = pades.fill_number_date(person, "45/STP-VP", date_line("Bình Minh", date(2026, 11, 22)))
    return pades.sign_seal(filled, store(dev_pki, SEAL_STP_KEY), agency_name=AGENCY_STP,
                           seal_image=seal_image(AGENCY_STP), preflight=False)


@pytest.fixture(scope="module")
def modified_pdf(signed_pdf) -> bytes:
    """The same dispatch with text added to its page after it was signed (an incremental update)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(signed_pdf))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    extra = generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 400 Td (SUA DOI SAU KHI KY) Tj ET")
    page["/Contents"] = generic.ArrayObject([page.raw_get("/Contents"), writer.add_object(extra)])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def trusting_dev_pki(dev_pki_settings):
    dev_pki_settings.EOFFICE_VALIDATION_FETCH = True  # revocation checked with the dev PKI's OCSP responder
    return dev_pki_settings


def register_through_the_page(client, office, data: bytes, notation: str) -> IncomingDocument:
    client.force_login(office.clerk)
    response = client.post(reverse("incoming:register"), {
        "channel": "email", "issuer_name": AGENCY_STP, "number_notation": notation, "issued_on": "2026-11-22",
        "summary": "V/v triển khai hệ thống quản lý văn bản và điều hành", "urgency": "thuong",
        "confidentiality": "thuong", "leader": office.leader.pk,
        "files": SimpleUploadedFile("cong-van.pdf", data, "application/pdf"),
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    return IncomingDocument.objects.get(agency=office.agency, number_notation=notation)


def validation_paragraph(html: str) -> str:
    start = html.index('<p class="incoming-validation"')
    return html[start:html.index("</p>", start)]


def test_a_validly_signed_upload_is_stored_and_shown_as_valid(office, client, signed_pdf, trusting_dev_pki):
    doc = register_through_the_page(client, office, signed_pdf, "45/STP-VP")
    assert (doc.validation_status, doc.validation_summary) == ("valid", SUMMARY_VALID)
    [entry] = doc.validation["files"]
    assert entry["name"] == "cong-van.pdf" and entry["report"]["status"] == "valid"
    signers = [s["signer_name"] for s in entry["report"]["signatures"]]
    assert signers == [NAME, AGENCY_STP]
    assert all(s["intact"] and s["trusted"] for s in entry["report"]["signatures"])
    # The document page shows the verdict in the clerk's words, and who signed.
    html = client.get(reverse("incoming:document", args=[doc.pk])).content.decode()
    paragraph = validation_paragraph(html)
    assert 'data-status="valid"' in paragraph and f">{SUMMARY_VALID}" in paragraph
    assert f"cong-van.pdf: {NAME}" in html
    # The API returns the same stored result.
    api = client.get(f"/api/v1/incoming-documents/{doc.pk}/").json()
    assert (api["validation_status"], api["validation_summary"]) == ("valid", SUMMARY_VALID)


def test_an_upload_modified_after_signing_is_stored_and_shown_as_invalid(office, client, modified_pdf,
                                                                       trusting_dev_pki):
    doc = register_through_the_page(client, office, modified_pdf, "46/STP-VP")
    assert (doc.validation_status, doc.validation_summary) == ("invalid", REASON_MODIFIED)
    assert doc.arrival_number == 1  # an invalid signature is reported, not refused: the clerk decides
    html = client.get(reverse("incoming:document", args=[doc.pk])).content.decode()
    paragraph = validation_paragraph(html)
    assert 'data-status="invalid"' in paragraph
    assert "Không hợp lệ: văn bản đã bị sửa sau khi ký" in paragraph
    assert SUMMARY_VALID + "<" not in paragraph


def test_an_unsigned_upload_says_so_rather_than_showing_nothing(office, client, trusting_dev_pki):
    from tests.fixtures_pki import make_sample_pdf

    doc = register_through_the_page(client, office, make_sample_pdf(), "47/STP-VP")
    assert (doc.validation_status, doc.validation_summary) == ("indeterminate", SUMMARY_NO_SIGNATURE)
    paragraph = validation_paragraph(client.get(reverse("incoming:document", args=[doc.pk])).content.decode())
    assert f">{SUMMARY_NO_SIGNATURE}" in paragraph and "—" not in paragraph
