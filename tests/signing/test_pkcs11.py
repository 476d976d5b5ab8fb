"""Signing with a PKCS#11 token: SoftHSM2 standing in for an official's USB token.

Each test gets its own token in a temporary directory with its own ``SOFTHSM2_CONF``; the machine's SoftHSM
configuration is never read or written. The helpers at the top (token fixture, ``pdfsig`` with the development
root trusted) are shared with ``test_twostep`` and ``test_agent``.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.validation import validate_pdf_signature

from signing import pkcs11 as p11
from signing.dev.softhsm import SoftHSMToken, create_token, softhsm_available
from tests.fixtures_pki import DIRECTOR_KEY

pytestmark = pytest.mark.skipif(
    not softhsm_available(), reason="needs Debian packages softhsm2 and opensc (installed by `make test`)"
)

PIN = "246810"
KEY_LABEL = "giamdoc"
SPY_MODULE = "/usr/lib/x86_64-linux-gnu/pkcs11-spy.so"  # opensc's PKCS#11 call logger


# --- Shared helpers -------------------------------------------------------------------------------------------------


def make_person_token(directory: Path, dev_pki, key: str = DIRECTOR_KEY) -> SoftHSMToken:
    """A fresh token (unique label) holding ``key``'s private key and certificate, as a CA would issue it."""
    token = create_token(directory, label=f"eoffice-{uuid.uuid4().hex[:8]}", user_pin=PIN)
    token.import_pkcs12(
        dev_pki.key_store_path(key), dev_pki.key_store_passphrase(key), label=KEY_LABEL, object_id=b"\x01"
    )
    return token


@pytest.fixture
def person_token(tmp_path: Path, dev_pki) -> Iterator[SoftHSMToken]:
    token = make_person_token(tmp_path / "token", dev_pki)
    with token.activate():
        yield token


@pytest.fixture(scope="session")
def nss_dir(tmp_path_factory: pytest.TempPathFactory, dev_pki) -> str:
    """An NSS database trusting only the development root, for ``pdfsig -nssdir``."""
    directory = tmp_path_factory.mktemp("nss")
    subprocess.run(["certutil", "-N", "-d", f"sql:{directory}", "--empty-password"], check=True, capture_output=True)
    subprocess.run(
        ["certutil", "-A", "-d", f"sql:{directory}", "-n", "eoffice-dev-root", "-t", "CT,C,C", "-i",
         str(dev_pki.root_cert_path)],
        check=True,
        capture_output=True,
    )
    return f"sql:{directory}"


def pdfsig(pdf: bytes, nss: str, tmp_path: Path) -> str:
    """poppler's independent verdict on the signatures of ``pdf`` (no network: ``-nocert`` off, local NSS)."""
    path = tmp_path / f"signed-{uuid.uuid4().hex[:6]}.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(["pdfsig", "-nssdir", nss, str(path)], capture_output=True, text=True, timeout=60)
    return result.stdout + result.stderr


def sign_invisible(pdf: bytes, signer) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(field_name="ChuKyCaNhan", md_algorithm="sha256")
    return signers.sign_pdf(writer, meta, signer=signer).getvalue()


# --- One-shot signing through PKCS#11 -------------------------------------------------------------------------------


def test_pkcs11_signature_validates_against_dev_root_with_pyhanko_and_pdfsig(
    person_token, dev_pki, sample_pdf, pki_validation_context, nss_dir, tmp_path
):
    source = p11.Pkcs11KeySource(
        person_token.module_path, person_token.label, PIN, key_label=KEY_LABEL, chain=dev_pki.chain
    )
    with source:
        signed = sign_invisible(sample_pdf, source.signer())
        chain = source.chain()

    assert chain[0].subject.native["common_name"] == "Nguyễn Văn An"
    assert [cert.dump() for cert in chain[1:]] == [c.public_bytes(Encoding.DER) for c in dev_pki.chain]
    sig = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
    status = validate_pdf_signature(sig, pki_validation_context())
    assert status.intact and status.valid and status.trusted
    assert status.signing_cert.subject.native["common_name"] == "Nguyễn Văn An"

    report = pdfsig(signed, nss_dir, tmp_path)
    assert "Signature is Valid." in report
    assert "Certificate is Trusted." in report


def test_key_can_be_chosen_by_certificate_id(person_token, dev_pki, sample_pdf, pki_validation_context):
    with p11.Pkcs11KeySource(
        person_token.module_path, person_token.label, PIN, cert_id=b"\x01", chain=dev_pki.chain
    ) as source:
        signed = sign_invisible(sample_pdf, source.signer())
    status = validate_pdf_signature(PdfFileReader(io.BytesIO(signed)).embedded_signatures[0], pki_validation_context())
    assert status.bottom_line


# --- PIN and token errors -------------------------------------------------------------------------------------------


