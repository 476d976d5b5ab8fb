"""Celery tasks of the archive: text/OCR (queue ``ocr``) and B-LTA archival (queue ``signing``).

Queues come from the task names through ``CELERY_TASK_ROUTES`` (``ocr.*``, ``signing.*``). The actions in
:mod:`eoffice.archive.services` send these tasks by name once their transaction commits; the tasks call the
actions. Both are idempotent: a text already extracted or a version already archived is not done again.
"""

from __future__ import annotations

from celery import shared_task

from .models import ArchivalStatus, ArchivedVersion
from .services import (
    ArchivalUnavailable,
    enqueue_archival,
    make_archival_version,
    reindex_documents_with_file,
)
from .services import extract_text as extract


@shared_task(name="ocr.extract_text", acks_late=True)
def extract_text(stored_file_id: int) -> str:
    """Text layer or Vietnamese OCR of one stored PDF, then reindex the documents that hold it."""
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
    last_attempt = self.request.retries >= self.max_retries
    return make_archival_version(version_id, retry_transient=not last_attempt).status


@shared_task(name="archive.complete_archival_copies", acks_late=True)
def complete_archival_copies() -> int:
    """Daily (beat): queue again the copies that stopped at B-LT because no timestamp authority answered, so they
    reach B-LTA once one does; returns how many were queued."""
    ids = list(ArchivedVersion.objects.filter(status=ArchivalStatus.LT_ONLY).values_list("pk", flat=True))
    enqueue_archival(ids)
    return len(ids)
