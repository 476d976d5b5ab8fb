"""Code tables are the administrator's data: statuses and steering types are sent and read by their fixed meaning
(arrived, refused, accepted, assigned, done, recall…; not a directive, directive, report), so relabelling or
renumbering a row never stops messages, and a row that is gone fails in the outbound journal with the reason.
What a received message says beyond the receipt's metadata (Content, SteeringType, ResponseFor) is kept."""

from __future__ import annotations

import pytest

from eoffice.incoming.models import Receipt, ReceiptStatus
from eoffice.interchange import mapping, services
from eoffice.interchange.edxml import (
    EdxmlRefused,
    ResponseFor,
    StatusMessage,
    build_message,
    build_status,
    parse_status,
)
from eoffice.interchange.models import CodeRow, InboundMessage, InboundStatus, OutboundKind, OutboundState
from tests.outgoing.conftest import keys, province  # noqa: F401 - fixtures

from ._setup import MINISTRY, incoming_message, pdf_attachment, released_external, seal_signer
from .test_transport import answer_of, peer, post, queued  # noqa: F401 - fixtures and helpers

G22 = MINISTRY.organ_id
STAGES = ["arrived", "accepted", "assigned", "done", "refused"]


def _statuses(**changes: tuple[str, str]) -> None:
    """The administrator's status table: the packaged rows, with ``meaning=(code, name)`` changes."""
    CodeRow.objects.filter(table="statuses").delete()
    for position, entry in enumerate(_packaged_statuses()):
        code, name = changes.get(entry.meaning, (entry.code, entry.name))
        CodeRow.objects.create(table="statuses", code=code, name=name, meaning=entry.meaning, position=position)


def _packaged_statuses():
    from eoffice.interchange.edxml import default_code_tables

    return list(default_code_tables().statuses)


def _received(client, keys, dev_pki, django_capture_on_commit_callbacks, **header):  # noqa: F811
    msg = incoming_message(keys.dongson.code)
    for name, value in header.items():
        setattr(msg.header, name, value)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, build_message(msg, [pdf_attachment()], signer=seal_signer(dev_pki)))
    assert response.status_code == 200
    return msg, response


def _status_of(outbound, dev_pki) -> StatusMessage:
    return parse_status(bytes(outbound.payload), trusted_certs=[dev_pki.root_certificate],
                        code_tables=services.code_tables()).status


def test_an_administrator_relabelling_status_rows_does_not_stop_statuses_being_sent(
    client, keys, peer, dev_pki, queued, django_capture_on_commit_callbacks  # noqa: F811
):
    CodeRow.objects.filter(table="statuses").update(name="Nhãn do quản trị đặt lại")
    _msg, response = _received(client, keys, dev_pki, django_capture_on_commit_callbacks)
    assert response["X-Edxml-Status"] == "01" and answer_of(response, dev_pki).status_code == "01"
    [arrived] = [o for o in queued if o.kind == OutboundKind.STATUS]
    assert (arrived.state, arrived.status_code) == (OutboundState.PENDING, "01")
    assert _status_of(arrived, dev_pki).status_code == "01"


def test_the_status_sent_for_each_stage_comes_from_the_table(
    client, keys, peer, dev_pki, queued, django_capture_on_commit_callbacks  # noqa: F811
):
    # Another axis numbers the stages differently: the program follows the table, by meaning.
    _statuses(arrived=("11", "Đến"), accepted=("33", "Nhận"), assigned=("55", "Giao"), done=("66", "Xong"),
              refused=("22", "Trả lại"))
    msg, response = _received(client, keys, dev_pki, django_capture_on_commit_callbacks)
    assert response["X-Edxml-Status"] == "11"
    source_ref = Receipt.objects.get().source_ref
    for stage in STAGES[1:]:
        services.on_incoming_status(source_ref, stage)
    sent = {o.status_data["meaning"]: o for o in queued if o.kind == OutboundKind.STATUS}
    assert {meaning: o.status_code for meaning, o in sent.items()} == {
        "arrived": "11", "accepted": "33", "assigned": "55", "done": "66", "refused": "22"}
    for outbound in sent.values():
        status = _status_of(outbound, dev_pki)
        assert status.status_code == outbound.status_code
        assert status.response_for.document_id == msg.header.document_id
    assert InboundMessage.objects.get().answer_code == "11"


