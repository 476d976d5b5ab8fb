"""The resumable reindex: an interrupted run resumes after its checkpoint, redoing and losing nothing."""
from __future__ import annotations

import json

import pytest

import search

from ._factories import VIEWER_1, make_doc

TOTAL = 23
BATCH = 5


class Interrupted(Exception):
    """Stands for a worker killed in the middle of a reindex."""


class Source:
    """Documents in:1..in:23 in id order, recording what it hands out (and optionally failing)."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.calls: list[str | None] = []
        self.yielded: list[str] = []
        self.fail_after = fail_after

    def __call__(self, after_id: str | None):
        self.calls.append(after_id)
        start = int(after_id.split(":")[1]) if after_id else 0
        for number in range(start + 1, TOTAL + 1):
            if self.fail_after is not None and len(self.yielded) >= self.fail_after:
                raise Interrupted
            self.yielded.append(f"in:{number}")
            yield make_doc(number, f"Văn bản số {number} về chuyển đổi số")


def all_ids(backend) -> set[str]:
    result = backend.search("chuyển đổi số", VIEWER_1, page_size=100)
    assert result.total == len(result.hits)
    return {hit.id for hit in result.hits}


def test_reindex_without_interruption_indexes_everything_and_removes_its_checkpoint(embedded, tmp_path):
    checkpoint = tmp_path / "reindex.json"
    seen: list[tuple[int, str | None]] = []
    done = search.reindex(Source(), checkpoint, lambda n, last: seen.append((n, last)),
                          backend=embedded, batch_size=BATCH)
    assert done == TOTAL
    assert all_ids(embedded) == {f"in:{n}" for n in range(1, TOTAL + 1)}
    assert seen == [(5, "in:5"), (10, "in:10"), (15, "in:15"), (20, "in:20"), (23, "in:23")]
    assert not checkpoint.exists()


def test_interrupted_reindex_resumes_after_its_checkpoint_without_redoing_committed_batches(embedded, tmp_path):
    checkpoint = tmp_path / "reindex.json"

    def stop_after_two_batches(done: int, last_id: str | None) -> None:
        if done == 2 * BATCH:
            raise Interrupted

    first = Source()
    with pytest.raises(Interrupted):
        search.reindex(first, checkpoint, stop_after_two_batches, backend=embedded, batch_size=BATCH)
    assert json.loads(checkpoint.read_text())["after"] == "in:10"
    assert all_ids(embedded) == {f"in:{n}" for n in range(1, 11)}

    second = Source()
    done = search.reindex(second, checkpoint, backend=embedded, batch_size=BATCH)
    assert second.calls == ["in:10"]
    assert done == TOTAL - 10
    assert set(first.yielded).isdisjoint(second.yielded)  # nothing redone
    assert all_ids(embedded) == {f"in:{n}" for n in range(1, TOTAL + 1)}  # nothing lost
    assert not checkpoint.exists()


def test_a_batch_interrupted_before_its_commit_is_done_again_on_resume(embedded, tmp_path):
    checkpoint = tmp_path / "reindex.json"
    first = Source(fail_after=12)  # dies in the middle of the third batch
    with pytest.raises(Interrupted):
        search.reindex(first, checkpoint, backend=embedded, batch_size=BATCH)
    assert all_ids(embedded) == {f"in:{n}" for n in range(1, 11)}  # in:11, in:12 were not committed

    second = Source()
    search.reindex(second, checkpoint, backend=embedded, batch_size=BATCH)
    assert second.yielded[0] == "in:11"
    result = embedded.search("chuyển đổi số", VIEWER_1, page_size=100)
    assert result.total == TOTAL and {h.id for h in result.hits} == {f"in:{n}" for n in range(1, TOTAL + 1)}


def test_reindex_holds_at_most_one_batch_of_documents(embedded, tmp_path):
    source = Source()
    ahead: list[int] = []
    search.reindex(source, tmp_path / "cp.json", lambda done, last: ahead.append(len(source.yielded) - done),
                   backend=embedded, batch_size=BATCH)
    # When a batch is committed, the source has not been read beyond it: the stream is pulled batch by batch.
    assert max(ahead) == 0


def source_for_command(after_id):
    """The source the management command test names (module:function)."""
    return Source()(after_id)


def test_search_reindex_command_indexes_from_a_pluggable_source(settings, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    settings.SEARCH_BACKEND = "embedded"
    settings.SEARCH_INDEX_PATH = tmp_path / "index"
    out = StringIO()
    call_command("search_reindex", "--source", f"{__name__}:source_for_command", "--batch-size", "10",
                 "--checkpoint", str(tmp_path / "cp.json"), stdout=out)
    assert "Hoàn tất: 23 văn bản" in out.getvalue()
    assert all_ids(search.get_backend()) == {f"in:{n}" for n in range(1, TOTAL + 1)}


def test_a_source_can_remove_what_must_not_be_in_the_index(embedded, tmp_path):
    """A row that became secret while its indexing task was lost is removed by the next reindex, in place."""
    embedded.index([make_doc(n, f"Văn bản số {n} về chuyển đổi số") for n in range(1, 6)])

    def source(after_id):
        for number in range(1, 6):
            yield search.Removal(f"in:{number}") if number in (2, 4) else make_doc(
                number, f"Văn bản số {number} về chuyển đổi số")

    done = search.reindex(source, tmp_path / "cp.json", backend=embedded, batch_size=BATCH)
    assert done == 5
    assert all_ids(embedded) == {"in:1", "in:3", "in:5"}


def test_an_embedded_rebuild_drops_entries_the_source_no_longer_yields(embedded, tmp_path):
    """Entries whose rows were deleted are gone after a rebuild; searches use the old index until the switch,
    live writes made meanwhile reach the new index, an interrupted rebuild resumes into the same new index."""
    from search._embedded import EmbeddedBackend

    embedded.index([make_doc(n, f"Văn bản số {n} về chuyển đổi số") for n in range(1, TOTAL + 1)])
    embedded.index([make_doc(99, "Văn bản số 99 về chuyển đổi số, đã bị xóa khỏi cơ sở dữ liệu")])
    old_path = embedded.path
    checkpoint = tmp_path / "cp.json"

    def stop_after_two_batches(done: int, last_id: str | None) -> None:
        if done == 2 * BATCH:
            raise Interrupted

    with pytest.raises(Interrupted):
        search.reindex(Source(), checkpoint, stop_after_two_batches, backend=embedded, batch_size=BATCH,
                       rebuild=True)
    target = json.loads(checkpoint.read_text())["target"]
    assert target and (embedded.root / target).is_dir()
    assert "in:99" in all_ids(embedded)  # searches still use the old index
    embedded.index([make_doc(50, "Văn bản số 50 về chuyển đổi số, đến trong lúc dựng lại")])  # goes to both

    second = Source()
    search.reindex(second, checkpoint, backend=embedded, batch_size=BATCH, rebuild=True)
    assert second.calls == ["in:10"]
    expected = {f"in:{n}" for n in range(1, TOTAL + 1)} | {"in:50"}
    assert all_ids(embedded) == expected
    assert not old_path.exists() and embedded.path == embedded.root / target
    assert not checkpoint.exists()
    # Another process (another backend object on the same directory) follows the switch.
    assert all_ids(EmbeddedBackend(embedded.root, writer_heap_bytes=30_000_000, writer_threads=1)) == expected


def test_a_backend_opened_before_the_switch_follows_it_for_searches_and_writes(tmp_path):
    from search._embedded import EmbeddedBackend

    def open_index():
        return EmbeddedBackend(tmp_path / "shared", writer_heap_bytes=30_000_000, writer_threads=1)

    web, reindexer = open_index(), open_index()
    web.index([make_doc(1, "Văn bản số 1 về chuyển đổi số"), make_doc(2, "Văn bản số 2 về chuyển đổi số")])
    search.reindex(lambda after: iter([make_doc(1, "Văn bản số 1 về chuyển đổi số")]), tmp_path / "cp.json",
                   backend=reindexer, rebuild=True)
    assert all_ids(web) == {"in:1"}
    web.index([make_doc(3, "Văn bản số 3 về chuyển đổi số")])
    assert all_ids(reindexer) == {"in:1", "in:3"}