def test_wrong_pin_is_reported_in_vietnamese_and_presented_to_the_token_only_once(person_token, monkeypatch):
    logins = []
    real_login = p11._login

    def counting_login(token, pin):
        logins.append(pin)
        return real_login(token, pin)

    monkeypatch.setattr(p11, "_login", counting_login)
    source = p11.Pkcs11KeySource(person_token.module_path, person_token.label, "000000", key_label=KEY_LABEL)

    with pytest.raises(p11.TokenPinIncorrectError, match="Mã PIN không đúng") as first:
        source.signer()
    with pytest.raises(p11.TokenPinIncorrectError):
        source.signer()  # asking again must not present the refused PIN a second time

    assert logins == ["000000"]
    assert "không tự thử lại" in first.value.message
    # The token itself recorded the failure (SoftHSM2 raises its "PIN count low" flag after a refused login).
    assert p11.list_tokens(person_token.module_path)[0].pin_count_low


def test_wrong_pin_through_the_cli_makes_exactly_one_c_login_on_the_token(person_token, tmp_path):
    """Counted below python-pkcs11, at the PKCS#11 boundary: opensc's spy module logs every C_Login."""
    if not Path(SPY_MODULE).exists():
        pytest.skip("opensc's pkcs11-spy.so is missing (package opensc)")
    spy_log = tmp_path / "spy.log"
    digest = tmp_path / "digest.bin"
    digest.write_bytes(bytes(range(32)))
    env = {**person_token.env, "PKCS11SPY": person_token.module_path, "PKCS11SPY_OUTPUT": str(spy_log),
           "TOKEN_PIN": "999999"}
    result = subprocess.run(
        [sys.executable, "-m", "signing.agent", "sign", "--module", SPY_MODULE, "--pin-env", "TOKEN_PIN",
         "--key-label", KEY_LABEL, "--in", str(digest), "--out", str(tmp_path / "sig.bin")],
        env=env, capture_output=True, text=True, timeout=60, cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 1
    assert "Mã PIN không đúng" in result.stderr
    calls = re.findall(r"^\d+: C_Login$", spy_log.read_text(errors="replace"), flags=re.MULTILINE)
    assert len(calls) == 1
    assert "CKR_PIN_INCORRECT" in spy_log.read_text(errors="replace")
    assert not (tmp_path / "sig.bin").exists()


def test_locked_token_is_reported_without_presenting_the_pin(person_token, monkeypatch):
    """SoftHSM2 never locks, so the token's flags are made to say what a locked USB token says."""
    locked = p11.TokenInfo("x", "1", "m", "m", pin_count_low=True, pin_final_try=False, pin_locked=True)
    monkeypatch.setattr(p11, "_token_info", lambda token: locked)
    monkeypatch.setattr(p11, "_login", lambda token, pin: pytest.fail("a locked token must not get a PIN"))

    with pytest.raises(p11.TokenLockedError, match="đã bị khóa"):
        p11.open_session(person_token.module_path, PIN, token_label=person_token.label)


def test_absent_token_is_reported_clearly(person_token):
    with pytest.raises(p11.TokenNotFoundError, match="Không tìm thấy token “khong-co”.*cắm token"):
        p11.Pkcs11KeySource(person_token.module_path, "khong-co", PIN, key_label=KEY_LABEL).signer()


def test_missing_pkcs11_module_is_reported_clearly(tmp_path):
    with pytest.raises(p11.TokenModuleError, match="Không nạp được thư viện PKCS#11"):
        p11.list_tokens(str(tmp_path / "khong-co-driver.so"))


def test_missing_key_label_is_reported_clearly(person_token):
    with pytest.raises(p11.TokenKeyNotFoundError, match="Không tìm thấy khóa bí mật"):
        p11.Pkcs11KeySource(person_token.module_path, person_token.label, PIN, key_label="khac").signer()


def test_certificates_are_listed_without_pin_and_ca_certificates_hidden(tmp_path, dev_pki):
    token = create_token(tmp_path / "t", label=f"eoffice-{uuid.uuid4().hex[:8]}", user_pin=PIN)
    token.import_pkcs12(
        dev_pki.key_store_path(DIRECTOR_KEY), dev_pki.key_store_passphrase(DIRECTOR_KEY),
        label=KEY_LABEL, include_chain=True,
    )
    with token.activate():
        people = p11.list_certificates(token.module_path)
        everything = p11.list_certificates(token.module_path, include_ca=True)
    assert [c.certificate.subject.native["common_name"] for c in people] == ["Nguyễn Văn An"]
    assert len(everything) == 3
    assert people[0].object_id == b"\x01"


def test_pkcs11_key_source_plugs_into_the_decree_30_person_signature(
    person_token, dev_pki, sample_pdf, pki_validation_context
):
    from signing import pades
    from signing.appearance import SignatureBlock
    from signing.keys import KeySource

    source = p11.Pkcs11KeySource(
        person_token.module_path, person_token.label, PIN, key_label=KEY_LABEL, chain=dev_pki.chain
    )
    assert isinstance(source, KeySource)
    with source:
        signed = pades.sign_person(
            sample_pdf, source, name="Nguyễn Văn An", position="Giám đốc", signature_image=None,
            block=SignatureBlock(page=0, rect=(330.0, 120.0, 520.0, 200.0)),
        )
    sig = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
    assert validate_pdf_signature(sig, pki_validation_context()).bottom_line
    assert sig.sig_field["/AP"]["/N"].get_object().data
