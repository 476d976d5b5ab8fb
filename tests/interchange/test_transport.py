"""The inbound endpoint /lien-thong/edxml/: only configured peers are heard, hostile or invalid messages are refused
with a status 02 and a reason (answered now and queued back to the sender), nothing is half-imported, a resend
of the same DocumentId is answered with the existing receipt's status, recall/update are applied and answered."""

from __future__ import annotations

import dataclasses

import pytest

from eoffice.audit.models import AuditRecord
from eoffice.documents.models import StoredFile
from eoffice.incoming import services as incoming
from eoffice.incoming.models import Receipt, ReceiptStatus
from eoffice.interchange import services
from eoffice.interchange.edxml import (
    Attachment,
    OtherInfo,
    build_message,
    message_to_xml,
    parse_status,
    sign_document,
)
from eoffice.interchange.models import InboundMessage, OutboundKind, OutboundMessage, RefusedTraffic
from tests.outgoing.conftest import keys, province  # noqa: F401 - fixtures

from ._setup import MINISTRY, incoming_message, make_peer, pdf_attachment, seal_signer
from .conftest import make_cert

URL = "/lien-thong/edxml/"
G22 = MINISTRY.organ_id


@pytest.fixture
def queued(monkeypatch) -> list[OutboundMessage]:
    """What would be handed to the Celery task (the transport tests with a worker are in test_transport_queue)."""
    scheduled: list[OutboundMessage] = []
    monkeypatch.setattr(services.outbound, "_schedule", scheduled.append)
    return scheduled


@pytest.fixture
def peer(keys, dev_pki, settings):  # noqa: F811
    settings.EDXML_DEFAULT_AGENCY = keys.stp.code  # signs refusals of messages naming none of our agencies
    return make_peer(dev_pki, codes=[G22])


def post(client, data: bytes):
    return client.post(URL, data=data, content_type="application/xml")


def answer_of(response, dev_pki):
    return parse_status(response.content, trusted_certs=[dev_pki.root_certificate]).status


def signed(dev_pki, msg, attachments=None) -> bytes:
    """Sign without the builder's checks (to send what a careless or hostile system would)."""
    root = message_to_xml(msg, [pdf_attachment()] if attachments is None else attachments)
    return sign_document(root, seal_signer(dev_pki))


def test_a_signed_message_from_a_configured_peer_lands_in_the_addressed_agencys_receipt_queue(
    client, keys, peer, dev_pki, queued, django_capture_on_commit_callbacks  # noqa: F811
):
    p = keys
    data = build_message(incoming_message(p.dongson.code), [pdf_attachment()], signer=seal_signer(dev_pki))
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, data)
    assert response.status_code == 200 and response["X-Edxml-Status"] == "01"
    status = answer_of(response, dev_pki)
    assert status.status_code == "01" and status.sender.organ_id == p.dongson.code
    assert status.response_for.document_id == f"{G22},2026/11/20,45/BTP-PBGDPL"
    receipt = Receipt.objects.get(agency=p.dongson)
    assert (receipt.channel, receipt.source) == ("interconnection", "edxml")
    assert receipt.number_notation == "45/BTP-PBGDPL" and receipt.issuer_name == "Bộ Tư pháp"
    assert receipt.urgency == "khan" and receipt.document_type.code == "cong-van"
    assert receipt.validation_status and receipt.validation_summary  # the PDF's signatures were checked on arrival
    # The incoming side's "arrived" went back to the sender as a status 01 message, once.
    [arrived] = [o for o in queued if o.kind == OutboundKind.STATUS]
    assert (arrived.status_code, arrived.peer, arrived.recipient_code) == ("01", peer, G22)


