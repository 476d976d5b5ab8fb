"""Production key sources: ``SIGNING_KEYS_FILE`` names each seal's token (PKCS#11, SoftHSM2 here) or PKCS#12 file."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.test import override_settings
from pyhanko.pdf_utils.reader import PdfFileReader

from eoffice.documents import keyring
from signing.dev.samples import sample_document
from signing.dev.softhsm import create_token, softhsm_available
from signing.documents import render_document
from signing.images import seal_image, signature_image
from signing.keys import KeyStoreError, SoftwareKeyStore
from signing.pades import sign_person, sign_seal
from signing.pkcs11 import Pkcs11KeySource
from signing.validation import default_trust_roots, validate_pdf
from tests.fixtures_pki import AGENCY_STP, DIRECTOR_KEY, SEAL_STP_KEY

STP = SimpleNamespace(code=SEAL_STP_KEY.removeprefix("seal:"), name=AGENCY_STP)
PIN = "135790"


def _keys_file(tmp_path: Path, entries: dict) -> str:
    path = tmp_path / f"keys-{uuid.uuid4().hex[:6]}.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    return str(path)


def _seal_is_valid(dev_pki) -> bool:
    """The director signs with a development key store, then the agency seals with the configured source."""
    director = SoftwareKeyStore(dev_pki.key_store_path(DIRECTOR_KEY), dev_pki.key_store_passphrase(DIRECTOR_KEY))
    pdf = sign_person(render_document(sample_document(
        "cong-van", agency=AGENCY_STP, signer_name="Nguyễn Văn An", signer_position="Giám đốc", signer_capacity=None)), director,
                      name="Nguyễn Văn An", position="Giám đốc", signature_image=signature_image("Nguyễn Văn An"))
    signed = sign_seal(pdf, keyring.seal_key_source(STP), agency_name=STP.name, seal_image=seal_image(STP.name))
    report = validate_pdf(signed, trust_roots=default_trust_roots())
    signatures = PdfFileReader(io.BytesIO(signed), strict=False).embedded_signatures
    return len(signatures) == 2 and report.status == "valid"


@pytest.mark.skipif(not softhsm_available(), reason="needs Debian packages softhsm2 and opensc (installed by `make test`)")
def test_a_seal_configured_on_a_pkcs11_token_seals_with_the_token(tmp_path, dev_pki, monkeypatch):
    token = create_token(tmp_path / "token", label=f"seal-{uuid.uuid4().hex[:8]}", user_pin=PIN)
    token.import_pkcs12(dev_pki.key_store_path(SEAL_STP_KEY), dev_pki.key_store_passphrase(SEAL_STP_KEY),
                        label="seal", object_id=b"\x02")
    monkeypatch.setenv("SEAL_PIN_STP", PIN)
    entries = {SEAL_STP_KEY: {"type": "pkcs11", "module": token.module_path, "token_label": token.label,
                              "key_label": "seal", "pin_env": "SEAL_PIN_STP",
                              "chain": [str(dev_pki.directory / "intermediate.pem")]}}
    with token.activate(), override_settings(SIGNING_KEYS_FILE=_keys_file(tmp_path, entries)):
        source = keyring.seal_key_source(STP)
        try:
            assert isinstance(source, Pkcs11KeySource)
            assert keyring.seal_key_source(STP) is source  # one session (one PIN) for the life of the process
            assert _seal_is_valid(dev_pki)
        finally:
            source.close()


def test_a_seal_configured_as_a_pkcs12_file_reads_its_passphrase_from_the_environment(tmp_path, dev_pki, monkeypatch):
    passphrase = dev_pki.key_store_passphrase(SEAL_STP_KEY)
    monkeypatch.setenv("SEAL_PASS_STP", passphrase.decode() if isinstance(passphrase, bytes) else passphrase)
    entries = {SEAL_STP_KEY: {"type": "pkcs12", "path": str(dev_pki.key_store_path(SEAL_STP_KEY)),
                              "passphrase_env": "SEAL_PASS_STP"}}
    with override_settings(SIGNING_KEYS_FILE=_keys_file(tmp_path, entries)):
        source = keyring.seal_key_source(STP)
        assert isinstance(source, SoftwareKeyStore) and source.path == dev_pki.key_store_path(SEAL_STP_KEY)
        assert _seal_is_valid(dev_pki)


def test_with_a_keys_file_a_missing_entry_or_secret_is_a_clear_error_not_the_development_key(tmp_path, monkeypatch):
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    with override_settings(SIGNING_KEYS_FILE=_keys_file(tmp_path, {})):
        with pytest.raises(KeyStoreError, match="Chưa có khóa đóng dấu của Sở Tư pháp.*chưa có khóa"):
            keyring.seal_key_source(STP)
    entries = {SEAL_STP_KEY: {"type": "pkcs12", "path": "/nowhere.p12", "passphrase_env": "NOT_SET_ANYWHERE"}}
    with override_settings(SIGNING_KEYS_FILE=_keys_file(tmp_path, entries)):
        with pytest.raises(KeyStoreError, match="NOT_SET_ANYWHERE.*chưa được đặt"):
            keyring.seal_key_source(STP)
    with override_settings(SIGNING_KEYS_FILE=str(tmp_path / "missing.json")):
        with pytest.raises(KeyStoreError, match="Không đọc được tệp cấu hình khóa"):
            keyring.seal_key_source(STP)
