"""Helpers for the liên thông tests in one process: a configured peer, messages signed with development-PKI seals,
and released outgoing documents addressed to external agencies."""

from __future__ import annotations

import datetime as dt

from eoffice.interchange.edxml import (
    VN_TZ,
    Attachment,
    Bussiness,
    Code,
    DocumentType,
    EdxmlMessage,
    EdxmlSigner,
    MessageHeader,
    Organization,
    OtherInfo,
    PromulgationInfo,
    SignerInfo,
    TraceHeader,
    TraceHeaderList,
    format_document_id,
)
from eoffice.interchange.models import Peer
from tests.fixtures_pki import make_sample_pdf

MINISTRY = Organization(organ_id="000.00.00.G22", organ_name="Bộ Tư pháp", organization_in_charge="Chính phủ")
MINISTRY_SEAL = "seal:000.00.20.H01"  # any development-PKI seal stands for the ministry's certificate


def make_peer(dev_pki, *, codes: list[str], url: str = "http://127.0.0.1:9/lien-thong/", name: str = "Bộ Tư pháp",
              certificates_pem: str | None = None) -> Peer:
    pem = certificates_pem if certificates_pem is not None else dev_pki.root_cert_path.read_text()
    return Peer.objects.create(name=name, base_url=url, agency_codes="\n".join(codes), certificates_pem=pem)


def seal_signer(dev_pki, key: str = MINISTRY_SEAL) -> EdxmlSigner:
    return EdxmlSigner.from_pkcs12(dev_pki.key_store_path(key).read_bytes(), dev_pki.key_store_passphrase(key))


def incoming_message(to_code: str, *, number: str = "45", kind: int = 0, target: str = "",
                     subject: str = "V/v phối hợp triển khai Luật Phổ biến, giáo dục pháp luật",
                     date: dt.date = dt.date(2026, 11, 20)) -> EdxmlMessage:
    header = MessageHeader(
        sender=MINISTRY,
        recipients=[Organization(organ_id=to_code, organ_name="Cơ quan nhận")],
        document_id=format_document_id(MINISTRY.organ_id, date, number, "BTP-PBGDPL"),
        subject=subject,
        code=Code(code_number=number, code_notation="BTP-PBGDPL"),
        promulgation_info=PromulgationInfo(place="Hà Nội", promulgation_date=date),
        document_type=DocumentType(type=18, type_name="Công văn"),
        content="Đề nghị phối hợp.",
        signer_info=SignerInfo(competence="KT. BỘ TRƯỞNG", position="Thứ trưởng", full_name="Trần Văn Bình"),
        due_date=date + dt.timedelta(days=10),
        to_places=["Như trên", "Lưu: VT, PBGDPL"],
        other_info=OtherInfo(priority=1, page_amount=1, promulgation_amount=3),
    )
    trace = TraceHeaderList(
        trace_headers=[TraceHeader(organ_id=MINISTRY.organ_id,
                                   timestamp=dt.datetime(2026, 11, 20, 9, 0, tzinfo=VN_TZ))],
        bussiness=Bussiness(bussiness_doc_type=kind, document_id=target,
                            bussiness_doc_reason="Ban hành nhầm" if kind else ""),
    )
    return EdxmlMessage(header=header, trace=trace)


def pdf_attachment() -> Attachment:
    return Attachment(content_id="vanban-1", name="45-BTP-PBGDPL.pdf", content_type="application/pdf",
                      data=make_sample_pdf(("Bộ Tư pháp", "Công văn số 45/BTP-PBGDPL")))


def released_external(p, *, code: str, name: str, pdf_kwargs: dict | None = None, **extra):
    """A công văn of the Sở Tư pháp signed, numbered, sealed and released to an external agency."""
    from eoffice.outgoing import services
    from eoffice.outgoing.services import ExternalRecipient
    from tests.outgoing.conftest import draft_pdf

    document = services.create_draft(
        p.specialist, document_type=p.type("cong-van"), summary=extra.pop("summary", "V/v phối hợp tuyên truyền "
                                                                                     "pháp luật về chuyển đổi số"),
        signer=p.director, file=("du-thao.pdf", draft_pdf(p.director, **(pdf_kwargs or {}))),
        external_recipients=[ExternalRecipient(code, name)], **extra,
    )
    services.submit(document, p.specialist)
    services.review(document, p.unit_head, approve=True)
    services.sign(document, p.director)
    services.issue(document, p.clerk)
    return services.release(document, p.clerk)


