"""The package-level functions use the backend named in the settings."""
from __future__ import annotations

import pytest

import search
from search._embedded import EmbeddedBackend

from ._factories import VIEWER_1, make_doc


@pytest.fixture
def embedded_settings(settings, tmp_path):
    settings.SEARCH_BACKEND = "sqlite_fts"  # the historical name of the embedded backend
    settings.SEARCH_INDEX_PATH = tmp_path / "search.sqlite3"
    return settings


def test_index_search_and_remove_go_to_the_configured_embedded_backend(embedded_settings, tmp_path):
    backend = search.get_backend()
    assert isinstance(backend, EmbeddedBackend)
    assert backend.root == tmp_path / "search"
    search.index([make_doc(1, "Kế hoạch cải cách hành chính")])
    assert [h.id for h in search.search("cai cach", VIEWER_1).hits] == ["in:1"]
    search.remove(["in:1"])
    assert search.search("cai cach", VIEWER_1).total == 0


def test_an_unknown_backend_name_is_refused(settings):
    settings.SEARCH_BACKEND = "solr"
    with pytest.raises(ValueError):
        search.get_backend()
