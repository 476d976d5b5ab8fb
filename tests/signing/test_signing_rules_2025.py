"""The 2025 signing rules (Thông tư 15/2025/TT-BKHCN): RSASSA-PSS where the key source can, key length floors."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.reader import PdfFileReader

from signing import pades
from signing import pkcs11 as p11
from signing.dev.softhsm import create_token, softhsm_available
from signing.images import signature_image
from signing.keys import KeyStoreError, SoftwareKeyStore, clear_key_cache
from signing.preflight import CertificateNotUsableError, check_before_signing
from tests.fixtures_pki import DIRECTOR_KEY

from ._pdf_checks import assert_pdfsig_all_valid, make_nss_db, pyhanko_statuses
from .test_pades import NAME, POSITION, draft

PIN = "246810"


def _mechanism(pdf: bytes) -> str:
    sig = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures[-1]
    return sig.signer_info["signature_algorithm"]["algorithm"].native


def _self_signed_store(tmp_path, key) -> SoftwareKeyStore:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Khóa yếu")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30)).sign(key, hashes.SHA256())
    )
    path = tmp_path / f"weak-{uuid.uuid4().hex[:6]}.p12"
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"k", key, cert, None, BestAvailableEncryption(b"pw")))
    return SoftwareKeyStore(path, "pw")


@pytest.fixture(scope="module")
def nssdir(dev_pki, tmp_path_factory) -> str:
    return make_nss_db(tmp_path_factory.mktemp("nss"), dev_pki.root_cert_path)


def test_software_key_signs_with_rsassa_pss_valid_for_pyhanko_and_pdfsig(dev_pki, nssdir, tmp_path):
    clear_key_cache()
    source = SoftwareKeyStore(dev_pki.key_store_path(DIRECTOR_KEY), dev_pki.key_store_passphrase(DIRECTOR_KEY))
    signed = pades.sign_person(pades.add_number_date_fields(draft()), source, name=NAME, position=POSITION,
                               signature_image=signature_image(NAME))
    assert _mechanism(signed) == "rsassa_pss"
    [status] = pyhanko_statuses(signed, dev_pki.root_cert_path)
    assert status.intact and status.valid and status.trusted
    assert status.md_algorithm == "sha256"
    assert_pdfsig_all_valid(signed, nssdir, tmp_path, expected=1)


def test_software_key_configured_pkcs1v15_signs_with_pkcs1v15(dev_pki):
    clear_key_cache()
    source = SoftwareKeyStore(dev_pki.key_store_path(DIRECTOR_KEY), dev_pki.key_store_passphrase(DIRECTOR_KEY),
                              rsa_padding="pkcs1v15")
    signed = pades.sign_person(pades.add_number_date_fields(draft()), source, name=NAME, position=POSITION,
                               signature_image=signature_image(NAME))
    assert _mechanism(signed) in ("sha256_rsa", "rsassa_pkcs1v15")


def test_unknown_rsa_padding_is_refused_in_vietnamese(dev_pki):
    with pytest.raises(KeyStoreError, match="Kiểu đệm chữ ký RSA"):
        SoftwareKeyStore(dev_pki.key_store_path(DIRECTOR_KEY), "x", rsa_padding="oaep")


@pytest.mark.skipif(not softhsm_available(), reason="needs Debian packages softhsm2 and opensc")
def test_softhsm_key_configured_pss_signs_with_rsassa_pss_valid_for_pyhanko_and_pdfsig(dev_pki, nssdir, tmp_path):
    token = create_token(tmp_path / "token", label=f"eoffice-{uuid.uuid4().hex[:8]}", user_pin=PIN)
    token.import_pkcs12(dev_pki.key_store_path(DIRECTOR_KEY), dev_pki.key_store_passphrase(DIRECTOR_KEY),
                        label="giamdoc", object_id=b"\x01")
    with token.activate():
        source = p11.Pkcs11KeySource(token.module_path, token.label, PIN, key_label="giamdoc", chain=dev_pki.chain,
                                     rsa_padding="pss")
        with source:
            signed = pades.sign_person(pades.add_number_date_fields(draft()), source, name=NAME, position=POSITION,
                                       signature_image=signature_image(NAME))
    assert _mechanism(signed) == "rsassa_pss"
    [status] = pyhanko_statuses(signed, dev_pki.root_cert_path)
    assert status.intact and status.valid and status.trusted
    assert_pdfsig_all_valid(signed, nssdir, tmp_path, expected=1)


def test_1024_bit_rsa_key_is_refused_before_signing_even_without_preflight(tmp_path):
    store = _self_signed_store(tmp_path, rsa.generate_private_key(public_exponent=65537, key_size=1024))
    with pytest.raises(CertificateNotUsableError) as caught:
        pades.sign_person(pades.add_number_date_fields(draft()), store, name=NAME, position=POSITION,
                          signature_image=None, preflight=False)
    assert caught.value.code == "weak_key"
    assert "1024 bit" in str(caught.value) and "2048" in str(caught.value)


def test_ecdsa_key_below_256_bits_is_refused_and_p256_passes_the_length_check(tmp_path):
    weak = _self_signed_store(tmp_path, ec.generate_private_key(ec.SECP224R1()))
    with pytest.raises(CertificateNotUsableError, match="ECDSA 224 bit"):
        check_before_signing(weak.chain(), preflight=False)
    strong = _self_signed_store(tmp_path, ec.generate_private_key(ec.SECP256R1()))
    check_before_signing(strong.chain(), preflight=False)
