"""The archival copy's status says what was reached: B-LT only without a timestamp authority (never "done"), and
a CA or TSA that does not answer is retried by the task with backoff before the version is given up."""

from __future__ import annotations

import pytest

import signing.ltv
from eoffice.archive.models import ArchivalStatus, ArchivedVersion
from eoffice.archive.services import ArchivalUnavailable, is_transient, make_archival_version
from eoffice.archive.tasks import ARCHIVAL_MAX_RETRIES, archive_version
from signing.ltv import ArchivalError
from signing.validation import validate_pdf

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pending_version(signed_transfer):
    """A pending archival version of a signed PDF of a transferred file (the task has not run)."""
    return signed_transfer.version


def test_without_a_timestamp_authority_the_copy_is_b_lt_only_and_says_so(pending_version, dev_pki, settings,
                                                                         monkeypatch):
    settings.SIGNING_TSA_URL = ""
    monkeypatch.setattr(signing.ltv, "dev_tsa_url", lambda: None)  # no development TSA listening either
    version = make_archival_version(pending_version.pk)
    assert version.status == ArchivalStatus.LT_ONLY, version.error
    assert version.get_status_display() == "Mới đạt B-LT, chưa có dấu thời gian lưu trữ"
    assert "dấu thời gian" in version.error
    report = validate_pdf(version.archived.read(), trust_roots=[dev_pki.root_certificate])
    assert report.status == "valid"
    assert [s.kind for s in report.signatures].count("document_timestamp") == 0

    # Once a TSA answers, the next run makes the copy again, from the original, up to B-LTA.
    settings.SIGNING_TSA_URL = dev_pki.services.tsa_url
    again = make_archival_version(version.pk)
    assert again.status == ArchivalStatus.DONE and again.error == ""
    report = validate_pdf(again.archived.read(), trust_roots=[dev_pki.root_certificate])
    assert [s.kind for s in report.signatures].count("document_timestamp") == 1


def unreachable(*args, **kwargs):
    try:
        raise ConnectionRefusedError(111, "Connection refused")
    except OSError as exc:
        raise ArchivalError("Không thu thập được thông tin kiểm tra chứng thư số.", detail=repr(exc)) from exc


def test_a_ca_that_does_not_answer_is_retried_by_the_task_then_recorded_as_failed(pending_version, monkeypatch):
    calls: list[int] = []

    def failing(*args, **kwargs):
        calls.append(1)
        unreachable()

    monkeypatch.setattr(signing.ltv, "make_archival", failing)
    with pytest.raises(ArchivalUnavailable):
        make_archival_version(pending_version.pk, retry_transient=True)
    pending_version.refresh_from_db()
    assert pending_version.status == ArchivalStatus.PENDING and "Sẽ thử lại" in pending_version.error

    assert archive_version.autoretry_for == (ArchivalUnavailable,)
    assert archive_version.max_retries == ARCHIVAL_MAX_RETRIES and archive_version.retry_backoff
    calls.clear()
    result = archive_version.apply((pending_version.pk,))  # eager: every retry runs at once
    assert result.get() == ArchivalStatus.FAILED
    # One call per attempt (the first and each retry), and on the last one a B-LT fallback that fails as well.
    assert len(calls) == ARCHIVAL_MAX_RETRIES + 2
    pending_version.refresh_from_db()
    assert pending_version.status == ArchivalStatus.FAILED and pending_version.archived_id is None


def test_a_tsa_that_never_answers_still_leaves_the_b_lt_copy_after_the_last_retry(pending_version, monkeypatch):
    real = signing.ltv.make_archival

    def tsa_down(data, *, document_timestamp=True, **kwargs):
        if document_timestamp:
            raise ArchivalError("Không lấy được dấu thời gian cho văn bản lưu trữ.", detail="TimeoutError()")
        return real(data, document_timestamp=False, **kwargs)

    monkeypatch.setattr(signing.ltv, "make_archival", tsa_down)
    version = make_archival_version(pending_version.pk, retry_transient=False)
    assert version.status == ArchivalStatus.LT_ONLY
    assert version.error == "Không lấy được dấu thời gian cho văn bản lưu trữ."
    assert version.archived_id and version.archived_id != version.source_id


def test_revoked_or_untrusted_certificates_are_not_transient():
    from pyhanko_certvalidator.errors import PathBuildingError

    try:
        try:
            raise PathBuildingError("no path to a trust root")
        except PathBuildingError as exc:
            raise ArchivalError("Chứng thư chưa được tin cậy.") from exc
    except ArchivalError as error:
        assert not is_transient(error)
    try:
        unreachable()
    except ArchivalError as error:
        assert is_transient(error)


def test_the_nightly_job_queues_again_only_the_copies_that_stopped_at_b_lt(pending_version, monkeypatch):
    from django.conf import settings as django_settings

    from eoffice.archive.apps import ARCHIVAL_SCHEDULE_NAME
    from eoffice.archive.tasks import complete_archival_copies

    queued: list[list[int]] = []
    monkeypatch.setattr("eoffice.archive.tasks.enqueue_archival", lambda ids: queued.append(list(ids)))
    assert complete_archival_copies() == 0 and queued == [[]]  # nothing stopped at B-LT yet: nothing queued

    ArchivedVersion.objects.filter(pk=pending_version.pk).update(status=ArchivalStatus.LT_ONLY)
    queued.clear()
    assert complete_archival_copies() == 1 and queued == [[pending_version.pk]]
    ArchivedVersion.objects.filter(pk=pending_version.pk).update(status=ArchivalStatus.DONE)
    queued.clear()
    assert complete_archival_copies() == 0 and queued == [[]]
    assert django_settings.CELERY_BEAT_SCHEDULE[ARCHIVAL_SCHEDULE_NAME]["task"] == "archive.complete_archival_copies"
