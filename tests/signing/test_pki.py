"""The development PKI: hierarchy, certificate profile, idempotence, files on disk."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID, NameOID

from signing.pki import DevPKI, Subject
from tests.fixtures_pki import CLERK_KEY, DEV_SUBJECTS, DIRECTOR_KEY, SEAL_STP_KEY


def _snapshot(directory: Path) -> dict[str, tuple[int, bytes]]:
    return {
        str(p.relative_to(directory)): (p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_ensure_twice_changes_no_file(tmp_path: Path) -> None:
    pki = DevPKI(tmp_path / "pki")
    pki.ensure(DEV_SUBJECTS[:2])
    before = _snapshot(pki.directory)
    DevPKI(tmp_path / "pki").ensure(DEV_SUBJECTS[:2])
    assert _snapshot(pki.directory) == before


def test_ensure_adds_only_new_subjects(tmp_path: Path) -> None:
    pki = DevPKI(tmp_path / "pki")
    pki.ensure(DEV_SUBJECTS[:1])
    first = pki.certificate(DEV_SUBJECTS[0].key)
    root = pki.root_cert_path.read_bytes()
    pki.ensure(DEV_SUBJECTS[:3])
    assert pki.certificate(DEV_SUBJECTS[0].key) == first
    assert pki.root_cert_path.read_bytes() == root
    assert {s.key for s in pki.subjects()} == {s.key for s in DEV_SUBJECTS[:3]}


def test_person_certificate_profile(dev_pki: DevPKI) -> None:
    cert = dev_pki.certificate(DIRECTOR_KEY)
    subject = cert.subject
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Nguyễn Văn An"
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Sở Tư pháp tỉnh Bình Minh"
    assert subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "VN"
    assert subject.get_attributes_for_oid(NameOID.USER_ID)[0].value == DIRECTOR_KEY
    assert subject.get_attributes_for_oid(NameOID.TITLE)[0].value == "Giám đốc"
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    assert not usage.value.key_cert_sign
    crl_dp = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert crl_dp[0].full_name[0].value == f"{dev_pki.services.url}/crl/intermediate.crl"
    aia = cert.extensions.get_extension_for_oid(ExtensionOID.AUTHORITY_INFORMATION_ACCESS).value
    ocsp = [d.access_location.value for d in aia if d.access_method == AuthorityInformationAccessOID.OCSP]
    assert ocsp == [f"{dev_pki.services.url}/ocsp"]
    assert cert.issuer == dev_pki.intermediate_certificate.subject


def test_seal_certificate_names_the_agency(dev_pki: DevPKI) -> None:
    cert = dev_pki.certificate(SEAL_STP_KEY)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Sở Tư pháp tỉnh Bình Minh"
    assert cert.subject.get_attributes_for_oid(NameOID.USER_ID)[0].value == SEAL_STP_KEY
    assert cert.extensions.get_extension_for_class(x509.KeyUsage).value.content_commitment


def test_chain_verifies_up_to_the_root(dev_pki: DevPKI) -> None:
    cert = dev_pki.certificate(CLERK_KEY)
    cert.verify_directly_issued_by(dev_pki.intermediate_certificate)
    dev_pki.intermediate_certificate.verify_directly_issued_by(dev_pki.root_certificate)
    dev_pki.tsa_certificate.verify_directly_issued_by(dev_pki.intermediate_certificate)
    dev_pki.ocsp_certificate.verify_directly_issued_by(dev_pki.intermediate_certificate)


def test_key_store_opens_with_its_passphrase_and_holds_the_chain(dev_pki: DevPKI) -> None:
    key, cert, chain = pkcs12.load_key_and_certificates(
        dev_pki.key_store_path(CLERK_KEY).read_bytes(), dev_pki.key_store_passphrase(CLERK_KEY)
    )
    assert cert == dev_pki.certificate(CLERK_KEY)
    assert key is not None and key.public_key().public_numbers() == cert.public_key().public_numbers()
    assert set(chain) == {dev_pki.intermediate_certificate, dev_pki.root_certificate}
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(dev_pki.key_store_path(CLERK_KEY).read_bytes(), b"wrong")


def test_private_material_is_readable_by_owner_only(dev_pki: DevPKI) -> None:
    secret_files = [
        dev_pki.directory / "root.key",
        dev_pki.directory / "intermediate.key",
        dev_pki.ocsp_key_path,
        dev_pki.tsa_key_path,
        dev_pki.directory / "state.json",
        dev_pki.key_store_path(DIRECTOR_KEY),
    ]
    for path in secret_files:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path


def test_issue_with_past_dates_makes_an_expired_certificate(tmp_path: Path) -> None:
    pki = DevPKI(tmp_path / "pki")
    subject = Subject("old.user", "Đỗ Văn Cũ", "Sở Tư pháp tỉnh Bình Minh", "person")
    now = datetime.now(UTC)
    cert = pki.issue(subject, not_before=now - timedelta(days=400), not_after=now - timedelta(days=30))
    assert cert.not_valid_after_utc < now
    assert pki.certificate("old.user") == cert
    with pytest.raises(ValueError):
        pki.issue(subject)
    renewed = pki.issue(subject, replace=True)
    assert renewed.serial_number != cert.serial_number
    assert renewed.not_valid_after_utc > now


def test_revoke_lists_the_serial_in_a_newer_crl(tmp_path: Path) -> None:
    pki = DevPKI(tmp_path / "pki")
    pki.ensure(DEV_SUBJECTS[:2])
    before = x509.load_der_x509_crl(pki.crl_path.read_bytes())
    serial = pki.certificate(DEV_SUBJECTS[0].key).serial_number
    pki.revoke(DEV_SUBJECTS[0].key, reason="key_compromise")
    after = x509.load_der_x509_crl(pki.crl_path.read_bytes())
    entry = after.get_revoked_certificate_by_serial_number(serial)
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == x509.ReasonFlags.key_compromise
    number = after.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert number > before.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert after.is_signature_valid(pki.intermediate_certificate.public_key())
    assert pki.revocation_status(serial)[0] == "revoked"
    assert pki.revocation_status(pki.certificate(DEV_SUBJECTS[1].key).serial_number)[0] == "good"
    assert pki.revocation_status(12345)[0] == "unknown"


def test_unknown_revocation_reason_is_refused(tmp_path: Path) -> None:
    pki = DevPKI(tmp_path / "pki")
    pki.ensure(DEV_SUBJECTS[:1])
    with pytest.raises(ValueError):
        pki.revoke(DEV_SUBJECTS[0].key, reason="bored")
