"""Full-text search of the archive: a small public surface over the embedded and Elasticsearch backends.

Callers build :class:`SearchDocument` values from their models and a :class:`Viewer` from the person
asking; everything else (folding of Vietnamese, permissions inside the query, facets, snippets) is
the engine's business::

    import search
    search.index([doc])                       # or search.remove(["in:123"])
    result = search.search("cai cach hanh chinh", viewer, filters={"year": 2024})

Backends are private modules chosen by ``settings.SEARCH_BACKEND``: ``"embedded"`` (default; the
value ``"sqlite_fts"`` is accepted as its historical name) and ``"elasticsearch"``.
"""
from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ._base import Backend, BulkWriter
from ._reindex import reindex
from ._text import fold, parse_query
from ._types import (
    DEFAULT_FACETS,
    FACET_FIELDS,
    FILTER_FIELDS,
    PAGE_FACETS,
    Hit,
    Removal,
    SearchDocument,
    SearchResult,
    Viewer,
)

__all__ = [
    "DEFAULT_FACETS", "FACET_FIELDS", "FILTER_FIELDS", "PAGE_FACETS", "Backend", "BulkWriter", "Hit", "Removal",
    "SearchDocument", "SearchResult", "Viewer", "fold", "get_backend", "index", "parse_query", "reindex", "remove", "search",
]

EMBEDDED_NAMES = frozenset({"embedded", "sqlite_fts", "tantivy"})
_backends: dict[tuple[str, str], Backend] = {}
_backends_lock = threading.Lock()


def get_backend() -> Backend:
    """The backend configured in settings (one instance per configuration and process)."""
    from django.conf import settings

    name = getattr(settings, "SEARCH_BACKEND", "embedded") or "embedded"
    if name in EMBEDDED_NAMES:
        key = ("embedded", str(settings.SEARCH_INDEX_PATH))
    elif name == "elasticsearch":
        key = ("elasticsearch", f"{settings.ELASTICSEARCH_URL}|{getattr(settings, 'ELASTICSEARCH_INDEX_PREFIX', 'eoffice')}")
    else:
        raise ValueError(f"unknown SEARCH_BACKEND {name!r}")
    with _backends_lock:
        backend = _backends.get(key)
        if backend is None:
            if key[0] == "embedded":
                from ._embedded import EmbeddedBackend

                path = Path(settings.SEARCH_INDEX_PATH)
                # The setting once named an FTS5 database file; the embedded index is a directory.
                backend = EmbeddedBackend(path.with_suffix("") if path.suffix == ".sqlite3" else path)
            else:
                from ._elasticsearch import ElasticsearchBackend

                backend = ElasticsearchBackend(
                    settings.ELASTICSEARCH_URL,
                    prefix=getattr(settings, "ELASTICSEARCH_INDEX_PREFIX", "eoffice"),
                )
            _backends[key] = backend
    return backend


def index(docs: Iterable[SearchDocument]) -> None:
    """Index or replace documents. Secret ones are never indexed: they are dropped and any earlier
    version of them is removed from the index."""
    get_backend().index(docs)


def remove(ids: Iterable[str]) -> None:
    """Remove documents by id (unknown ids are ignored)."""
    get_backend().remove(ids)


def search(
    query: str,
    viewer: Viewer,
    *,
    filters: Mapping[str, Any] | None = None,
    page: int = 1,
    page_size: int = 20,
    facets: Sequence[str] = DEFAULT_FACETS,
) -> SearchResult:
    """The search page's query: the most relevant page of hits the viewer may see, their total and
    facet counts (all restricted to the viewer's permissions inside the engine)."""
    return get_backend().search(query, viewer, filters=filters, page=page, page_size=page_size, facets=facets)
