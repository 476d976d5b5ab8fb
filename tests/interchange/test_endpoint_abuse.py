"""The liên thông endpoint under abuse: a rate limit per source address (429 with Retry-After), and a recall,
update or replacement applied only when it comes from the agency that sent the original document."""

from __future__ import annotations

import dataclasses

import pytest
from django.test import Client

from eoffice.audit.models import AuditRecord
from eoffice.incoming.models import Receipt, ReceiptStatus
from eoffice.interchange.edxml import Organization, ReplacementInfo, build_message
from eoffice.interchange.models import InboundMessage, RefusedTraffic
from eoffice.interchange.services import gate
from tests.outgoing.conftest import keys, province  # noqa: F401 - fixtures

from ._setup import MINISTRY, incoming_message, make_peer, pdf_attachment, seal_signer
from .test_transport import URL, answer_of, post, queued  # noqa: F401 - fixture

OTHER = Organization(organ_id="000.00.00.G10", organ_name="Bộ Nội vụ", organization_in_charge="Chính phủ")


@pytest.fixture
def peers(keys, dev_pki, settings):  # noqa: F811
    settings.EDXML_DEFAULT_AGENCY = keys.stp.code
    return make_peer(dev_pki, codes=[MINISTRY.organ_id]), make_peer(dev_pki, codes=[OTHER.organ_id], name="Bộ Nội vụ")


def from_other(msg):
    msg.header.sender = OTHER
    return msg


def test_beyond_the_limit_an_address_gets_429_with_retry_after_and_other_addresses_are_still_served(
    keys, peers, dev_pki, settings, queued, monkeypatch  # noqa: F811
):
    settings.EDXML_RATE_LIMIT_REQUESTS = 3
    settings.EDXML_RATE_LIMIT_WINDOW = 60
    clock = [16667 * 60 + 20.0]  # 20 s into a window
    monkeypatch.setattr(gate.time, "time", lambda: clock[0])
    flooder = Client(REMOTE_ADDR="192.0.2.66")
    answers = [post(flooder, b"<garbage/>").status_code for _ in range(5)]
    assert answers == [403, 403, 403, 429, 429]
    limited = post(flooder, b"<garbage/>")
    assert limited.status_code == 429 and limited["Retry-After"] == "40"
    assert limited.json()["error"]["code"] == "rate_limited"
    # The status endpoint shares the address's budget.
    assert flooder.post(URL + "trang-thai/", data=b"<x/>", content_type="application/xml").status_code == 429
    # A configured peer from another address goes through meanwhile.
    peer_client = Client(REMOTE_ADDR="192.0.2.10")
    data = build_message(incoming_message(keys.dongson.code), [pdf_attachment()], signer=seal_signer(dev_pki))
    assert post(peer_client, data).status_code == 200
    assert Receipt.objects.count() == 1
    # Counted, not audited one by one.
    counts = {(r.address, r.reason): r.count for r in RefusedTraffic.objects.all()}
    assert counts.pop(("192.0.2.66", "rate_limited")) == 1  # the first over the limit, then by hundreds
    assert sum(counts.values()) == 3 and {address for address, _ in counts} == {"192.0.2.66"}
    assert not AuditRecord.objects.filter(action__startswith="interchange.refused").exists()
    # The next window: the address is heard again.
    clock[0] += 40
    assert post(flooder, b"<garbage/>").status_code == 403


def test_the_rate_limit_reads_no_body_and_applies_before_any_parsing(keys, peers, settings, monkeypatch):  # noqa: F811
    settings.EDXML_RATE_LIMIT_REQUESTS = 1
    monkeypatch.setattr(gate.time, "time", lambda: 5_000_000.0)
    client = Client(REMOTE_ADDR="192.0.2.67")
    post(client, b"<garbage/>")

    def must_not_parse(*args, **kwargs):
        raise AssertionError("parsed a rate-limited request")

    from eoffice.interchange import services

    monkeypatch.setattr(services, "receive_message", must_not_parse)
    assert post(client, b"<garbage/>" * 1000).status_code == 429


