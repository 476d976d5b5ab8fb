"""What every backend provides; the public functions in :mod:`search` delegate to one of these."""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from ._types import DEFAULT_FACETS, SearchDocument, SearchResult, Viewer


class BulkWriter(Protocol):
    """A long-lived writer for reindexing: ``add`` and ``delete`` buffer, ``commit`` makes them durable."""

    def add(self, docs: Iterable[SearchDocument]) -> int: ...

    def delete(self, ids: Iterable[str]) -> None: ...

    def commit(self) -> None: ...


class Backend(Protocol):
    name: str

    def index(self, docs: Iterable[SearchDocument]) -> None: ...

    def remove(self, ids: Iterable[str]) -> None: ...

    def search(
        self,
        query: str,
        viewer: Viewer,
        *,
        filters: Mapping[str, Any] | None = None,
        page: int = 1,
        page_size: int = 20,
        facets: Sequence[str] = DEFAULT_FACETS,
    ) -> SearchResult: ...

    def bulk_writer(self) -> AbstractContextManager[BulkWriter]: ...

    def clear(self) -> None: ...


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Lists of up to ``size`` items. A batch is emptied when the next one is asked for: the caller must
    be done with it by then. Otherwise the caller's reference would keep the previous batch alive while
    the next one fills, doubling the memory of a reindex (50,000 documents with their text are ~180 MB).
    """
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch.clear()
            batch = []
    if batch:
        yield batch
