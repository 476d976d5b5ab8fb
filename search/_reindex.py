"""Resumable, memory-bounded reindexing.

A full reindex of a province's archive (millions of documents, OCR text included) takes long enough
to be interrupted (deploy, worker restart, out-of-disk). So it streams the source in batches through
one long-lived writer, commits each batch, and only then writes a checkpoint (the id of the last
document of the batch) atomically. After an interruption the next run reads the checkpoint and asks
the source for the documents after it: committed batches are not redone and nothing is lost. A batch
that was committed but whose checkpoint was not yet written is redone on resume, harmlessly, because
indexing a document replaces any earlier version with the same id.

Memory stays bounded by one batch plus the engine's writer buffer, whatever the size of the archive.

A source yields :class:`~search.SearchDocument` values to index and :class:`~search.Removal` values for rows
that must not be in the index (secret, no longer indexable): those are removed, in the same batch and order, so
a reindex repairs what a lost indexing task left behind. Entries whose rows no longer exist at all are not
yielded by any source: a rebuild (``rebuild=True``) drops them, because the new index holds only what the
source yielded.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ._base import batched
from ._types import Removal, SearchDocument

Source = Callable[[str | None], Iterable[SearchDocument | Removal]]
Progress = Callable[[int, str | None], None]


def _load(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None


def _save(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as handle:
        json.dump(state, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def reindex(
    source: Source,
    checkpoint_path: str | os.PathLike[str],
    progress: Progress | None = None,
    *,
    backend: Any = None,
    batch_size: int = 1000,
    rebuild: bool = False,
) -> int:
    """Index everything ``source`` yields, resuming after the last checkpoint if there is one.

    ``source(after_id)`` must yield documents (and removals) in a stable order, starting just after
    ``after_id`` (``None``: from the beginning). ``progress(done, last_id)`` is called after each
    committed batch. With ``rebuild=True`` the backend (both have it) fills a new index and switches to
    it at the end, so searches keep working on the old one meanwhile and entries the source no longer
    yields (rows deleted) are gone afterwards; without it the live index is updated in place
    (documents replaced by id, removals removed).
    Returns the number of items (documents and removals) processed by this run. The checkpoint file is
    removed at the end.
    """
    if backend is None:
        from . import get_backend

        backend = get_backend()
    checkpoint = Path(checkpoint_path)
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    state = _load(checkpoint) or {"after": None, "done": 0, "target": None}
    if rebuild and state.get("target") is None and hasattr(backend, "start_rebuild"):
        state["target"] = backend.start_rebuild()
        _save(checkpoint, state)
    processed = 0
    with backend.bulk_writer(target=state.get("target")) as writer:
        for batch in batched(source(state["after"]), batch_size):
            removed = [item.id for item in batch if isinstance(item, Removal)]
            writer.add([item for item in batch if not isinstance(item, Removal)] if removed else batch)
            if removed:
                writer.delete(removed)
            writer.commit()
            processed += len(batch)
            state["after"] = batch[-1].id
            state["done"] += len(batch)
            _save(checkpoint, state)
            if progress is not None:
                progress(state["done"], state["after"])
    if state.get("target") is not None:
        backend.finish_rebuild(state["target"])
    checkpoint.unlink(missing_ok=True)
    return processed
