"""Incoming and outgoing as one product: every outgoing step in "Việc cần xử lý", a released reply closes the
incoming work, the clerk files the document when releasing it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from eoffice.archive.models import FileEntry, RetentionPeriod
from eoffice.archive.services import ensure_retention_periods, open_file
from eoffice.incoming import services as incoming
from eoffice.incoming.models import DocumentStatus, Step, WorkItem, WorkKind, WorkStatus
from eoffice.orgs.models import Delegation
from eoffice.outgoing import services
from eoffice.outgoing.models import Status
from eoffice.work.replies import draft_reply

from .conftest import draft_pdf

pytestmark = pytest.mark.django_db


def inbox(client, person, **params) -> str:
    client.force_login(person)
    return client.get(reverse("module-tasks"), params).content.decode()


def shows(html: str, document, step: str) -> bool:
    return f'data-outgoing="{document.pk}"' in html and f"<td>{step}" in html


def test_every_outgoing_step_waits_in_the_inbox_of_the_person_who_takes_it(client, keys):
    p = keys
    document = services.create_draft(
        p.specialist, document_type=p.type("cong-van"), summary="V/v phối hợp tuyên truyền pháp luật",
        signer=p.director, file=("du-thao.pdf", draft_pdf(p.director)), recipient_units=[p.vp],
        consult_units=[p.vp], urgency="khan")
    assert shows(inbox(client, p.specialist), document, "Hoàn thiện, trình dự thảo")
    services.submit(document, p.specialist)
    assert not shows(inbox(client, p.specialist), document, "Hoàn thiện, trình dự thảo")
    assert shows(inbox(client, p.unit_head), document, "Kiểm tra dự thảo")
    services.review(document, p.unit_head, approve=False, comment="Sửa trích yếu")
    assert shows(inbox(client, p.specialist), document, "Sửa dự thảo bị trả lại")
    services.add_version(document, p.specialist, "du-thao-2.pdf", draft_pdf(p.director))
    services.submit(document, p.specialist)
    services.review(document, p.unit_head, approve=True)
    assert shows(inbox(client, p.office_head), document, "Góp ý dự thảo")
    assert not shows(inbox(client, p.unit_head), document, "Góp ý dự thảo")
    services.consult(document, p.office_head, agree=True)
    assert shows(inbox(client, p.director), document, "Duyệt, ký số văn bản đi")
    # The director is away: the deputy acting for him sees the document to sign, marked as standing in.
    assert not shows(inbox(client, p.deputy), document, "Duyệt, ký số văn bản đi")
    Delegation.objects.create(delegator=p.director, delegate=p.deputy, starts_at=timezone.now() - timedelta(hours=1),
                              ends_at=timezone.now() + timedelta(days=1))
    html = inbox(client, p.deputy)
    assert shows(html, document, "Duyệt, ký số văn bản đi") and f"(thay {p.director})" in html
    services.sign(document, p.director)
    assert shows(inbox(client, p.clerk), document, "Kiểm tra thể thức, cấp số, đóng dấu")
    services.issue(document, p.clerk)
    html = inbox(client, p.clerk, loai="out_release")
    assert shows(html, document, "Phát hành văn bản đi") and 'data-count="khan">1<' in html
    services.release(document, p.clerk)
    for person in (p.specialist, p.unit_head, p.office_head, p.director, p.deputy, p.clerk):
        assert f'data-outgoing="{document.pk}"' not in inbox(client, person), person
    # The outgoing index lists the same documents (one rule): nothing waits for the clerk now.
    client.force_login(p.clerk)
    assert "Không có văn bản nào chờ bạn." in client.get(reverse("module-outgoing")).content.decode()


def test_released_reply_closes_the_incoming_work_and_the_clerk_files_it_when_releasing(client, keys, pdf_bytes):
    p = keys
    ensure_retention_periods()
    retention = RetentionPeriod.objects.order_by("pk").first()
    case_file = open_file(p.clerk, unit=p.pbgdpl, year=timezone.localdate().year, code="PBGDPL-TL",
                          title="Hồ sơ trả lời văn bản", retention=retention)
    doc = incoming.register_incoming(p.clerk, metadata=incoming.ReceiptMetadata(
        issuer_name="UBND huyện Đông Sơn", number_notation="15/UBND-VP", issued_on=timezone.localdate(),
        summary="V/v xin ý kiến về công tác phổ biến pháp luật"), files=[("cv.pdf", pdf_bytes)], channel="paper",
        present_to=p.director)
    item = WorkItem.objects.get(document=doc, kind=WorkKind.INSTRUCT, status=WorkStatus.OPEN)
    incoming.instruct(item, p.director, text="PBGDPL trả lời", lead_unit=p.pbgdpl)
    item = WorkItem.objects.get(document=doc, kind=WorkKind.ASSIGN, status=WorkStatus.OPEN)
    incoming.assign_handlers(item, p.unit_head, main_handler=p.specialist)
    handle = WorkItem.objects.get(document=doc, kind=WorkKind.HANDLE, status=WorkStatus.OPEN)

    reply = draft_reply(handle, p.specialist)
    services.add_version(reply, p.specialist, "tra-loi.pdf", draft_pdf(p.director))
    services.submit(reply, p.specialist)
    services.review(reply, p.unit_head, approve=True)
    services.sign(reply, p.director)
    services.issue(reply, p.clerk)
    reply.refresh_from_db()
    assert f'data-outgoing="{reply.pk}"' not in inbox(client, p.specialist)  # the clerk's step now
    assert shows(inbox(client, p.clerk), reply, "Phát hành văn bản đi")
    client.force_login(p.clerk)
    page = client.get(reverse("outgoing-detail", args=[reply.pk])).content.decode()
    assert 'class="archive-control" data-kind="outgoing"' in page and "PBGDPL-TL" in page
    response = client.post(reverse("outgoing-act", args=[reply.pk, "release"]), {"case_file": case_file.pk})
    assert response.status_code == 302

    reply.refresh_from_db()
    doc.refresh_from_db()
    handle.refresh_from_db()
    assert reply.status == Status.RELEASED
    assert FileEntry.objects.get(kind="outgoing", document_id=reply.pk).case_file == case_file
    assert handle.status == WorkStatus.DONE and doc.status == DocumentStatus.DONE
    assert Step.objects.get(document=doc, action="reply_released").text == \
        f"Đã ban hành văn bản trả lời: {reply.notation}"
    assert f'data-incoming="{doc.pk}"' not in inbox(client, p.specialist)


def test_a_file_the_clerk_may_not_use_releases_nothing(client, keys):
    p = keys
    document = services.create_draft(
        p.specialist, document_type=p.type("cong-van"), summary="V/v thử phát hành", signer=p.director,
        file=("du-thao.pdf", draft_pdf(p.director)), recipient_units=[p.vp])
    services.submit(document, p.specialist)
    services.review(document, p.unit_head, approve=True)
    services.sign(document, p.director)
    services.issue(document, p.clerk)
    client.force_login(p.clerk)
    response = client.post(reverse("outgoing-act", args=[document.pk, "release"]), {"case_file": "999999"},
                           follow=True)
    assert "Hồ sơ đã chọn không hợp lệ hoặc đã kết thúc." in response.content.decode()
    document.refresh_from_db()
    assert document.status == Status.ISSUED


@pytest.fixture
def pdf_bytes() -> bytes:
    from tests.fixtures_pki import make_sample_pdf

    return make_sample_pdf(("Văn bản đến mẫu",))
