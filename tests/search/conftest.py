"""Fixtures of the search tests: one backend per engine (see ``_factories`` for the documents)."""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest


def _embedded(tmp_path) -> Iterator[Any]:
    from search._embedded import EmbeddedBackend

    yield EmbeddedBackend(tmp_path / "index", writer_heap_bytes=30_000_000, writer_threads=1)


def _elasticsearch() -> Iterator[Any]:
    url = os.environ.get("ELASTICSEARCH_URL")
    if not url:
        pytest.skip("ELASTICSEARCH_URL not set: no Elasticsearch server on this machine")
    from search._elasticsearch import ElasticsearchBackend

    backend = ElasticsearchBackend(url, prefix=f"eoffice-test-{uuid.uuid4().hex[:8]}", refresh=True)
    try:
        yield backend
    finally:
        backend.drop_all()


@pytest.fixture(params=["embedded", "elasticsearch"])
def backend(request, tmp_path) -> Iterator[Any]:
    """Each contract test runs once per engine."""
    if request.param == "embedded":
        yield from _embedded(tmp_path)
    else:
        yield from _elasticsearch()


@pytest.fixture
def embedded(tmp_path) -> Iterator[Any]:
    yield from _embedded(tmp_path)


# Fixtures of the integration tests (real models, a real Celery worker): see tests/search/integration.py.
from tests.search.integration import fresh_index, office, worker  # noqa: E402, F401
