"""The Elasticsearch backend (production, docker-compose), behind the same contract as the embedded one.

- Searches and writes go through an alias (``<prefix>-archive``). A rebuild creates a new versioned
  index (``<prefix>-archive-v<MAPPING_VERSION>-<timestamp>``), fills it while searches still use the
  old one, and swaps the alias atomically: no downtime, and a mapping change is just a rebuild.
  While a rebuild runs, ``index``/``remove`` also write to the index being built (a second alias,
  ``<prefix>-archive-building``), so changes made meanwhile are not lost at the swap.
- Vietnamese folding: a char filter maps đ/Đ (and the look-alike Ð/ð) to d/D, then the standard
  tokenizer, lowercase and ``asciifolding`` with ``preserve_original``: ``cải`` is indexed as both
  ``cải`` and ``cai``, so queries with or without diacritics match, and a query typed with its
  diacritics scores exact-diacritic matches a little higher.
- Permissions are a ``terms`` filter on ``acl`` in the bool query, so hits, total and aggregations
  only ever see what the viewer may see. Secret documents are never sent to the cluster.
- Highlighting is Elasticsearch's, with the ``html`` encoder (the text is escaped, only ``<mark>``
  is markup), so bodies of long OCR'd scans never travel to the web process.

The Python client's major version must match the server's (client 9 talks to Elasticsearch 9).
"""
from __future__ import annotations

import datetime
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError, helpers

from ._text import check_filters, check_paging, is_ordinary, parse_query
from ._types import DEFAULT_FACETS, FACET_FIELDS, Hit, SearchDocument, SearchResult, Viewer

MAPPING_VERSION = 1
MAX_FACET_VALUES = 200
TEXT_FIELDS = ["summary^3", "number_notation^2", "body"]

SETTINGS: dict[str, Any] = {
    "analysis": {
        "char_filter": {
            "vi_d": {"type": "mapping", "mappings": ["đ => d", "Đ => D", "Ð => D", "ð => d"]},
        },
        "filter": {
            "vi_fold": {"type": "asciifolding", "preserve_original": True},
        },
        "analyzer": {
            "vi": {"type": "custom", "char_filter": ["vi_d"], "tokenizer": "standard",
                   "filter": ["lowercase", "vi_fold"]},
        },
    },
}

MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "_meta": {"mapping_version": MAPPING_VERSION},
    "properties": {
        "id": {"type": "keyword"},
        "agency_id": {"type": "integer"},
        "year": {"type": "integer"},
        "date": {"type": "date", "format": "strict_date"},
        **{name: {"type": "keyword"} for name in ("doc_type", "issuer", "signer", "unit", "file", "urgency", "status")},
        "number_notation": {"type": "text", "analyzer": "vi", "fields": {"raw": {"type": "keyword"}}},
        "summary": {"type": "text", "analyzer": "vi"},
        "body": {"type": "text", "analyzer": "vi"},
        "acl": {"type": "keyword"},
    },
}


def _source(doc: SearchDocument) -> dict[str, Any]:
    fields = doc.stored_fields()
    fields["date"] = doc.date.isoformat()
    fields["body"] = doc.body
    fields["acl"] = sorted(doc.acl)
    return fields


class _Writer:
    def __init__(self, backend: ElasticsearchBackend, targets: list[str]) -> None:
        self._backend = backend
        self._targets = targets

    def add(self, docs: Iterable[SearchDocument]) -> int:
        return self._backend._bulk(self._targets, docs, ())

    def delete(self, ids: Iterable[str]) -> None:
        self._backend._bulk(self._targets, (), list(ids))

    def commit(self) -> None:
        """Bulk requests are durable once acknowledged; make them visible too."""
        for target in self._targets:
            self._backend.client.indices.refresh(index=target)


