"""Signing with an expired, not yet valid, revoked or untrusted certificate is refused before anything is signed.

The certificates come from the session's development PKI (``new_pki_subject`` issues fresh ones, so revoking them
disturbs nobody) and, for the untrusted case, from a throwaway CA made in a temporary directory. Revocation is
asked of the session PKI's loopback OCSP/CRL services; ``tests/signing/conftest.py`` makes the product trust the
session root, as a deployment's ``SIGNING_TRUST_ROOTS`` would.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage

from eoffice.documents.tasks import seal_stored_files
from signing import pades, preflight, twostep
from signing.appearance import SignatureBlock
from signing.keys import SoftwareKeyStore
from signing.pki import DevPKI, Subject
from signing.preflight import CertificateNotUsableError, PreflightCache, check_signing_certificate
from signing.validation import validate_pdf
from tests.fixtures_pki import free_loopback_port

BLOCK = SignatureBlock(page=0, rect=(330.0, 120.0, 520.0, 200.0))
VN = ZoneInfo("Asia/Ho_Chi_Minh")
ROGUE = Subject("rogue", "Nguyễn Văn An", "Sở Tư pháp tỉnh Bình Minh", "person")


class SpySource:
    """A key source that counts how often its key is asked for: zero means nothing was signed."""

    def __init__(self, inner: SoftwareKeyStore) -> None:
        self.inner = inner
        self.signer_calls = 0

    def chain(self) -> list[Any]:
        return self.inner.chain()

    def signer(self) -> Any:
        self.signer_calls += 1
        return self.inner.signer()


def store(pki: DevPKI, key: str) -> SoftwareKeyStore:
    return SoftwareKeyStore(pki.key_store_path(key), pki.key_store_passphrase(key))


def vn_date(moment: datetime) -> str:
    return moment.astimezone(VN).strftime("%d/%m/%Y")


@pytest.fixture(scope="module")
def rogue_pki(tmp_path_factory: pytest.TempPathFactory) -> DevPKI:
    """A CA nobody configured, whose OCSP/CRL URLs name a loopback port where nothing listens."""
    pki = DevPKI(tmp_path_factory.mktemp("rogue-pki"), services_url=f"http://127.0.0.1:{free_loopback_port()}")
    pki.ensure([ROGUE])
    return pki


@pytest.fixture
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> PreflightCache:
    """An empty cache of our own, so no other test's positive result can let a certificate through."""
    cache = PreflightCache()
    monkeypatch.setattr(preflight, "cache", cache)
    return cache


@pytest.fixture
def bad_certificate(request, dev_pki: DevPKI, new_pki_subject: Callable[..., Subject], rogue_pki: DevPKI):
    """``(pki, key, code, expected message)`` for the kind of bad certificate named by the parameter."""
    now = datetime.now(UTC)
    kind = request.param
    if kind == "expired":
        subject = new_pki_subject(not_before=now - timedelta(days=400), not_after=now - timedelta(days=3))
        not_after = dev_pki.certificate(subject.key).not_valid_after_utc
        message = f"Chứng thư số của {subject.common_name} đã hết hạn ngày {vn_date(not_after)}; không thể ký."
        return dev_pki, subject.key, "expired", message
    if kind == "not_yet_valid":
        subject = new_pki_subject(not_before=now + timedelta(days=10), not_after=now + timedelta(days=400))
        not_before = dev_pki.certificate(subject.key).not_valid_before_utc
        message = (f"Chứng thư số của {subject.common_name} chưa có hiệu lực (có hiệu lực từ ngày "
                   f"{vn_date(not_before)}); không thể ký.")
        return dev_pki, subject.key, "not_yet_valid", message
    if kind == "revoked":
        subject = new_pki_subject()
        dev_pki.revoke(subject.key, reason="key_compromise")
        today = vn_date(datetime.now(UTC))
        message = (f"Chứng thư số của {subject.common_name} đã bị thu hồi ngày {today} (lý do: lộ khóa bí mật); "
                   "không thể ký.")
        return dev_pki, subject.key, "revoked", message
    assert kind == "untrusted"
    message = ("Chứng thư số của Nguyễn Văn An không do tổ chức cung cấp dịch vụ chứng thực được tin cậy cấp; "
               "không thể ký.")
    return rogue_pki, ROGUE.key, "untrusted", message


KINDS = ["expired", "not_yet_valid", "revoked", "untrusted"]


@pytest.mark.parametrize("bad_certificate", KINDS, indirect=True)
def test_one_shot_signature_with_a_bad_certificate_is_refused_in_vietnamese_and_nothing_is_signed(
    bad_certificate, sample_pdf: bytes, fresh_cache: PreflightCache
) -> None:
    pki, key, code, message = bad_certificate
    source = SpySource(store(pki, key))

    with pytest.raises(CertificateNotUsableError) as refused:
        pades.sign_person(sample_pdf, source, name="Nguyễn Văn An", position="Giám đốc", signature_image=None,
                          block=BLOCK)

    assert refused.value.code == code
    assert refused.value.message == message == str(refused.value)
    assert source.signer_calls == 0  # the key was never even asked for


@pytest.mark.parametrize("bad_certificate", KINDS, indirect=True)
def test_two_step_prepare_refuses_a_bad_certificate_before_returning_a_digest(
    bad_certificate, sample_pdf: bytes, fresh_cache: PreflightCache
) -> None:
    pki, key, code, message = bad_certificate
    chain = [pki.certificate(key), *pki.chain]

    with pytest.raises(CertificateNotUsableError) as refused:
        twostep.prepare(sample_pdf, chain=chain, name="Nguyễn Văn An", position="Giám đốc", signature_image=None,
                        block=BLOCK)

    assert (refused.value.code, refused.value.message) == (code, message)


