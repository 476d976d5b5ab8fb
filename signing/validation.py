"""Validation of signed PDFs, ours or anyone's, into a report a clerk can read and an expert can audit.

Two entry points:

- :func:`check_pdf_acceptable` — the cheap pre-check every upload goes through: size, PDF header, parse-ability,
  encryption, hybrid cross-reference. It raises :class:`PdfNotAcceptableError` (a ``ValueError`` carrying a
  Vietnamese ``message`` and a stable ``code``) and never lets a parser traceback through.
- :func:`validate_pdf` — runs the pre-check (so it raises :class:`PdfNotAcceptableError` for files that are not a
  usable PDF: that is the documented way unusable input is refused), then validates every signature and document
  timestamp with pyHanko and returns a :class:`ValidationReport`. Problems *with a signature* never raise: they
  become a signature status "invalid" or "indeterminate" with a Vietnamese reason.

Trust roots are explicit: the caller's, else ``settings.SIGNING_TRUST_ROOTS``, else the development root in
``settings.PKI_DIR``. The operating system's trust store is never consulted.

How a signature is judged (the policy a clerk's "Hợp lệ" rests on):

1. integrity: the signed bytes hash to the signed digest and the signature verifies (else invalid, "văn bản đã bị
   sửa sau khi ký");
2. changes after signing: only signatures, form filling and long-term-validation updates are permitted (pyHanko's
   default diff policy); anything else, or a coverage that is neither the entire file nor an entire revision, is
   invalid ("văn bản đã bị sửa sau khi ký");
3. the certificate's validity period must contain the signing time — the signature timestamp's time when one is
   present and valid, else the time the signer claims (else invalid, "hết hạn tại thời điểm ký");
4. the chain must end at a configured trust root (else indeterminate, "chưa được tin cậy");
5. revocation, checked now from embedded (DSS) and fetched CRL/OCSP data: revoked is invalid unless a trusted
   timestamp proves the signature existed before the revocation; no answer is indeterminate when fetching is
   allowed (hard-fail) and "not checked" otherwise (soft-fail).
A certificate that has expired since signing is validated at the timestamp's time when the signature carries a
trusted timestamp (the long-term-validation case); without a timestamp nothing proves when it was signed, and it is
indeterminate.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from asn1crypto import x509 as asn1_x509
from cryptography import x509

__all__ = [
    "MAX_PDF_BYTES",
    "PdfNotAcceptableError",
    "SignatureReport",
    "ValidationReport",
    "check_pdf_acceptable",
    "default_trust_roots",
    "validate_pdf",
]

logger = logging.getLogger(__name__)

MAX_PDF_BYTES = 200 * 1024 * 1024

Status = Literal["valid", "invalid", "indeterminate"]

SUMMARY_VALID = "Hợp lệ"
SUMMARY_NO_SIGNATURE = "Không có chữ ký số"
REASON_MODIFIED = "Không hợp lệ: văn bản đã bị sửa sau khi ký"
REASON_BAD_SIGNATURE = "Không hợp lệ: chữ ký số không đúng với nội dung văn bản"
REASON_REVOKED = "Không hợp lệ: chứng thư số đã bị thu hồi"
REASON_EXPIRED = "Không hợp lệ: chứng thư số đã hết hạn tại thời điểm ký"
REASON_NOT_YET_VALID = "Không hợp lệ: chứng thư số chưa có hiệu lực tại thời điểm ký"
REASON_KEY_USAGE = "Không hợp lệ: chứng thư số không được phép dùng để ký văn bản"
REASON_UNTRUSTED = "Không xác định: chứng thư chưa được tin cậy"
REASON_REVOCATION_UNKNOWN = "Không xác định: không kiểm tra được tình trạng thu hồi của chứng thư số"
REASON_EXPIRED_NO_POE = (
    "Không xác định: chứng thư số đã hết hạn và chữ ký không có dấu thời gian chứng minh thời điểm ký"
)
REASON_TIMESTAMP = "Không xác định: dấu thời gian của chữ ký không hợp lệ"
REASON_ERROR = "Không xác định: không kiểm tra được chữ ký số"


class PdfNotAcceptableError(ValueError):
    """A file that cannot be accepted as a PDF; ``message`` is Vietnamese and safe to show to the user.

    ``code`` is one of: ``empty``, ``too_large``, ``not_pdf``, ``broken``, ``encrypted``, ``hybrid_xref``,
    ``active_content`` (JavaScript, launch, submit/import actions), ``inflation`` (a decompression bomb).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class SignatureReport:
    """Everything known about one signature or document timestamp; JSON-serialisable through ``asdict``."""

    field_name: str
    kind: Literal["signature", "document_timestamp"]
    status: Status
    reason: str  # Vietnamese, for the clerk
    signer_name: str | None = None
    signer_organization: str | None = None
    signer_title: str | None = None
    signer_email: str | None = None
    certificate_subject: str | None = None
    certificate_serial: str | None = None  # hex
    certificate_issuer: str | None = None
    certificate_not_before: str | None = None
    certificate_not_after: str | None = None
    certificate_sha256: str | None = None
    chain: list[str] = field(default_factory=list)  # subjects, signer first
    trust_anchor: str | None = None
    trusted: bool = False
    trust_problem: str | None = None  # pyHanko's AdES sub-indication, for the expert
    intact: bool = False
    signature_valid: bool = False
    signing_time: str | None = None  # the best known signing time (timestamp, else claimed)
    claimed_signing_time: str | None = None
    timestamp_time: str | None = None
    timestamp_authority: str | None = None
    timestamp_valid: bool | None = None
    valid_at_signing_time: bool | None = None
    revocation: Literal["good", "revoked", "unknown", "not_checked"] = "not_checked"
    revocation_date: str | None = None
    revocation_reason: str | None = None
    revocation_data_embedded: bool = False
    revoked_after_signing: bool = False  # revoked since, but a trusted timestamp proves it was signed before
    coverage: Literal["entire_file", "entire_revision", "partial"] | None = None
    modification_level: Literal["none", "lta_updates", "form_filling", "annotations", "other"] | None = None
    modifications_permitted: bool | None = None
    errors: list[str] = field(default_factory=list)  # technical messages, English, for the expert