def test_a_status_row_the_administrator_removed_fails_in_the_outbound_journal_with_the_reason_until_restored(
    client, keys, peer, dev_pki, queued, django_capture_on_commit_callbacks, monkeypatch  # noqa: F811
):
    _received(client, keys, dev_pki, django_capture_on_commit_callbacks)
    CodeRow.objects.filter(table="statuses", meaning="done").delete()
    outbound = services.on_incoming_status(Receipt.objects.get().source_ref, "done")
    outbound.refresh_from_db()
    assert outbound.state == OutboundState.FAILED and outbound.payload is None
    assert "Đã hoàn thành" in outbound.last_error and "bảng mã" in outbound.last_error.casefold()

    # The administrator gives the meaning back (under this axis's code) and resends from the journal.
    CodeRow.objects.create(table="statuses", code="07", name="Hoàn thành", meaning="done", position=9)
    assert services.resend([outbound.pk]) == 1
    monkeypatch.setattr(services.sending, "post", lambda url, data: (200, b"{}"))
    services.send_outbound(outbound.pk)
    outbound.refresh_from_db()
    assert (outbound.state, outbound.status_code) == (OutboundState.SENT, "07")
    assert _status_of(outbound, dev_pki).status_code == "07"


def test_a_received_status_is_applied_by_its_meaning_in_the_table(client, keys, peer, dev_pki, queued):  # noqa: F811
    _statuses(accepted=("33", "Nhận"))
    document = released_external(keys, code=G22, name="Bộ Tư pháp")
    delivery = document.deliveries.get()
    services.queue_delivery(delivery)
    status = StatusMessage(response_for=ResponseFor(organ_id=keys.stp.code, code=document.notation,
                                                    document_id=mapping.document_id_of(document)),
                           sender=MINISTRY, status_code="33", timestamp=mapping._now())
    data = build_status(status, signer=seal_signer(dev_pki), code_tables=services.code_tables())
    response = client.post("/lien-thong/edxml/trang-thai/", data=data, content_type="application/xml")
    assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == "accepted"


def test_the_steering_type_sent_comes_from_the_table_and_the_document(keys, dev_pki, queued):  # noqa: F811
    document = released_external(keys, code=G22, name="Bộ Tư pháp")
    delivery = document.deliveries.get()

    def steering() -> int | None:
        msg, _attachments = mapping.message_for_delivery(delivery, tables=services.code_tables())
        return msg.header.steering_type

    assert steering() == 0  # the table's "not a directive" row
    CodeRow.objects.filter(table="steering_types", meaning="not_steering").update(code="9")
    assert steering() == 9
    # The administrator lists our công văn as a directive type: the row "văn bản chỉ đạo" is sent.
    CodeRow.objects.filter(table="steering_types", meaning="steering").update(local_value="chi-thi, cong-van")
    assert steering() == 1
    CodeRow.objects.filter(table="steering_types", meaning="steering").update(local_value="")
    CodeRow.objects.filter(table="steering_types", meaning="not_steering").delete()
    with pytest.raises(EdxmlRefused) as refused:
        steering()
    assert refused.value.code == "missing_code" and "Không phải văn bản chỉ đạo" in refused.value.reason_vi


def test_a_reply_to_a_directive_received_by_edxml_is_sent_as_a_report_on_it(
    client, keys, peer, dev_pki, queued, django_capture_on_commit_callbacks  # noqa: F811
):
    from eoffice.incoming import services as incoming

    p = keys
    msg = incoming_message(p.stp.code)
    msg.header.steering_type = 1
    with django_capture_on_commit_callbacks(execute=True):
        post(client, build_message(msg, [pdf_attachment()], signer=seal_signer(dev_pki)))
    inbound = InboundMessage.objects.get()
    assert (inbound.steering_type, inbound.steering_meaning) == ("1", "steering")
    answered = incoming.register_incoming(p.clerk, receipt=inbound.receipt, present_to=p.director)
    reply = released_external(p, code=G22, name="Bộ Tư pháp", answers=answered)
    header, _attachments = mapping.message_for_delivery(reply.deliveries.get(), tables=services.code_tables())
    assert header.header.steering_type == 2
    assert header.header.response_for[0].document_id == msg.header.document_id


