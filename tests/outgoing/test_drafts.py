"""Drafts: uploads (PDF, DOCX converted by LibreOffice in a real Celery worker), bad files, confidentiality."""

from __future__ import annotations

import io
import zipfile

import pytest

from eoffice.core.errors import DomainError
from eoffice.documents.models import Confidentiality
from eoffice.orgs.scoping import visible_to
from eoffice.outgoing import services
from eoffice.outgoing.models import ConversionStatus, DeliveryKind, OutgoingDocument, Status
from tests.factories import docx_package
from tests.fixtures_pki import make_sample_pdf

from ._celery import drain, outgoing_worker
from .conftest import draft_pdf


def make_docx(paragraphs: list[str]) -> bytes:
    """A minimal, valid Word document with Vietnamese text."""
    return docx_package("".join(f"<w:p><w:r><w:t xml:space=\"preserve\">{p}</w:t></w:r></w:p>" for p in paragraphs))


def encrypted_pdf() -> bytes:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.pdf_utils.writer import copy_into_new_writer

    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(make_sample_pdf())))
    writer.encrypt("chu-so-huu", "nguoi-dung")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def create(p, file, **extra) -> OutgoingDocument:
    extra.setdefault("recipient_units", [p.vp])
    return services.create_draft(p.specialist, document_type=p.type("cong-van"), summary="Về việc tuyên truyền",
                                 signer=p.director, file=file, **extra)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("hong.docx", b"PK\x03\x04 day khong phai la tep docx", "docx_broken"),
        ("khong-phai-word.docx", b"PK" + zipfile.ZipFile.__doc__.encode()[:40], "docx_broken"),
        ("mat-khau.pdf", encrypted_pdf(), "pdf_encrypted"),
        ("rong.pdf", b"", "empty_file"),
        ("anh.png", b"\x89PNG\r\n\x1a\n0000", "unsupported_type"),
    ],
    ids=["broken-docx", "zip-not-word", "encrypted-pdf", "empty", "png"],
)
def test_bad_draft_files_are_refused_with_a_clear_error_and_nothing_is_created(province, name, data, code):
    with pytest.raises(DomainError) as refused:
        create(province, (name, data))
    assert refused.value.code == code
    assert refused.value.status_code == 400
    assert "Tệp" in refused.value.message or "PDF" in refused.value.message
    assert not OutgoingDocument.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_docx_draft_is_converted_to_pdf_by_libreoffice_in_the_worker_and_both_files_are_kept(province):
    docx = make_docx(["SỞ TƯ PHÁP TỈNH BÌNH MINH", "Số:", "V/v phối hợp tuyên truyền pháp luật",
                      "Kính gửi: Ủy ban nhân dân huyện Đông Sơn."])
    with outgoing_worker():
        document = create(province, ("cong-van.docx", docx))
        drain("conversion")
    version = document.versions.get()
    assert version.conversion == ConversionStatus.DONE
    assert version.source.content_type == services.DOCX
    assert version.file.read().startswith(b"%PDF-")
    document.refresh_from_db()
    assert document.current_file == version.file


@pytest.mark.django_db(transaction=True)
def test_a_docx_libreoffice_cannot_read_fails_conversion_and_cannot_be_submitted(province):
    bad = io.BytesIO()
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "\x00\x01 không phải XML")
    with outgoing_worker():
        document = create(province, ("hong-noi-dung.docx", bad.getvalue()))
        drain("conversion")
    version = document.versions.get()
    assert version.conversion == ConversionStatus.FAILED
    assert "DOCX" in version.error
    with pytest.raises(DomainError) as refused:
        services.submit(document, province.specialist)
    assert refused.value.code == "no_pdf"


@pytest.mark.django_db
def test_a_draft_without_the_decree_heading_is_refused_at_submission(province):
    document = create(province, ("trang-trang.pdf", make_sample_pdf(("Một trang không có thể thức",))))
    with pytest.raises(DomainError) as refused:
        services.submit(document, province.specialist)
    assert refused.value.code == "layout"
    document.refresh_from_db()
    assert document.status == Status.DRAFT


@pytest.mark.django_db
def test_secret_document_is_only_for_named_people_and_never_goes_to_units_or_the_interconnection(province):
    p = province
    with pytest.raises(DomainError) as external:
        create(p, ("mat.pdf", draft_pdf(p.director)), confidentiality=Confidentiality.SECRET, recipient_units=[],
               recipient_people=[p.specialist2],
               external_recipients=[services.ExternalRecipient("000.00.00.G22", "Bộ Tư pháp")])
    assert external.value.code == "secret_external"
    with pytest.raises(DomainError) as units:
        create(p, ("mat.pdf", draft_pdf(p.director)), confidentiality=Confidentiality.SECRET)
    assert units.value.code == "secret_named_only"
    with pytest.raises(DomainError) as agencies:
        create(p, ("mat.pdf", draft_pdf(p.director)), confidentiality=Confidentiality.SECRET, recipient_units=[],
               recipient_people=[p.specialist2], recipient_agencies=[p.dongson])
    assert agencies.value.code == "secret_named_only"

    document = create(p, ("mat.pdf", draft_pdf(p.director)), confidentiality=Confidentiality.SECRET,
                      recipient_units=[], recipient_people=[p.specialist2, p.district_clerk])
    # The named person of another agency gets it through a delivery to that agency, named on the receipt.
    assert [(d.kind, d.agency) for d in document.deliveries.all()] == [(DeliveryKind.AGENCY, p.dongson)]

    def sees(person) -> bool:
        return visible_to(OutgoingDocument, person).filter(pk=document.pk).exists()

    assert sees(p.specialist) and sees(p.director) and sees(p.specialist2)
    # Not named: the deputy director, the clerk (until the document is signed), the district clerk here.
    assert not sees(p.deputy)
    assert not sees(p.clerk)
    assert not sees(p.district_clerk)
