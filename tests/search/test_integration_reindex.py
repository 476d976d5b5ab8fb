"""``manage.py search_reindex`` over the real models: a progress bar, resumes after an interruption, secret
documents left out."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

import search
from eoffice.documents.models import Confidentiality
from search import indexing
from search.indexing import viewer_for
from tests.search.integration import register

pytestmark = pytest.mark.django_db(transaction=True)

calls: list[str | None] = []


class Interrupted(Exception):
    pass


def interrupting_source(after_id):
    """The real source, killed after 7 documents (a worker restarted in the middle of a reindex)."""
    calls.append(after_id)
    for n, doc in enumerate(indexing.reindex_source(after_id)):
        if n == 7:
            raise Interrupted
        yield doc


def counting_source(after_id):
    calls.append(after_id)
    yield from indexing.reindex_source(after_id)


counting_source.total = indexing.reindex_source.total  # what the progress bar is drawn against


def test_reindex_over_real_models_resumes_after_an_interruption(office, fresh_index, tmp_path):
    docs = [register(office.clerk, f"Báo cáo thống kê số {n} về công tác hộ tịch") for n in range(12)]
    secret = register(office.clerk, "Báo cáo mật về công tác hộ tịch", confidentiality=Confidentiality.SECRET)
    indexing.sent_results.clear()  # nothing ran them: no worker here, the reindex alone fills the index
    checkpoint = tmp_path / "reindex.json"
    calls.clear()
    with pytest.raises(Interrupted):
        call_command("search_reindex", "--source", f"{__name__}:interrupting_source", "--batch-size", "5",
                     "--checkpoint", str(checkpoint), stdout=io.StringIO())
    assert checkpoint.exists()
    viewer = viewer_for(office.clerk)
    assert search.search("ho tich", viewer).total == 5  # the first batch was committed before the interruption

    out = io.StringIO()
    call_command("search_reindex", "--source", f"{__name__}:counting_source", "--batch-size", "5",
                 "--checkpoint", str(checkpoint), stdout=out)
    assert calls == [None, f"in:{docs[4].pk}"]  # resumed after the committed batch
    assert "%" in out.getvalue() and "[" in out.getvalue()
    result = search.search("ho tich", viewer, page_size=50)
    assert {hit.id for hit in result.hits} == {f"in:{d.pk}" for d in docs}
    assert f"in:{secret.pk}" not in {hit.id for hit in result.hits}
    assert not checkpoint.exists()
