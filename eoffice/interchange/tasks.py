"""Celery tasks of liên thông (queue ``interchange`` by the project's routes).

``interchange.edxml_send`` sends one queued message or status (:func:`services.send_outbound`). An unreachable or
failing peer is retried with exponential backoff (``EDXML_RETRY_BACKOFF`` seconds, doubling, at most
``EDXML_RETRY_BACKOFF_MAX``), ``EDXML_MAX_RETRIES`` times; then the message is marked failed. Running it twice
never delivers twice: a sent message is not sent again, and the receiver keys on DocumentId + recipient.
"""

from __future__ import annotations

from celery import Task, shared_task
from django.conf import settings

from . import services


class _SendTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:  # noqa: D102 - Celery hook
        if args:
            services.mark_failed(int(args[0]), str(exc))


@shared_task(
    name="interchange.edxml_send", base=_SendTask, bind=True, acks_late=True,
    autoretry_for=(services.TransportError,), retry_backoff=settings.EDXML_RETRY_BACKOFF,
    retry_backoff_max=settings.EDXML_RETRY_BACKOFF_MAX, retry_jitter=False, max_retries=settings.EDXML_MAX_RETRIES,
)
def send(self, outbound_id: int) -> str:
    outbound = services.send_outbound(outbound_id)
    return outbound.state if outbound is not None else "missing"