@dataclass
class ValidationReport:
    """The verdict on a whole document: ``status`` and ``summary`` for the clerk, ``signatures`` for the expert."""

    status: Status
    summary: str
    signatures: list[SignatureReport]
    document_sha256: str
    validated_at: str
    trust_roots: list[str]
    revocation_fetching: bool

    @property
    def signed(self) -> bool:
        return bool(self.signatures)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------------------------------------------- pre-check
def check_pdf_acceptable(data: bytes, *, max_bytes: int = MAX_PDF_BYTES) -> None:
    """Refuse, with a Vietnamese message, anything that is not a whole, readable, unencrypted PDF."""
    _open_checked(data, max_bytes=max_bytes)


def _open_checked(data: bytes, *, max_bytes: int = MAX_PDF_BYTES) -> Any:
    from pyhanko.pdf_utils.reader import PdfFileReader

    if not data:
        raise PdfNotAcceptableError("empty", "Tệp rỗng, không có nội dung.")
    if len(data) > max_bytes:
        raise PdfNotAcceptableError(
            "too_large", f"Tệp quá lớn (tối đa {max_bytes // (1024 * 1024)} MB)."
        )
    if b"%PDF-" not in data[:1024]:
        raise PdfNotAcceptableError("not_pdf", "Tệp không phải là văn bản PDF.")
    broken = PdfNotAcceptableError("broken", "Tệp PDF bị hỏng hoặc không đầy đủ, không đọc được.")
    if b"%%EOF" not in data[-2048:]:
        raise broken
    _refuse_active_or_bomb(data)
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=True)
        if reader.encrypted:
            raise PdfNotAcceptableError(
                "encrypted", "Tệp PDF đã được mã hóa hoặc đặt mật khẩu; đề nghị gửi bản không mã hóa."
            )
        if reader.xrefs.hybrid_xrefs_present:
            raise PdfNotAcceptableError(
                "hybrid_xref",
                "Tệp PDF dùng bảng tham chiếu chéo lai (hybrid xref), có thể hiển thị khác nhau giữa các phần "
                "mềm nên không được chấp nhận; đề nghị lưu lại tệp bằng phần mềm khác.",
            )
        pages = reader.root["/Pages"]
        if int(pages["/Count"]) < 1:
            raise broken
        reader.root["/Pages"]["/Kids"][0].get_object()  # the first page must resolve
        for sig in reader.embedded_signatures:  # every signature dictionary must be readable
            sig.sig_object  # noqa: B018
    except PdfNotAcceptableError:
        raise
    except Exception as exc:  # any parser error means the same thing to the user
        logger.info("unreadable PDF refused: %r", exc)
        raise broken from exc
    return reader


