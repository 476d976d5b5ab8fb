"""Batch sealing through a real Celery worker (in-memory broker, solo pool in a thread; no eager mode)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from django.core.files.storage import default_storage

import eoffice.documents.tasks  # noqa: F401 - registers the shared task before the test app is finalised
from signing import pades
from signing.dev.samples import sample_document
from signing.documents import render_document
from signing.keys import SoftwareKeyStore
from tests.fixtures_pki import AGENCY_STP, DIRECTOR_KEY, SEAL_STP_KEY

from ._pdf_checks import pyhanko_statuses


@pytest.fixture(scope="module")
def celery_test_app():
    app = Celery("signing-tests", broker="memory://", backend="cache+memory://", set_as_current=False)
    app.conf.update(task_default_queue="celery", broker_connection_retry_on_startup=False)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        yield app


@pytest.fixture
def media(settings, tmp_path, dev_pki_settings) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES,
                         "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    return settings.MEDIA_ROOT


@pytest.fixture(scope="module")
def documents(dev_pki) -> dict[str, bytes]:
    name, position = "Nguyễn Văn An", "Giám đốc"
    draft = render_document(sample_document("thong-bao", agency=AGENCY_STP, signer_name=name,
                                            signer_position=position, signer_capacity=None, paragraphs=1))
    person = SoftwareKeyStore(dev_pki.key_store_path(DIRECTOR_KEY), dev_pki.key_store_passphrase(DIRECTOR_KEY))
    signed = pades.sign_person(pades.add_number_date_fields(draft), person, name=name, position=position,
                               signature_image=None)
    return {"signed": signed, "plain": draft}


def run_batch(app: Celery, paths: list[str]) -> list[dict]:
    result = app.send_task("signing.seal_batch", args=[paths],
                           kwargs={"seal_key": SEAL_STP_KEY, "agency_name": AGENCY_STP})
    return result.get(timeout=120)


def stored_files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_batch_seals_every_good_file_and_reports_the_bad_ones(celery_test_app, media, documents, dev_pki):
    default_storage.save("outgoing/signed.pdf", _content(documents["signed"]))
    default_storage.save("outgoing/plain.pdf", _content(documents["plain"]))
    default_storage.save("outgoing/broken.pdf", _content(b"%PDF-1.7\nthis is not really a PDF"))
    paths = ["outgoing/signed.pdf", "outgoing/broken.pdf", "outgoing/missing.pdf", "outgoing/plain.pdf"]

    results = run_batch(celery_test_app, paths)

    assert [r["path"] for r in results] == paths
    assert [r["status"] for r in results] == ["sealed", "error", "error", "sealed"]
    assert "Không đóng dấu được" in results[1]["error"] and "Không tìm thấy" in results[2]["error"]
    for result, original in ((results[0], documents["signed"]), (results[3], documents["plain"])):
        output = (media / result["output"]).read_bytes()
        assert hashlib.sha256(output).hexdigest() == result["sha256"]
        assert result["input_sha256"] == hashlib.sha256(original).hexdigest()
        assert output.startswith(original)  # an incremental update of the input
        statuses = pyhanko_statuses(output, dev_pki.root_cert_path)
        assert statuses and all(s.bottom_line for s in statuses)
        assert statuses[-1].signing_cert.subject.native["common_name"] == AGENCY_STP
    assert (media / "outgoing/signed.pdf").read_bytes() == documents["signed"]  # inputs never overwritten
    assert len(pyhanko_statuses((media / results[0]["output"]).read_bytes(), dev_pki.root_cert_path)) == 2


def test_running_the_batch_twice_does_not_sign_twice(celery_test_app, media, documents):
    default_storage.save("outgoing/signed.pdf", _content(documents["signed"]))
    first = run_batch(celery_test_app, ["outgoing/signed.pdf"])
    files_after_first = stored_files(media)

    second = run_batch(celery_test_app, ["outgoing/signed.pdf"])

    assert first[0]["status"] == "sealed" and second[0]["status"] == "already_sealed"
    assert second[0]["output"] == first[0]["output"] and second[0]["sha256"] == first[0]["sha256"]
    assert stored_files(media) == files_after_first


def _content(data: bytes):
    from django.core.files.base import ContentFile

    return ContentFile(data)
