"""The embedded backend: a tantivy index in a local directory (no server to run).

Why tantivy and not SQLite FTS5: measured in ``search/README.md``. In short, FTS5 hands matches to
the caller one row at a time, so the search page's cost (top 20 + exact total + facet counts over
*every* visible match) grows with the number of matches: a common word in a big agency's archive
matches ~90,000 visible documents out of 1,000,000, which FTS5 needs ~50 ms just to enumerate and
~250 ms to rank. tantivy intersects posting lists, counts and aggregates in native code with
block-skipping, and stays far below the 50 ms target at one million documents.

Layout: ``<path>/v<SCHEMA_VERSION>/`` holds the index; a schema change bumps the version so a
reindex builds the new index beside the old one. Writers from several processes (web, Celery
workers) are serialised by an ``flock`` on ``<path>/writer.lock``; tantivy itself allows a single
writer per index and would otherwise fail the second one.

Rebuilds (``search.reindex(..., rebuild=True)``, what ``manage.py search_reindex`` does by default)
fill a new directory ``<path>/v<SCHEMA_VERSION>-r<stamp>/`` named in ``<path>/building-v<N>``, while
searches keep using the live index and live writes go to both; at the end ``<path>/live-v<N>`` is
replaced atomically by the new name and the old directory is deleted. Every process notices the new
pointer on its next search or write. A rebuilt index holds only what the source yielded, so entries
whose rows were deleted (or became secret) while no indexing task could run are gone after it.

Field design:
- ``summary``, ``notation``, ``body``: full text, analysed by ``vi`` (simple tokenizer, lowercase,
  ASCII folding: tone marks removed and ``đ`` → ``d``), not stored;
- ``acl``: one raw term per access token, matched with a term-set query inside the engine, so hits,
  total and facets only ever see what the viewer may see;
- filters: one indexed code per (field, value); facets: single-valued columnar ("fast") fields
  holding small dense ids of the values, counted by terms aggregations;
- ``meta``: the stored fields and the original body as one compressed JSON blob, read for the
  20 hits of a page only.
"""
from __future__ import annotations

import datetime
import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import tantivy

from ._base import batched
from ._text import check_filters, check_paging, highlight, is_ordinary, parse_query
from ._types import DEFAULT_FACETS, FACET_FIELDS, Hit, SearchDocument, SearchResult, Viewer

SCHEMA_VERSION = 2
# The summary is indexed three times into the one full-text field: a word of the summary weighs like
# three words of the body (BM25F-like), and every query walks one posting list per word instead of one
# per field, which halves the cost of common words at a million documents.
SUMMARY_REPEAT = 3
MAX_FACET_VALUES = 200
AGG_BUCKETS = 65_536
SEP = "\x1f"
# Facet columns: one single-valued column of small dense ids per facet field, the form tantivy's terms
# aggregation counts fastest (measured in search/README.md: 3x faster than one multi-valued column of
# 48-bit codes, and few buckets to turn into Python objects).
COLUMNS: dict[str, str] = {f"f_{name}": name for name in FACET_FIELDS}


def _build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=False, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("text", stored=False, tokenizer_name="vi", index_option="position")
    builder.add_text_field("acl", stored=False, tokenizer_name="raw", index_option="basic")
    # Filters: one indexed code per (field, value), matched with term-set queries.
    builder.add_unsigned_field("fk", indexed=True, fast=False)
    # Facets: single-valued columns of dense ids (see COLUMNS), decoded through the facet dictionary.
    for column in COLUMNS:
        builder.add_unsigned_field(column, indexed=False, fast=True)
    builder.add_unsigned_field("day", indexed=True, fast=True)  # date.toordinal(): range filters and sort
    builder.add_bytes_field("meta", stored=True, indexed=False, fast=False)
    return builder.build()


def facet_code(field: str, value: Any) -> int:
    """Stable code of a filter value: 48 bits of hash of the field and value.

    Kept under 2**53 so it survives any float round trip in aggregation results.
    """
    digest = hashlib.blake2b(f"{field}{SEP}{value}".encode(), digest_size=6).digest()
    return int.from_bytes(digest, "big")


def _facet_values(doc: SearchDocument) -> dict[str, str]:
    values = {name: getattr(doc, name) for name in FACET_FIELDS}
    return {name: str(v) for name, v in values.items() if v is not None and v != ""}


def _column_values(values: dict[str, str]) -> list[tuple[str, str, str]]:
    """(column, facet field, value) of each facet column a document has a value in."""
    return [(f"f_{name}", name, value) for name, value in values.items()]


