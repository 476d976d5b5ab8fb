"""Pages and API of incoming dispatches: visibility, constant query counts, registration through UI and API."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from eoffice.incoming import services
from eoffice.incoming.models import IncomingFile, WorkItem, WorkKind, WorkStatus

from .conftest import metadata, sample_pdf_bytes


def register(office, pdf, n=1, **kw):
    kw.setdefault("metadata", metadata(number_notation=f"{n}/UBND-VP"))
    return services.register_incoming(office.clerk, files=[("cv.pdf", pdf)], channel="email", **kw)


def routed(office, pdf, n=1, **kw):
    doc = register(office, pdf, n, **kw)
    item = WorkItem.objects.get(document=doc, kind=WorkKind.INSTRUCT, status=WorkStatus.OPEN)
    services.instruct(item, item.person, text="Giao PBGDPL", lead_unit=office.lead,
                      deadline=timezone.localdate() + dt.timedelta(days=3))
    return doc


def test_people_without_a_role_or_of_another_agency_see_nothing(office, pdf, client):
    doc = routed(office, pdf)
    file_link = IncomingFile.objects.filter(document=doc).first()
    urls = [reverse("incoming:document", args=[doc.pk]), reverse("incoming:file", args=[doc.pk, file_link.pk])]
    for person in (office.outsider_clerk, office.outsider_leader, office.bystander, office.specialist):
        client.force_login(person)
        for url in urls:
            assert client.get(url).status_code == 404, (person, url)
        assert client.get("/api/v1/incoming-documents/").json()["count"] == 0
        assert client.get(f"/api/v1/incoming-documents/{doc.pk}/").status_code == 404
    for person in (office.clerk, office.leader, office.head):
        client.force_login(person)
        assert client.get(urls[0]).status_code == 200
        response = client.get(urls[1])
        assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")


def test_secret_document_only_for_the_people_named(office, pdf, client):
    doc = routed(office, pdf, metadata=metadata(number_notation="9/M", confidentiality="mat"))
    client.force_login(office.deputy)  # a leader, but not named on it
    assert client.get(reverse("incoming:document", args=[doc.pk])).status_code == 404
    for person in (office.clerk, office.leader, office.head):
        client.force_login(person)
        assert client.get(reverse("incoming:document", args=[doc.pk])).status_code == 200


def draft_of(office, n, **kw):
    """An outgoing draft of the lead unit's head: the next step (submit it) is theirs."""
    from eoffice.documents.models import DocumentType
    from eoffice.outgoing.services import create_draft

    return create_draft(office.head, document_type=DocumentType.objects.get(code="cong-van"),
                        summary=f"Dự thảo số {n}", signer=office.leader, recipient_units=[office.vp], **kw)


def test_inbox_shows_counts_overdue_first_with_constant_queries(office, pdf, client,
                                                              django_assert_max_num_queries):
    routed(office, pdf, 1)
    draft_of(office, 1)
    client.force_login(office.head)
    with django_assert_max_num_queries(16) as small:
        page = client.get(reverse("module-tasks"))
    assert page.status_code == 200
    for n in range(2, 12):
        doc = routed(office, pdf, n)
        draft_of(office, n, urgency="khan" if n == 3 else "thuong")
        if n == 5:
            WorkItem.objects.filter(document=doc).update(deadline=timezone.localdate() - dt.timedelta(days=1))
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(reverse("module-tasks"))
    html = page.content.decode()
    assert 'data-count="total">22<' in html and 'data-count="overdue">1<' in html
    assert 'data-count="incoming">11<' in html and 'data-count="outgoing">11<' in html
    assert 'data-count="khan">1<' in html
    # Overdue first, whichever direction; incoming and outgoing steps in one list.
    assert html.index("Quá hạn</strong>") < html.index("2/UBND-VP") and html.index("Quá hạn</strong>") < html.index(
        "Dự thảo số 2<")
    assert html.count("<td>Hoàn thiện, trình dự thảo</td>") == 11


def test_inbox_lists_hoa_toc_before_khan_before_ordinary_in_both_directions(office, pdf, client):
    routed(office, pdf, 1)
    routed(office, pdf, 2, metadata=metadata(number_notation="2/UBND-VP", urgency="hoa_toc"))
    routed(office, pdf, 3, metadata=metadata(number_notation="3/UBND-VP", urgency="khan"))
    draft_of(office, 4)
    draft_of(office, 5, urgency="thuong_khan")
    client.force_login(office.head)
    html = client.get(reverse("module-tasks")).content.decode()
    order = [html.index(marker) for marker in ("2/UBND-VP", "Dự thảo số 5<", "3/UBND-VP")]
    assert order == sorted(order)
    assert order[-1] < html.index("1/UBND-VP") and order[-1] < html.index("Dự thảo số 4<")
    urgencies = [row["urgency"] for row in client.get("/api/v1/my-tasks/").json()["results"]]
    # The API lists the page's rows (both directions), in the page's order.
    assert urgencies == ["hoa_toc", "thuong_khan", "khan", "thuong", "thuong"]


