"""``batched`` feeds the reindex: its memory bound depends on holding one batch at a time."""
from __future__ import annotations

from search._base import batched


def test_batched_yields_every_item_once_in_order_in_lists_of_at_most_size():
    seen = [list(batch) for batch in batched(range(7), 3)]
    assert seen == [[0, 1, 2], [3, 4, 5], [6]]


def test_a_batch_is_released_when_the_next_one_is_asked_for():
    batches = batched(range(6), 3)
    first = next(batches)
    assert first == [0, 1, 2]
    assert next(batches) == [3, 4, 5]
    assert first == []  # the caller's reference no longer keeps the previous documents alive
