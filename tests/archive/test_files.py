"""Files (hồ sơ): open, file documents, close, transfer to the archive with PAdES B-LTA; retention periods."""

from __future__ import annotations

import datetime as dt

import pytest
from pyhanko.sign.timestamps import HTTPTimeStamper

from eoffice.archive.models import ArchivalStatus, ArchivedVersion, CaseFile, FileStatus, RetentionPeriod
from eoffice.archive.services import (
    ArchiveError,
    close_file,
    file_document,
    files_past_retention,
    make_archival_version,
    open_file,
    transfer_files,
)
from eoffice.audit.models import AuditRecord
from signing.validation import validate_pdf
from tests.factories import make_incoming, make_pdf
from tests.fixtures_pki import DIRECTOR_KEY
from tests.search.integration import wait_for_tasks
from tests.signing.test_validation import sign

pytestmark = pytest.mark.django_db(transaction=True)


def retention(code: str) -> RetentionPeriod:
    return RetentionPeriod.objects.get(code=code)


def test_retention_periods_are_data_permanent_70_50_20_10_5(office):
    periods = list(RetentionPeriod.objects.values_list("name", "years"))
    assert periods == [("Vĩnh viễn", None), ("70 năm", 70), ("50 năm", 50), ("20 năm", 20), ("10 năm", 10),
                       ("5 năm", 5)]


def test_a_unit_opens_a_file_and_files_a_document_until_it_is_closed(office):
    doc = make_incoming(office.clerk, "Công văn về phổ biến pháp luật")
    case_file = open_file(office.head, unit=office.lead, year=2026, code="01.PBGDPL",
                          title="Hồ sơ phổ biến pháp luật năm 2026", retention=retention("10-nam"))
    assert (case_file.opened_by, case_file.opened_on, case_file.status) == (
        office.head, dt.date.today(), FileStatus.OPEN)
    entry = file_document(office.clerk, case_file, "incoming", doc.pk)
    assert list(case_file.entries.all()) == [entry]
    with pytest.raises(ArchiveError) as again:
        file_document(office.clerk, case_file, "incoming", doc.pk)
    assert again.value.code == "already_filed"
    closed = close_file(office.head, case_file)
    assert closed.status == FileStatus.CLOSED and closed.closed_by == office.head
    other = make_incoming(office.clerk, "Công văn khác")
    with pytest.raises(ArchiveError) as refused:
        file_document(office.clerk, closed, "incoming", other.pk)
    assert refused.value.code == "file_closed"
    assert AuditRecord.objects.filter(action="archive.file_closed").count() == 1


def test_opening_files_is_refused_for_another_unit_a_duplicate_code_or_another_agency(office):
    with pytest.raises(ArchiveError) as other_unit:
        open_file(office.specialist, unit=office.vp, year=2026, code="01.VP", title="Hồ sơ",
                  retention=retention("5-nam"))
    assert other_unit.value.code == "not_allowed"
    open_file(office.clerk, unit=office.vp, year=2026, code="01.VP", title="Hồ sơ", retention=retention("5-nam"))
    with pytest.raises(ArchiveError) as duplicate:
        open_file(office.clerk, unit=office.vp, year=2026, code="01.VP", title="Hồ sơ 2",
                  retention=retention("5-nam"))
    assert duplicate.value.code == "duplicate_code"
    with pytest.raises(ArchiveError) as foreign:
        open_file(office.outsider_clerk, unit=office.vp, year=2026, code="02.VP", title="Hồ sơ",
                  retention=retention("5-nam"))
    assert foreign.value.code == "wrong_agency"
    assert CaseFile.objects.count() == 1


def test_an_open_file_cannot_be_transferred(office):
    case_file = open_file(office.clerk, unit=office.vp, year=2026, code="03.VP", title="Hồ sơ",
                          retention=retention("vinh-vien"))
    with pytest.raises(ArchiveError) as refused:
        transfer_files(office.archivist, [case_file])
    assert refused.value.code == "not_closed"


def test_transfer_brings_signed_pdfs_to_b_lta_as_new_files_and_is_idempotent(
        worker, office, dev_pki, dev_pki_settings, pki_signer):
    signed = sign(make_pdf("Quyết định phê duyệt kế hoạch lưu trữ"), pki_signer(DIRECTOR_KEY), "ChuKyLanhDao",
                  timestamper=HTTPTimeStamper(dev_pki.services.tsa_url))
    doc = make_incoming(office.clerk, "Quyết định phê duyệt kế hoạch lưu trữ", files=[("qd.pdf", signed)])
    unsigned = make_incoming(office.clerk, "Giấy mời họp")
    case_file = open_file(office.clerk, unit=office.vp, year=2026, code="05.VP", title="Hồ sơ lưu trữ 2026",
                          retention=retention("vinh-vien"))
    file_document(office.clerk, case_file, "incoming", doc.pk)
    file_document(office.clerk, case_file, "incoming", unsigned.pk)
    close_file(office.clerk, case_file)
    transfer = transfer_files(office.archivist, [case_file], note="Nộp lưu năm 2026")
    wait_for_tasks()
    case_file.refresh_from_db()
    assert case_file.status == FileStatus.TRANSFERRED and case_file.transfer == transfer
    assert transfer.metadata["files"][0]["code"] == "05.VP"
    assert {d["id"] for d in transfer.metadata["files"][0]["documents"]} == {doc.pk, unsigned.pk}

    version = ArchivedVersion.objects.get(case_file=case_file, document_id=doc.pk)
    assert version.status == ArchivalStatus.DONE, version.error
    assert version.archived_id != version.source_id
    assert version.source.read() == signed  # the original is never overwritten
    archived = version.archived.read()
    report = validate_pdf(archived, trust_roots=[dev_pki.root_certificate])
    assert report.status == "valid"
    kinds = [s.kind for s in report.signatures]
    assert kinds.count("document_timestamp") == 1 and kinds.count("signature") == 1
    assert ArchivedVersion.objects.get(document_id=unsigned.pk).status == ArchivalStatus.UNSIGNED

    again = make_archival_version(version.pk)  # a redelivered task does not archive twice
    assert again.archived_id == version.archived_id


def test_files_past_their_retention_are_listed_permanent_ones_never(office):
    old = open_file(office.clerk, unit=office.vp, year=2010, code="01.2010", title="Hồ sơ cũ",
                    retention=retention("5-nam"))
    forever = open_file(office.clerk, unit=office.vp, year=2010, code="02.2010", title="Hồ sơ vĩnh viễn",
                        retention=retention("vinh-vien"))
    recent = open_file(office.clerk, unit=office.vp, year=2025, code="03.2025", title="Hồ sơ mới",
                       retention=retention("10-nam"))
    for case_file in (old, forever, recent):
        CaseFile.objects.filter(pk=case_file.pk).update(status=FileStatus.CLOSED,
                                                         closed_on=dt.date(case_file.year, 12, 31))
    past = list(files_past_retention(office.archivist, today=dt.date(2026, 1, 1)))
    assert past == [CaseFile.objects.get(pk=old.pk)]
    assert list(files_past_retention(office.outsider_clerk, today=dt.date(2026, 1, 1))) == []
