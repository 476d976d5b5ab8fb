"""A query typed in decomposed Unicode (NFD, as some Vietnamese keyboards and PDFs produce) finds exactly what the
composed form (NFC) finds, in both backends (issue 13)."""

from __future__ import annotations

import unicodedata

from search import parse_query

from ._factories import VIEWER_1, make_doc
from .test_elasticsearch_requests import fake  # noqa: F401 — the fake Elasticsearch client fixture

QUERY = "cải cách hành chính"
NFD = unicodedata.normalize("NFD", QUERY)


def test_an_nfd_query_parses_to_the_same_clauses_as_its_nfc_form():
    assert NFD != QUERY
    assert parse_query(NFD) == parse_query(QUERY)
    assert parse_query(f'"{NFD}"') == parse_query(f'"{QUERY}"')


def test_an_nfd_query_finds_an_nfc_document_in_the_embedded_index(tmp_path):
    from search._embedded import EmbeddedBackend

    backend = EmbeddedBackend(tmp_path / "idx", writer_threads=1, writer_heap_bytes=30_000_000)
    backend.index([make_doc(1, "Kế hoạch cải cách hành chính năm 2026"), make_doc(2, "Báo cáo tài chính")])
    composed = backend.search(f'"{QUERY}"', VIEWER_1)
    decomposed = backend.search(f'"{NFD}"', VIEWER_1)
    assert [h.id for h in decomposed.hits] == [h.id for h in composed.hits] and composed.total == 1


def test_an_nfd_query_is_sent_to_elasticsearch_composed(fake):  # noqa: F811
    backend, client, _sent = fake
    backend.search(f'"{NFD}"', VIEWER_1)
    sent = [m["multi_match"]["query"] for m in client.searches[-1]["query"]["bool"]["must"]]
    assert sent == [QUERY]
