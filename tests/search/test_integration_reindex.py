"""``manage.py search_reindex`` over the real models: a progress bar, resumes after an interruption, secret
documents left out, entries of documents made secret or deleted while no indexing task ran removed."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

import search
from eoffice.documents.models import Confidentiality
from search import indexing
from search.indexing import viewer_for
from tests.factories import make_incoming
from tests.search.integration import forget_sent_tasks

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
    docs = [make_incoming(office.clerk, f"Báo cáo thống kê số {n} về công tác hộ tịch") for n in range(12)]
    secret = make_incoming(office.clerk, "Báo cáo mật về công tác hộ tịch", confidentiality=Confidentiality.SECRET)
    forget_sent_tasks()  # nothing ran them: no worker here, the reindex alone fills the index
    checkpoint = tmp_path / "reindex.json"
    calls.clear()
    with pytest.raises(Interrupted):
        call_command("search_reindex", "--source", f"{__name__}:interrupting_source", "--batch-size", "5",
                     "--checkpoint", str(checkpoint), stdout=io.StringIO())
    assert checkpoint.exists()
    viewer = viewer_for(office.clerk)
    # The first batch was committed, into the index being rebuilt: searches keep using the old one (empty here).
    assert search.search("ho tich", viewer).total == 0

    out = io.StringIO()
    call_command("search_reindex", "--source", f"{__name__}:counting_source", "--batch-size", "5",
                 "--checkpoint", str(checkpoint), stdout=out)
    assert calls == [None, f"in:{docs[4].pk}"]  # resumed after the committed batch
    assert "%" in out.getvalue() and "[" in out.getvalue()
    result = search.search("ho tich", viewer, page_size=50)
    assert {hit.id for hit in result.hits} == {f"in:{d.pk}" for d in docs}
    assert f"in:{secret.pk}" not in {hit.id for hit in result.hits}
    assert not checkpoint.exists()


def test_reindex_removes_what_a_lost_indexing_task_left_in_the_index(office, fresh_index, tmp_path):
    """The broker was down: a document made secret and another deleted kept their entries. ``search_reindex``
    (default: rebuild) removes both."""
    from eoffice.incoming.models import IncomingDocument

    kept = make_incoming(office.clerk, "Báo cáo công tác hộ tịch quý một")
    made_secret = make_incoming(office.clerk, "Báo cáo công tác hộ tịch quý hai")
    deleted = make_incoming(office.clerk, "Báo cáo công tác hộ tịch quý ba")
    forget_sent_tasks()  # no worker here: the tasks these changes sent are never run
    checkpoint = tmp_path / "reindex.json"
    call_command("search_reindex", "--checkpoint", str(checkpoint), stdout=io.StringIO())
    viewer = viewer_for(office.clerk)
    ids = {f"in:{d.pk}" for d in (kept, made_secret, deleted)}
    assert {hit.id for hit in search.search("ho tich", viewer).hits} == ids

    # No signal, no indexing task: as if the broker had been down when these happened.
    IncomingDocument.objects.filter(pk=made_secret.pk).update(confidentiality=Confidentiality.SECRET)
    deleted_id = f"in:{deleted.pk}"
    deleted.delete()
    forget_sent_tasks()  # (the delete's task went to a broker no worker reads)
    assert {hit.id for hit in search.search("ho tich", viewer).hits} == ids  # still found: the leak

    out = io.StringIO()
    call_command("search_reindex", "--checkpoint", str(checkpoint), stdout=out)
    result = search.search("ho tich", viewer)
    assert {hit.id for hit in result.hits} == {f"in:{kept.pk}"} and result.total == 1
    assert deleted_id not in {hit.id for hit in search.search("quy ba", viewer).hits}
    assert search.search("quy hai", viewer).total == 0
    assert not checkpoint.exists()


def test_an_in_place_reindex_removes_a_document_made_secret(office, fresh_index, tmp_path):
    from eoffice.incoming.models import IncomingDocument

    made_secret = make_incoming(office.clerk, "Tờ trình về công tác hộ tịch")
    forget_sent_tasks()
    checkpoint = tmp_path / "reindex.json"
    call_command("search_reindex", "--in-place", "--checkpoint", str(checkpoint), stdout=io.StringIO())
    viewer = viewer_for(office.clerk)
    assert search.search("ho tich", viewer).total == 1
    IncomingDocument.objects.filter(pk=made_secret.pk).update(confidentiality=Confidentiality.SECRET)
    call_command("search_reindex", "--in-place", "--checkpoint", str(checkpoint), stdout=io.StringIO())
    assert search.search("ho tich", viewer).total == 0
