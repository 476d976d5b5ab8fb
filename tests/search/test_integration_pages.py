"""The search page, the search API and the files pages, over documents indexed by a real worker."""

from __future__ import annotations

import pytest
from django.urls import reverse

from eoffice.archive.models import CaseFile, FileEntry, RetentionPeriod
from eoffice.documents.models import Urgency
from tests.factories import make_incoming
from tests.search.integration import wait_for_tasks

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def indexed(worker, office):
    docs = {
        "plan": make_incoming(office.clerk, "Kế hoạch cải cách hành chính năm 2026", document_type="ke-hoach",
                              urgency=Urgency.URGENT),
        "report": make_incoming(office.clerk, "Báo cáo kết quả cải cách hành chính quý I"),
        "other": make_incoming(office.clerk, "Giấy mời dự hội nghị tập huấn"),
    }
    make_incoming(office.outsider_clerk, "Kế hoạch cải cách hành chính của Sở Nội vụ")
    wait_for_tasks()
    return docs


def test_the_search_page_shows_hits_with_snippets_facets_and_filters(client, office, indexed):
    client.force_login(office.clerk)
    page = client.get(reverse("module-search"), {"q": "cai cach hanh chinh"})
    assert page.status_code == 200
    html = page.content.decode()
    assert page.context["result"].total == 2  # not the other agency's plan
    assert "<mark>cải</mark>" in html.lower() or "<mark>cải cách</mark>" in html.lower()
    doc_types = dict(page.context["result"].facets["doc_type"])
    assert doc_types == {"Kế hoạch": 1, "Công văn": 1}
    assert reverse("incoming:document", args=[indexed["plan"].pk]) in html
    filtered = client.get(reverse("module-search"), {"q": "cai cach hanh chinh", "doc_type": "Kế hoạch"})
    assert [h["hit"].id for h in filtered.context["hits"]] == [f"in:{indexed['plan'].pk}"]
    urgent = client.get(reverse("module-search"), {"urgency": "Khẩn"})
    assert urgent.context["result"].total == 1
    assert 'name="q"' in client.get(reverse("home")).content.decode()  # the search box of every page


def test_the_search_page_refuses_a_bad_filter_in_vietnamese_without_a_500(client, office, indexed):
    client.force_login(office.clerk)
    page = client.get(reverse("module-search"), {"q": "ke hoach", "year": "hai nghin"})
    assert page.status_code == 400
    assert "Năm phải là một số." in page.content.decode()


def test_another_agency_sees_neither_hits_nor_counts_of_ours(client, office, indexed):
    client.force_login(office.outsider_clerk)
    page = client.get(reverse("module-search"), {"q": "cai cach hanh chinh"})
    assert page.context["result"].total == 1
    assert "quý I" not in page.content.decode()
    assert sum(c for _v, c in page.context["result"].facets["year"]) == 1


def test_the_search_api_returns_hits_total_and_facets_and_structured_errors(client, office, indexed):
    client.force_login(office.leader)
    response = client.get("/api/v1/search/", {"q": "cải cách", "facets": ["year", "doc_type"]})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 2 and {h["id"] for h in body["hits"]} == {
        f"in:{indexed['plan'].pk}", f"in:{indexed['report'].pk}"}
    assert body["facets"]["year"] == [{"value": 2026, "count": 2}]
    bad = client.get("/api/v1/search/", {"q": "x", "page": "abc"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_parameter"
    assert client.get("/api/v1/search/", {"facets": "nonsense"}).json()["error"]["details"]["field"] == "facets"
    schema = client.get("/api/schema/").content.decode()
    assert "/api/v1/search/" in schema


def test_a_document_is_filed_from_its_page_and_the_file_facet_follows(client, office, indexed):
    client.force_login(office.clerk)
    response = client.post(reverse("module-files"), {
        "unit": office.vp.pk, "year": 2026, "code": "01.VP", "title": "Hồ sơ cải cách hành chính",
        "retention": RetentionPeriod.objects.get(code="20-nam").pk})
    case_file = CaseFile.objects.get(code="01.VP")
    assert response.status_code == 302 and case_file.opened_by == office.clerk
    doc_page = client.get(reverse("incoming:document", args=[indexed["plan"].pk])).content.decode()
    assert "Đưa vào hồ sơ" in doc_page and "01.VP" in doc_page
    client.post(reverse("archive-file-document"), {"kind": "incoming", "document_id": indexed["plan"].pk,
                                                   "case_file": case_file.pk, "next": "/"})
    assert FileEntry.objects.filter(case_file=case_file, document_id=indexed["plan"].pk).exists()
    wait_for_tasks()
    page = client.get(reverse("module-search"), {"file": "01.VP — Hồ sơ cải cách hành chính"})
    assert [h["hit"].id for h in page.context["hits"]] == [f"in:{indexed['plan'].pk}"]
    assert "Hồ sơ cải cách hành chính" in page.content.decode()  # the file tree
    detail = client.get(reverse("archive-file", args=[case_file.pk])).content.decode()
    assert "Kế hoạch cải cách hành chính năm 2026" in detail


def test_files_pages_answer_and_stay_within_the_agency(client, office):
    client.force_login(office.archivist)
    for name in ("module-files", "archive-archive", "archive-past-retention"):
        assert client.get(reverse(name)).status_code == 200, name
    bad = client.post(reverse("module-files"), {"unit": office.vp.pk, "year": "", "code": "", "title": ""})
    assert bad.status_code == 400
    client.force_login(office.outsider_clerk)
    foreign = CaseFile.objects.create(agency=office.agency, unit=office.vp, year=2026, code="X", title="Mật",
                                      retention=RetentionPeriod.objects.first(), opened_by=office.clerk)
    assert client.get(reverse("archive-file", args=[foreign.pk])).status_code == 404