class ElasticsearchBackend:
    """Search in an Elasticsearch cluster at ``url`` (indices named after ``prefix``)."""

    name = "elasticsearch"

    def __init__(self, url: str, *, prefix: str = "eoffice", refresh: bool = False,
                 client: Elasticsearch | None = None) -> None:
        self.client = client or Elasticsearch(url, request_timeout=30)
        self.alias = f"{prefix}-archive"
        self.building_alias = f"{prefix}-archive-building"
        self.refresh = refresh
        self._ready = False

    # --- indices and aliases -------------------------------------------------------------------------------

    def _new_index(self) -> str:
        name = f"{self.alias}-v{MAPPING_VERSION}-{time.strftime('%Y%m%d%H%M%S')}-{time.time_ns() % 1_000_000:06d}"
        self.client.indices.create(index=name, settings=SETTINGS, mappings=MAPPINGS)
        return name

    def ensure_index(self) -> None:
        """Create the first versioned index and its alias if the cluster has none yet."""
        if self._ready:
            return
        if not self.client.indices.exists_alias(name=self.alias):
            name = self._new_index()
            self.client.indices.update_aliases(actions=[{"add": {"index": name, "alias": self.alias}}])
        self._ready = True

    def _aliased(self, alias: str) -> list[str]:
        try:
            return sorted(self.client.indices.get_alias(name=alias).body)
        except NotFoundError:
            return []

    def start_rebuild(self) -> str:
        """Create a new versioned index to reindex into; writes go to it as well from now on."""
        self.ensure_index()
        name = self._new_index()
        actions = [{"remove": {"index": old, "alias": self.building_alias}} for old in self._aliased(self.building_alias)]
        actions.append({"add": {"index": name, "alias": self.building_alias}})
        self.client.indices.update_aliases(actions=actions)
        return name

    def finish_rebuild(self, name: str) -> None:
        """Point the alias at the rebuilt index in one atomic step, then drop the old indices."""
        self.client.indices.refresh(index=name)
        old = self._aliased(self.alias)
        actions: list[dict[str, Any]] = [{"remove": {"index": o, "alias": self.alias}} for o in old if o != name]
        actions.append({"add": {"index": name, "alias": self.alias}})
        actions.append({"remove": {"index": name, "alias": self.building_alias}})
        self.client.indices.update_aliases(actions=actions)
        for index_name in old:
            if index_name != name:
                self.client.indices.delete(index=index_name)

    def drop_all(self) -> None:
        """Delete every index of this prefix (tests and full resets)."""
        self.client.indices.delete(index=f"{self.alias}-v*", ignore_unavailable=True, allow_no_indices=True)
        self._ready = False

    # --- writing -------------------------------------------------------------------------------------------

    def _write_targets(self) -> list[str]:
        self.ensure_index()
        return [self.alias] + self._aliased(self.building_alias)

    def _bulk(self, targets: list[str], docs: Iterable[SearchDocument], delete_ids: Iterable[str]) -> int:
        def actions() -> Iterator[dict[str, Any]]:
            for doc in docs:
                for target in targets:
                    if is_ordinary(doc):
                        yield {"_op_type": "index", "_index": target, "_id": doc.id, "_source": _source(doc)}
                    else:  # secret: never sent, and an earlier ordinary version is removed
                        yield {"_op_type": "delete", "_index": target, "_id": doc.id}
            for doc_id in delete_ids:
                for target in targets:
                    yield {"_op_type": "delete", "_index": target, "_id": doc_id}

        ok, _errors = helpers.bulk(self.client, actions(), chunk_size=500, ignore_status=(404,),
                                   refresh="wait_for" if self.refresh else False)
        return ok

    def index(self, docs: Iterable[SearchDocument]) -> None:
        self._bulk(self._write_targets(), docs, ())

    def remove(self, ids: Iterable[str]) -> None:
        self._bulk(self._write_targets(), (), list(ids))

    def clear(self) -> None:
        self.ensure_index()
        self.client.delete_by_query(index=self.alias, query={"match_all": {}}, refresh=True)

    @contextmanager
    def bulk_writer(self, *, target: str | None = None) -> Iterator[_Writer]:
        """For reindexing: into ``target`` (an index being rebuilt) or into the live alias."""
        yield _Writer(self, [target] if target else self._write_targets())

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
        if not viewer.tokens:
            return SearchResult([], 0, {f: [] for f in facets}, page, page_size, query, dict(filters or {}))
        self.ensure_index()
        must = [
            {"multi_match": {"query": c.text or " ".join(c.words), "fields": TEXT_FIELDS,
                             "type": "phrase" if c.is_phrase else "best_fields", "operator": "and"}}
            for c in clauses
        ]
        filter_clauses: list[dict[str, Any]] = [{"terms": {"acl": sorted(viewer.tokens)}}]
        for field, values in wanted_filters.items():
            if field == "date_from":
                filter_clauses.append({"range": {"date": {"gte": values[0].isoformat()}}})
            elif field == "date_to":
                filter_clauses.append({"range": {"date": {"lte": values[0].isoformat()}}})
            else:
                filter_clauses.append({"terms": {field: values}})
        body: dict[str, Any] = {
            "query": {"bool": {"must": must or [{"match_all": {}}], "filter": filter_clauses}},
            "from_": (page - 1) * page_size,
            "size": page_size,
            "track_total_hits": True,
            "source_excludes": ["body", "acl"],
            "aggs": {f: {"terms": {"field": f, "size": MAX_FACET_VALUES}} for f in facets},
            "highlight": {
                "encoder": "html", "pre_tags": ["<mark>"], "post_tags": ["</mark>"],
                "fields": {
                    "summary": {"number_of_fragments": 0, "no_match_size": 10_000},
                    "body": {"fragment_size": 240, "number_of_fragments": 1, "no_match_size": 240},
                },
            },
        }
        if not clauses:
            body["sort"] = [{"date": "desc"}, {"id": "desc"}]
        else:
            body["sort"] = ["_score", {"date": "desc"}]
        answer = self.client.search(index=self.alias, **body)
        hits = []
        for raw in answer["hits"]["hits"]:
            fields = dict(raw["_source"])
            fields["date"] = datetime.date.fromisoformat(fields["date"])
            highlight = raw.get("highlight", {})
            hits.append(Hit(
                id=fields["id"],
                score=float(raw.get("_score") or 0.0),
                summary_html="".join(highlight.get("summary", [""])),
                body_html="".join(highlight.get("body", [""])),
                fields=fields,
            ))
        facet_counts = {
            f: [(b["key"], int(b["doc_count"])) for b in answer.get("aggregations", {}).get(f, {}).get("buckets", [])]
            for f in facets
        }
        total = int(answer["hits"]["total"]["value"])
        return SearchResult(hits, total, facet_counts, page, page_size, query, dict(filters or {}))
