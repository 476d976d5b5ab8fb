"""The outgoing procedure at service level: review, returns, consultation, signing, numbering and sealing."""

from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from eoffice.core.errors import DomainError
from eoffice.orgs.models import Person
from eoffice.orgs.scoping import visible_to
from eoffice.outgoing import services
from eoffice.outgoing.models import OutgoingDocument, Status, VersionKind
from tests.signing._pdf_checks import pyhanko_statuses

from .conftest import draft_pdf

pytestmark = pytest.mark.django_db


def new_draft(p, **extra) -> OutgoingDocument:
    extra.setdefault("recipient_units", [p.vp])
    return services.create_draft(
        p.specialist, document_type=p.type("cong-van"), summary="V/v phối hợp tuyên truyền pháp luật",
        signer=p.director, file=("du-thao.pdf", draft_pdf(p.director)), **extra,
    )


def to_signed(p, document: OutgoingDocument) -> OutgoingDocument:
    services.submit(document, p.specialist)
    services.review(document, p.unit_head, approve=True)
    return services.sign(document, p.director)


def field_values(pdf: bytes) -> dict[str, str]:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    return {str(f.get_object()["/T"]): str(f.get_object().get("/V", ""))
            for f in reader.root["/AcroForm"]["/Fields"]}


def test_draft_reviewed_signed_numbered_sealed_and_released_keeps_both_signatures_valid(keys, dev_pki):
    p = keys
    document = new_draft(p)
    assert document.status == Status.DRAFT
    services.submit(document, p.specialist)
    document.refresh_from_db()
    assert document.status == Status.IN_REVIEW
    services.review(document, p.unit_head, approve=True, comment="Đồng ý trình ký")
    document.refresh_from_db()
    assert document.status == Status.TO_SIGN
    services.sign(document, p.director)
    document.refresh_from_db()
    assert document.status == Status.SIGNED
    [signed_status] = pyhanko_statuses(document.current_file.read(), dev_pki.root_cert_path)
    assert signed_status.bottom_line

    services.issue(document, p.clerk)
    document.refresh_from_db()
    assert document.status == Status.ISSUED
    assert (document.series_code, document.number) == ("di", 1)
    assert document.notation == "01/STP-PBGDPL"
    sealed = document.current_file.read()
    statuses = pyhanko_statuses(sealed, dev_pki.root_cert_path)
    assert len(statuses) == 2
    assert all(s.bottom_line for s in statuses)
    # The leader's signature still covers the document: the later changes are only the form filling and the seal.
    assert statuses[0].modification_level.name in ("FORM_FILLING", "LTA_UPDATES")
    assert field_values(sealed)["so_ky_hieu"] == "01/STP-PBGDPL"
    assert [v.kind for v in document.versions.order_by("seq")] == [
        VersionKind.UPLOAD, VersionKind.FIELDS, VersionKind.SIGNED, VersionKind.NUMBERED, VersionKind.SEALED]

    services.release(document, p.clerk)
    document.refresh_from_db()
    assert document.status == Status.RELEASED
    archivist = Person.objects.get(username="luutru.stp")  # a member of the recipient unit (Văn phòng)
    assert visible_to(OutgoingDocument, archivist).filter(pk=document.pk).exists()
    # An archivist outside the recipient units reads it too once released: the agency's records are theirs to keep.
    archivist.unit = None
    archivist.save(update_fields=["unit"])
    archivist = Person.objects.get(pk=archivist.pk)
    assert visible_to(OutgoingDocument, archivist).filter(pk=document.pk).exists()


def test_unit_head_returns_draft_with_comments_and_new_version_goes_back_to_review(keys):
    p = keys
    document = new_draft(p)
    services.submit(document, p.specialist)
    with pytest.raises(DomainError) as missing_comment:
        services.review(document, p.unit_head, approve=False)
    assert missing_comment.value.code == "comment_required"
    services.review(document, p.unit_head, approve=False, comment="Sửa lại đoạn 2 cho rõ thời hạn")
    document.refresh_from_db()
    assert document.status == Status.RETURNED
    # Nobody can sign a returned draft.
    with pytest.raises(DomainError):
        services.sign(document, p.director)
    services.add_version(document, p.specialist, "du-thao-2.pdf",
                         draft_pdf(p.director, summary="phối hợp tuyên truyền pháp luật (sửa đổi)"))
    services.submit(document, p.specialist)
    document.refresh_from_db()
    assert document.status == Status.IN_REVIEW
    services.review(document, p.unit_head, approve=True)
    document.refresh_from_db()
    assert document.status == Status.TO_SIGN
    assert [(o.step, o.approved) for o in document.opinions.all()] == [("review", False), ("review", True)]
    assert document.versions.filter(kind=VersionKind.UPLOAD).count() == 2


def test_consulted_units_answer_in_parallel_before_the_leader_can_sign(keys):
    p = keys
    hctp_head = services.unit_heads(p.hctp) or [None]
    document = new_draft(p, consult_units=[p.vp])
    services.submit(document, p.specialist)
    services.review(document, p.unit_head, approve=True)
    document.refresh_from_db()
    assert document.status == Status.CONSULTING
    assert hctp_head  # (the demo's HCTP has no head: only VP is consulted here)
    with pytest.raises(DomainError):
        services.sign(document, p.director)
    # Someone outside the consulted unit cannot answer for it.
    with pytest.raises(DomainError):
        services.consult(document, p.unit_head, unit=p.vp, comment="không phải đơn vị tôi")
    services.consult(document, p.office_head, agree=True, comment="Văn phòng thống nhất nội dung")
    document.refresh_from_db()
    assert document.status == Status.TO_SIGN
    to_signed(p, document) if False else services.sign(document, p.director)
    document.refresh_from_db()
    assert document.status == Status.SIGNED


