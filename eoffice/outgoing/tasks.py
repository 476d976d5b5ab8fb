"""Celery tasks of outgoing dispatches: each calls one service function and is safe to run twice.

The actions (:mod:`eoffice.outgoing.services`, :mod:`eoffice.outgoing.batch`) never import this module: they send
these tasks by name after commit, so the names below are part of their contract.

- ``outgoing.convert_docx`` (queue ``conversion``, :data:`.services.drafting.CONVERSION_QUEUE`): DOCX → PDF with
  LibreOffice headless, on its own queue so that slow conversions never hold up deliveries or signing.
- ``interchange.outgoing_deliver`` / ``interchange.outgoing_recall`` (queue ``interchange`` by the project's routes):
  hand a delivery to (or recall it from) a recipient agency of this deployment.
- ``signing.outgoing_issue`` (queue ``signing`` by the project's routes): one document of the clerk's batch issue
  (:mod:`eoffice.outgoing.batch`): number, seal and release it as the clerk.
"""

from __future__ import annotations

from celery import shared_task

from . import batch as batches
from . import services


@shared_task(name="outgoing.convert_docx", acks_late=True, max_retries=2)
def convert_docx(version_id: int) -> str:
    return services.convert_version(version_id).conversion


@shared_task(name="interchange.outgoing_deliver", bind=True, acks_late=True, max_retries=5, default_retry_delay=30)
def deliver(self, delivery_id: int) -> int:
    try:
        services.deliver(delivery_id)
    except Exception as exc:  # the recipient side may be briefly unavailable; receive() is idempotent
        raise self.retry(exc=exc) from exc
    return delivery_id


@shared_task(name="interchange.outgoing_recall", bind=True, acks_late=True, max_retries=5, default_retry_delay=30)
def recall_delivery(self, delivery_id: int, reason: str) -> int:
    try:
        services.recall_delivery(delivery_id, reason)
    except Exception as exc:
        raise self.retry(exc=exc) from exc
    return delivery_id


@shared_task(name="signing.outgoing_issue", bind=True, acks_late=True, max_retries=2, default_retry_delay=15)
def issue_and_release(self, document_id: int, clerk_id: int, *, release: bool = True, batch: str = "") -> dict:
    """One document of the clerk's batch (queue ``signing`` by the project's routes): issue, then release.

    Refusals of the service functions are recorded for the clerk by :func:`batch.run_one`; anything unexpected
    (a lost database connection, …) is retried, then recorded as a failure. Safe to run twice.
    """
    try:
        return batches.run_one(document_id, clerk_id, release=release, batch=batch)
    except Exception as exc:
        if self.request.retries < self.max_retries:
            raise self.retry(exc=exc) from exc
        batches.record_failure(document_id, clerk_id, reason=batches.UNEXPECTED, code="unexpected", batch=batch)
        raise
