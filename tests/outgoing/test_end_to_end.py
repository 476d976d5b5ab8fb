"""The issue's end-to-end path at service level, with a real Celery worker delivering between agencies.

A specialist of the Sở Tư pháp drafts a công văn to the UBND huyện Đông Sơn; the head of the unit reviews it; the
director signs; the clerk numbers and seals it; it is released; it lands in the district clerk's receipt queue with
both signatures valid (pyHanko and pdfsig); the district registers and routes it; the department sees each status
arrive; a recall removes it on the district side.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from eoffice.incoming import services as incoming
from eoffice.incoming.models import DocumentStatus, Receipt, ReceiptStatus
from eoffice.orgs.models import Person, Unit
from eoffice.orgs.scoping import visible_to
from eoffice.outgoing import services
from eoffice.outgoing.models import Delivery, DeliveryStatus, Status
from tests.signing._pdf_checks import assert_pdfsig_all_valid, make_nss_db, pyhanko_statuses

from ._celery import drain, outgoing_worker
from .conftest import draft_pdf


def statuses_seen(delivery: Delivery) -> list[str]:
    return list(delivery.events.order_by("at", "pk").values_list("status", flat=True))


@pytest.mark.django_db(transaction=True)
def test_cong_van_from_department_reaches_district_with_valid_signatures_and_statuses_flow_back(
    keys, dev_pki, tmp_path, client
):
    p = keys
    document = services.create_draft(
        p.specialist, document_type=p.type("cong-van"), summary="V/v phối hợp tuyên truyền pháp luật về chuyển đổi số",
        signer=p.director, file=("du-thao.pdf", draft_pdf(p.director)), recipient_agencies=[p.dongson],
        recipient_units=[p.vp],
    )
    services.submit(document, p.specialist)
    services.review(document, p.unit_head, approve=True, comment="Trình Giám đốc ký")
    services.sign(document, p.director)
    services.issue(document, p.clerk)

    with outgoing_worker():
        services.release(document, p.clerk)
        drain("interchange")

        document.refresh_from_db()
        assert document.status == Status.RELEASED
        delivery = document.deliveries.get()
        # The district clerk's receipt queue has it, with both signatures checked on arrival.
        [receipt] = visible_to(Receipt, p.district_clerk).filter(status=ReceiptStatus.WAITING)
        assert receipt.number_notation == document.notation == "01/STP-PBGDPL"
        assert receipt.issuer_agency == p.stp
        assert receipt.validation_status == "valid", receipt.validation_summary
        pdf = receipt.files.get().stored_file.read()
        statuses = pyhanko_statuses(pdf, dev_pki.root_cert_path)
        assert len(statuses) == 2 and all(s.bottom_line for s in statuses)
        entries = assert_pdfsig_all_valid(pdf, make_nss_db(tmp_path / "nss", dev_pki.root_cert_path), tmp_path, 2)
        assert [e.signer for e in entries] == ["Nguyễn Văn An", "Sở Tư pháp tỉnh Bình Minh"]
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.ARRIVED

        # The district registers it and the chairman instructs the Phòng Nội vụ.
        chairman = Person.objects.get(username="chutich.dongson")
        registered = incoming.register_incoming(p.district_clerk, receipt=receipt, present_to=chairman)
        item = incoming.inbox_items(chairman).get(document=registered)
        incoming.instruct(item, chairman, text="Giao Phòng Nội vụ chủ trì triển khai",
                          lead_unit=Unit.objects.get(agency=p.dongson, abbreviation="NV"))
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.ASSIGNED
        assert statuses_seen(delivery)[:4] == ["sending", "arrived", "accepted", "assigned"]

        # A recall reaches the district: the document leaves its inboxes and the answer comes back.
        services.recall(document, p.director, reason="Văn bản ban hành nhầm đối tượng")
        drain("interchange")

    registered.refresh_from_db()
    receipt.refresh_from_db()
    assert registered.status == DocumentStatus.RECALLED
    assert receipt.status == ReceiptStatus.RECALLED
    assert not incoming.inbox_items(Person.objects.get(username="truongphong.dongson")).filter(
        document=registered).exists()
    delivery.refresh_from_db()
    document.refresh_from_db()
    assert document.status == Status.RECALLED
    assert delivery.status == DeliveryStatus.RECALL_DONE
    assert statuses_seen(delivery)[-2:] == ["recalling", "recall_done"]
    # Removed on the district side: the register entry and its history stay, the file is no longer offered.
    client.force_login(p.district_clerk)
    page = client.get(reverse("incoming:document", args=[registered.pk])).content.decode()
    assert "Bên gửi đã thu hồi văn bản này; tệp văn bản đã được gỡ bỏ." in page
    assert "Văn bản ban hành nhầm đối tượng" in page and "incoming-preview" not in page
    file_pk = registered.files.first().pk
    assert client.get(reverse("incoming:file", args=[registered.pk, file_pk])).status_code == 404
    assert client.get(reverse("incoming:receipt-file", args=[receipt.pk, receipt.files.get().pk])).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_refusal_by_the_recipient_clerk_shows_with_its_reason_and_delivery_is_idempotent(keys):
    p = keys
    document = services.create_draft(
        p.specialist, document_type=p.type("cong-van"), summary="V/v gửi nhầm cơ quan", signer=p.director,
        file=("du-thao.pdf", draft_pdf(p.director)), recipient_agencies=[p.dongson],
    )
    services.submit(document, p.specialist)
    services.review(document, p.unit_head, approve=True)
    services.sign(document, p.director)
    services.issue(document, p.clerk)
    with outgoing_worker():
        services.release(document, p.clerk)
        drain("interchange")
        delivery = document.deliveries.get()
        # The task running twice (a retry, a redelivered message) lands the dispatch once.
        from eoffice.outgoing.tasks import deliver

        deliver.apply_async(args=[delivery.pk]).get(timeout=120)
        assert Receipt.objects.filter(source="internal", source_ref=str(delivery.pk)).count() == 1
        receipt = Receipt.objects.get(source="internal", source_ref=str(delivery.pk))
        incoming.return_receipt(receipt, p.district_clerk, reason="Không thuộc thẩm quyền của huyện")
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.REFUSED
    assert delivery.reason == "Không thuộc thẩm quyền của huyện"


def _released(p, **extra):
    document = services.create_draft(
        p.specialist, document_type=p.type("cong-van"), summary=extra.pop("summary", "V/v tổ chức hội nghị"),
        signer=p.director, file=("du-thao.pdf", draft_pdf(p.director)), **extra,
    )
    services.submit(document, p.specialist)
    services.review(document, p.unit_head, approve=True)
    services.sign(document, p.director)
    services.issue(document, p.clerk)
    return services.release(document, p.clerk)


@pytest.mark.django_db(transaction=True)
def test_a_replacement_supersedes_the_old_document_everywhere_with_a_link(keys, client):
    p = keys
    with outgoing_worker():
        old = _released(p, recipient_agencies=[p.dongson])
        drain("interchange")
        replacement = services.create_replacement(old, p.specialist, summary="V/v tổ chức hội nghị (thay thế)",
                                                  file=("du-thao-2.pdf", draft_pdf(p.director)))
        assert [d.agency for d in replacement.deliveries.all()] == [p.dongson]
        services.submit(replacement, p.specialist)
        services.review(replacement, p.unit_head, approve=True)
        services.sign(replacement, p.director)
        services.issue(replacement, p.clerk)
        services.release(replacement, p.clerk)
        drain("interchange")
    old.refresh_from_db()
    replacement.refresh_from_db()
    assert old.status == Status.SUPERSEDED
    assert old.replaced_by == replacement and replacement.replaces == old
    assert "Được thay thế bởi văn bản số 02/STP-PBGDPL" in old.recall_reason
    old_receipt = Receipt.objects.get(source="internal", source_ref=str(old.deliveries.get().pk))
    new_receipt = Receipt.objects.get(source="internal", source_ref=str(replacement.deliveries.get().pk))
    assert old_receipt.status == ReceiptStatus.RECALLED
    assert new_receipt.status == ReceiptStatus.WAITING
    assert "thay thế văn bản số 01/STP-PBGDPL" in new_receipt.summary
    assert old.deliveries.get().status == DeliveryStatus.RECALL_DONE
    # The recipient sees the link both ways: the new dispatch names the one it replaces, the old one its successor.
    assert new_receipt.replaces == old_receipt and list(old_receipt.replaced_by.all()) == [new_receipt]
    client.force_login(p.district_clerk)
    new_page = client.get(reverse("incoming:receipt", args=[new_receipt.pk])).content.decode()
    assert "Văn bản này thay thế văn bản số" in new_page
    assert f'href="{reverse("incoming:receipt", args=[old_receipt.pk])}">01/STP-PBGDPL</a>' in new_page
    old_page = client.get(reverse("incoming:receipt", args=[old_receipt.pk])).content.decode()
    assert "Văn bản này đã được thay thế bởi văn bản số" in old_page
    assert f'href="{reverse("incoming:receipt", args=[new_receipt.pk])}">02/STP-PBGDPL</a>' in old_page


@pytest.mark.django_db
def test_start_reply_draft_links_the_incoming_document_and_addresses_its_issuer(keys):
    from types import SimpleNamespace

    p = keys
    incoming_document = SimpleNamespace(pk=42, number_notation="15/UBND-VP", issuer_agency=p.dongson,
                                        urgency="khan", confidentiality="thuong")
    draft = services.start_reply_draft(incoming_document, p.specialist)
    assert draft.answers_incoming_id == 42
    assert draft.summary == "Trả lời văn bản 15/UBND-VP"
    assert draft.urgency == "khan"
    assert [d.agency for d in draft.deliveries.all()] == [p.dongson]
    assert draft.status == Status.DRAFT and draft.current_file is None
    with pytest.raises(Exception) as no_file:
        services.submit(draft, p.specialist)
    assert no_file.value.code == "no_pdf"
