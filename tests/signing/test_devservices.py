"""The loopback CRL / OCSP / TSA / CA services answer like a real CA's."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.x509 import ocsp
from pyhanko.keys import load_cert_from_pemder
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
from pyhanko_certvalidator import ValidationContext

from signing.dev.services import DevServices
from signing.pki import DevPKI, Subject
from tests.fixtures_pki import CLERK_KEY, free_loopback_port


def _get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback only
        return response.status, response.headers["Content-Type"], response.read()


def _post(url: str, body: bytes, content_type: str) -> bytes:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
        return response.read()


def _ocsp_query(pki: DevPKI, cert: x509.Certificate) -> ocsp.OCSPResponse:
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(cert, pki.intermediate_certificate, hashes.SHA256())
        .add_extension(x509.OCSPNonce(b"0123456789abcdef"), critical=False)
        .build()
    )
    der = _post(f"{pki.services.url}/ocsp", request.public_bytes(serialization.Encoding.DER), "application/ocsp-request")
    return ocsp.load_der_ocsp_response(der)


def test_crl_downloads_and_is_signed_by_the_intermediate(dev_pki: DevPKI) -> None:
    status, content_type, body = _get(f"{dev_pki.services.url}/crl/intermediate.crl")
    assert status == 200 and content_type == "application/pkix-crl"
    crl = x509.load_der_x509_crl(body)
    assert crl.issuer == dev_pki.intermediate_certificate.subject
    assert crl.is_signature_valid(dev_pki.intermediate_certificate.public_key())
    root_crl = x509.load_der_x509_crl(_get(f"{dev_pki.services.url}/crl/root.crl")[2])
    assert root_crl.is_signature_valid(dev_pki.root_certificate.public_key())


def test_ca_certificates_download(dev_pki: DevPKI) -> None:
    _status, content_type, body = _get(f"{dev_pki.services.url}/ca/root.crt")
    assert content_type == "application/pkix-cert"
    assert x509.load_der_x509_certificate(body) == dev_pki.root_certificate
    pem = _get(f"{dev_pki.services.url}/ca/intermediate.pem")[2]
    assert x509.load_pem_x509_certificate(pem) == dev_pki.intermediate_certificate


def test_unknown_path_is_404(dev_pki: DevPKI) -> None:
    with pytest.raises(urllib.error.HTTPError) as info:
        _get(f"{dev_pki.services.url}/crl/../state.json")
    assert info.value.code == 404


def test_ocsp_answers_good_signed_by_the_delegated_responder(dev_pki: DevPKI) -> None:
    response = _ocsp_query(dev_pki, dev_pki.certificate(CLERK_KEY))
    assert response.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert response.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert response.serial_number == dev_pki.certificate(CLERK_KEY).serial_number
    assert response.certificates == [dev_pki.ocsp_certificate]
    assert response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == b"0123456789abcdef"
    dev_pki.ocsp_certificate.public_key().verify(
        response.signature,
        response.tbs_response_bytes,
        PKCS1v15(),
        response.signature_hash_algorithm,
    )


def test_ocsp_answers_revoked_after_revocation(dev_pki: DevPKI, new_pki_subject: Callable[..., Subject]) -> None:
    subject = new_pki_subject()
    cert = dev_pki.certificate(subject.key)
    assert _ocsp_query(dev_pki, cert).certificate_status == ocsp.OCSPCertStatus.GOOD
    dev_pki.revoke(subject.key, reason="key_compromise")
    response = _ocsp_query(dev_pki, cert)
    assert response.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert response.revocation_reason == x509.ReasonFlags.key_compromise
    crl = x509.load_der_x509_crl(_get(f"{dev_pki.services.url}/crl/intermediate.crl")[2])
    assert crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None


def test_ocsp_answers_unknown_for_a_foreign_serial(dev_pki: DevPKI, tmp_path: Path) -> None:
    other = DevPKI(tmp_path / "other")
    other.ensure([Subject("x", "X", "Y", "person")])
    # same issuer key hash as ours is impossible, so ask about our intermediate with a serial we never issued
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate_by_hash(
            hashlib.sha1(dev_pki.intermediate_certificate.subject.public_bytes()).digest(),
            _issuer_key_hash(dev_pki.intermediate_certificate),
            424242,
            hashes.SHA1(),
        )
        .build()
    )
    der = _post(f"{dev_pki.services.url}/ocsp", request.public_bytes(serialization.Encoding.DER), "application/ocsp-request")
    assert ocsp.load_der_ocsp_response(der).certificate_status == ocsp.OCSPCertStatus.UNKNOWN
    foreign = _ocsp_query(dev_pki, other.certificate("x"))  # issuer name/key of another CA
    assert foreign.certificate_status == ocsp.OCSPCertStatus.UNKNOWN


def _issuer_key_hash(cert: x509.Certificate) -> bytes:
    from asn1crypto import keys

    spki = keys.PublicKeyInfo.load(
        cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return hashlib.sha1(spki["public_key"].contents[1:]).digest()


def test_ocsp_malformed_request_gets_malformed_status(dev_pki: DevPKI) -> None:
    der = _post(f"{dev_pki.services.url}/ocsp", b"not asn.1", "application/ocsp-request")
    assert ocsp.load_der_ocsp_response(der).response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_tsa_token_verifies_against_the_tsa_certificate(dev_pki: DevPKI) -> None:
    digest = hashlib.sha256("Quyết định số 12/QĐ-UBND".encode()).digest()
    stamper = HTTPTimeStamper(dev_pki.services.tsa_url)
    token = asyncio.run(stamper.async_timestamp(digest, "sha256"))
    signed_data = token["content"]
    tst_info = signed_data["encap_content_info"]["content"].parsed
    assert tst_info["message_imprint"]["hashed_message"].native == digest
    vc = ValidationContext(trust_roots=[load_cert_from_pemder(str(dev_pki.root_cert_path))], allow_fetching=True)
    status = asyncio.run(_validate_token(signed_data, vc, digest))
    assert status["valid"] and status["intact"] and status["trust_problem_indic"] is None
    assert "Development Time-Stamping Authority" in status["signing_cert"].subject.human_friendly


async def _validate_token(signed_data: Any, vc: ValidationContext, digest: bytes) -> Any:
    try:
        return await validate_tst_signed_data(signed_data, vc, expected_tst_imprint=lambda _md: digest)
    finally:
        await vc.aclose()


def test_tsa_rejects_garbage(dev_pki: DevPKI) -> None:
    body = _post(dev_pki.services.tsa_url, b"\x30\x03garbage", "application/timestamp-query")
    # a TimeStampResp that is only a status (asn1crypto cannot model a response without its token)
    assert body[0] == 0x30 and body[1] == len(body) - 2
    status = tsp.PKIStatusInfo.load(body[2:])
    assert status["status"].native == "rejection"
    assert status["fail_info"].native == {"bad_request"}


def test_services_refuse_non_loopback_address(dev_pki: DevPKI) -> None:
    with pytest.raises(ValueError):
        DevServices(dev_pki, host="0.0.0.0")


def test_command_line_serves_until_stopped(tmp_path: Path) -> None:
    port = free_loopback_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "signing.dev.services", "--pki", str(tmp_path / "pki"), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # printed once the socket listens
        assert f"127.0.0.1:{port}" in line
        crl = x509.load_der_x509_crl(_get(f"http://127.0.0.1:{port}/crl/intermediate.crl")[2])
        assert crl.issuer == DevPKI(tmp_path / "pki").intermediate_certificate.subject
    finally:
        process.terminate()
        process.wait(timeout=10)