def _scan_limits() -> tuple[int, int]:
    from signing import pdfscan

    try:
        from django.conf import settings

        return (int(getattr(settings, "EOFFICE_PDF_MAX_INFLATE_RATIO", pdfscan.MAX_RATIO)),
                int(getattr(settings, "EOFFICE_PDF_MAX_INFLATED_BYTES", pdfscan.MAX_INFLATED)))
    except Exception:  # used outside a configured Django project
        return pdfscan.MAX_RATIO, pdfscan.MAX_INFLATED


def _refuse_active_or_bomb(data: bytes) -> None:
    """Before any parser reads it: no JavaScript, launch or submit actions; no decompression bomb."""
    from signing import pdfscan

    ratio, inflated = _scan_limits()
    found = pdfscan.scan(data, max_ratio=ratio, max_inflated=inflated)
    if found.bomb:
        raise PdfNotAcceptableError(
            "inflation", "Tệp PDF chứa dữ liệu nén bất thường (giải nén lớn hơn rất nhiều lần kích thước tệp) "
            "nên không được chấp nhận; đề nghị gửi bản PDF thông thường.")
    if found.active:
        logger.info("PDF with active content refused: %s", sorted(found.active))
        raise PdfNotAcceptableError(
            "active_content", "Tệp PDF có mã lệnh tự chạy (JavaScript, mở chương trình, gửi hoặc nhập dữ liệu) "
            "nên không được chấp nhận; đề nghị gửi bản PDF không có mã lệnh (in lại ra PDF).")


# ---------------------------------------------------------------------------------------------------- trust
def _to_asn1(cert: Any) -> asn1_x509.Certificate:
    if isinstance(cert, asn1_x509.Certificate):
        return cert
    if isinstance(cert, x509.Certificate):
        from cryptography.hazmat.primitives.serialization import Encoding

        return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))
    raise TypeError(f"not a certificate: {type(cert).__name__}")


def _load_cert_file(path: Path) -> list[asn1_x509.Certificate]:
    from pyhanko.keys import load_certs_from_pemder

    return list(load_certs_from_pemder([str(path)]))


def default_trust_roots() -> list[asn1_x509.Certificate]:
    """``settings.SIGNING_TRUST_ROOTS`` (PEM/DER files), or the development root in ``settings.PKI_DIR``."""
    from django.conf import settings

    paths = [Path(p) for p in getattr(settings, "SIGNING_TRUST_ROOTS", None) or []]
    if not paths:
        paths = [Path(settings.PKI_DIR) / "root.pem"]
    roots: list[asn1_x509.Certificate] = []
    for path in paths:
        if path.exists():
            roots.extend(_load_cert_file(path))
        else:
            logger.warning("trust root %s does not exist; ignored", path)
    return roots


