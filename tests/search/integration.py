"""Helpers of the search integration tests: a real Celery worker on the indexing, ocr and signing queues, a fresh
index per test, an agency with its people, and waiting on the tasks the product enqueued (never sleeping)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from eoffice.archive.services import ensure_retention_periods
from eoffice.documents.models import Channel
from eoffice.documents.services import ensure_document_types
from eoffice.incoming.services import ReceiptMetadata, register_incoming
from tests.factories import make_agency, make_person, make_unit

QUEUES = ["indexing", "ocr", "signing"]


def wait_for_tasks(timeout: float = 120) -> int:
    """Wait on every indexing, text and archival task this process sent, including those sent by the tasks
    themselves (OCR schedules a reindex), until none is left. Returns how many were waited on."""
    from eoffice.archive import services as archive_services
    from eoffice.archive.tasks import text_results
    from search.indexing import sent_results

    waited = 0
    while sent_results or text_results or archive_services.archival_results:
        for pending in (text_results, archive_services.archival_results, sent_results):
            while pending:
                result = pending.pop(0) if isinstance(pending, list) else pending.popleft()
                result.get(timeout=timeout)
                waited += 1
    return waited


@pytest.fixture
def fresh_index(settings, tmp_path):
    settings.SEARCH_INDEX_PATH = tmp_path / "search-index"
    return settings.SEARCH_INDEX_PATH


@pytest.fixture
def worker(fresh_index, transactional_db):
    from celery.contrib.testing.worker import start_worker

    from eoffice.celery import app

    wait_for_tasks_cleanup()
    with start_worker(app, perform_ping_check=False, pool="solo", queues=QUEUES, shutdown_timeout=30):
        yield app
        wait_for_tasks()


def wait_for_tasks_cleanup() -> None:
    from eoffice.archive import services as archive_services
    from eoffice.archive.tasks import text_results
    from search.indexing import sent_results

    sent_results.clear()
    text_results.clear()
    archive_services.archival_results.clear()


@pytest.fixture
def office(transactional_db):
    ensure_document_types()
    ensure_retention_periods()
    agency = make_agency(name="Sở Tư pháp thử", abbreviation="STP")
    vp = make_unit(agency, "VP")
    lead = make_unit(agency, "PBGDPL", "Phòng Phổ biến, giáo dục pháp luật")
    other = make_agency(name="Sở Nội vụ thử", abbreviation="SNV")
    other_vp = make_unit(other, "VP")
    return SimpleNamespace(
        agency=agency, vp=vp, lead=lead, other=other,
        clerk=make_person(agency, "clerk", unit=vp),
        leader=make_person(agency, "leader"),
        archivist=make_person(agency, "archivist", unit=vp),
        head=make_person(agency, "unit_head", unit=lead),
        specialist=make_person(agency, "specialist", unit=lead),
        bystander=make_person(agency, "specialist", unit=lead),
        outsider_clerk=make_person(other, "clerk", unit=other_vp),
        outsider_leader=make_person(other, "leader"),
    )


def pdf(*lines: str) -> bytes:
    from tests.fixtures_pki import make_sample_pdf

    return make_sample_pdf(tuple(lines) or ("Văn bản mẫu",))


_numbers = iter(range(1, 10_000))


def register(clerk, summary: str, *, body: tuple[str, ...] = (), files: list[tuple[str, bytes]] | None = None,
             **overrides):
    values = dict(issuer_name="UBND tỉnh Bình Minh", number_notation=f"{next(_numbers)}/UBND-VP",
                  issued_on=dt.date(2026, 3, 2), summary=summary, document_type="cong-van",
                  signer_name="Lê Hoàng Đức", signer_position="Chủ tịch")
    named = overrides.pop("named_people", ())
    values.update(overrides)
    return register_incoming(clerk, metadata=ReceiptMetadata(**values),
                             files=files or [("van-ban.pdf", pdf(summary, *body))], channel=Channel.PAPER,
                             named_people=named)