def test_a_second_peers_recall_of_peer_as_document_is_refused_and_changes_nothing(
    client, keys, peers, dev_pki, queued  # noqa: F811
):
    p = keys
    original = incoming_message(p.dongson.code)
    assert post(client, build_message(original, [pdf_attachment()], signer=seal_signer(dev_pki))).status_code == 200
    receipt = Receipt.objects.get()
    forged = from_other(incoming_message(p.dongson.code, number="7", kind=1, target=original.header.document_id))
    response = post(client, build_message(forged, [], signer=seal_signer(dev_pki)))
    answer = answer_of(response, dev_pki)
    assert answer.status_code == "16" and "cơ quan đã gửi" in answer.description
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.WAITING
    assert list(InboundMessage.objects.values_list("business_kind", flat=True)) == [0]
    assert AuditRecord.objects.filter(action="interchange.recall_refused").count() == 1
    # The true sender's recall is still applied afterwards.
    recall = incoming_message(p.dongson.code, kind=1, target=original.header.document_id)
    assert answer_of(post(client, build_message(recall, [], signer=seal_signer(dev_pki))), dev_pki).status_code == "15"
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.RECALLED


def test_a_second_peers_update_of_peer_as_document_is_refused_and_changes_nothing(
    client, keys, peers, dev_pki, queued  # noqa: F811
):
    p = keys
    original = incoming_message(p.dongson.code)
    post(client, build_message(original, [pdf_attachment()], signer=seal_signer(dev_pki)))
    summary = Receipt.objects.get().summary
    update = from_other(incoming_message(p.dongson.code, kind=2, target=original.header.document_id,
                                         subject="V/v nội dung đã bị sửa bởi cơ quan khác"))
    answer = answer_of(post(client, build_message(update, [pdf_attachment()], signer=seal_signer(dev_pki))), dev_pki)
    assert answer.status_code == "16"
    assert Receipt.objects.get().summary == summary


def test_a_second_peers_replacement_does_not_withdraw_or_link_peer_as_document(
    client, keys, peers, dev_pki, queued  # noqa: F811
):
    p = keys
    old = incoming_message(p.dongson.code)
    post(client, build_message(old, [pdf_attachment()], signer=seal_signer(dev_pki)))
    new = from_other(incoming_message(p.dongson.code, number="46", kind=3))
    new.header = dataclasses.replace(new.header, document_id=new.header.document_id.replace(MINISTRY.organ_id,
                                                                                            OTHER.organ_id))
    new.trace.bussiness.replacement_info = [ReplacementInfo(document_id=old.header.document_id,
                                                            organ_ids=[p.dongson.code])]
    post(client, build_message(new, [pdf_attachment()], signer=seal_signer(dev_pki)))
    old_receipt = Receipt.objects.get(number_notation="45/BTP-PBGDPL")
    assert old_receipt.status == ReceiptStatus.WAITING
    assert Receipt.objects.get(number_notation="46/BTP-PBGDPL").replaces is None


def test_behind_the_proxy_a_client_cannot_escape_the_limit_by_sending_its_own_forwarded_for(
    keys, peers, settings, monkeypatch  # noqa: F811
):
    settings.EOFFICE_TRUST_X_FORWARDED_FOR = True
    settings.EDXML_RATE_LIMIT_REQUESTS = 2
    monkeypatch.setattr(gate.time, "time", lambda: 7_000_000.0)
    client = Client(REMOTE_ADDR="10.0.0.1")  # the reverse proxy; it appends the address it saw
    answers = [client.post(URL, data=b"<x/>", content_type="application/xml",
                           HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 192.0.2.99").status_code for n in range(4)]
    assert answers == [403, 403, 429, 429]
    assert set(RefusedTraffic.objects.values_list("address", flat=True)) == {"192.0.2.99"}
