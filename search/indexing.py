"""Feeding the search index from the document models, and who may see what in it.

The engine (:mod:`search`) knows nothing of Django models. This module is the bridge:

- Each kind of document (incoming, outgoing) registers a :class:`Source` with :func:`register_source`: how to load
  its rows, build a :class:`~search.SearchDocument` from one (including its ``acl`` tokens), and the tokens of a
  viewer. The acl tokens of a document and the tokens of a viewer are built in ONE place per kind, next to each
  other, mirroring that kind's scoping rule (``visible_to``), so that search results are exactly what the data
  layer would show. Tokens are namespaced per kind (``in:…``, ``out:…``) so that rules never mix.
- Every change is indexed through Celery: :func:`schedule` collects (kind, id) pairs and, when the transaction
  commits, sends one ``search.index_documents`` task (queue ``indexing``). The task rebuilds each document from
  the database: secret documents and deleted ones are removed from the index, never indexed.
- :func:`reindex_source` is the source of ``manage.py search_reindex`` over every registered kind, in a stable
  order (kind, then primary key), read in chunks so memory stays bounded. A row that must not be in the index
  (secret) is yielded as a :class:`~search.Removal`, so the reindex removes what a lost indexing task left.
"""

from __future__ import annotations

import collections
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from celery import current_app
from django.db import transaction

from ._types import Removal, SearchDocument, Viewer

logger = logging.getLogger(__name__)

EVERYONE = "*"  # on every document's acl; only superusers (who see everything through visible_to) carry it


@dataclass(frozen=True)
class Source:
    """One kind of document the index holds."""

    kind: str                                         # "incoming"
    prefix: str                                       # "in": index ids are "in:<pk>"
    label: str                                        # "Văn bản đến"
    queryset: Callable[[], Any]                       # all rows, with what build() needs prefetched
    build: Callable[[Any], SearchDocument | None]    # None: must not be in the index (e.g. secret)
    viewer_tokens: Callable[[Any], set[str]]          # the tokens of a person for this kind
    url: Callable[[int], str]                         # the document page of a pk
    stored_files: Callable[[Any], list[Any]]          # the StoredFiles of a row (for text, OCR, archival)
    pks_with_file: Callable[[int], list[int]]         # the rows holding a StoredFile (to reindex after OCR)


_SOURCES: dict[str, Source] = {}


def register_source(source: Source) -> Source:
    _SOURCES[source.kind] = source
    return source


def sources() -> list[Source]:
    return list(_SOURCES.values())


def get_source(kind: str) -> Source:
    try:
        return _SOURCES[kind]
    except KeyError:
        raise LookupError(f"no search source registered for {kind!r}") from None


def source_for_id(index_id: str) -> tuple[Source, int]:
    """(source, pk) of an index id such as ``"in:12"``."""
    prefix, _, pk = index_id.partition(":")
    for source in _SOURCES.values():
        if source.prefix == prefix:
            return source, int(pk)
    raise LookupError(f"no search source for id {index_id!r}")


def index_id(kind: str, pk: int) -> str:
    return f"{get_source(kind).prefix}:{pk}"


def viewer_for(person) -> Viewer:
    """The viewer tokens of ``person``: the union of every kind's tokens (nothing for anonymous/inactive)."""
    if person is None or not getattr(person, "is_authenticated", False) or not person.is_active:
        return Viewer(frozenset())
    if person.is_superuser:
        return Viewer(frozenset({EVERYONE}))
    tokens: set[str] = set()
    for source in _SOURCES.values():
        tokens |= source.viewer_tokens(person)
    return Viewer(frozenset(tokens))


# --- indexing --------------------------------------------------------------------------------------------------------

def build_documents(kind: str, pks: Iterable[int]) -> tuple[list[SearchDocument], list[str]]:
    """(documents to index, index ids to remove) for the rows ``pks`` of ``kind``, read from the database now."""
    source = get_source(kind)
    wanted = sorted(set(pks))
    rows = {row.pk: row for row in source.queryset().filter(pk__in=wanted)}
    docs: list[SearchDocument] = []
    removed: list[str] = []
    for pk in wanted:
        row = rows.get(pk)
        doc = source.build(row) if row is not None else None
        if doc is None:
            removed.append(f"{source.prefix}:{pk}")
        else:
            docs.append(doc)
    return docs, removed


