"""A file (hồ sơ) holding a secret document shows nothing of it to those who see the file but are not named on it:
not its summary, not its archival version's file name or status."""

from __future__ import annotations

from django.urls import reverse

from eoffice.archive.models import ArchivedVersion
from tests.factories import make_case_file, make_incoming, make_pdf, make_transferred_files

SECRET_FILE = "phuong-an-bao-ve-muc-tieu.pdf"


def test_the_file_page_lists_only_the_archival_versions_of_documents_the_viewer_may_see(office, client):
    secret = make_incoming(office.clerk, "V/v phương án bảo vệ", confidentiality="mat",
                           files=[(SECRET_FILE, make_pdf("Mật"))])
    ordinary = make_incoming(office.clerk, files=[("cong-van-thuong.pdf", make_pdf("Thường"))])
    case_file = make_case_file(office.clerk, office.vp, documents=[secret, ordinary], closed=True)
    make_transferred_files(office.archivist, case_file)
    assert ArchivedVersion.objects.filter(case_file=case_file).count() == 2
    client.force_login(office.archivist)  # keeps every file of the agency, is not named on the secret document
    html = client.get(reverse("archive-file", args=[case_file.pk])).content.decode()
    assert "cong-van-thuong.pdf" in html
    assert SECRET_FILE not in html and "V/v phương án bảo vệ" not in html
    client.force_login(office.clerk)  # named on it (registered it)
    assert SECRET_FILE in client.get(reverse("archive-file", args=[case_file.pk])).content.decode()
