"""The outbound queue over real HTTP (the endpoint served by ``live_server``): a released external delivery is queued
once, sent once, answered; a peer that is down makes the task retry with backoff; a resend never delivers twice.
File-based exchange with ``edxml_export``/``edxml_import`` goes through the same checks. (The retries against a
peer that comes up later run between two processes in ``test_two_deployments``.)"""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from eoffice.incoming.models import Receipt
from eoffice.interchange import services, tasks
from eoffice.interchange.models import InboundStatus, OutboundKind, OutboundMessage, OutboundState
from eoffice.outgoing.models import Delivery, DeliveryStatus
from tests.fixtures_pki import free_loopback_port
from tests.outgoing.conftest import keys, province  # noqa: F401 - fixtures

from ._setup import make_peer, released_external


@pytest.fixture
def no_worker(monkeypatch) -> list[int]:
    """Sending is called directly here; nothing is handed to a broker."""
    scheduled: list[int] = []
    monkeypatch.setattr(services.outbound, "_schedule", lambda outbound: scheduled.append(outbound.pk))
    return scheduled


def _to_district(p):
    """A dispatch of the Sở to the UBND huyện Đông Sơn, addressed by edXML (as if it were another system)."""
    document = released_external(p, code=p.dongson.code, name=p.dongson.name)
    return Delivery.objects.get(document=document)


@pytest.mark.django_db(transaction=True)
def test_a_released_external_delivery_is_queued_once_sent_once_and_answered_01(
    keys, dev_pki, live_server, no_worker  # noqa: F811
):
    p = keys
    make_peer(dev_pki, codes=[p.stp.code, p.dongson.code], url=f"{live_server.url}/lien-thong/", name="Tỉnh")
    delivery = _to_district(p)
    [outbound] = OutboundMessage.objects.filter(kind=OutboundKind.MESSAGE)  # queued by the release itself
    assert (outbound.delivery, outbound.business_kind, outbound.state) == (delivery, 0, OutboundState.PENDING)
    assert outbound.pk in no_worker

    assert services.send_outbound(outbound.pk).state == OutboundState.SENT
    receipt = Receipt.objects.get(agency=p.dongson, source="edxml")
    assert receipt.number_notation == delivery.document.notation
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.ARRIVED  # the 01 in the HTTP answer

    # The task running again does nothing; the same bytes posted again (a lost answer) are not a second receipt.
    assert services.send_outbound(outbound.pk).attempts == 1
    OutboundMessage.objects.filter(pk=outbound.pk).update(state=OutboundState.PENDING)
    assert services.send_outbound(outbound.pk).state == OutboundState.SENT
    assert Receipt.objects.filter(source="edxml").count() == 1
    assert InboundStatus.objects.filter(status_code="01").count() == 1
    assert list(delivery.events.order_by("pk").values_list("status", flat=True)) == ["queued", "arrived"]


@pytest.mark.django_db(transaction=True)
def test_a_peer_that_is_down_makes_the_task_retry_with_exponential_backoff(keys, dev_pki, no_worker):  # noqa: F811
    p = keys
    make_peer(dev_pki, codes=[p.dongson.code], url=f"http://127.0.0.1:{free_loopback_port()}/lien-thong/")
    delivery = _to_district(p)
    outbound = OutboundMessage.objects.get(delivery=delivery)
    with pytest.raises(services.TransportError):
        services.send_outbound(outbound.pk)
    outbound.refresh_from_db()
    assert outbound.state == OutboundState.PENDING and outbound.attempts == 1 and outbound.last_error
    assert outbound.payload  # built and signed once; every retry sends the same bytes
    # The task retries exactly these errors, with exponential backoff and without jitter.
    assert tasks.send.autoretry_for == (services.TransportError,)
    assert tasks.send.retry_backoff and tasks.send.retry_jitter is False and tasks.send.max_retries >= 5
    # After the last retry the message is marked failed; the delivery stays "queued" for a file exchange.
    services.mark_failed(outbound.pk, "Connection refused")
    outbound.refresh_from_db()
    delivery.refresh_from_db()
    assert outbound.state == OutboundState.FAILED and "Connection refused" in outbound.last_error
    assert delivery.status == DeliveryStatus.QUEUED_EXTERNAL
    # ... and the sender reads on the document page why it has not left yet.
    assert delivery.reason.startswith(services.NOT_SENT_YET) and "Connection refused" in delivery.reason


