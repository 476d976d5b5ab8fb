"""Celery tasks of the signing queue: sealing a batch of stored documents with the agency's key (the Django and
Celery glue around :class:`signing.pades.BatchSealer`; the ``signing`` library itself has no tasks).

The clerk releases many dispatches at once; the agency signature (the seal) is applied in the background.
The rules it keeps (docs/ARCHITECTURE.md, "Rules that keep it right"):

* A signed file is immutable: each result is written as a **new** file next to its input, never over anything;
  its sha256 is recorded in the result.
* Idempotent: the output name is derived from the input's sha256 and the signer's certificate fingerprint, so
  running the task twice (a retry, a double click, a redelivered message) finds the first result and does not sign
  again.
* One bad file (missing, not a PDF, no room for the seal) is reported with its reason in Vietnamese and does not
  stop the rest of the batch.

The work itself is :func:`seal_stored_files`, a plain function; the task only resolves the key and the storage.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import posixpath
from typing import Any

from celery import shared_task
from django.core.files.base import ContentFile
from django.core.files.storage import Storage

from signing.appearance import LayoutError
from signing.images import seal_image
from signing.keys import KeySource, KeyStoreError
from signing.pades import BatchSealer, plan_seal_signature

__all__ = ["seal_batch", "seal_source", "seal_stored_files", "sealed_name"]

logger = logging.getLogger(__name__)
MAX_INPUT_BYTES = 100 * 1024 * 1024


def sealed_name(path: str, input_sha256: str, signer_fingerprint: str) -> str:
    """The storage name of the sealed version of ``path``: deterministic, so a second run finds it."""
    directory, filename = posixpath.split(path)
    stem = filename[:-4] if filename.lower().endswith(".pdf") else filename
    return posixpath.join(directory, f"{stem}.dong-dau-{signer_fingerprint[:12]}-{input_sha256[:16]}.pdf")


@functools.lru_cache(maxsize=64)
def _seal_png(agency_name: str) -> bytes:
    return seal_image(agency_name)


def seal_stored_files(
    paths: list[str], *, source: KeySource, agency_name: str, storage: Storage, seal_png: bytes | None = None
) -> list[dict[str, Any]]:
    """Seal each stored PDF in ``paths``; one result dict per input, in order.

    A result has ``path``, ``status`` ("sealed", "already_sealed" or "error"), and for successes ``output``,
    ``sha256`` (of the output) and ``input_sha256``; for errors ``error`` (a message for the clerk).
    The seal is visible (over the person's signature) when the document has one, invisible otherwise.
    """
    sealer = BatchSealer(source)
    fingerprint = hashlib.sha256(source.chain()[0].dump()).hexdigest()
    image = seal_png or _seal_png(agency_name)
    results: list[dict[str, Any]] = []
    for path in paths:
        result: dict[str, Any] = {"path": path}
        try:
            if not storage.exists(path):
                raise FileNotFoundError
            with storage.open(path, "rb") as handle:
                data = handle.read(MAX_INPUT_BYTES + 1)
            if len(data) > MAX_INPUT_BYTES:
                raise ValueError("Tệp quá lớn để đóng dấu.")
            input_sha = hashlib.sha256(data).hexdigest()
            result["input_sha256"] = input_sha
            target = sealed_name(path, input_sha, fingerprint)
            if storage.exists(target):
                with storage.open(target, "rb") as handle:
                    existing = handle.read()
                result.update(status="already_sealed", output=target, sha256=hashlib.sha256(existing).hexdigest())
                results.append(result)
                continue
            try:
                plan = plan_seal_signature(data, agency_name=agency_name, seal_image=image)
            except LayoutError:
                plan = None  # no person's signature to stand beside: an invisible agency signature
            sealed = sealer.seal(data, plan=plan)
            saved = storage.save(target, ContentFile(sealed))
            result.update(status="sealed", output=saved, sha256=hashlib.sha256(sealed).hexdigest())
        except FileNotFoundError:
            result.update(status="error", error=f"Không tìm thấy tệp {path}.")
        except Exception as exc:  # noqa: BLE001 - one bad file must not lose the batch; the reason is reported
            logger.warning("Sealing %s failed", path, exc_info=True)
            reason = str(exc) if isinstance(exc, ValueError | LayoutError | KeyStoreError) and str(exc) else ""
            result.update(status="error", error=f"Không đóng dấu được tệp {path}: {reason or 'tệp PDF hỏng hoặc không hợp lệ.'}")
        results.append(result)
    return results


def seal_source(seal_key: str) -> KeySource:
    """The agency's key for ``seal_key`` (e.g. ``seal:000.00.20.H01``): the source ``SIGNING_KEYS_FILE`` names (an
    HSM or token, or a PKCS#12 file), else the development PKI's key store in ``settings.PKI_DIR``."""
    from signing.keyring import key_source

    try:
        return key_source(seal_key)
    except KeyError as exc:
        raise KeyStoreError(f"Không có khóa đóng dấu cho {seal_key}.") from exc


@shared_task(name="signing.seal_batch", bind=True, acks_late=True, autoretry_for=(OSError,), retry_backoff=True,
             max_retries=3)
def seal_batch(self, paths: list[str], *, seal_key: str, agency_name: str) -> list[dict[str, Any]]:
    """Seal stored files (default storage paths) with the agency key ``seal_key``; safe to run twice."""
    from django.core.files.storage import default_storage

    return seal_stored_files(paths, source=seal_source(seal_key), agency_name=agency_name, storage=default_storage)
