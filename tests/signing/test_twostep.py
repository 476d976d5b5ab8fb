"""Two-step signing: the server prepares, a key elsewhere signs the digest, the server completes and checks.

These tests play the token with the person's software key (fast, no SoftHSM); ``test_agent`` does the same round
trip through the real agent and a SoftHSM2 token.
"""

from __future__ import annotations

import base64
import io
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature

from signing import twostep
from signing.appearance import SignatureBlock
from signing.images import signature_image
from tests.fixtures_pki import CLERK_KEY, DIRECTOR_KEY

BLOCK = SignatureBlock(page=0, rect=(330.0, 120.0, 520.0, 200.0))


def person_chain(dev_pki, key: str = DIRECTOR_KEY) -> list:
    return [dev_pki.certificate(key), *dev_pki.chain]


def token_sign(dev_pki, key: str, data: bytes) -> bytes:
    """What the token does: RSA PKCS#1 v1.5 over the DER signed attributes, SHA-256."""
    return dev_pki.private_key(key).sign(data, padding.PKCS1v15(), hashes.SHA256())


def prepare_director(dev_pki, pdf: bytes, **kwargs) -> twostep.PreparedSignature:
    return twostep.prepare(
        pdf,
        chain=person_chain(dev_pki),
        name="Nguyễn Văn An",
        position="Giám đốc",
        signature_image=signature_image("Nguyễn Văn An"),
        block=BLOCK,
        **kwargs,
    )


def only_signature(pdf: bytes):
    signatures = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    assert len(signatures) == 1
    return signatures[0]


def assert_visible(sig) -> None:
    """The signature field carries a real appearance stream where the signature block is."""
    field = sig.sig_field
    rect = [float(v) for v in field["/Rect"]]
    assert rect == list(BLOCK.rect)
    appearance = field["/AP"]["/N"].get_object()
    assert len(appearance.data) > 100
    assert "/XObject" in appearance["/Resources"] or "/Font" in appearance["/Resources"]


@pytest.fixture(scope="module")
def prepared(dev_pki, sample_pdf) -> twostep.PreparedSignature:
    return prepare_director(dev_pki, sample_pdf)


def test_round_trip_gives_a_valid_visible_pades_signature(dev_pki, prepared, pki_validation_context):
    signature_value = token_sign(dev_pki, DIRECTOR_KEY, prepared.data_to_sign)

    signed = twostep.complete(prepared.state, signature_value, validation_context=pki_validation_context())

    sig = only_signature(signed)
    status = validate_pdf_signature(sig, pki_validation_context())
    assert status.intact and status.valid and status.trusted
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert status.signing_cert.subject.native["common_name"] == "Nguyễn Văn An"
    assert_visible(sig)


def test_prepare_returns_the_digest_of_the_data_to_sign_and_agent_request(prepared, dev_pki):
    import hashlib

    assert prepared.digest == hashlib.sha256(prepared.data_to_sign).digest()
    assert prepared.signature_algorithm == "rsassa_pkcs1v15"
    request = prepared.agent_request()
    assert base64.b64decode(request["digest"]) == prepared.digest
    der = dev_pki.certificate(DIRECTOR_KEY).public_bytes(Encoding.DER)
    assert request["certificate_id"] == hashlib.sha256(der).hexdigest()


def test_state_is_plain_json_text_that_survives_storage(prepared, dev_pki, pki_validation_context):
    """The browser round trip may land on another worker: the state must be data, not live objects."""
    stored = json.dumps({"two_step_state": prepared.state})  # e.g. a JSONField or a session
    state = json.loads(stored)["two_step_state"]
    assert isinstance(state, str)
    signed = twostep.complete(
        state, token_sign(dev_pki, DIRECTOR_KEY, prepared.data_to_sign), validation_context=pki_validation_context()
    )
    assert validate_pdf_signature(only_signature(signed), pki_validation_context()).bottom_line


def test_forged_signature_value_is_refused(prepared):
    with pytest.raises(twostep.SignatureRejectedError, match="Chữ ký số không hợp lệ"):
        twostep.complete(prepared.state, bytes(256))
    with pytest.raises(twostep.SignatureRejectedError):
        twostep.complete(prepared.state, b"")


def test_signature_by_another_persons_key_is_refused(prepared, dev_pki):
    """A genuine signature, but by the clerk's key, over the director's prepared document."""
    with pytest.raises(twostep.SignatureRejectedError, match="không khớp"):
        twostep.complete(prepared.state, token_sign(dev_pki, CLERK_KEY, prepared.data_to_sign))


def test_signature_made_for_another_document_is_refused(prepared, dev_pki, sample_pdf):
    other = prepare_director(dev_pki, sample_pdf, field_name="chu_ky_khac")
    with pytest.raises(twostep.SignatureRejectedError):
        twostep.complete(prepared.state, token_sign(dev_pki, DIRECTOR_KEY, other.data_to_sign))


def test_tampered_state_is_refused(prepared, dev_pki):
    import zlib

    raw = json.loads(prepared.state)
    pdf = zlib.decompress(base64.b64decode(raw["pdf_z"]))
    raw["pdf_z"] = base64.b64encode(zlib.compress(pdf.replace(b"/Type", b"/Typf", 1))).decode()
    with pytest.raises(twostep.TwoStepError, match="không khớp"):
        twostep.complete(json.dumps(raw), token_sign(dev_pki, DIRECTOR_KEY, prepared.data_to_sign))
    with pytest.raises(twostep.TwoStepError, match="Phiên ký không hợp lệ"):
        twostep.complete("{not json", b"x")


def test_untrusted_signer_is_refused_with_the_configured_roots(dev_pki, sample_pdf, tmp_path):
    """A chain from another CA verifies mathematically but must not pass when the server's roots don't cover it."""
    from signing.pki import DevPKI, Subject

    rogue = DevPKI(tmp_path / "rogue")
    rogue.ensure([Subject("rogue", "Nguyễn Văn An", "Sở Tư pháp tỉnh Bình Minh", "person")])
    prepared_rogue = twostep.prepare(
        sample_pdf, chain=[rogue.certificate("rogue"), *rogue.chain], name="Nguyễn Văn An", position="Giám đốc",
        signature_image=None, block=BLOCK,
        preflight=False,  # what complete() does with a rogue signer is the point; prepare would refuse it first
    )
    value = rogue.private_key("rogue").sign(prepared_rogue.data_to_sign, padding.PKCS1v15(), hashes.SHA256())
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko_certvalidator import ValidationContext

    server_roots = ValidationContext(
        trust_roots=[load_cert_from_pemder(str(dev_pki.root_cert_path))], allow_fetching=False,
        revocation_mode="soft-fail",
    )
    with pytest.raises(twostep.SignatureRejectedError, match="không được tin cậy"):
        twostep.complete(prepared_rogue.state, value, validation_context=server_roots)


def test_round_trip_with_signature_timestamp(dev_pki, sample_pdf, pki_timestamper, pki_validation_context):
    prepared = prepare_director(dev_pki, sample_pdf, timestamper=pki_timestamper)
    signed = twostep.complete(
        prepared.state, token_sign(dev_pki, DIRECTOR_KEY, prepared.data_to_sign),
        validation_context=pki_validation_context(),
    )
    status = validate_pdf_signature(only_signature(signed), pki_validation_context())
    assert status.bottom_line
    assert status.timestamp_validity is not None and status.timestamp_validity.intact