@pytest.mark.django_db(transaction=True)
def test_a_recall_on_the_sending_side_sends_business_kind_1_and_the_answer_15_shows(
    keys, dev_pki, live_server, no_worker  # noqa: F811
):
    from eoffice.outgoing import services as outgoing

    p = keys
    make_peer(dev_pki, codes=[p.stp.code, p.dongson.code], url=f"{live_server.url}/lien-thong/", name="Tỉnh")
    delivery = _to_district(p)
    services.send_outbound(OutboundMessage.objects.get(delivery=delivery).pk)
    outgoing.recall(delivery.document, p.director, reason="Ban hành nhầm")
    recall = OutboundMessage.objects.get(delivery=delivery, business_kind=1)
    assert services.send_outbound(recall.pk).state == OutboundState.SENT
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.RECALL_DONE
    assert Receipt.objects.get(source="edxml").status == "recalled"


@pytest.mark.django_db(transaction=True)
def test_export_and_import_a_package_on_disk_with_the_endpoints_checks(
    keys, dev_pki, tmp_path, no_worker  # noqa: F811
):
    p = keys
    make_peer(dev_pki, codes=[p.stp.code], name="Sở Tư pháp (tệp)")
    delivery = _to_district(p)
    call_command("edxml_export", str(delivery.pk), str(tmp_path / "out"))
    [package] = (tmp_path / "out").glob("*.edxml")

    call_command("edxml_import", str(package), "--peer", "Sở Tư pháp (tệp)", "--answer", str(tmp_path / "a.xml"))
    call_command("edxml_import", str(package), "--peer", "Sở Tư pháp (tệp)")  # again: the same receipt
    assert Receipt.objects.filter(agency=p.dongson, source="edxml").count() == 1
    assert b"<" in (tmp_path / "a.xml").read_bytes()

    tampered = tmp_path / "tampered.edxml"
    tampered.write_bytes(package.read_bytes().replace(b"V/v ph", b"V/V ph", 1))
    with pytest.raises(CommandError, match="chữ ký"):
        call_command("edxml_import", str(tampered), "--peer", "Sở Tư pháp (tệp)")
    with pytest.raises(CommandError, match="Không có hệ thống"):
        call_command("edxml_import", str(package), "--peer", "Không tồn tại")
    assert Receipt.objects.filter(source="edxml").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_replacement_is_sent_as_business_kind_3_and_the_old_document_is_not_recalled_separately(
    keys, dev_pki, no_worker  # noqa: F811
):
    from eoffice.outgoing import services as outgoing
    from tests.outgoing.conftest import draft_pdf

    p = keys
    make_peer(dev_pki, codes=[p.dongson.code])
    old = _to_district(p).document
    new = outgoing.create_replacement(old, p.specialist, summary="V/v phối hợp (thay thế)",
                                      file=("du-thao.pdf", draft_pdf(p.director)))
    outgoing.submit(new, p.specialist)
    outgoing.review(new, p.unit_head, approve=True)
    outgoing.sign(new, p.director)
    outgoing.issue(new, p.clerk)
    outgoing.release(new, p.clerk)
    kinds = sorted(OutboundMessage.objects.filter(kind=OutboundKind.MESSAGE).values_list("delivery__document",
                                                                                         "business_kind"))
    assert kinds == [(old.pk, 0), (new.pk, 3)]


@pytest.mark.django_db(transaction=True)
def test_a_failed_message_can_be_queued_again_once_the_peer_is_configured(keys, dev_pki, no_worker):  # noqa: F811
    p = keys
    delivery = _to_district(p)  # no peer serves the district yet
    outbound = OutboundMessage.objects.get(delivery=delivery)
    assert services.send_outbound(outbound.pk).state == OutboundState.FAILED
    assert "Chưa cấu hình" in OutboundMessage.objects.get(pk=outbound.pk).last_error
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.QUEUED_EXTERNAL and "Chưa cấu hình" in delivery.reason
    make_peer(dev_pki, codes=[p.dongson.code])
    no_worker.clear()
    assert services.resend([outbound.pk]) == 1
    assert no_worker == [outbound.pk] and OutboundMessage.objects.get(pk=outbound.pk).state == OutboundState.PENDING
    delivery.refresh_from_db()
    assert delivery.reason == ""  # queued again: no stale "not sent" note on the sender's page