# ---------------------------------------------------------------------------------------------------- validation
def validate_pdf(
    data: bytes,
    *,
    trust_roots: Sequence[x509.Certificate | asn1_x509.Certificate] | None = None,
    allow_fetching: bool = True,
    revocation_mode: str | None = None,
    max_bytes: int = MAX_PDF_BYTES,
) -> ValidationReport:
    """Validate every signature and document timestamp in ``data``.

    Raises :class:`PdfNotAcceptableError` when ``data`` is not a usable PDF (empty, not a PDF, broken, encrypted,
    hybrid xref). ``revocation_mode`` defaults to ``hard-fail`` when fetching is allowed (no answer from the CA is
    "indeterminate") and ``soft-fail`` otherwise (embedded data is used, missing data is reported "not_checked").
    Must not be called from inside a running event loop (it runs its own).
    """
    reader = _open_checked(data, max_bytes=max_bytes)
    roots = [_to_asn1(c) for c in trust_roots] if trust_roots is not None else default_trust_roots()
    mode = revocation_mode or ("hard-fail" if allow_fetching else "soft-fail")
    reports = asyncio.run(_validate_all(reader, roots, allow_fetching, mode))
    return _aggregate(data, reports, roots, allow_fetching)


def _aggregate(
    data: bytes, reports: list[SignatureReport], roots: list[asn1_x509.Certificate], fetching: bool
) -> ValidationReport:
    if not reports:
        status: Status = "indeterminate"
        summary = SUMMARY_NO_SIGNATURE
    elif any(r.status == "invalid" for r in reports):
        status = "invalid"
        summary = next(r.reason for r in reports if r.status == "invalid")
    elif any(r.status == "indeterminate" for r in reports):
        status = "indeterminate"
        summary = next(r.reason for r in reports if r.status == "indeterminate")
    else:
        status, summary = "valid", SUMMARY_VALID
    return ValidationReport(
        status=status,
        summary=summary,
        signatures=reports,
        document_sha256=hashlib.sha256(data).hexdigest(),
        validated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        trust_roots=[r.subject.human_friendly for r in roots],
        revocation_fetching=fetching,
    )


async def _validate_all(
    reader: Any, roots: list[asn1_x509.Certificate], fetching: bool, mode: str
) -> list[SignatureReport]:
    from pyhanko.sign.validation import DocumentSecurityStore
    from pyhanko.sign.validation.errors import NoDSSFoundError

    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        dss = None
    except Exception as exc:
        logger.info("unreadable DSS ignored: %r", exc)
        dss = None

    reports = []
    for sig in reader.embedded_signatures:
        try:
            reports.append(await _validate_one(sig, roots, fetching, mode, dss))
        except Exception as exc:  # one broken signature must not hide the others
            logger.exception("signature %s could not be validated", _field_name(sig))
            reports.append(
                SignatureReport(
                    field_name=_field_name(sig),
                    kind="signature",
                    status="indeterminate",
                    reason=REASON_ERROR,
                    errors=[repr(exc)],
                )
            )
    return reports


def _field_name(sig: Any) -> str:
    try:
        return str(sig.field_name)
    except Exception:
        return "?"


def _context(
    roots: list[asn1_x509.Certificate],
    fetching: bool,
    mode: str,
    dss: Any,
    extra_certs: list[asn1_x509.Certificate],
    moment: datetime | None = None,
) -> Any:
    from pyhanko_certvalidator import ValidationContext

    kwargs: dict[str, Any] = {
        "trust_roots": roots,
        "allow_fetching": fetching,
        "revocation_mode": mode,
        "other_certs": extra_certs,
    }
    if moment is not None:
        kwargs["moment"] = moment
        kwargs["retroactive_revinfo"] = True
    if dss is not None:
        try:
            return dss.as_validation_context(kwargs)
        except Exception as exc:
            logger.info("DSS content unusable, validating without it: %r", exc)
    return ValidationContext(**kwargs)


