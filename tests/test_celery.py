"""Celery runs with a real worker: on the configured broker (Redis under `make test`) and on the embedded one."""

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from eoffice.celery import app, ping


def test_a_real_worker_on_the_configured_broker_answers():
    with start_worker(app, perform_ping_check=False, queues=["default"], pool="solo"):
        result = ping.delay()
        assert result.get(timeout=30) == "pong"
    assert app.conf.broker_url == settings.CELERY_BROKER_URL


@pytest.fixture
def embedded_app(tmp_path):
    embedded = Celery(
        "embedded-check",
        broker=f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}",
        backend=f"db+sqlite:///{tmp_path / 'results.sqlite3'}",
    )

    @embedded.task(name="embedded.add")
    def add(x, y):
        return x + y

    return embedded, add


def test_a_real_worker_on_the_embedded_sqlite_broker_answers(embedded_app):
    embedded, add = embedded_app
    with start_worker(embedded, perform_ping_check=False, pool="solo"):
        assert add.delay(20, 22).get(timeout=30) == 42
