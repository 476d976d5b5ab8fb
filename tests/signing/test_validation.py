"""Validation of signed PDFs: the clerk's verdict, the expert's details, and clear refusals of bad files.

Test documents are signed here with plain pyHanko (not ``signing.pades``) so these tests prove the validator
against an independent signer; ``pdfsig`` (poppler + NSS) is the independent validator.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers

from signing.pki import DevPKI, Subject
from signing.validation import (
    REASON_EXPIRED,
    REASON_MODIFIED,
    REASON_REVOKED,
    REASON_UNTRUSTED,
    SUMMARY_NO_SIGNATURE,
    SUMMARY_VALID,
    PdfNotAcceptableError,
    check_pdf_acceptable,
    validate_pdf,
)
from tests.fixtures_pki import DIRECTOR_KEY, SEAL_STP_KEY, make_sample_pdf


def sign(data: bytes, signer: Any, field_name: str, timestamper: Any = None) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    meta = signers.PdfSignatureMetadata(field_name=field_name, subfilter=fields.SigSeedSubFilter.PADES)
    return signers.sign_pdf(writer, meta, signer=signer, timestamper=timestamper).getvalue()


@pytest.fixture(scope="module")
def two_signatures(dev_pki: DevPKI, pki_signer: Callable[[str], Any], sample_pdf: bytes) -> bytes:
    """The director's signature, then the agency seal, as an outgoing document carries them."""
    once = sign(sample_pdf, pki_signer(DIRECTOR_KEY), "ChuKyLanhDao")
    return sign(once, pki_signer(SEAL_STP_KEY), "ChuKyCoQuan")


@pytest.fixture
def roots(dev_pki: DevPKI) -> list[Any]:
    return [dev_pki.root_certificate]


def test_director_and_seal_signatures_are_valid(two_signatures: bytes, roots: list[Any]) -> None:
    report = validate_pdf(two_signatures, trust_roots=roots)
    assert (report.status, report.summary) == ("valid", SUMMARY_VALID)
    director, seal = report.signatures
    assert director.signer_name == "Nguyễn Văn An" and director.signer_title == "Giám đốc"
    assert director.signer_organization == "Sở Tư pháp tỉnh Bình Minh"
    assert seal.signer_name == "Sở Tư pháp tỉnh Bình Minh"
    assert director.coverage == "entire_revision" and director.modification_level == "form_filling"
    assert director.modifications_permitted is True
    assert seal.coverage == "entire_file" and seal.modification_level == "none"
    for sig in report.signatures:
        assert sig.intact and sig.signature_valid and sig.trusted and sig.valid_at_signing_time
        assert sig.revocation == "good"
        assert sig.chain[-1] == "Common Name: Development Root CA, Organization: eoffice development PKI, Country: VN"
        assert sig.certificate_issuer and "Development Public-Service CA" in sig.certificate_issuer
        assert sig.signing_time is not None


def test_report_is_json_serialisable(two_signatures: bytes, roots: list[Any]) -> None:
    report = validate_pdf(two_signatures, trust_roots=roots)
    restored = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert restored["summary"] == "Hợp lệ"
    assert restored["signatures"][0]["signer_name"] == "Nguyễn Văn An"
    assert len(restored["document_sha256"]) == 64


def test_default_trust_roots_come_from_settings(two_signatures: bytes, dev_pki_settings: Any) -> None:
    assert validate_pdf(two_signatures).status == "valid"
    dev_pki_settings.SIGNING_TRUST_ROOTS = []  # empty: the development root in PKI_DIR
    assert validate_pdf(two_signatures).status == "valid"


def test_pdfsig_accepts_every_signature(two_signatures: bytes, run_pdfsig: Callable[[bytes], str]) -> None:
    output = run_pdfsig(two_signatures)
    assert output.count("Signature Validation: Signature is Valid.") == 2, output
    # two distinct certificates: each must be trusted (see docs/ARCHITECTURE.md on repeated certificates)
    assert output.count("Certificate Validation: Certificate is Trusted.") == 2, output
    assert re.search(r"Signer full Distinguished Name: .*CN=Nguy", output), output


def test_change_to_the_page_after_signing_is_reported_as_modified(
    two_signatures: bytes, roots: list[Any]
) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(two_signatures))
    page_ref = writer.root["/Pages"]["/Kids"][0]
    page = page_ref.get_object()
    extra = generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 400 Td (SUA DOI) Tj ET")
    page["/Contents"] = generic.ArrayObject([page.raw_get("/Contents"), writer.add_object(extra)])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    report = validate_pdf(out.getvalue(), trust_roots=roots)
    assert (report.status, report.summary) == ("invalid", REASON_MODIFIED)
    assert all(s.modification_level == "other" and s.modifications_permitted is False for s in report.signatures)


def test_bytes_changed_inside_the_signed_range_break_integrity(two_signatures: bytes, roots: list[Any]) -> None:
    tampered = two_signatures.replace(b"/Title (", b"/Title (X", 1)
    if tampered == two_signatures:  # reportlab may write the title as a hex string
        index = two_signatures.index(b"/Title")
        tampered = two_signatures[: index + 2] + b"t" + two_signatures[index + 3 :]
    tampered = tampered[: len(two_signatures)]
    report = validate_pdf(tampered, trust_roots=roots)
    assert (report.status, report.summary) == ("invalid", REASON_MODIFIED)
    assert not report.signatures[0].intact


