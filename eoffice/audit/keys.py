"""The key of the audit trail's HMAC chain, kept outside the database.

``AUDIT_HMAC_KEY`` (setting, from the environment variable of the same name) is the key in production: it lives
with the deployment's other secrets, never in the database, so that someone who can write the database cannot
recompute the chain. Without it (development, the embedded mode), a random key is generated on first use into
``AUDIT_HMAC_KEY_FILE`` (default ``VAR_DIR/audit_hmac_key``, owner-readable only). With
``AUDIT_HMAC_KEY_REQUIRED`` (production), a missing key is a configuration error, never a silently generated one;
``manage.py check --deploy`` reports it too (``audit.E001``).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _key_file() -> Path:
    configured = getattr(settings, "AUDIT_HMAC_KEY_FILE", "")
    return Path(configured) if configured else Path(settings.VAR_DIR) / "audit_hmac_key"


_file_keys: dict[str, bytes] = {}  # path -> key read from it (the file is written once)


def hmac_key() -> bytes:
    """The key (bytes). Raises :class:`ImproperlyConfigured` when it is required and not configured."""
    configured = (getattr(settings, "AUDIT_HMAC_KEY", "") or "").strip()
    if configured:
        return configured.encode()
    if getattr(settings, "AUDIT_HMAC_KEY_REQUIRED", False):
        raise ImproperlyConfigured("AUDIT_HMAC_KEY is empty: the audit trail needs a key kept outside the database.")
    path = _key_file()
    if str(path) in _file_keys and path.exists():
        return _file_keys[str(path)]
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process wrote it first
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
    key = path.read_text().strip()
    if not key:
        raise ImproperlyConfigured(f"The audit key file {path} is empty.")
    _file_keys[str(path)] = key.encode()
    return key.encode()