def index_now(kind: str, pks: Iterable[int]) -> dict[str, int]:
    """Bring the index in line with the database for these rows (what the indexing task runs)."""
    import search

    docs, removed = build_documents(kind, pks)
    if docs:
        search.index(docs)  # the engine drops (and removes) any secret one again, as a second guard
    if removed:
        search.remove(removed)
    return {"indexed": len(docs), "removed": len(removed)}


class CommitBatch:
    """What one transaction collected for ``send``; registered once with ``transaction.on_commit``."""

    def __init__(self, send: Callable[[list], None]) -> None:
        self.send = send
        self.items: set = set()

    def __call__(self) -> None:
        items, self.items = sorted(self.items), set()
        if items:
            self.send(items)


def on_commit_batch(send: Callable[[list], None], items: Iterable) -> None:
    """Add ``items`` to the current transaction's batch for ``send``; ``send(sorted items)`` runs once, on commit.

    Many signals fire per transaction: the first call registers one commit hook, the others add to it. A batch
    dies with its transaction (or with the savepoint it was registered in, and then the next call starts a new
    one). Outside a transaction ``send`` runs at once, as ``transaction.on_commit`` does.
    """
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        for _sids, hook, _robust in reversed(connection.run_on_commit):
            if isinstance(hook, CommitBatch) and hook.send is send:
                hook.items.update(items)
                return
    batch = CommitBatch(send)
    batch.items.update(items)
    transaction.on_commit(batch)


def schedule(kind: str, pks: Iterable[int]) -> None:
    """Index these rows once the current transaction commits (at once outside a transaction).

    Calls within one transaction are merged into one task per kind, sent by one commit hook; a rolled-back
    transaction sends nothing.
    """
    on_commit_batch(_send, [(kind, int(pk)) for pk in pks])


def _send(items: list[tuple[str, int]]) -> None:
    by_kind: dict[str, list[int]] = collections.defaultdict(list)
    for kind, pk in items:
        by_kind[kind].append(pk)
    for kind, pks in by_kind.items():
        try:
            _send_task(INDEX_TASK, kind, sorted(pks), retry=False)
        except Exception:  # the broker is down: the change is saved; a reindex catches the index up
            logger.exception("could not enqueue indexing of %s %s", kind, pks)


INDEX_TASK = "search.index_documents"  # search/tasks.py; routed to the ``indexing`` queue by its name


def _send_task(name: str, *args, **options) -> None:
    """Send the Celery task ``name`` now (the callers run once the transaction has committed).

    By name, so that this module never imports :mod:`search.tasks` (the task calls :func:`index_now`). With
    ``CELERY_TASK_ALWAYS_EAGER`` the task runs here and now, as ``apply_async`` would run it.
    """
    if current_app.conf.task_always_eager:
        current_app.tasks[name].apply(args=args, **options)
    else:
        current_app.send_task(name, args=list(args), **options)


# --- reindex ---------------------------------------------------------------------------------------------------------

CHUNK = 500


def reindex_source(after_id: str | None) -> Iterator[SearchDocument | Removal]:
    """Every row of every registered kind, in (kind, pk) order, starting after ``after_id``: its document, or a
    :class:`~search.Removal` of its index id when it must not be in the index (secret, not indexable).

    The source of ``manage.py search_reindex --source search.indexing:reindex_source`` (the default). The
    indexing task normally removes a document that became secret; if it was lost (broker down), the reindex
    removes it. Rows deleted altogether are not yielded: the rebuild (the command's default) drops them.
    """
    ordered = list(_SOURCES.values())
    start_index, after_pk = 0, 0
    if after_id:
        source, after_pk = source_for_id(after_id)
        start_index = ordered.index(source)
    for position, source in enumerate(ordered[start_index:]):
        last = after_pk if position == 0 else 0
        while True:
            rows = list(source.queryset().filter(pk__gt=last).order_by("pk")[:CHUNK])
            if not rows:
                break
            for row in rows:
                doc = source.build(row)
                yield doc if doc is not None else Removal(f"{source.prefix}:{row.pk}")
            last = rows[-1].pk


def _total() -> int:
    """How many rows the reindex will read (secret ones included: each is a document or a removal)."""
    return sum(source.queryset().count() for source in _SOURCES.values())


reindex_source.total = _total  # type: ignore[attr-defined]
