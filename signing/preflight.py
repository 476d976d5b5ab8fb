"""The check every signature goes through before anything is signed: is this certificate usable today?

Validation (:mod:`signing.validation`) *reports* a revoked or expired certificate after the fact; this module
*refuses* to sign with one, so that eoffice never produces a signature it would itself call invalid. One function,
:func:`check_signing_certificate`, raises :class:`CertificateNotUsableError` with a stable ``code`` and a Vietnamese
``message`` when the signing certificate

* has expired or is not valid yet (``expired``, ``not_yet_valid``; checked locally, no network);
* may not sign documents: its key usage has neither digitalSignature nor nonRepudiation (``wrong_key_usage``);
* does not chain up to a configured trust root (``untrusted``): the roots are explicit (the argument, else
  :func:`signing.validation.default_trust_roots`), the operating system's store is never consulted;
* is revoked (``revoked``), or its revocation status cannot be established (``revocation_unknown``): with
  fetching allowed the CA's OCSP responder / CRL is asked and no answer is a refusal (hard-fail).

It is called at one place per signing path: :func:`signing.pades.apply_plan` (every one-shot signature: person,
seal, copy, attachment, PKCS#11 sources included), :meth:`signing.pades.BatchSealer.seal` and
:func:`signing.twostep.prepare` (before a digest is handed to the official's token), through
:func:`check_before_signing`, which honours ``preflight=False`` and the ``SIGNING_PREFLIGHT`` setting.

Asking the CA costs a few HTTP round trips, which would undo the batch sealer's speed if paid per document. A
*positive* result is therefore cached per certificate for :data:`CACHE_SECONDS` (keyed by the certificate's SHA-256,
the trust roots and the fetching mode): a certificate revoked meanwhile can still sign for at most that long, the
usual OCSP-response freshness trade-off. Refusals are never cached, and the local checks (validity period, key
usage) run on every call.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from asn1crypto import x509 as asn1_x509

__all__ = [
    "CACHE_SECONDS",
    "CertificateNotUsableError",
    "PreflightCache",
    "SigningError",
    "MIN_EC_BITS",
    "MIN_RSA_BITS",
    "check_before_signing",
    "check_key_strength",
    "check_signing_certificate",
    "preflight_enabled",
]

CACHE_SECONDS = 300.0
_VN = ZoneInfo("Asia/Ho_Chi_Minh")

Code = Literal[
    "expired", "not_yet_valid", "revoked", "untrusted", "revocation_unknown", "wrong_key_usage", "weak_key"
]

# Thông tư 15/2025/TT-BKHCN: RSA keys of at least 2048 bits, ECDSA keys of at least 256 bits.
MIN_RSA_BITS = 2048
MIN_EC_BITS = 256

# RFC 5280 CRLReason, as asn1crypto names them, in the words a Vietnamese official reads.
_REVOCATION_REASONS_VI = {
    "unspecified": "không nêu lý do",
    "key_compromise": "lộ khóa bí mật",
    "ca_compromise": "lộ khóa của tổ chức cung cấp dịch vụ chứng thực",
    "affiliation_changed": "thay đổi thông tin cơ quan, tổ chức",
    "superseded": "đã được thay thế bằng chứng thư số mới",
    "cessation_of_operation": "chấm dứt hoạt động",
    "certificate_hold": "tạm dừng hiệu lực",
    "remove_from_crl": "gỡ khỏi danh sách thu hồi",
    "privilege_withdrawn": "bị rút quyền sử dụng",
    "aa_compromise": "lộ khóa của tổ chức cấp thuộc tính",
}


class SigningError(ValueError):
    """Base of the refusals to sign; ``message`` is Vietnamese and safe to show, ``code`` is stable.

    A ``ValueError`` so that callers that already report bad input to the user by its message (the batch sealing
    task does) report a refused certificate the same way.
    """

    code = "signing_error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class CertificateNotUsableError(SigningError):
    """The signing certificate must not be used now; nothing was signed.

    ``code`` is one of ``expired``, ``not_yet_valid``, ``revoked``, ``untrusted``, ``revocation_unknown``,
    ``wrong_key_usage``; ``detail`` is the technical reason (English, for logs), ``certificate_sha256`` the hex
    fingerprint of the refused certificate.
    """

    def __init__(self, code: Code, message: str, *, detail: str = "", certificate_sha256: str = "") -> None:
        super().__init__(message, code)
        self.detail = detail
        self.certificate_sha256 = certificate_sha256


# ------------------------------------------------------------------------------------------------------- the cache
class PreflightCache:
    """Positive results, per (certificate, trust roots, fetching mode), for ``ttl_seconds`` of ``clock``.

    ``clock`` is injectable (tests move time forward without sleeping); it defaults to ``time.monotonic``.
    """

    def __init__(self, ttl_seconds: float = CACHE_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_seconds = ttl_seconds
        self.clock = clock
        self._passed: dict[tuple, float] = {}
        self._lock = threading.Lock()

    def fresh(self, key: tuple) -> bool:
        now = self.clock()
        with self._lock:
            passed_at = self._passed.get(key)
            if passed_at is None:
                return False
            if now - passed_at < self.ttl_seconds:
                return True
            del self._passed[key]
            return False

    def remember(self, key: tuple) -> None:
        now = self.clock()
        with self._lock:
            # Drop expired entries so a long-lived worker does not accumulate every certificate it ever saw.
            for stale in [k for k, t in self._passed.items() if now - t >= self.ttl_seconds]:
                del self._passed[stale]
            self._passed[key] = now

    def clear(self) -> None:
        with self._lock:
            self._passed.clear()


cache = PreflightCache()


# ------------------------------------------------------------------------------------------------------- helpers
def _asn1(cert: Any) -> asn1_x509.Certificate:
    if isinstance(cert, asn1_x509.Certificate):
        return cert
    if isinstance(cert, bytes | bytearray):
        return asn1_x509.Certificate.load(bytes(cert))
    from signing.validation import _to_asn1

    return _to_asn1(cert)


def _holder(cert: asn1_x509.Certificate) -> str:
    try:
        names = cert.subject.native.get("common_name")
    except Exception:  # noqa: BLE001 - a malformed name must not hide the real refusal
        names = None
    if isinstance(names, list):
        names = names[0] if names else None
    return f"Chứng thư số của {names}" if names else "Chứng thư số"


def _date(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_VN).strftime("%d/%m/%Y")


def _validity(cert: asn1_x509.Certificate) -> tuple[datetime, datetime]:
    validity = cert["tbs_certificate"]["validity"]
    return validity["not_before"].native, validity["not_after"].native


def _refuse(code: Code, message: str, cert: asn1_x509.Certificate, detail: str = "") -> CertificateNotUsableError:
    return CertificateNotUsableError(code, message, detail=detail, certificate_sha256=cert.sha256.hex())


def check_key_strength(cert: Any) -> None:
    """Refuse (``weak_key``) a certificate whose key is shorter than the 2025 rules allow, or of another kind."""
    cert = _asn1(cert)
    key = cert.public_key
    algo = key.algorithm
    bits = key.bit_size
    if algo == "rsa" and bits >= MIN_RSA_BITS:
        return
    if algo == "ec" and bits >= MIN_EC_BITS:
        return
    if algo in ("rsa", "ec"):
        minimum = MIN_RSA_BITS if algo == "rsa" else MIN_EC_BITS
        name = "RSA" if algo == "rsa" else "ECDSA"
        raise _refuse(
            "weak_key",
            f"{_holder(cert)} dùng khóa {name} {bits} bit, ngắn hơn mức tối thiểu {minimum} bit theo Thông tư "
            "15/2025/TT-BKHCN; không thể ký.",
            cert,
            f"{algo} key of {bits} bits < {minimum}",
        )
    raise _refuse(
        "weak_key",
        f"{_holder(cert)} dùng loại khóa {algo} không được chấp nhận (chỉ RSA từ {MIN_RSA_BITS} bit hoặc ECDSA "
        f"từ {MIN_EC_BITS} bit); không thể ký.",
        cert,
        f"unsupported key algorithm {algo}",
    )


def _check_locally(cert: asn1_x509.Certificate, moment: datetime) -> None:
    check_key_strength(cert)
    holder = _holder(cert)
    not_before, not_after = _validity(cert)
    if moment > not_after:
        raise _refuse("expired", f"{holder} đã hết hạn ngày {_date(not_after)}; không thể ký.", cert,
                      f"certificate expired {not_after.isoformat()}")
    if moment < not_before:
        raise _refuse(
            "not_yet_valid",
            f"{holder} chưa có hiệu lực (có hiệu lực từ ngày {_date(not_before)}); không thể ký.",
            cert,
            f"certificate not valid before {not_before.isoformat()}",
        )
    usage = cert.key_usage_value  # absent extension: no restriction (RFC 5280 4.2.1.3)
    if usage is not None and not ({"digital_signature", "non_repudiation"} & set(usage.native)):
        raise _refuse(
            "wrong_key_usage",
            f"{holder} không được phép dùng để ký số văn bản (thiếu mục đích sử dụng khóa “ký số” hoặc "
            "“chống chối bỏ”); không thể ký.",
            cert,
            f"key usage {sorted(usage.native)}",
        )


async def _validate(
    cert: asn1_x509.Certificate,
    others: list[asn1_x509.Certificate],
    roots: list[asn1_x509.Certificate],
    moment: datetime | None,
    allow_fetching: bool,
) -> None:
    from pyhanko_certvalidator import CertificateValidator, ValidationContext
    from pyhanko_certvalidator.errors import (
        ExpiredError,
        InsufficientRevinfoError,
        NotYetValidError,
        PathBuildingError,
        PathValidationError,
        RevokedError,
        ValidationError,
    )

    holder = _holder(cert)
    kwargs: dict[str, Any] = {
        "trust_roots": roots,
        "other_certs": others,
        "allow_fetching": allow_fetching,
        "revocation_mode": "hard-fail" if allow_fetching else "soft-fail",
    }
    if moment is not None:
        kwargs["moment"] = moment
    vc = ValidationContext(**kwargs)
    try:
        await CertificateValidator(cert, others, validation_context=vc).async_validate_path()
    except RevokedError as exc:
        reason = exc.reason.native if exc.reason is not None else "unspecified"
        reason_vi = _REVOCATION_REASONS_VI.get(reason, reason)
        if exc.is_ee_cert:
            message = f"{holder} đã bị thu hồi ngày {_date(exc.revocation_dt)} (lý do: {reason_vi}); không thể ký."
        else:
            message = (f"Chứng thư số của tổ chức cấp chứng thư cho người ký đã bị thu hồi (lý do: {reason_vi}); "
                       "không thể ký.")
        raise _refuse("revoked", message, cert, str(exc)) from exc
    except InsufficientRevinfoError as exc:
        raise _refuse(
            "revocation_unknown",
            f"Không kiểm tra được tình trạng thu hồi của {holder[0].lower()}{holder[1:]} (không liên lạc được với "
            "tổ chức cung cấp dịch vụ chứng thực); chưa thể ký, hãy thử lại sau.",
            cert,
            str(exc),
        ) from exc
    except ExpiredError as exc:  # the signing certificate was checked before: a CA certificate on the path
        raise _refuse("expired", f"Chứng thư số của tổ chức cấp chứng thư cho người ký đã hết hạn ngày "
                      f"{_date(exc.expired_dt)}; không thể ký.", cert, str(exc)) from exc
    except NotYetValidError as exc:
        raise _refuse("not_yet_valid", "Chứng thư số của tổ chức cấp chứng thư cho người ký chưa có hiệu lực; "
                      "không thể ký.", cert, str(exc)) from exc
    except (PathBuildingError, PathValidationError, ValidationError) as exc:
        raise _refuse(
            "untrusted",
            f"{holder} không do tổ chức cung cấp dịch vụ chứng thực được tin cậy cấp; không thể ký.",
            cert,
            f"{type(exc).__name__}: {exc}",
        ) from exc
    finally:
        await vc.aclose()


def _run(coro: Any) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(coro)
        return
    # Called from inside an event loop (an async view): validate on a thread of its own.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coro).result()


# ------------------------------------------------------------------------------------------------------- the check
def check_signing_certificate(
    chain: Iterable[Any],
    *,
    at: datetime | None = None,
    trust_roots: Sequence[Any] | None = None,
    allow_fetching: bool = True,
) -> None:
    """Refuse (raise :class:`CertificateNotUsableError`) a signing certificate that must not sign at ``at``.

    ``chain`` is the signing certificate first, then its issuers (asn1crypto or ``cryptography`` certificates or
    DER bytes), as :meth:`signing.keys.KeySource.chain` gives it. ``at`` defaults to now (results for an explicit
    moment are not cached). ``trust_roots`` default to :func:`signing.validation.default_trust_roots`; an empty set
    of roots trusts nothing. ``allow_fetching`` False checks revocation only from what is at hand (soft-fail).
    """
    certs = [_asn1(c) for c in chain]
    if not certs:
        raise SigningError("Thiếu chứng thư số của người ký; không thể ký.", "no_certificate")
    cert, others = certs[0], certs[1:]
    moment = at if at is not None else datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    _check_locally(cert, moment)

    if trust_roots is None:
        from django.core.exceptions import ImproperlyConfigured

        from signing.validation import default_trust_roots

        try:
            roots = default_trust_roots()
        except ImproperlyConfigured:  # used outside Django without explicit roots: nothing is trusted
            roots = []
    else:
        roots = [_asn1(r) for r in trust_roots]
    if not roots:
        raise _refuse(
            "untrusted",
            f"{_holder(cert)} không do tổ chức cung cấp dịch vụ chứng thực được tin cậy cấp (hệ thống chưa cấu "
            "hình chứng thư gốc được tin cậy); không thể ký.",
            cert,
            "no trust roots configured",
        )
    key = (cert.sha256, tuple(sorted(r.sha256 for r in roots)), allow_fetching)
    cacheable = at is None
    if cacheable and cache.fresh(key):
        return
    _run(_validate(cert, others, roots, at, allow_fetching))
    if cacheable:
        cache.remember(key)


def preflight_enabled() -> bool:
    """``settings.SIGNING_PREFLIGHT`` (default True; also True when Django is not configured)."""
    try:
        from django.conf import settings

        return bool(getattr(settings, "SIGNING_PREFLIGHT", True))
    except Exception:  # noqa: BLE001 - ImproperlyConfigured outside Django: the safe default is to check
        return True


def check_before_signing(
    chain: Iterable[Any], *, preflight: bool | None = None, trust_roots: Sequence[Any] | None = None
) -> None:
    """What the signing paths call: :func:`check_signing_certificate` unless turned off.

    ``preflight`` False skips the check (tests that deliberately sign with a bad certificate); None follows
    :func:`preflight_enabled`.
    """
    chain = list(chain)
    if chain:
        # The key length rule holds even when the CA check is turned off: it costs nothing and needs no network.
        check_key_strength(chain[0])
    if preflight is None:
        preflight = preflight_enabled()
    if preflight:
        check_signing_certificate(chain, trust_roots=trust_roots)