def _analyzer() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(60))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )


def _to_tantivy(doc: SearchDocument, facet_ids: dict[tuple[str, str], int]) -> tantivy.Document:
    stored = doc.stored_fields()
    stored["date"] = doc.date.isoformat()
    stored["body"] = doc.body
    t_doc = tantivy.Document()
    t_doc.add_text("id", doc.id)
    # NFC first: in decomposed text a combining mark would split a word in two for the tokenizer.
    summary = unicodedata.normalize("NFC", doc.summary)
    for _ in range(SUMMARY_REPEAT):
        t_doc.add_text("text", summary)
    t_doc.add_text("text", unicodedata.normalize("NFC", doc.number_notation))
    t_doc.add_text("text", unicodedata.normalize("NFC", doc.body))
    for token in doc.acl:
        t_doc.add_text("acl", token)
    values = _facet_values(doc)
    for name, value in values.items():
        t_doc.add_unsigned("fk", facet_code(name, value))
    for column, group, value in _column_values(values):
        t_doc.add_unsigned(column, facet_ids[(group, value)])
    t_doc.add_unsigned("day", doc.date.toordinal())
    t_doc.add_bytes("meta", json.dumps(stored, ensure_ascii=False, separators=(",", ":")).encode())
    return t_doc


class _Writer:
    """Adds documents through one tantivy writer per target index (the live one, plus the index being
    rebuilt if there is one); ``commit`` makes them visible and durable."""

    def __init__(self, writers: list[tantivy.IndexWriter], backend: EmbeddedBackend) -> None:
        self._writers = writers
        self._backend = backend

    def add(self, docs: Iterable[SearchDocument]) -> int:
        count = 0
        for doc in docs:
            # Deleting by id first makes indexing idempotent: a re-index replaces, never duplicates,
            # and a document that became secret disappears.
            for writer in self._writers:
                writer.delete_documents_by_term("id", doc.id)
            if is_ordinary(doc):  # nothing of a secret document is kept, not even its metadata
                ids = self._backend._allocate_facet_ids(doc)
                t_doc = _to_tantivy(doc, ids)
                for writer in self._writers:
                    writer.add_document(t_doc)
                count += 1
        return count

    def delete(self, ids: Iterable[str]) -> None:
        for doc_id in ids:
            for writer in self._writers:
                writer.delete_documents_by_term("id", doc_id)

    def delete_all(self) -> None:
        for writer in self._writers:
            writer.delete_all_documents()

    def commit(self) -> None:
        self._backend._save_facets()  # before the documents, so that every indexed id can be decoded
        for writer in self._writers:
            writer.commit()


