"""Where the product finds people's and agencies' keys: the bridge between the organisation model and `signing`.

Subject keys: a person's username; ``seal:<code>`` for an agency's seal.

In the embedded mode every person and every agency seal has a software key store in the development PKI
(``settings.PKI_DIR``), created by ``manage.py ensure_dev_pki``.

In production ``settings.SIGNING_KEYS_FILE`` names a JSON file that maps subject keys to their key source::

    {
      "seal:000.00.00.G22": {"type": "pkcs11", "module": "/usr/lib/softhsm/libsofthsm2.so",
                             "token_label": "UBND-TINH", "key_label": "seal", "pin_env": "SEAL_PIN_G22"},
      "seal:000.00.12.H99": {"type": "pkcs12", "path": "/etc/eoffice/keys/stp.p12",
                             "passphrase_env": "SEAL_PASS_STP"}
    }

PINs and passphrases never sit in the file: it names the environment variables that hold them. ``cert_id`` (hex)
may replace ``key_label``, ``token_serial`` may complete ``token_label``, and ``chain`` lists the issuing CA
certificates when the token carries only the holder's (default: ``settings.SIGNING_CA_CHAIN``). With a keys file
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
from .pki import DevPKI, Subject


def seal_key(agency) -> str:
    return f"seal:{agency.code}"


def dev_pki() -> DevPKI:
    return DevPKI(Path(settings.PKI_DIR), services_url=f"http://127.0.0.1:{settings.SIGNING_DEV_SERVICES_PORT}")


def subjects_for(people: Iterable, agencies: Iterable) -> list[Subject]:
    """One subject per person who belongs to an agency, and one seal per agency."""
    subjects = [
        Subject(
            key=person.username,
            common_name=person.get_full_name(),
            organization=person.agency.name,
            kind="person",
            email=person.email or None,
            title=str(person.position) if person.position_id else None,
        )
        for person in people
        if person.agency_id
    ]
    subjects += [
        Subject(key=seal_key(agency), common_name=agency.name, organization=agency.name, kind="seal")
        for agency in agencies
    ]
    return subjects


def ensure_dev_keys() -> int:
    """Create the development PKI and a key for every person and agency that lacks one; returns the subject count."""
    from eoffice.orgs.models import Agency, Person

    people = Person.objects.filter(agency__isnull=False, is_active=True).select_related("agency", "position")
    subjects = subjects_for(people, Agency.objects.filter(is_active=True))
    dev_pki().ensure(subjects)
    return len(subjects)


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
        return SoftwareKeyStore(entry["path"], _secret(entry, "passphrase", key))
    if kind == "pkcs11":
        from .pkcs11 import Pkcs11KeySource

        chain = _load_certs(entry["chain"]) if entry.get("chain") else ca_chain()
        return Pkcs11KeySource(
            entry["module"], entry.get("token_label"), _secret(entry, "pin", key),
            key_label=entry.get("key_label"), cert_id=bytes.fromhex(entry["cert_id"]) if entry.get("cert_id") else None,
            chain=chain, token_serial=entry.get("token_serial"),
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
    pki = dev_pki()
    return SoftwareKeyStore(pki.key_store_path(key), pki.key_store_passphrase(key))


def person_key_source(person) -> KeySource:
    try:
        return configured_key_source(person.username) or dev_source(person.username)
    except KeyError as exc:
        raise KeyStoreError(f"Chưa có khóa ký số cho {person.get_full_name()}.") from exc
    except KeyStoreError as exc:
        raise KeyStoreError(f"Chưa có khóa ký số cho {person.get_full_name()}: {exc}") from exc


def seal_key_source(agency) -> KeySource:
    key = seal_key(agency)
    try:
        return configured_key_source(key) or dev_source(key)
    except KeyError as exc:
        raise KeyStoreError(f"Chưa có khóa đóng dấu của {agency.name}.") from exc
    except KeyStoreError as exc:
        raise KeyStoreError(f"Chưa có khóa đóng dấu của {agency.name}: {exc}") from exc
