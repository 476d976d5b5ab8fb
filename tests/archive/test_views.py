"""Pages of files and the archive: closing a file, transferring, the archive's view (scoped per file, not only per
transfer) and downloading an archival (B-LTA) copy; another agency gets 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from eoffice.archive.models import ArchivalStatus, CaseFile, FileStatus, Transfer
from eoffice.archive.services import make_archival_version
from tests.factories import make_case_file, make_transferred_files
from tests.search.integration import forget_sent_tasks

pytestmark = pytest.mark.django_db(transaction=True)


def open_closed(person, unit, code: str, title: str) -> CaseFile:
    return make_case_file(person, unit, code=code, title=title, retention="10-nam", closed=True)


@pytest.fixture
def transferred(office):
    """One transfer holding a file of the office (VP) and a file of the lead unit (PBGDPL)."""
    vp_file = open_closed(office.clerk, office.vp, "01.VP", "Hồ sơ văn phòng về thi đua khen thưởng")
    lead_file = open_closed(office.head, office.lead, "02.PBGDPL", "Hồ sơ phổ biến pháp luật năm 2026")
    transfer = make_transferred_files(office.archivist, vp_file, lead_file, note="Nộp lưu năm 2026")
    forget_sent_tasks()
    return transfer, vp_file, lead_file


def test_the_unit_head_closes_a_file_from_its_page_another_agency_gets_404(client, office):
    case_file = make_case_file(office.head, office.lead, code="03.PBGDPL", title="Hồ sơ đang mở", retention="5-nam")
    url = reverse("archive-close", args=[case_file.pk])

    client.force_login(office.outsider_clerk)
    assert client.post(url).status_code == 404
    assert client.get(reverse("archive-file", args=[case_file.pk])).status_code == 404
    case_file.refresh_from_db()
    assert case_file.status == FileStatus.OPEN

    client.force_login(office.head)
    assert client.get(url).status_code == 405  # POST only
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("archive-file", args=[case_file.pk])
    case_file.refresh_from_db()
    assert case_file.status == FileStatus.CLOSED and case_file.closed_by == office.head
    page = client.get(reverse("archive-file", args=[case_file.pk]))
    assert "Đã kết thúc" in page.content.decode()


def test_the_archivist_transfers_closed_files_from_the_page(client, office):
    vp_file = open_closed(office.clerk, office.vp, "04.VP", "Hồ sơ hội nghị")
    lead_file = open_closed(office.head, office.lead, "05.PBGDPL", "Hồ sơ tuyên truyền")

    client.force_login(office.outsider_clerk)  # another agency's files are not found: nothing is transferred
    response = client.post(reverse("archive-transfer"), {"files": [vp_file.pk, lead_file.pk]})
    assert response.status_code == 302 and response["Location"] == reverse("module-files")
    assert not Transfer.objects.exists()

    client.force_login(office.archivist)
    response = client.post(reverse("archive-transfer"), {"files": [vp_file.pk, lead_file.pk], "note": "Nộp lưu"})
    forget_sent_tasks()
    assert response.status_code == 302 and response["Location"] == reverse("archive-archive")
    transfer = Transfer.objects.get()
    assert set(transfer.files.values_list("pk", flat=True)) == {vp_file.pk, lead_file.pk}
    assert set(CaseFile.objects.values_list("status", flat=True)) == {FileStatus.TRANSFERRED}
    assert transfer.note == "Nộp lưu"


def test_the_archive_lists_transferred_files_to_the_archivist_and_only_a_units_own_to_a_specialist(
        client, office, transferred):
    _transfer, vp_file, lead_file = transferred
    url = reverse("archive-archive")

    client.force_login(office.archivist)
    page = client.get(url).content.decode()
    for case_file in (vp_file, lead_file):
        assert case_file.code in page and case_file.title in page

    client.force_login(office.specialist)  # of the lead unit: the transfer is shown with its unit's file only
    response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert lead_file.code in page and lead_file.title in page
    assert vp_file.code not in page and vp_file.title not in page

    client.force_login(office.outsider_clerk)
    page = client.get(url).content.decode()
    assert vp_file.code not in page and lead_file.code not in page
    assert "Chưa có hồ sơ nộp lưu." in page


def test_an_archived_b_lta_copy_is_downloaded_by_who_may_see_the_file_and_the_document(client, office,
                                                                                        signed_transfer):
    case_file, signed = signed_transfer.case_file, signed_transfer.signed
    version = make_archival_version(signed_transfer.version.pk)  # what the task runs
    assert version.status == ArchivalStatus.DONE, version.error
    url = reverse("archive-archived-file", args=[version.pk])

    client.force_login(office.archivist)
    response = client.get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body == version.archived.read() and body != signed and body.startswith(b"%PDF")
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    page = client.get(reverse("archive-file", args=[case_file.pk])).content.decode()
    assert url in page

    client.force_login(office.specialist)  # another unit: does not see the file
    assert client.get(url).status_code == 404
    client.force_login(office.outsider_clerk)  # another agency
    assert client.get(url).status_code == 404
    assert client.get(reverse("archive-archived-file", args=[version.pk + 1000])).status_code == 404