def test_batch_sealer_refuses_a_revoked_seal_and_the_batch_task_writes_nothing(
    dev_pki: DevPKI, new_pki_subject: Callable[..., Subject], sample_pdf: bytes, tmp_path: Path,
    fresh_cache: PreflightCache,
) -> None:
    seal = new_pki_subject(kind="seal")
    dev_pki.revoke(seal.key, reason="cessation_of_operation")
    with pytest.raises(CertificateNotUsableError, match=r"đã bị thu hồi .*\(lý do: chấm dứt hoạt động\)"):
        pades.BatchSealer(store(dev_pki, seal.key)).seal(sample_pdf)

    storage = FileSystemStorage(location=tmp_path / "media")
    storage.save("outgoing/a.pdf", ContentFile(sample_pdf))
    [result] = seal_stored_files(["outgoing/a.pdf"], source=store(dev_pki, seal.key), agency_name=seal.common_name,
                                 storage=storage)
    assert result["status"] == "error"
    assert "đã bị thu hồi" in result["error"] and "không thể ký" in result["error"]
    assert [p.name for p in (tmp_path / "media" / "outgoing").iterdir()] == ["a.pdf"]


def test_a_valid_certificate_still_signs_and_the_signature_validates(
    dev_pki: DevPKI, new_pki_subject: Callable[..., Subject], sample_pdf: bytes, fresh_cache: PreflightCache
) -> None:
    subject = new_pki_subject()
    signed = pades.sign_person(sample_pdf, store(dev_pki, subject.key), name=subject.common_name,
                               position="Chuyên viên", signature_image=None, block=BLOCK)
    report = validate_pdf(signed, trust_roots=[dev_pki.root_certificate])
    assert report.status == "valid", report.summary
    prepared = twostep.prepare(sample_pdf, chain=[dev_pki.certificate(subject.key), *dev_pki.chain],
                               name=subject.common_name, position="Chuyên viên", signature_image=None, block=BLOCK)
    assert len(prepared.digest) == 32


def test_cache_lets_nothing_through_once_its_window_has_passed(
    dev_pki: DevPKI, new_pki_subject: Callable[..., Subject], sample_pdf: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(preflight, "cache", PreflightCache(ttl_seconds=60, clock=lambda: now[0]))
    seal = new_pki_subject(kind="seal")
    sealer = pades.BatchSealer(store(dev_pki, seal.key))
    sealer.seal(sample_pdf)  # checked with the CA: good, remembered

    dev_pki.revoke(seal.key)
    now[0] += 59
    sealer.seal(sample_pdf)  # inside the window the remembered answer stands: the documented trade-off

    now[0] += 2
    with pytest.raises(CertificateNotUsableError) as refused:
        sealer.seal(sample_pdf)
    assert refused.value.code == "revoked"


def test_refusals_are_not_cached(
    dev_pki: DevPKI, new_pki_subject: Callable[..., Subject], rogue_pki: DevPKI, fresh_cache: PreflightCache
) -> None:
    chain = [rogue_pki.certificate(ROGUE.key), *rogue_pki.chain]
    for _ in range(2):
        with pytest.raises(CertificateNotUsableError, match="không do tổ chức"):
            check_signing_certificate(chain)
    assert not fresh_cache._passed


def test_unreachable_revocation_service_is_refused_as_unknown(rogue_pki: DevPKI, fresh_cache: PreflightCache) -> None:
    chain = [rogue_pki.certificate(ROGUE.key), *rogue_pki.chain]
    with pytest.raises(CertificateNotUsableError) as refused:
        check_signing_certificate(chain, trust_roots=[rogue_pki.root_certificate])
    assert refused.value.code == "revocation_unknown"
    assert refused.value.message.startswith("Không kiểm tra được tình trạng thu hồi của chứng thư số của Nguyễn")


def test_certificate_without_a_signing_key_usage_is_refused(fresh_cache: PreflightCache) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Máy chủ thư điện tử")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.KeyUsage(False, False, True, False, False, False, False, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    with pytest.raises(CertificateNotUsableError) as refused:
        check_signing_certificate([cert], trust_roots=[cert])
    assert refused.value.code == "wrong_key_usage"
    assert "không được phép dùng để ký số văn bản" in refused.value.message


def test_expired_certificate_is_refused_without_asking_the_ca(
    dev_pki: DevPKI, new_pki_subject: Callable[..., Subject], fresh_cache: PreflightCache,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the CA must not be asked about an expired certificate")

    monkeypatch.setattr(preflight, "_run", no_network)
    now = datetime.now(UTC)
    subject = new_pki_subject(not_before=now - timedelta(days=400), not_after=now - timedelta(days=1))
    with pytest.raises(CertificateNotUsableError, match="đã hết hạn"):
        check_signing_certificate([dev_pki.certificate(subject.key), *dev_pki.chain])


def test_preflight_can_be_turned_off_by_keyword_and_by_setting(
    dev_pki: DevPKI, new_pki_subject: Callable[..., Subject], sample_pdf: bytes, settings: Any,
    fresh_cache: PreflightCache,
) -> None:
    subject = new_pki_subject()
    dev_pki.revoke(subject.key)
    source = store(dev_pki, subject.key)
    kwargs = {"name": subject.common_name, "position": "Chuyên viên", "signature_image": None, "block": BLOCK}

    assert pades.sign_person(sample_pdf, source, preflight=False, **kwargs).startswith(sample_pdf)
    settings.SIGNING_PREFLIGHT = False
    assert pades.sign_person(sample_pdf, source, **kwargs).startswith(sample_pdf)
    settings.SIGNING_PREFLIGHT = True
    with pytest.raises(CertificateNotUsableError):
        pades.sign_person(sample_pdf, source, **kwargs)