def test_two_consulted_units_both_must_answer(keys):
    from eoffice.orgs.models import Role

    p = keys
    hctp_head = Person.objects.create_user(username="truongphong.hctp", full_name="Phan Văn Hòa",
                                           agency=p.stp, unit=p.hctp)
    hctp_head.roles.set(Role.objects.filter(code="unit_head"))
    document = new_draft(p, consult_units=[p.vp, p.hctp])
    services.submit(document, p.specialist)
    services.review(document, p.unit_head, approve=True)
    services.consult(document, p.office_head, agree=True)
    document.refresh_from_db()
    assert document.status == Status.CONSULTING  # the join still waits for HCTP
    with pytest.raises(DomainError):
        services.sign(document, p.director)
    services.consult(document, hctp_head, agree=False, comment="Đề nghị bổ sung căn cứ pháp lý")
    document.refresh_from_db()
    assert document.status == Status.TO_SIGN
    assert sorted(c.unit.abbreviation for c in document.consultations.all()) == ["HCTP", "VP"]


def test_leader_returns_draft_instead_of_signing(keys):
    p = keys
    document = new_draft(p)
    services.submit(document, p.specialist)
    services.review(document, p.unit_head, approve=True)
    with pytest.raises(DomainError):
        services.return_to_drafter(document, p.specialist, comment="tự trả lại")
    services.return_to_drafter(document, p.director, comment="Bổ sung số liệu năm 2025")
    document.refresh_from_db()
    assert document.status == Status.RETURNED
    services.submit(document, p.specialist)
    document.refresh_from_db()
    assert document.status == Status.IN_REVIEW


def test_only_the_assigned_leader_or_a_delegate_signs(keys):
    from datetime import timedelta

    from django.utils import timezone

    from eoffice.orgs.models import Delegation

    p = keys
    document = new_draft(p)
    services.submit(document, p.specialist)
    services.review(document, p.unit_head, approve=True)
    with pytest.raises(DomainError) as refused:
        services.sign(document, p.deputy)
    assert refused.value.status_code == 403
    Delegation.objects.create(delegator=p.director, delegate=p.deputy, starts_at=timezone.now() - timedelta(hours=1),
                              ends_at=timezone.now() + timedelta(days=1), reason="Giám đốc đi công tác")
    services.sign(document, p.deputy)
    document.refresh_from_db()
    assert document.signed_by == p.deputy
    opinion = document.opinions.get(step="sign")
    assert opinion.on_behalf_of == p.director


def test_only_a_clerk_of_the_agency_numbers_and_a_failed_seal_consumes_no_number(keys, dev_pki_settings):
    from eoffice.documents.keyring import seal_key_source

    p = keys
    document = to_signed(p, new_draft(p))
    with pytest.raises(DomainError) as not_clerk:
        services.issue(document, p.specialist)
    assert not_clerk.value.status_code == 403
    # The seal key is unreachable: the issue fails and the number goes back.
    original = dev_pki_settings.PKI_DIR
    dev_pki_settings.PKI_DIR = original / "missing"
    with pytest.raises(DomainError) as no_key:
        services.issue(document, p.clerk)
    assert no_key.value.code == "no_seal_key"
    dev_pki_settings.PKI_DIR = original
    document.refresh_from_db()
    assert document.status == Status.SIGNED and document.number is None
    seal_key_source(p.stp)
    services.issue(document, p.clerk)
    document.refresh_from_db()
    assert document.number == 1


def test_clerk_returns_a_signed_document_and_it_needs_a_new_version_and_a_new_signature(keys):
    p = keys
    document = to_signed(p, new_draft(p))
    services.return_to_drafter(document, p.clerk, comment="Sai thể thức: thiếu nơi nhận")
    document.refresh_from_db()
    assert document.status == Status.RETURNED and document.signed_by is None
    with pytest.raises(DomainError) as refused:
        services.submit(document, p.specialist)
    assert refused.value.code == "new_version_required"
    services.add_version(document, p.specialist, "du-thao-3.pdf", draft_pdf(p.director, summary="bổ sung nơi nhận"))
    to_signed(p, document)
    services.issue(document, p.clerk)
    document.refresh_from_db()
    assert document.number == 1
    assert [o.step for o in document.opinions.filter(approved=False)] == ["issue"]


def test_the_register_reads_in_a_constant_number_of_queries(keys, django_assert_max_num_queries):
    from eoffice.outgoing import register

    p = keys
    for _ in range(3):
        services.issue(to_signed(p, new_draft(p)), p.clerk)
    year = OutgoingDocument.objects.first().year
    with django_assert_max_num_queries(12):
        rows = [register.row_of(d) for d in register.register_documents(p.clerk, year=year, series_code="di")]
    assert [r.notation for r in rows] == ["01/STP-PBGDPL", "02/STP-PBGDPL", "03/STP-PBGDPL"]