def test_response_for_on_receipt_links_the_reply_to_our_outgoing_document_and_keeps_content_and_steering(
    client, keys, peer, dev_pki, queued, django_capture_on_commit_callbacks  # noqa: F811
):
    p = keys
    ours = released_external(p, code=G22, name="Bộ Tư pháp")
    services.queue_delivery(ours.deliveries.get())
    msg = incoming_message(p.stp.code, number="77")
    msg.header.response_for = [ResponseFor(organ_id=p.stp.code, code=ours.notation,
                                           promulgation_date=mapping.issued_on(ours),
                                           document_id=mapping.document_id_of(ours))]
    msg.header.steering_type = 2
    msg.header.content = "Bộ Tư pháp báo cáo kết quả thực hiện."
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, build_message(msg, [pdf_attachment()], signer=seal_signer(dev_pki)))
    assert response["X-Edxml-Status"] == "01"
    inbound = InboundMessage.objects.get()
    assert inbound.answers_outgoing == ours
    assert list(ours.edxml_replies.all()) == [inbound]
    assert inbound.content == "Bộ Tư pháp báo cáo kết quả thực hiện."
    assert (inbound.steering_type, inbound.steering_meaning) == ("2", "steering_report")
    assert inbound.response_for[0]["document_id"] == mapping.document_id_of(ours)

    # Without the DocumentId we sent (another vendor puts a UUID there), number/notation and date still find it.
    msg2 = incoming_message(p.stp.code, number="78")
    msg2.header.response_for = [ResponseFor(organ_id=p.stp.code, code=ours.notation,
                                            promulgation_date=mapping.issued_on(ours), document_id="x-uuid-1")]
    post(client, build_message(msg2, [pdf_attachment()], signer=seal_signer(dev_pki)))
    assert InboundMessage.objects.get(document_id=msg2.header.document_id).answers_outgoing == ours


def test_a_recall_status_13_from_the_sender_recalls_the_receipt_and_is_answered_15(
    client, keys, peer, dev_pki, queued, django_capture_on_commit_callbacks  # noqa: F811
):
    msg, _response = _received(client, keys, dev_pki, django_capture_on_commit_callbacks)
    status = StatusMessage(response_for=ResponseFor(organ_id=G22, code="45/BTP-PBGDPL",
                                                    document_id=msg.header.document_id),
                           sender=MINISTRY, status_code="13", description="Ban hành nhầm", timestamp=mapping._now())
    data = build_status(status, signer=seal_signer(dev_pki))
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            response = client.post("/lien-thong/edxml/trang-thai/", data=data, content_type="application/xml")
            assert response.status_code == 200
    assert Receipt.objects.get().status == ReceiptStatus.RECALLED
    [agreed] = [o for o in queued if o.kind == OutboundKind.STATUS and o.status_data["meaning"] == "recall_agreed"]
    assert agreed.status_code == "15" and _status_of(agreed, dev_pki).description == "Ban hành nhầm"
    assert InboundMessage.objects.get(business_kind=mapping.RECALL).answer_code == "15"


def test_a_recall_status_from_a_recipient_about_our_document_is_only_recorded(
    client, keys, peer, dev_pki, queued  # noqa: F811
):
    document = released_external(keys, code=G22, name="Bộ Tư pháp")
    delivery = document.deliveries.get()
    services.queue_delivery(delivery)
    before = delivery.status
    status = StatusMessage(response_for=ResponseFor(organ_id=keys.stp.code, code=document.notation,
                                                    document_id=mapping.document_id_of(document)),
                           sender=MINISTRY, status_code="13", timestamp=mapping._now())
    response = client.post("/lien-thong/edxml/trang-thai/", data=build_status(status, signer=seal_signer(dev_pki)),
                           content_type="application/xml")
    assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == before
    assert InboundStatus.objects.get().status_code == "13"