def test_revoked_certificate_is_reported_with_its_reason(
    dev_pki: DevPKI, pki_signer: Callable[[str], Any], new_pki_subject: Callable[..., Subject], sample_pdf: bytes
) -> None:
    subject = new_pki_subject()
    signed = sign(sample_pdf, pki_signer(subject.key), "ChuKy")
    dev_pki.revoke(subject.key, reason="key_compromise")
    report = validate_pdf(signed, trust_roots=[dev_pki.root_certificate])
    assert (report.status, report.summary) == ("invalid", REASON_REVOKED)
    sig = report.signatures[0]
    assert sig.revocation == "revoked" and sig.revocation_reason == "key_compromise"
    assert sig.revocation_date is not None


def test_certificate_expired_at_signing_time_is_reported(
    dev_pki: DevPKI, pki_signer: Callable[[str], Any], new_pki_subject: Callable[..., Subject], sample_pdf: bytes
) -> None:
    now = datetime.now(UTC)
    subject = new_pki_subject(not_before=now - timedelta(days=400), not_after=now - timedelta(days=35))
    signed = sign(sample_pdf, pki_signer(subject.key), "ChuKy")
    report = validate_pdf(signed, trust_roots=[dev_pki.root_certificate])
    assert (report.status, report.summary) == ("invalid", REASON_EXPIRED)
    assert report.signatures[0].valid_at_signing_time is False


def test_untrusted_root_is_indeterminate(two_signatures: bytes, tmp_path: Path) -> None:
    stranger = DevPKI(tmp_path / "stranger")
    stranger.ensure()
    report = validate_pdf(two_signatures, trust_roots=[stranger.root_certificate])
    assert (report.status, report.summary) == ("indeterminate", REASON_UNTRUSTED)
    assert not any(s.trusted for s in report.signatures)


def test_without_fetching_revocation_is_not_checked_but_signature_holds(
    two_signatures: bytes, roots: list[Any]
) -> None:
    report = validate_pdf(two_signatures, trust_roots=roots, allow_fetching=False)
    assert report.status == "valid"
    assert {s.revocation for s in report.signatures} == {"not_checked"}


def test_unsigned_pdf_says_there_is_no_signature(sample_pdf: bytes, roots: list[Any]) -> None:
    report = validate_pdf(sample_pdf, trust_roots=roots)
    assert (report.status, report.summary, report.signatures) == ("indeterminate", SUMMARY_NO_SIGNATURE, [])


# ------------------------------------------------------------------------------------------------ bad input
def _encrypted_pdf() -> bytes:
    from pyhanko.pdf_utils.writer import copy_into_new_writer

    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(make_sample_pdf())))
    writer.encrypt("chu-so-huu", "nguoi-dung")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _hybrid_xref_pdf() -> bytes:
    """A hybrid-reference file: a classic xref table whose trailer also points (/XRefStm) at an xref stream
    that holds an object the table does not list — readers that ignore /XRefStm see another document."""
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}

    def obj(num: int, body: bytes) -> None:
        offsets[num] = len(out)
        out.extend(b"%d 0 obj\n" % num + body + b"\nendobj\n")

    obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
    obj(2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    obj(3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>")
    content = b"BT /F1 12 Tf 72 720 Td (hybrid) Tj ET"
    obj(4, b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    row = bytes([1]) + offsets[4].to_bytes(4, "big") + bytes([0])
    obj(5, b"<< /Type /XRef /Size 6 /W [1 4 1] /Index [4 1] /Length %d >>\nstream\n" % len(row) + row + b"\nendstream")
    xref_at = len(out)
    out.extend(b"xref\n0 4\n0000000000 65535 f \n")
    for num in (1, 2, 3):
        out.extend(b"%010d 00000 n \n" % offsets[num])
    out.extend(b"5 1\n%010d 00000 n \n" % offsets[5])
    out.extend(b"trailer\n<< /Size 6 /Root 1 0 R /XRefStm %d >>\nstartxref\n%d\n%%%%EOF\n" % (offsets[5], xref_at))
    return bytes(out)


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda: b"", "empty"),
        (lambda: "Công văn số 45/STP-VP".encode(), "not_pdf"),
        (lambda: b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "not_pdf"),
        (lambda: make_sample_pdf()[:1500], "broken"),
        (lambda: make_sample_pdf()[:-300] + b"\n%%EOF\n", "broken"),
        (_encrypted_pdf, "encrypted"),
        (_hybrid_xref_pdf, "hybrid_xref"),
    ],
    ids=["empty", "text", "png", "truncated", "damaged-xref", "encrypted", "hybrid-xref"],
)
def test_unusable_files_are_refused_with_a_vietnamese_reason(make: Callable[[], bytes], code: str) -> None:
    data = make()
    with pytest.raises(PdfNotAcceptableError) as info:
        check_pdf_acceptable(data)
    assert info.value.code == code
    assert re.search(r"[ăâđêôơưệệỏạảấ]", info.value.message), info.value.message  # real Vietnamese
    with pytest.raises(PdfNotAcceptableError):
        validate_pdf(data, trust_roots=[])


def test_oversized_file_is_refused(sample_pdf: bytes) -> None:
    with pytest.raises(PdfNotAcceptableError) as info:
        check_pdf_acceptable(sample_pdf, max_bytes=100)
    assert info.value.code == "too_large"


def test_a_plain_pdf_is_acceptable(sample_pdf: bytes) -> None:
    check_pdf_acceptable(sample_pdf)