def test_inbox_filters_by_direction_step_and_text(office, pdf, client):
    routed(office, pdf, 1)
    draft_of(office, 1)
    client.force_login(office.head)
    url = reverse("module-tasks")
    outgoing_only = client.get(url, {"huong": "di"}).content.decode()
    assert "Dự thảo số 1" in outgoing_only and "1/UBND-VP" not in outgoing_only
    incoming_only = client.get(url, {"loai": "assign"}).content.decode()
    assert "Dự thảo số 1" not in incoming_only and "1/UBND-VP" in incoming_only
    by_step = client.get(url, {"loai": "out_draft", "q": "số 1"}).content.decode()
    assert "Dự thảo số 1" in by_step and "1/UBND-VP" not in by_step
    assert "Dự thảo số 1" not in client.get(url, {"qua_han": "1"}).content.decode()


def test_register_list_uses_constant_queries(office, pdf, client, django_assert_max_num_queries):
    register(office, pdf, 1)
    client.force_login(office.clerk)
    url = reverse("incoming:register-list")
    with django_assert_max_num_queries(12) as small:
        client.get(url)
    for n in range(2, 15):
        register(office, pdf, n)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count("/UBND-VP") == 14


def test_clerk_registers_through_the_page_and_bad_file_gets_a_clear_error(office, client):
    client.force_login(office.clerk)
    form = {"channel": "paper", "issuer_name": "UBND tỉnh", "number_notation": "5/UBND-VP",
            "issued_on": "2026-03-02", "summary": "V/v thử", "urgency": "thuong", "confidentiality": "thuong",
            "leader": office.leader.pk}
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = client.post(reverse("incoming:register"),
                      {**form, "files": SimpleUploadedFile("x.pdf", b"not a pdf", "application/pdf")})
    assert bad.status_code == 400 and "x.pdf" in bad.content.decode()
    good = client.post(reverse("incoming:register"),
                       {**form, "files": SimpleUploadedFile("cv.pdf", sample_pdf_bytes(), "application/pdf")})
    assert good.status_code == 302
    doc = office.agency.incoming_documents.get()
    assert doc.arrival_number == 1


def test_api_register_act_and_structured_errors(office, pdf, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(office.clerk)
    body = {"channel": "email", "issuer_name": "UBND tỉnh", "number_notation": "8/UBND-VP",
            "issued_on": "2026-03-02", "summary": "V/v API", "document_type": "cong-van"}
    bad = client.post("/api/v1/incoming-documents/", {**body, "file": SimpleUploadedFile("a.pdf", b"")})
    assert bad.status_code == 400
    created = client.post("/api/v1/incoming-documents/", {**body, "file": SimpleUploadedFile("a.pdf", pdf)})
    assert created.status_code == 201 and created.json()["arrival_number"] == 1
    dup = client.post("/api/v1/incoming-documents/", {**body, "file": SimpleUploadedFile("a.pdf", pdf)})
    assert dup.status_code == 409 and dup.json()["error"]["code"] == "duplicate"
    client.force_login(office.leader)
    tasks = client.get("/api/v1/my-tasks/").json()["results"]
    assert [t["kind"] for t in tasks] == ["instruct"]
    answer = client.post(f"/api/v1/my-tasks/{tasks[0]['id']}/act/",
                         {"action": "instruct", "text": "Giao", "lead_unit": office.lead.pk},
                         content_type="application/json")
    assert answer.status_code == 200 and answer.json()["status"] == "done"
    client.force_login(office.head)
    assert [t["kind"] for t in client.get("/api/v1/my-tasks/").json()["results"]] == ["assign"]


def test_incoming_endpoints_are_in_the_openapi_schema(db, client, office):
    client.force_login(office.clerk)
    schema = client.get("/api/schema/").content.decode()
    for path in ("/api/v1/incoming-documents/", "/api/v1/incoming-receipts/", "/api/v1/my-tasks/{id}/act/"):
        assert path in schema


def test_archivist_reads_every_ordinary_document_of_the_agency_but_no_secret_one(office, pdf, client):
    from tests.factories import make_person

    archivist = make_person(office.agency, "archivist", unit=office.vp)
    ordinary = routed(office, pdf, 1)
    secret = routed(office, pdf, 2, metadata=metadata(number_notation="2/M", confidentiality="mat"))
    outsider_archivist = make_person(office.other_agency, "archivist")
    client.force_login(archivist)
    assert client.get(reverse("incoming:document", args=[ordinary.pk])).status_code == 200
    assert client.get(reverse("incoming:document", args=[secret.pk])).status_code == 404
    client.force_login(outsider_archivist)
    assert client.get(reverse("incoming:document", args=[ordinary.pk])).status_code == 404