class EmbeddedBackend:
    """Search over a tantivy index in ``path`` (a directory, created on first use)."""

    name = "embedded"

    def __init__(self, path: str | os.PathLike[str], *, writer_heap_bytes: int = 200_000_000,
                 writer_threads: int = 2) -> None:
        self.root = Path(path)
        self.root.mkdir(parents=True, exist_ok=True)
        self._live_pointer = self.root / f"live-v{SCHEMA_VERSION}"
        self._building_pointer = self.root / f"building-v{SCHEMA_VERSION}"
        self._schema = _build_schema()
        self._analyzer = _analyzer()
        self._live_stamp: tuple[int, int] | None = None
        self._live_name = self._read_live()
        self.path = self.root / self._live_name
        self.path.mkdir(parents=True, exist_ok=True)
        self._index = self._open_index(self.path)
        self._heap = writer_heap_bytes
        self._threads = writer_threads
        self._thread_lock = threading.Lock()
        self._meta_stamp: tuple[int, int] | None = None
        # The facet dictionary: dense id <-> (group, value), shared by every process using the index.
        # Ids are allocated only while holding the writer lock, so two processes never hand out the same one.
        self._facet_db = sqlite3.connect(self.root / f"facets-v{SCHEMA_VERSION}.sqlite3",
                                         check_same_thread=False, timeout=30)
        self._facet_db.execute(
            "CREATE TABLE IF NOT EXISTS facet (id INTEGER PRIMARY KEY, grp TEXT NOT NULL, value TEXT NOT NULL,"
            " UNIQUE (grp, value))")
        self._facet_db.commit()
        self._facet_lock = threading.Lock()
        self._facet_ids: dict[tuple[str, str], int] = {}
        self._facet_names: dict[int, tuple[str, Any]] = {}
        self._facet_pending: dict[int, tuple[str, str]] = {}
        self._max_id = 0
        self._load_facets()
        self._refresh()

    # --- facet dictionary: dense id <-> (group, value), in a small SQLite file beside the index ------------

    def _allocate_facet_ids(self, doc: SearchDocument) -> dict[tuple[str, str], int]:
        """The ids of the document's facet values, allocating new ones (the writer lock is held)."""
        ids = self._facet_ids
        for _column, group, value in _column_values(_facet_values(doc)):
            if (group, value) not in ids:
                self._max_id += 1
                self._facet_pending[self._max_id] = (group, value)
                ids[(group, value)] = self._max_id
        return ids

    def _save_facets(self) -> None:
        if not self._facet_pending:
            return
        with self._facet_lock, self._facet_db:
            self._facet_db.executemany(
                "INSERT INTO facet (id, grp, value) VALUES (?, ?, ?)",
                [(i, g, v) for i, (g, v) in self._facet_pending.items()])
            for i, (g, v) in self._facet_pending.items():
                self._facet_names[i] = self._decode(g, v)
            self._facet_pending = {}

    def _forget_pending_facets(self) -> None:
        """After a rollback: ids allocated but never saved must not be reused for other values."""
        for g, v in self._facet_pending.values():
            self._facet_ids.pop((g, v), None)
        self._facet_pending = {}
        self._max_id = max(self._facet_names, default=0)

    def _load_facets(self) -> None:
        """Read the ids saved by any process since we last looked (ids are never reassigned)."""
        with self._facet_lock:
            known = max(self._facet_names, default=0)
            for i, g, v in self._facet_db.execute("SELECT id, grp, value FROM facet WHERE id > ?", (known,)):
                self._facet_ids[(g, v)] = i
                self._facet_names[i] = self._decode(g, v)
            self._max_id = max(self._max_id, max(self._facet_names, default=0))

    @staticmethod
    def _decode(field: str, value: str) -> tuple[str, Any]:
        """The (facet field, value) a dictionary entry stands for."""
        return field, int(value) if field == "year" else value

    # --- live index, rebuilds -------------------------------------------------------------------------------

    def _open_index(self, path: Path) -> tantivy.Index:
        index = tantivy.Index(self._schema, path=str(path), reuse=True)
        index.register_tokenizer("vi", _analyzer())
        return index

    @staticmethod
    def _read_pointer(pointer: Path) -> str | None:
        try:
            name = pointer.read_text().strip()
        except FileNotFoundError:
            return None
        return name or None

    def _read_live(self) -> str:
        try:
            stat = self._live_pointer.stat()
            self._live_stamp = (stat.st_ino, stat.st_mtime_ns)
        except FileNotFoundError:
            self._live_stamp = None
        return self._read_pointer(self._live_pointer) or f"v{SCHEMA_VERSION}"

    def _sync_live(self) -> bool:
        """Follow the live pointer if a rebuild (in any process) switched it; True when it changed."""
        try:
            stat = self._live_pointer.stat()
            stamp: tuple[int, int] | None = (stat.st_ino, stat.st_mtime_ns)
        except FileNotFoundError:
            stamp = None
        if stamp == self._live_stamp:
            return False
        name = self._read_live()
        if name == self._live_name:
            return False
        self._live_name = name
        self.path = self.root / name
        self._index = self._open_index(self.path)
        self._meta_stamp = None
        return True

    def _write_pointer(self, pointer: Path, name: str) -> None:
        tmp = pointer.with_name(pointer.name + ".tmp")
        with open(tmp, "w") as handle:
            handle.write(name)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, pointer)

    def _check_target(self, name: str) -> Path:
        if not name.startswith(f"v{SCHEMA_VERSION}-r") or "/" in name or not (self.root / name).is_dir():
            raise ValueError(f"not an index being rebuilt here: {name!r}")
        return self.root / name

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """The writer lock (across threads and processes)."""
        with self._thread_lock, open(self.root / "writer.lock", "a+b") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    def start_rebuild(self) -> str:
        """Create an empty index to reindex into, beside the live one; live writes go to both from now on.

        An earlier rebuild that was abandoned (its checkpoint lost) is deleted.
        """
        with self._locked():
            abandoned = self._read_pointer(self._building_pointer)
            name = f"v{SCHEMA_VERSION}-r{time.strftime('%Y%m%d%H%M%S')}-{time.time_ns() % 1_000_000:06d}"
            (self.root / name).mkdir()
            self._open_index(self.root / name)  # creates the empty index
            self._write_pointer(self._building_pointer, name)
            if abandoned and abandoned != name and abandoned != self._live_name:
                shutil.rmtree(self.root / abandoned, ignore_errors=True)
        return name

    def finish_rebuild(self, name: str) -> None:
        """Make the rebuilt index the live one in one atomic step, then delete the old one."""
        with self._locked():
            self._sync_live()
            if name == self._live_name:  # already switched (a resumed run that was cut after the switch)
                return
            self._check_target(name)
            old = self._live_name
            self._write_pointer(self._live_pointer, name)
            self._building_pointer.unlink(missing_ok=True)
            self._sync_live()
            shutil.rmtree(self.root / old, ignore_errors=True)
        self._refresh(force=True)

    # --- writing -------------------------------------------------------------------------------------------

    @contextmanager
    def bulk_writer(self, *, heap_bytes: int | None = None, target: str | None = None) -> Iterator[_Writer]:
        """Hold the index's single writer (across processes) for a batch of changes.

        ``target``: the index being rebuilt (from :meth:`start_rebuild`), written alone. Without it the
        live index is written, and the index being rebuilt too if a rebuild is under way, so that no
        change made meanwhile is lost at the switch.
        """
        with self._locked():
            self._load_facets()  # ids another process allocated while it held the lock
            self._sync_live()
            if target is not None:
                indexes = [self._open_index(self._check_target(target))]
            else:
                indexes = [self._index]
                building = self._read_pointer(self._building_pointer)
                if building and building != self._live_name and (self.root / building).is_dir():
                    indexes.append(self._open_index(self.root / building))
            heap = heap_bytes or self._heap
            writers = [index.writer(heap_size=heap, num_threads=self._threads) for index in indexes]
            try:
                yield _Writer(writers, self)
            except BaseException:
                for writer in writers:
                    writer.rollback()
                    # Consumes the writer, releasing tantivy's index lock now rather than whenever the
                    # traceback that still references it is collected (the next writer would fail).
                    writer.wait_merging_threads()
                self._forget_pending_facets()
                raise
            self._save_facets()
            for writer in writers:
                writer.commit()
                writer.wait_merging_threads()
        self._refresh(force=True)

    def index(self, docs: Iterable[SearchDocument]) -> None:
        """Index (or replace) documents; secret ones are refused and any earlier version removed."""
        with self.bulk_writer(heap_bytes=min(self._heap, 50_000_000)) as writer:
            for batch in batched(docs, 5000):
                writer.add(batch)

    def remove(self, ids: Iterable[str]) -> None:
        with self.bulk_writer(heap_bytes=min(self._heap, 50_000_000)) as writer:
            writer.delete(ids)

    def clear(self) -> None:
        with self.bulk_writer(heap_bytes=min(self._heap, 50_000_000)) as writer:
            writer.delete_all()

    def _refresh(self, force: bool = False) -> None:
        """Reload the searcher when another process (or this one) committed, or switched to a rebuilt index."""
        if self._sync_live():
            force = True
        try:
            stat = (self.path / "meta.json").stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            stamp = (0, 0)
        if force or stamp != self._meta_stamp:
            self._index.reload()
            self._meta_stamp = stamp

    # --- searching -----------------------------------------------------------------------------------------

    def search(
        self,
        query: str,
        viewer: Viewer,
        *,
        filters: Mapping[str, Any] | None = None,
        page: int = 1,
        page_size: int = 20,
        facets: Sequence[str] = DEFAULT_FACETS,
    ) -> SearchResult:
        wanted_filters = check_filters(filters)
        page, page_size = check_paging(page, page_size)
        facets = [f for f in facets if f in FACET_FIELDS]
        clauses = parse_query(query)
        empty = SearchResult([], 0, {f: [] for f in facets}, page, page_size, query, dict(filters or {}))
        if not viewer.tokens:
            return empty
        self._refresh()
        final = self._query(clauses, viewer, wanted_filters)
        searcher = self._index.searcher()
        # The facet counts and the page of hits are two passes over the same matches: the aggregation
        # runs in a worker thread while this one ranks, loads and highlights the hits (tantivy releases
        # the GIL while it searches, so the two overlap on a second core).
        columns = [f"f_{name}" for name in facets]
        pending: Future[dict[str, Any]] | None = None
        if columns:
            terms = {"size": AGG_BUCKETS, "segment_size": AGG_BUCKETS}
            pending = _pool().submit(searcher.aggregate, final,
                                     {c: {"terms": {"field": c, **terms}} for c in columns})
        try:
            total, hits = self._page(searcher, final, clauses, page, page_size)
        finally:
            answer = pending.result() if pending is not None else {}
        facet_counts: dict[str, list[tuple[Any, int]]] = {f: [] for f in facets}
        if total:
            facet_counts.update(self._facet_counts(answer, columns, facets))
        return SearchResult(hits, total, facet_counts, page, page_size, query, dict(filters or {}))

    def _query(self, clauses: list[Any], viewer: Viewer, wanted_filters: dict[str, list[Any]]) -> tantivy.Query:
        schema = self._schema
        Must = tantivy.Occur.Must
        parts: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for clause in clauses:
            tokens = self._analyzer.analyze(clause.text) or list(clause.words)
            if len(tokens) > 1:
                parts.append((Must, tantivy.Query.phrase_query(schema, "text", tokens)))
            else:
                parts.append((Must, tantivy.Query.term_query(schema, "text", tokens[0])))
        # Permissions and filters are part of the query itself and do not change the score.
        restrictions = [tantivy.Query.term_set_query(schema, "acl", sorted(viewer.tokens))]
        for field, values in wanted_filters.items():
            if field == "date_from":
                restrictions.append(tantivy.Query.range_query(
                    schema, "day", tantivy.FieldType.Unsigned, lower_bound=values[0].toordinal()))
            elif field == "date_to":
                restrictions.append(tantivy.Query.range_query(
                    schema, "day", tantivy.FieldType.Unsigned, upper_bound=values[0].toordinal()))
            else:
                codes = [facet_code(field, v) for v in values]
                restrictions.append(tantivy.Query.term_set_query(schema, "fk", codes))
        for restriction in restrictions:
            parts.append((Must, tantivy.Query.const_score_query(restriction, 0.0)))
        return tantivy.Query.boolean_query(parts)

    def _page(self, searcher: tantivy.Searcher, final: tantivy.Query, clauses: list[Any], page: int,
              page_size: int) -> tuple[int, list[Hit]]:
        """The exact total and the hits of one page, with their snippets."""
        offset = (page - 1) * page_size
        if clauses:
            result = searcher.search(final, limit=page_size, count=True, offset=offset)
        else:  # browsing: newest first
            result = searcher.search(final, limit=page_size, count=True, offset=offset,
                                     order_by_field="day", order=tantivy.Order.Desc)
        hits = []
        for score, address in result.hits:
            meta = json.loads(searcher.doc(address)["meta"][0])
            body = meta.pop("body")
            meta["date"] = datetime.date.fromisoformat(meta["date"])
            hits.append(Hit(
                id=meta["id"],
                score=float(score) if clauses else 0.0,
                summary_html=highlight(meta["summary"], clauses, max_chars=None),
                body_html=highlight(body, clauses),
                fields=meta,
            ))
        return int(result.count), hits

    def _facet_counts(self, answer: Mapping[str, Any], columns: list[str],
                      facets: Sequence[str]) -> dict[str, list[tuple[Any, int]]]:
        names = self._facet_names
        per_column = {c: [(int(b["key"]), b["doc_count"]) for b in answer.get(c, {}).get("buckets", ())]
                      for c in columns}
        if any(key not in names for pairs in per_column.values() for key, _n in pairs):
            self._load_facets()  # written by another process since we last looked
        counts: dict[str, list[tuple[Any, int]]] = {}
        for column, pairs in per_column.items():
            # One value per document in each column: the buckets are the counts, no summing needed.
            values = [(names[key][1], n) for key, n in pairs if key in names]
            values.sort(key=lambda vn: (-vn[1], str(vn[0])))
            counts[COLUMNS[column]] = values[:MAX_FACET_VALUES]
        return counts


_executor: tuple[int, ThreadPoolExecutor] | None = None
_executor_lock = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    """Threads that run facet aggregations beside the ranking of the hits, one pool per process: a
    pool inherited through ``fork`` (Celery prefork, gunicorn ``--preload``) has no threads left and
    would never run what it is given."""
    global _executor
    with _executor_lock:
        if _executor is None or _executor[0] != os.getpid():
            _executor = (os.getpid(), ThreadPoolExecutor(max_workers=4, thread_name_prefix="search-facets"))
        return _executor[1]
