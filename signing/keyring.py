"""Where the signing library finds a key by its subject key, as the deployment configures it.

Subject keys are plain strings the caller chooses (the product uses a person's username, and ``seal:<code>`` for an
agency's seal: ``eoffice/documents/keyring.py`` maps people and agencies to them). :func:`key_source` gives the
key source of a subject key.

In the embedded mode every subject has a software key store in the development PKI (``settings.PKI_DIR``).

In production ``settings.SIGNING_KEYS_FILE`` names a JSON file that maps subject keys to their key source::

    {
      "seal:000.00.00.G22": {"type": "pkcs11", "module": "/usr/lib/softhsm/libsofthsm2.so",
                             "token_label": "UBND-TINH", "key_label": "seal", "pin_env": "SEAL_PIN_G22"},
      "seal:000.00.12.H99": {"type": "pkcs12", "path": "/etc/eoffice/keys/stp.p12",
                             "passphrase_env": "SEAL_PASS_STP"}
    }

PINs and passphrases never sit in the file: it names the environment variables that hold them. ``cert_id`` (hex)
may replace ``key_label``, ``token_serial`` may complete ``token_label``, and ``chain`` lists the issuing CA
certificates when the token carries only the holder's (default: ``settings.SIGNING_CA_CHAIN``). ``rsa_padding``
(``"pss"`` or ``"pkcs1v15"``) chooses the RSA signature scheme: RSASSA-PSS is the default for ``pkcs12`` stores
(Thông tư 15/2025/TT-BKHCN); ``pkcs11`` defaults to PKCS#1 v1.5 and takes ``"pss"`` when the token offers
``CKM_SHA256_RSA_PKCS_PSS``. With a keys file
there is no fallback to the development PKI: a subject missing from the file cannot sign on the server (leaders
normally sign with their own token through the two-step agent, which needs no entry here). A PKCS#11 source stays
open for the life of the process, so a batch of seals presents the PIN once.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings

from .keys import KeySource, KeyStoreError, SoftwareKeyStore
from .pki import DevPKI


def dev_pki() -> DevPKI:
    """The development PKI of ``settings.PKI_DIR``, its services on ``settings.SIGNING_DEV_SERVICES_PORT``."""
    return DevPKI(Path(settings.PKI_DIR), services_url=f"http://127.0.0.1:{settings.SIGNING_DEV_SERVICES_PORT}")


def ca_chain() -> list:
    """The issuing CA certificates that complete a chain given as the holder's certificate alone."""
    if settings.SIGNING_CA_CHAIN:
        return _load_certs(settings.SIGNING_CA_CHAIN)
    try:
        return list(dev_pki().chain)
    except (FileNotFoundError, KeyError, OSError):
        return []


def _load_certs(paths: Iterable[str]) -> list:
    from pyhanko.keys import load_certs_from_pemder

    return list(load_certs_from_pemder([str(p) for p in paths]))


_configured_lock = threading.Lock()
_configured_sources: dict[tuple, KeySource] = {}


def _secret(entry: dict[str, Any], name: str, key: str) -> str:
    variable = entry.get(f"{name}_env")
    if not variable:
        raise KeyStoreError(f"Cấu hình khóa “{key}” thiếu {name}_env (tên biến môi trường chứa {name}).")
    value = os.environ.get(variable)
    if value is None:
        raise KeyStoreError(f"Biến môi trường {variable} (cho khóa “{key}”) chưa được đặt.")
    return value


def _source_from_entry(key: str, entry: dict[str, Any]) -> KeySource:
    kind = entry.get("type")
    if kind == "pkcs12":
        return SoftwareKeyStore(
            entry["path"], _secret(entry, "passphrase", key), rsa_padding=entry.get("rsa_padding", "pss")
        )
    if kind == "pkcs11":
        from .pkcs11 import Pkcs11KeySource

        chain = _load_certs(entry["chain"]) if entry.get("chain") else ca_chain()
        return Pkcs11KeySource(
            entry["module"], entry.get("token_label"), _secret(entry, "pin", key),
            key_label=entry.get("key_label"), cert_id=bytes.fromhex(entry["cert_id"]) if entry.get("cert_id") else None,
            chain=chain, token_serial=entry.get("token_serial"),
            # Tokens: PKCS#1 v1.5 unless the entry says the token does CKM_RSA_PKCS_PSS ("rsa_padding": "pss").
            rsa_padding=entry.get("rsa_padding", "pkcs1v15"),
        )
    raise KeyStoreError(f"Cấu hình khóa “{key}”: loại “{kind}” không được hỗ trợ (pkcs11 hoặc pkcs12).")


def configured_key_source(key: str) -> KeySource | None:
    """The source ``SIGNING_KEYS_FILE`` gives for ``key``; None when there is no keys file (development PKI).

    Raises :class:`KeyStoreError` when the file exists but has no usable entry for ``key``.
    """
    path = settings.SIGNING_KEYS_FILE
    if not path:
        return None
    try:
        stat = os.stat(path)
        with open(path, encoding="utf-8") as handle:
            entries = json.load(handle)
    except (OSError, ValueError) as exc:
        raise KeyStoreError(f"Không đọc được tệp cấu hình khóa {path}: {exc}") from exc
    entry = entries.get(key) if isinstance(entries, dict) else None
    if not isinstance(entry, dict):
        raise KeyStoreError(f"Tệp cấu hình khóa chưa có khóa “{key}”.")
    cache_key = (str(path), stat.st_mtime_ns, key)
    with _configured_lock:
        source = _configured_sources.get(cache_key)
        if source is None:
            try:
                source = _source_from_entry(key, entry)
            except (KeyError, ValueError, OSError) as exc:
                raise KeyStoreError(f"Cấu hình khóa “{key}” không hợp lệ: {exc}") from exc
            for stale in [k for k in _configured_sources if k[2] == key and k != cache_key]:
                old = _configured_sources.pop(stale)
                if hasattr(old, "close"):
                    old.close()
            _configured_sources[cache_key] = source
    return source


def dev_source(key: str) -> KeySource:
    """The development PKI's key store of ``key`` (``KeyError`` when it has none)."""
    pki = dev_pki()
    return SoftwareKeyStore(pki.key_store_path(key), pki.key_store_passphrase(key))


def key_source(key: str) -> KeySource:
    """The key source of subject ``key``: the one ``SIGNING_KEYS_FILE`` gives, else the development key store.

    Raises :class:`KeyStoreError` when the keys file has no usable entry, and ``KeyError`` when there is no keys
    file and the development PKI has no key for ``key``.
    """
    return configured_key_source(key) or dev_source(key)
