"""Celery's prefork workers and gunicorn ``--preload`` fork a process that may already have searched."""
from __future__ import annotations

import multiprocessing

from ._factories import VIEWER_1, make_doc


def _search_in_child(path, queue) -> None:
    from search._embedded import EmbeddedBackend

    backend = EmbeddedBackend(path, writer_threads=1, writer_heap_bytes=30_000_000)
    result = backend.search("công văn", VIEWER_1, facets=("doc_type",))
    queue.put((result.total, result.facets["doc_type"]))


def test_a_forked_process_can_search_after_its_parent_did(tmp_path):
    from search._embedded import EmbeddedBackend

    backend = EmbeddedBackend(tmp_path / "idx", writer_threads=1, writer_heap_bytes=30_000_000)
    backend.index([make_doc(1, "Công văn mới", doc_type="Giấy mời")])
    assert backend.search("công văn", VIEWER_1, facets=("doc_type",)).total == 1  # the parent's thread pool exists
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_search_in_child, args=(tmp_path / "idx", queue))
    child.start()
    child.join(timeout=60)
    if child.is_alive():
        child.kill()
        child.join()
    assert child.exitcode == 0
    assert queue.get(timeout=5) == (1, [("Giấy mời", 1)])
