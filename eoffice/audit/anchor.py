"""Checkpoints of the audit chains written outside the database (``AUDIT_ANCHOR_PATH``).

A checkpoint is one JSON line appended to the anchor file: for each chain its head (sequence number and hash) and
``keyed_from``, with an HMAC of the line under the audit key. The Celery beat task ``audit.anchor`` writes one
regularly (``AUDIT_ANCHOR_INTERVAL_MINUTES``) and ``manage.py audit_verify --anchor`` on demand; neither writes one
over a trail that does not verify. :func:`eoffice.audit.services.verify_chain` compares the database with the last
checkpoint: fewer records than it held (a cut tail, even with the head moved back), another hash at its head (a
recomputed chain) or another ``keyed_from`` (records passed off as unkeyed) are reported. The file should live
where the database's users cannot write (another volume, a write-once store, a log host); a line whose HMAC does
not verify is reported, never trusted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

from .keys import hmac_key


def anchor_path() -> Path:
    configured = getattr(settings, "AUDIT_ANCHOR_PATH", "")
    return Path(configured) if configured else Path(settings.VAR_DIR) / "audit-anchors.jsonl"


def _mac(body: dict, key: bytes) -> str:
    data = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hmac.new(key, b"audit-anchor\n" + data, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Checkpoint:
    written_at: str
    chains: dict[str, dict]  # key -> {"seq", "hash", "keyed_from"}


@dataclass(frozen=True)
class AnchorRead:
    latest: Checkpoint | None
    bad_lines: list[int]  # 1-based line numbers whose HMAC (or form) is wrong


def read_anchors() -> AnchorRead:
    """The last well-formed checkpoint of the file and the lines that do not verify."""
    path = anchor_path()
    if not path.exists():
        return AnchorRead(None, [])
    key = hmac_key()
    latest: Checkpoint | None = None
    bad: list[int] = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            body = {"written_at": entry["written_at"], "chains": entry["chains"]}
            ok = isinstance(entry.get("mac"), str) and hmac.compare_digest(entry["mac"], _mac(body, key))
        except (ValueError, KeyError, TypeError):
            ok = False
        if not ok:
            bad.append(number)
            continue
        latest = Checkpoint(written_at=body["written_at"], chains=body["chains"])
    return AnchorRead(latest, bad)


def write_anchor() -> Checkpoint:
    """Append a checkpoint of every chain's head (the caller has verified the trail)."""
    from .models import AuditChain

    chains = {
        chain.key: {"seq": chain.last_seq, "hash": chain.last_hash, "keyed_from": chain.keyed_from}
        for chain in AuditChain.objects.order_by("key")
    }
    body = {"written_at": datetime.now(UTC).isoformat(timespec="seconds"), "chains": chains}
    line = json.dumps({**body, "mac": _mac(body, hmac_key())}, sort_keys=True, ensure_ascii=False)
    path = anchor_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return Checkpoint(written_at=body["written_at"], chains=chains)
