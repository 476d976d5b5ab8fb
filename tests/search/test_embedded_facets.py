"""The embedded index's facet dictionary: small dense ids shared by every process writing the index.

Facet columns hold ids allocated while the writer lock is held; these tests pin down that two writers
with stale views of the dictionary never give one id to two values, and that ids handed out by a
rolled-back batch are not left behind pointing at the wrong value.
"""
from __future__ import annotations

import pytest

from ._factories import VIEWER_1, make_doc

ALL_FACETS = ("year", "doc_type", "issuer", "signer", "unit", "file", "urgency", "status")


def _open(path):
    from search._embedded import EmbeddedBackend

    return EmbeddedBackend(path, writer_threads=1, writer_heap_bytes=30_000_000)


def test_two_writers_of_one_index_never_share_a_facet_id(tmp_path):
    first, second = _open(tmp_path / "shared"), _open(tmp_path / "shared")
    first.index([make_doc(1, "Công văn một", signer="Trần Thị Lan", file="HS-A")])
    # `second` loaded the dictionary before `first` allocated its ids: it must not reuse them.
    second.index([make_doc(2, "Công văn hai", signer="Lê Văn Nam", file="HS-B")])
    for backend in (first, second, _open(tmp_path / "shared")):
        result = backend.search("công văn", VIEWER_1, facets=ALL_FACETS)
        assert result.total == 2
        assert dict(result.facets["signer"]) == {"Trần Thị Lan": 1, "Lê Văn Nam": 1}
        assert dict(result.facets["file"]) == {"HS-A": 1, "HS-B": 1}
        assert result.facets["year"] == [(2024, 2)]


def test_a_rolled_back_batch_leaves_no_facet_id_behind(tmp_path):
    backend = _open(tmp_path / "idx")
    with pytest.raises(RuntimeError), backend.bulk_writer() as writer:
        writer.add([make_doc(1, "Tờ trình hủy", signer="Người Hủy")])
        raise RuntimeError("interrupted")
    other = _open(tmp_path / "idx")
    other.index([make_doc(2, "Tờ trình mới", signer="Người Mới")])
    backend.index([make_doc(3, "Tờ trình khác", signer="Người Khác")])
    result = _open(tmp_path / "idx").search("tờ trình", VIEWER_1, facets=("signer",))
    assert result.total == 2
    assert dict(result.facets["signer"]) == {"Người Mới": 1, "Người Khác": 1}


def test_facet_counts_cover_every_match_not_only_the_page(tmp_path):
    backend = _open(tmp_path / "idx")
    backend.index([make_doc(n, f"Báo cáo tuần {n}", doc_type="Báo cáo" if n % 3 else "Kế hoạch",
                            year=2020 + n % 4) for n in range(1, 61)])
    result = backend.search("báo cáo", VIEWER_1, page_size=5, facets=("doc_type", "year"))
    assert len(result.hits) == 5 and result.total == 60
    assert dict(result.facets["doc_type"]) == {"Báo cáo": 40, "Kế hoạch": 20}
    assert sum(n for _y, n in result.facets["year"]) == 60