async def _validate_one(
    sig: Any, roots: list[asn1_x509.Certificate], fetching: bool, mode: str, dss: Any
) -> SignatureReport:
    from pyhanko.sign.validation import async_validate_pdf_signature, async_validate_pdf_timestamp

    is_doc_ts = sig.sig_object_type == "/DocTimeStamp"
    extra = list(sig.other_embedded_certs)

    async def run(moment: datetime | None = None) -> Any:
        vc = _context(roots, fetching, mode, dss, extra, moment)
        try:
            if is_doc_ts:
                return await async_validate_pdf_timestamp(sig, validation_context=vc)
            ts_vc = _context(roots, fetching, mode, dss, extra)
            try:
                return await async_validate_pdf_signature(
                    sig, signer_validation_context=vc, ts_validation_context=ts_vc
                )
            finally:
                await ts_vc.aclose()
        finally:
            await vc.aclose()

    status = await run()
    report = _describe(sig, status, is_doc_ts, dss is not None)
    ts_time = _parse(report.timestamp_time)

    # Expired or revoked since signing, but a trusted timestamp proves when it was signed: validate at that moment.
    not_after = _parse(report.certificate_not_after)
    revoked_at = _parse(report.revocation_date)
    if (
        not is_doc_ts
        and ts_time is not None
        and report.timestamp_valid
        and report.valid_at_signing_time
        and (
            (not_after is not None and not_after < datetime.now(UTC))
            or (revoked_at is not None and ts_time < revoked_at)
        )
    ):
        first = report
        status = await run(moment=ts_time)
        report = _describe(sig, status, is_doc_ts, dss is not None)
        if first.revocation == "revoked" and report.revocation != "revoked":
            report.revoked_after_signing = True
            report.revocation_date, report.revocation_reason = first.revocation_date, first.revocation_reason
    _judge(report, status, mode)
    return report


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat(timespec="seconds")


def _describe(sig: Any, status: Any, is_doc_ts: bool, dss_present: bool) -> SignatureReport:
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    cert: asn1_x509.Certificate = status.signing_cert
    subject = cert.subject.native
    validity = cert["tbs_certificate"]["validity"]
    not_before, not_after = validity["not_before"].native, validity["not_after"].native

    report = SignatureReport(
        field_name=_field_name(sig),
        kind="document_timestamp" if is_doc_ts else "signature",
        status="indeterminate",
        reason=REASON_ERROR,
        signer_name=_first(subject.get("common_name")),
        signer_organization=_first(subject.get("organization_name")),
        signer_title=_first(subject.get("title")),
        signer_email=_first(subject.get("email_address")),
        certificate_subject=cert.subject.human_friendly,
        certificate_serial=format(cert.serial_number, "x"),
        certificate_issuer=cert.issuer.human_friendly,
        certificate_not_before=_iso(not_before),
        certificate_not_after=_iso(not_after),
        certificate_sha256=cert.sha256.hex(),
        intact=bool(status.intact),
        signature_valid=bool(status.valid),
        trust_problem=status.trust_problem_indic.name if status.trust_problem_indic is not None else None,
        revocation_data_embedded=dss_present or _has_cms_revinfo(sig),
    )
    path = status.validation_path
    if path is not None:
        report.trusted = status.trust_problem_indic is None
        report.chain = [c.subject.human_friendly for c in reversed(list(path.iter_certs(include_root=True)))]
        try:
            report.trust_anchor = path.trust_anchor.authority.name.human_friendly
        except Exception:
            report.trust_anchor = report.chain[-1] if report.chain else None

    # Signing time: a valid signature timestamp beats the signer's own claim.
    if is_doc_ts:
        report.timestamp_time = _iso(status.timestamp)
        report.timestamp_authority = report.signer_name
        report.timestamp_valid = _sound(status)
        signing_time = status.timestamp
    else:
        claimed = status.signer_reported_dt
        report.claimed_signing_time = _iso(claimed)
        signing_time = claimed
        tsv = status.timestamp_validity
        if tsv is not None:
            report.timestamp_time = _iso(tsv.timestamp)
            report.timestamp_authority = _first(tsv.signing_cert.subject.native.get("common_name"))
            report.timestamp_valid = bool(tsv.intact and tsv.valid and tsv.trust_problem_indic is None)
            if report.timestamp_valid:
                signing_time = tsv.timestamp
    report.signing_time = _iso(signing_time)
    if signing_time is not None:
        if signing_time.tzinfo is None:
            signing_time = signing_time.replace(tzinfo=UTC)
        report.valid_at_signing_time = not_before <= signing_time <= not_after

    details = status.revocation_details
    if details is not None:
        report.revocation = "revoked"
        report.revocation_date = _iso(details.revocation_date)
        report.revocation_reason = details.revocation_reason.native if details.revocation_reason else None
    elif status.trust_problem_indic is not None and status.trust_problem_indic.name in (
        "TRY_LATER",
        "REVOCATION_OUT_OF_BOUNDS_NO_POE",
    ):
        report.revocation = "unknown"
    elif report.trusted:
        report.revocation = "good"

    coverage = status.coverage
    report.coverage = {
        SignatureCoverageLevel.ENTIRE_FILE: "entire_file",
        SignatureCoverageLevel.ENTIRE_REVISION: "entire_revision",
    }.get(coverage, "partial")
    level = status.modification_level
    report.modification_level = level.name.lower() if level is not None else None
    report.modifications_permitted = (
        bool(status.docmdp_ok) if status.docmdp_ok is not None else None
    )
    diff = status.diff_result
    if diff is not None and not hasattr(diff, "modification_level"):
        report.errors.append(f"modification analysis: {diff}")
    return report


