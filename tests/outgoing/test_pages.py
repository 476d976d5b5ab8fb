"""The outgoing pages: drafting form, document page actions, the register page and its print-outs."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from eoffice.outgoing.models import OutgoingDocument, Status

from .conftest import draft_pdf

pytestmark = pytest.mark.django_db


def test_the_procedure_through_the_pages_and_the_register_print(client, keys):
    p = keys
    client.force_login(p.specialist)
    assert client.get(reverse("module-outgoing")).status_code == 200
    form = client.get(reverse("outgoing-create"))
    assert "Soạn dự thảo văn bản đi" in form.content.decode()
    response = client.post(reverse("outgoing-create"), {
        "document_type": "cong-van", "summary": "V/v phối hợp tuyên truyền pháp luật", "signer": p.director.pk,
        "signer_capacity": "", "urgency": "thuong", "confidentiality": "thuong", "recipient_units": [p.vp.pk],
        "recipient_agencies": [], "file": SimpleUploadedFile("du-thao.pdf", draft_pdf(p.director)),
    })
    document = OutgoingDocument.objects.get()
    assert response.status_code == 302 and response.url == reverse("outgoing-detail", args=[document.pk])
    page = client.get(response.url).content.decode()
    assert 'data-action="edit"' in page
    client.post(reverse("outgoing-act", args=[document.pk, "submit"]))

    client.force_login(p.unit_head)
    assert 'data-action="review"' in client.get(reverse("outgoing-detail", args=[document.pk])).content.decode()
    returned = client.post(reverse("outgoing-act", args=[document.pk, "return-review"]), {"comment": ""},
                           follow=True)
    assert "Trả lại dự thảo cần ghi ý kiến." in returned.content.decode()
    client.post(reverse("outgoing-act", args=[document.pk, "approve"]), {"comment": "Trình ký"})

    client.force_login(p.director)
    page = client.get(reverse("outgoing-detail", args=[document.pk])).content.decode()
    assert 'data-action="sign"' in page and "eoffice-agent.js" in page
    client.post(reverse("outgoing-act", args=[document.pk, "sign"]))

    client.force_login(p.clerk)
    client.post(reverse("outgoing-act", args=[document.pk, "issue"]))
    client.post(reverse("outgoing-act", args=[document.pk, "release"]))
    document.refresh_from_db()
    assert document.status == Status.RELEASED
    preview = client.get(reverse("outgoing-file", args=[document.pk]))
    assert preview["Content-Type"] == "application/pdf"

    register = client.get(reverse("outgoing-register"), {"year": document.year}).content.decode()
    assert "01/STP-PBGDPL" in register and "Sổ văn bản đi" in register
    pdf = client.get(reverse("outgoing-register"), {"year": document.year, "output": "pdf"})
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    xlsx = client.get(reverse("outgoing-register"), {"year": document.year, "output": "xlsx"})
    assert xlsx.content.startswith(b"PK")


def test_people_of_another_agency_get_404_on_the_document_page_and_file(client, province):
    p = province
    client.force_login(p.specialist)
    client.post(reverse("outgoing-create"), {
        "document_type": "cong-van", "summary": "V/v thử", "signer": p.director.pk, "urgency": "thuong",
        "confidentiality": "thuong", "recipient_units": [p.vp.pk],
        "file": SimpleUploadedFile("du-thao.pdf", draft_pdf(p.director)),
    })
    document = OutgoingDocument.objects.get()
    client.force_login(p.district_clerk)
    assert client.get(reverse("outgoing-detail", args=[document.pk])).status_code == 404
    assert client.get(reverse("outgoing-file", args=[document.pk])).status_code == 404


def test_a_bad_upload_in_the_form_shows_the_vietnamese_error(client, province):
    p = province
    client.force_login(p.specialist)
    response = client.post(reverse("outgoing-create"), {
        "document_type": "cong-van", "summary": "V/v thử", "signer": p.director.pk, "urgency": "thuong",
        "confidentiality": "thuong", "recipient_units": [p.vp.pk],
        "file": SimpleUploadedFile("hong.docx", b"PK\x03\x04hong"),
    })
    assert response.status_code == 200
    assert "Tệp DOCX bị hỏng" in response.content.decode()
    assert not OutgoingDocument.objects.exists()