def test_a_resend_of_the_same_document_id_is_answered_with_the_existing_receipts_status_not_delivered_twice(
    client, keys, peer, dev_pki, queued  # noqa: F811
):
    p = keys
    data = build_message(incoming_message(p.dongson.code), [pdf_attachment()], signer=seal_signer(dev_pki))
    assert post(client, data)["X-Edxml-Status"] == "01"
    receipt = Receipt.objects.get()
    chairman = type(p.clerk).objects.get(username="chutich.dongson")
    incoming.register_incoming(p.district_clerk, receipt=receipt, present_to=chairman)

    again = post(client, data)
    assert again.status_code == 200 and answer_of(again, dev_pki).status_code == "03"  # accepted, not new
    # A new message with the same DocumentId (the sender changed the subject): still the same receipt.
    changed = build_message(incoming_message(p.dongson.code, subject="V/v khác"), [pdf_attachment()],
                            signer=seal_signer(dev_pki))
    assert post(client, changed)["X-Edxml-Status"] == "03"
    assert Receipt.objects.count() == 1 and InboundMessage.objects.count() == 1


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><Subject>&lol3;</Subject></edXML>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><Subject>&xxe;</Subject></edXML>"""


def _wrong_namespace(dev_pki, to):
    data = build_message(incoming_message(to), [pdf_attachment()], signer=seal_signer(dev_pki))
    return data.replace(b"http://www.mic.gov.vn/TBT/QCVN_102_2016", b"http://example.org/not-edxml")


def _without_to(dev_pki, to):
    msg = incoming_message(to)
    msg.header.recipients = []
    return signed(dev_pki, msg)


def _without_subject(dev_pki, to):
    return signed(dev_pki, dataclasses.replace(incoming_message(to), header=dataclasses.replace(
        incoming_message(to).header, subject="")))


def _long_subject(dev_pki, to):
    return signed(dev_pki, incoming_message(to, subject="V/v " + "cải cách hành chính " * 30))


def _tampered(dev_pki, to):
    data = build_message(incoming_message(to), [pdf_attachment()], signer=seal_signer(dev_pki))
    return data.replace("Luật Phổ biến".encode(), "Luật Phổ Biến".encode())


def _stranger(dev_pki, to):
    from eoffice.interchange.edxml import build_message as build

    return build(incoming_message(to), [pdf_attachment()], signer=make_cert("Hệ thống lạ").signer())


def _unknown_sender(dev_pki, to):
    msg = incoming_message(to)
    msg.header.sender = dataclasses.replace(MINISTRY, organ_id="000.00.77.X01", organ_name="Hệ thống chưa kết nối")
    return build_message(msg, [pdf_attachment()], signer=seal_signer(dev_pki))


def _oversized_attachment(dev_pki, to):
    big = Attachment(content_id="vanban-1", name="lon.pdf", content_type="application/pdf", data=b"%PDF" + b"0" * 70000)
    return signed(dev_pki, incoming_message(to), [big])


def _unknown_recipient(dev_pki, to):
    return build_message(incoming_message("000.00.99.Z99"), [pdf_attachment()], signer=seal_signer(dev_pki))


def _secret(dev_pki, to):
    msg = incoming_message(to)
    msg.header.other_info = OtherInfo(priority=0, sphere_of_promulgation="Mật")
    return build_message(msg, [pdf_attachment()], signer=seal_signer(dev_pki))


def _not_a_pdf(dev_pki, to):
    # Every file is kept and reported by the receipt queue, but a message without files is not a dispatch.
    return build_message(incoming_message(to), [], signer=seal_signer(dev_pki))


# case: (make, part of the reason, whether the message's signature verified against the configured peer)
HOSTILE = {
    "entity_expansion": (lambda dev_pki, to: BILLION_LAUGHS, "DTD", False),
    "external_entity": (lambda dev_pki, to: EXTERNAL_ENTITY, "DTD", False),
    "wrong_namespace": (_wrong_namespace, "edXML", False),
    "missing_to": (_without_to, "To", True),
    "missing_subject": (_without_subject, "Trích yếu", True),
    "subject_over_500_chars": (_long_subject, "500", True),
    "bad_signature": (_tampered, "chữ ký", False),
    "untrusted_certificate": (_stranger, "tin cậy", False),
    "unknown_peer": (_unknown_sender, "không có trong danh sách", False),
    "oversized_attachment": (_oversized_attachment, "vượt quá", False),
    "unknown_recipient": (_unknown_recipient, "000.00.99.Z99", True),
    "secret": (_secret, "mật", True),
    "no_files": (_not_a_pdf, "tệp", True),
}
SIGNED_BY_PEER = [case for case, (_, _, signed_by_peer) in HOSTILE.items() if signed_by_peer]
UNAUTHENTICATED = [case for case, (_, _, signed_by_peer) in HOSTILE.items() if not signed_by_peer]


@pytest.mark.parametrize("case", SIGNED_BY_PEER)
def test_a_configured_peers_invalid_message_is_refused_with_a_signed_status_02_and_a_reason_and_nothing_is_imported(
    case, client, keys, peer, dev_pki, queued, settings, django_capture_on_commit_callbacks  # noqa: F811
):
    p = keys
    settings.EDXML_MAX_ATTACHMENT_BYTES = 60000
    make, reason_part, _ = HOSTILE[case]
    data = make(dev_pki, p.dongson.code)
    files_before = StoredFile.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, data)
    assert 400 <= response.status_code < 500
    assert response["X-Edxml-Status"] == "02"
    status = answer_of(response, dev_pki)
    assert status.status_code == "02" and reason_part.casefold() in status.description.casefold(), status.description
    assert not Receipt.objects.exists() and not InboundMessage.objects.exists()
    assert StoredFile.objects.count() == files_before
    # The sender is a configured peer whose signature verified: the refusal is queued back to it too, and audited.
    [refusal] = [o for o in queued if o.kind == OutboundKind.STATUS]
    assert (refusal.status_code, refusal.peer, refusal.reason) == ("02", peer, status.description)
    assert parse_status(bytes(refusal.payload), trusted_certs=[dev_pki.root_certificate]).status.status_code == "02"
    assert AuditRecord.objects.filter(action="interchange.refused").count() == 1


@pytest.mark.parametrize("case", UNAUTHENTICATED)
def test_a_message_no_configured_peer_signed_gets_a_fixed_unsigned_refusal_echoing_nothing_and_is_counted_not_audited(
    case, client, keys, peer, dev_pki, queued, settings, django_capture_on_commit_callbacks  # noqa: F811
):
    p = keys
    settings.EDXML_MAX_ATTACHMENT_BYTES = 60000
    make, _, _ = HOSTILE[case]
    data = make(dev_pki, p.dongson.code)
    files_before, audit_before = StoredFile.objects.count(), AuditRecord.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        responses = [post(client, data) for _ in range(3)]
    for response in responses:
        assert response.status_code == 403 and "X-Edxml-Status" not in response
        assert response["Content-Type"].startswith("application/json")
        error = response.json()["error"]
        assert error["code"] == "not_authenticated" and error["message"] == responses[0].json()["error"]["message"]
        assert set(error["details"]) == {"reason"} and error["details"]["reason"].isidentifier()
        # Nothing the sender chose comes back, and nothing is signed with the agency's seal.
        for theirs in ("BTP-PBGDPL", "Bộ Tư pháp", "000.00.77.X01", "Hệ thống chưa kết nối", "lon.pdf", G22,
                       p.dongson.code):
            assert theirs not in response.content.decode(), theirs
        assert b"Signature" not in response.content
    assert not Receipt.objects.exists() and not InboundMessage.objects.exists()
    assert StoredFile.objects.count() == files_before
    assert [o for o in queued if o.kind == OutboundKind.STATUS] == []
    assert AuditRecord.objects.count() == audit_before  # refusals are counted, not chained one by one
    [counter] = RefusedTraffic.objects.all()
    assert (counter.address, counter.endpoint, counter.count) == ("127.0.0.1", "message", 3)
    assert counter.reason == responses[0].json()["error"]["details"]["reason"]


def test_a_body_over_the_size_limit_is_refused_before_it_is_read(client, keys, peer, dev_pki, settings):  # noqa: F811
    settings.EDXML_MAX_MESSAGE_BYTES = 1000
    response = post(client, b"<edXML>" + b" " * 5000 + b"</edXML>")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response.json()["error"]["details"] == {"reason": "message_too_large"}


def test_a_recall_is_applied_and_answered_15_and_a_recall_of_a_finished_or_unknown_document_16(
    client, keys, peer, dev_pki, queued  # noqa: F811
):
    p = keys
    original = incoming_message(p.dongson.code)
    assert post(client, build_message(original, [pdf_attachment()], signer=seal_signer(dev_pki))).status_code == 200
    recall = incoming_message(p.dongson.code, kind=1, target=original.header.document_id)
    response = post(client, build_message(recall, [], signer=seal_signer(dev_pki)))
    assert response.status_code == 200 and answer_of(response, dev_pki).status_code == "15"
    assert Receipt.objects.get().status == ReceiptStatus.RECALLED
    [answer] = [o for o in queued if o.kind == OutboundKind.STATUS and o.status_code == "15"]
    assert answer.document_id == original.header.document_id
    # The same recall again: the same answer, nothing new.
    again = post(client, build_message(recall, [], signer=seal_signer(dev_pki)))
    assert answer_of(again, dev_pki).status_code == "15"
    assert len([o for o in queued if o.status_code == "15"]) == 1

    unknown = incoming_message(p.dongson.code, number="99", kind=1, target=f"{G22},2026/11/20,99/BTP-PBGDPL")
    refused = answer_of(post(client, build_message(unknown, [], signer=seal_signer(dev_pki))), dev_pki)
    assert refused.status_code == "16" and "Không tìm thấy" in refused.description


def test_an_update_changes_a_waiting_receipt_and_is_answered_15(client, keys, peer, dev_pki, queued):  # noqa: F811
    p = keys
    original = incoming_message(p.dongson.code)
    post(client, build_message(original, [pdf_attachment()], signer=seal_signer(dev_pki)))
    update = incoming_message(p.dongson.code, kind=2, target=original.header.document_id,
                              subject="V/v phối hợp triển khai Luật Phổ biến, giáo dục pháp luật (sửa trích yếu)")
    response = post(client, build_message(update, [pdf_attachment()], signer=seal_signer(dev_pki)))
    assert answer_of(response, dev_pki).status_code == "15"
    assert Receipt.objects.get().summary.endswith("(sửa trích yếu)")


def test_a_status_message_from_the_recipient_updates_the_delivery_once(client, keys, peer, dev_pki, queued):  # noqa: F811
    from eoffice.interchange import mapping
    from eoffice.interchange.edxml import ResponseFor, StatusMessage, build_status

    from ._setup import released_external

    p = keys
    document = released_external(p, code=G22, name="Bộ Tư pháp")
    delivery = document.deliveries.get()
    services.queue_delivery(delivery)
    status = StatusMessage(response_for=ResponseFor(organ_id=p.stp.code, code=document.notation,
                                                    document_id=mapping.document_id_of(document)),
                           sender=MINISTRY, status_code="03", timestamp=mapping._now())
    data = build_status(status, signer=seal_signer(dev_pki))
    for _ in range(2):
        response = client.post("/lien-thong/edxml/trang-thai/", data=data, content_type="application/xml")
        assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == "accepted"
    assert list(delivery.events.order_by("pk").values_list("status", flat=True)) == ["queued", "accepted"]
    # A status signed by someone else is refused and changes nothing.
    forged = build_status(dataclasses.replace(status, status_code="06"), signer=make_cert("Giả mạo").signer())
    response = client.post("/lien-thong/edxml/trang-thai/", data=forged, content_type="application/xml")
    assert response.status_code == 403 and response.json()["error"]["code"] == "not_authenticated"
    assert RefusedTraffic.objects.get().endpoint == "status"
    delivery.refresh_from_db()
    assert delivery.status == "accepted"


def test_the_endpoint_never_answers_500_to_garbage(client, keys, peer, dev_pki):  # noqa: F811
    for body in (b"", b"\x00\xff garbage", b"<a>", b"<edXML xmlns='http://www.mic.gov.vn/TBT/QCVN_102_2016'/>"):
        response = post(client, body)
        assert 400 <= response.status_code < 500
    assert client.get(URL).status_code == 405


def test_a_replacement_withdraws_the_old_receipt_answers_15_for_it_and_queues_the_new_one(
    client, keys, peer, dev_pki, queued  # noqa: F811
):
    from eoffice.interchange.edxml import ReplacementInfo

    p = keys
    old = incoming_message(p.dongson.code)
    post(client, build_message(old, [pdf_attachment()], signer=seal_signer(dev_pki)))
    new = incoming_message(p.dongson.code, number="46", kind=3)
    new.trace.bussiness.replacement_info = [ReplacementInfo(document_id=old.header.document_id,
                                                            organ_ids=[p.dongson.code])]
    response = post(client, build_message(new, [pdf_attachment()], signer=seal_signer(dev_pki)))
    assert answer_of(response, dev_pki).status_code == "01"
    receipts = dict(Receipt.objects.values_list("number_notation", "status"))
    assert receipts == {"45/BTP-PBGDPL": ReceiptStatus.RECALLED, "46/BTP-PBGDPL": ReceiptStatus.WAITING}
    # ... and the new receipt links the one it replaces (the recipient's pages show both ways).
    assert Receipt.objects.get(number_notation="46/BTP-PBGDPL").replaces.number_notation == "45/BTP-PBGDPL"
    [agreed] = [o for o in queued if o.status_code == "15"]
    assert agreed.document_id == old.header.document_id


def test_an_internal_failure_is_a_503_the_sender_retries_never_a_500(client, keys, peer, dev_pki, monkeypatch):  # noqa: F811
    def broken(data, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "receive_message", broken)
    data = build_message(incoming_message(keys.dongson.code), [pdf_attachment()], signer=seal_signer(dev_pki))
    response = post(client, data)
    assert response.status_code == 503 and response.json()["error"]["code"] == "unavailable"


def test_the_clerks_refusal_goes_back_to_the_sender_as_status_02_with_the_reason(
    client, keys, peer, dev_pki, queued, django_capture_on_commit_callbacks  # noqa: F811
):
    p = keys
    data = build_message(incoming_message(p.dongson.code), [pdf_attachment()], signer=seal_signer(dev_pki))
    with django_capture_on_commit_callbacks(execute=True):
        post(client, data)
        incoming.return_receipt(Receipt.objects.get(), p.district_clerk, reason="Không thuộc thẩm quyền của huyện")
    [refusal] = [o for o in queued if o.status_code == "02"]
    status = parse_status(bytes(refusal.payload), trusted_certs=[dev_pki.root_certificate]).status
    assert status.description == "Không thuộc thẩm quyền của huyện"
    assert status.response_for.document_id == f"{G22},2026/11/20,45/BTP-PBGDPL"
    assert (refusal.peer, refusal.recipient_code) == (peer, G22)