def _sound(status: Any) -> bool:
    """pyHanko's bottom line, for signatures and document timestamps alike (the latter have no property)."""
    if hasattr(status, "bottom_line"):
        return bool(status.bottom_line)
    return bool(
        status.intact
        and status.valid
        and status.trust_problem_indic is None
        and status.docmdp_ok is not False
    )


def _first(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return str(value[0]) if value else None
    return str(value)


def _has_cms_revinfo(sig: Any) -> bool:
    try:
        attrs = sig.signer_info["signed_attrs"]
        return any(a["type"].native == "adobe_revocation_info_archival" for a in attrs)
    except Exception:
        return False


def _judge(report: SignatureReport, status: Any, mode: str) -> None:
    """Turn the facts into the clerk's verdict (see the module docstring for the policy)."""

    def verdict(value: Status, reason: str) -> None:
        report.status, report.reason = value, reason

    problem = report.trust_problem
    if not report.intact:
        return verdict("invalid", REASON_MODIFIED)
    if not report.signature_valid:
        return verdict("invalid", REASON_BAD_SIGNATURE)
    if report.coverage == "partial" or report.modifications_permitted is False or (
        report.modification_level in ("annotations", "other") and not report.modifications_permitted
    ):
        return verdict("invalid", REASON_MODIFIED)
    if report.valid_at_signing_time is False:
        signing = _parse(report.signing_time)
        not_before = _parse(report.certificate_not_before)
        if signing is not None and not_before is not None and signing < not_before:
            return verdict("invalid", REASON_NOT_YET_VALID)
        return verdict("invalid", REASON_EXPIRED)
    if report.revocation == "revoked" or problem in ("REVOKED", "REVOKED_NO_POE", "REVOKED_CA_NO_POE"):
        return verdict("invalid", REASON_REVOKED)
    if problem in ("SIG_CONSTRAINTS_FAILURE",):
        return verdict("invalid", REASON_KEY_USAGE)
    if problem in ("NO_CERTIFICATE_CHAIN_FOUND", "CHAIN_CONSTRAINTS_FAILURE", "CERTIFICATE_CHAIN_GENERAL_FAILURE"):
        return verdict("indeterminate", REASON_UNTRUSTED)
    if problem in ("TRY_LATER", "REVOCATION_OUT_OF_BOUNDS_NO_POE"):
        return verdict("indeterminate", REASON_REVOCATION_UNKNOWN)
    if problem in ("OUT_OF_BOUNDS_NO_POE", "EXPIRED", "OUT_OF_BOUNDS_NOT_REVOKED"):
        return verdict("indeterminate", REASON_EXPIRED_NO_POE)
    if problem is not None:
        return verdict("indeterminate", REASON_UNTRUSTED if not report.trusted else REASON_ERROR)
    if report.timestamp_valid is False:
        return verdict("indeterminate", REASON_TIMESTAMP)
    if not report.trusted:
        return verdict("indeterminate", REASON_UNTRUSTED)
    if mode == "soft-fail" and not report.revocation_data_embedded and report.revocation == "good":
        report.revocation = "not_checked"
    if not _sound(status):
        return verdict("indeterminate", REASON_ERROR)
    verdict("valid", SUMMARY_VALID)
