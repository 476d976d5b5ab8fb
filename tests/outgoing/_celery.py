"""A real Celery worker for the outgoing queues, and a way to wait for the work already queued."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from celery.contrib.testing.worker import start_worker

from eoffice.celery import app, ping

QUEUES = ["conversion", "interchange"]


@contextmanager
def outgoing_worker() -> Iterator[None]:
    with start_worker(app, perform_ping_check=False, pool="solo", queues=QUEUES):
        yield


def drain(queue: str, timeout: float = 180) -> None:
    """Wait until the single solo worker has run everything queued on ``queue`` before now (FIFO: a ping sent
    after that work comes back only once it is done)."""
    assert ping.apply_async(queue=queue).get(timeout=timeout) == "pong"
