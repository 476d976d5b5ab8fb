"""Celery tasks of the archive: text/OCR (queue ``ocr``) and B-LTA archival (queue ``signing``).

Queues come from the task names through ``CELERY_TASK_ROUTES`` (``ocr.*``, ``signing.*``). Both tasks are
idempotent: a text already extracted or a version already archived is not done again.
"""

from __future__ import annotations

import collections
import logging
from collections.abc import Iterable

from celery import shared_task

from .services import ArchivalUnavailable

logger = logging.getLogger(__name__)
# AsyncResults of the text tasks this process sent (newest last): tests wait on them instead of sleeping.
text_results: collections.deque = collections.deque(maxlen=1000)


@shared_task(name="ocr.extract_text", acks_late=True)
def extract_text(stored_file_id: int) -> str:
    """Text layer or Vietnamese OCR of one stored PDF, then reindex the documents that hold it."""
    from .services import extract_text as extract
    from .services import reindex_documents_with_file

    text = extract(stored_file_id)
    if text is None:
        return "missing"
    reindex_documents_with_file(stored_file_id)
    return text.method


ARCHIVAL_MAX_RETRIES = 8  # with exponential backoff from 1 minute, capped at 6 hours: about a day and a half


@shared_task(name="signing.archive_version", bind=True, acks_late=True, autoretry_for=(ArchivalUnavailable,),
             max_retries=ARCHIVAL_MAX_RETRIES, retry_backoff=60, retry_backoff_max=6 * 3600, retry_jitter=True)
def archive_version(self, version_id: int) -> str:
    """PAdES B-LTA version of one PDF of a transferred file (a new stored file).

    A CA or timestamp authority that does not answer is retried with backoff; after the last retry the version
    gets what could be made (B-LT only, ``lt_only``) or ``failed`` with the reason.
    """
    from .services import make_archival_version

    last_attempt = self.request.retries >= self.max_retries
    return make_archival_version(version_id, retry_transient=not last_attempt).status


@shared_task(name="archive.complete_archival_copies", acks_late=True)
def complete_archival_copies() -> int:
    """Daily (beat): queue again the copies that stopped at B-LT because no timestamp authority answered, so they
    reach B-LTA once one does; returns how many were queued."""
    from .models import ArchivalStatus, ArchivedVersion
    from .services import _enqueue_archival

    ids = list(ArchivedVersion.objects.filter(status=ArchivalStatus.LT_ONLY).values_list("pk", flat=True))
    _enqueue_archival(ids)
    return len(ids)


def schedule_text(stored_file_ids: Iterable[int]) -> None:
    """Extract the text of these stored files once the current transaction commits.

    Calls within one transaction are merged into one commit hook, which sends one task per distinct file (each
    file is its own unit of OCR work, so that several workers share a batch). A rolled-back transaction sends
    nothing. The task is idempotent.
    """
    from search.indexing import on_commit_batch

    on_commit_batch(_send_text, [int(pk) for pk in stored_file_ids])


def _send_text(ids: list[int]) -> None:
    for pk in ids:
        try:
            text_results.append(extract_text.apply_async((pk,), retry=False))
        except Exception:
            logger.exception("could not enqueue text extraction of stored file %s", pk)
