"""Helpers of the search integration tests: a real Celery worker on the indexing, ocr and signing queues, a fresh
index per test, an agency with its people (``tests.factories.make_office``; documents: ``make_incoming``), and
waiting on the tasks the product enqueued (never sleeping)."""

from __future__ import annotations

import collections

import pytest
from celery.signals import after_task_publish

from tests.factories import Office, make_office

QUEUES = ["indexing", "ocr", "signing"]
WAITED_TASKS = frozenset({"search.index_documents", "ocr.extract_text", "signing.archive_version"})

# Ids of the indexing, text and archival tasks this process sent (the worker thread's included), oldest first.
_sent: collections.deque[str] = collections.deque()


@after_task_publish.connect(weak=False, dispatch_uid="tests.search.integration.sent")
def _remember_sent(sender=None, headers=None, body=None, **kwargs) -> None:
    if sender in WAITED_TASKS:
        task_id = (headers or {}).get("id") or (body if isinstance(body, dict) else {}).get("id")
        if task_id:
            _sent.append(task_id)


def wait_for_tasks(timeout: float = 120) -> int:
    """Wait on every indexing, text and archival task this process sent, including those sent by the tasks
    themselves (OCR schedules a reindex), until none is left. Returns how many were waited on."""
    from eoffice.celery import app

    waited = 0
    while _sent:
        app.AsyncResult(_sent.popleft()).get(timeout=timeout)
        waited += 1
    return waited


def forget_sent_tasks() -> None:
    """No worker runs them: forget the tasks sent so far, so that no later wait hangs on them."""
    _sent.clear()


@pytest.fixture
def fresh_index(settings, tmp_path):
    settings.SEARCH_INDEX_PATH = tmp_path / "search-index"
    return settings.SEARCH_INDEX_PATH


@pytest.fixture
def worker(fresh_index, transactional_db):
    from celery.contrib.testing.worker import start_worker

    from eoffice.celery import app

    forget_sent_tasks()
    with start_worker(app, perform_ping_check=False, pool="solo", queues=QUEUES, shutdown_timeout=30):
        yield app
        wait_for_tasks()


@pytest.fixture
def office(transactional_db) -> Office:
    return make_office()
