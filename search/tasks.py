"""Celery tasks of the ``indexing`` queue (routed by the ``search.*`` name in ``CELERY_TASK_ROUTES``).

:func:`search.indexing.schedule` sends them by name once the transaction commits; they call
:func:`search.indexing.index_now`.
"""

from __future__ import annotations

from celery import shared_task

from .indexing import index_now


@shared_task(name="search.index_documents", bind=True, max_retries=5, default_retry_delay=5, acks_late=True)
def index_documents(self, kind: str, pks: list[int]) -> dict[str, int]:
    """Bring the index in line with the database for rows ``pks`` of ``kind``; idempotent (replace by id)."""
    try:
        return index_now(kind, pks)
    except TimeoutError as error:  # another process held the index writer too long: try again later
        raise self.retry(exc=error) from error
