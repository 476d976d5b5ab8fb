"""What the Elasticsearch backend asks of the cluster, checked without a cluster.

The behaviour itself is proven by the contract tests when ``ELASTICSEARCH_URL`` is set; these pin
down the parts that must hold even where no server can run (here): permissions inside the query,
secret documents never sent, and the alias swap of a rebuild.
"""
from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import NotFoundError

from search import _elasticsearch
from search._elasticsearch import ElasticsearchBackend

from ._factories import VIEWER_1, make_doc


class FakeIndices:
    def __init__(self) -> None:
        self.indices: set[str] = set()
        self.aliases: dict[str, set[str]] = {}
        self.alias_calls: list[list[dict[str, Any]]] = []
        self.deleted: list[str] = []

    def exists_alias(self, name: str) -> bool:
        return bool(self.aliases.get(name))

    def create(self, index: str, settings: dict, mappings: dict) -> None:
        assert settings["analysis"]["char_filter"]["vi_d"]["mappings"][0] == "đ => d"
        self.indices.add(index)

    def get_alias(self, name: str):
        if not self.aliases.get(name):
            raise NotFoundError("alias missing", meta=None, body=None)  # type: ignore[arg-type]
        return type("Answer", (), {"body": {index: {} for index in self.aliases[name]}})()

    def update_aliases(self, actions: list[dict[str, Any]]) -> None:
        self.alias_calls.append(actions)
        for action in actions:
            (kind, spec), = action.items()
            members = self.aliases.setdefault(spec["alias"], set())
            (members.add if kind == "add" else members.discard)(spec["index"])

    def delete(self, index: str, **_kw: Any) -> None:
        self.deleted.append(index)
        self.indices.discard(index)

    def refresh(self, index: str) -> None:
        pass


class FakeClient:
    def __init__(self) -> None:
        self.indices = FakeIndices()
        self.searches: list[dict[str, Any]] = []

    def search(self, index: str, **body: Any) -> dict[str, Any]:
        self.searches.append({"index": index, **body})
        return {
            "hits": {"total": {"value": 1}, "hits": [{
                "_score": 2.5,
                "_source": {**make_doc(1, "Cải cách").stored_fields(), "date": "2024-03-02"},
                "highlight": {"summary": ["<mark>Cải</mark> cách"]},
            }]},
            "aggregations": {"year": {"buckets": [{"key": 2024, "doc_count": 1}]}},
        }


@pytest.fixture
def fake(monkeypatch):
    client = FakeClient()
    sent: list[list[dict[str, Any]]] = []

    def fake_bulk(_client, actions, **_kw):
        batch = list(actions)
        sent.append(batch)
        return len(batch), []

    monkeypatch.setattr(_elasticsearch.helpers, "bulk", fake_bulk)
    backend = ElasticsearchBackend("http://127.0.0.1:9", prefix="t", client=client)  # type: ignore[arg-type]
    return backend, client, sent


def test_search_filters_on_the_viewer_acl_inside_the_query(fake):
    backend, client, _sent = fake
    result = backend.search("cai cach", VIEWER_1, filters={"year": 2024}, facets=("year",))
    request = client.searches[-1]
    assert request["index"] == "t-archive"
    bool_query = request["query"]["bool"]
    assert bool_query["filter"][0] == {"terms": {"acl": sorted(VIEWER_1.tokens)}}
    assert {"terms": {"year": [2024]}} in bool_query["filter"]
    assert [m["multi_match"]["query"] for m in bool_query["must"]] == ["cai", "cach"]
    assert request["track_total_hits"] is True and request["highlight"]["encoder"] == "html"
    assert "body" in request["source_excludes"] and "acl" in request["source_excludes"]
    assert result.total == 1 and result.facets == {"year": [(2024, 1)]}
    assert result.hits[0].summary_html == "<mark>Cải</mark> cách"


def test_secret_documents_are_sent_only_as_deletions(fake):
    backend, _client, sent = fake
    backend.index([make_doc(1, "Phương án mật", confidentiality="mật"), make_doc(2, "Phương án công khai")])
    actions = sent[-1]
    assert {"_op_type": "delete", "_index": "t-archive", "_id": "in:1"} in actions
    assert [a["_id"] for a in actions if a["_op_type"] == "index"] == ["in:2"]
    assert all("mật" not in str(a.get("_source", "")) for a in actions)


def test_rebuild_fills_a_new_index_and_swaps_the_alias_in_one_step(fake):
    backend, client, sent = fake
    backend.ensure_index()
    (old,) = client.indices.aliases["t-archive"]
    new = backend.start_rebuild()
    assert new != old and new.startswith("t-archive-v1-")
    backend.index([make_doc(3, "Văn bản mới trong lúc dựng lại")])  # goes to both while rebuilding
    assert {a["_index"] for a in sent[-1]} == {"t-archive", new}
    backend.finish_rebuild(new)
    swap = client.indices.alias_calls[-1]
    assert {"remove": {"index": old, "alias": "t-archive"}} in swap
    assert {"add": {"index": new, "alias": "t-archive"}} in swap
    assert client.indices.aliases["t-archive"] == {new}
    assert not client.indices.aliases["t-archive-building"]
    assert client.indices.deleted == [old]


def test_a_reindex_sends_a_sources_removals_as_deletions_into_the_rebuilt_index(fake, tmp_path):
    import search

    backend, client, sent = fake

    def source(after_id):
        yield make_doc(1, "Văn bản thường")
        yield search.Removal("in:2")  # became secret while its indexing task was lost

    search.reindex(source, tmp_path / "cp.json", backend=backend, rebuild=True)
    (new,) = client.indices.aliases["t-archive"]
    actions = [a for batch in sent for a in batch]
    assert {"_op_type": "delete", "_index": new, "_id": "in:2"} in actions
    assert [a["_id"] for a in actions if a["_op_type"] == "index"] == ["in:1"]
