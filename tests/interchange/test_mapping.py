"""Mapping: an external delivery becomes an edXML message carrying every header field we hold, and a received
message becomes a receipt whose metadata says the same thing."""

from __future__ import annotations

import datetime as dt

import pytest

from eoffice.documents.models import Urgency
from eoffice.incoming import services as incoming
from eoffice.interchange import mapping, services
from eoffice.interchange.edxml import EdxmlRefused, build_message, parse_message
from eoffice.interchange.models import CodeRow, InboundMessage
from eoffice.outgoing.models import Delivery, DeliveryKind
from tests.outgoing.conftest import keys, province  # noqa: F401 - fixtures

from ._setup import incoming_message, make_peer, pdf_attachment, released_external, seal_signer

G22 = "000.00.00.G22"


def _roundtrip(delivery, dev_pki, kind=mapping.NEW):
    tables = services.code_tables()
    msg, attachments = mapping.message_for_delivery(delivery, business_kind=kind, tables=tables)
    data = build_message(msg, attachments, signer=services.signer_for(delivery.document.agency),
                         code_tables=tables)
    return msg, parse_message(data, trusted_certs=[dev_pki.root_certificate], code_tables=tables)


def test_every_header_field_we_hold_travels_and_maps_back_to_the_receipt(keys, dev_pki, monkeypatch):  # noqa: F811
    p = keys
    # The director answers a công văn that the ministry sent by edXML: the reply carries ResponseFor.
    make_peer(dev_pki, codes=[G22])
    data = build_message(incoming_message(p.stp.code), [pdf_attachment()], signer=seal_signer(dev_pki))
    assert services.receive_message(data).status_code == "01"
    receipt = InboundMessage.objects.get().receipt
    answered = incoming.register_incoming(p.clerk, receipt=receipt, present_to=p.director)

    document = released_external(p, code=G22, name="Bộ Tư pháp", urgency=Urgency.VERY_URGENT,
                                 deadline=dt.date(2026, 12, 15), signer_capacity="KT", signer_position="Phó Giám đốc",
                                 answers=answered,
                                 pdf_kwargs={"position": "Phó Giám đốc", "capacity": "KT. GIÁM ĐỐC"})
    delivery = document.deliveries.get(kind=DeliveryKind.EXTERNAL)
    sent, parsed = _roundtrip(delivery, dev_pki)
    header = parsed.header
    issued = mapping.issued_on(document)
    number, notation = document.notation.split("/", 1)

    assert header == sent.header  # nothing lost or altered in the XML
    assert header.sender.organ_id == p.stp.code and header.sender.organ_name == p.stp.name
    assert [(r.organ_id, r.organ_name) for r in header.recipients] == [(G22, "Bộ Tư pháp")]
    assert header.document_id == f"{p.stp.code},{issued:%Y/%m/%d},{document.notation}"
    assert (header.code.code_number, header.code.code_notation) == (number, notation)
    assert header.promulgation_info.place == p.stp.place_name and header.promulgation_info.promulgation_date == issued
    assert (header.document_type.type, header.document_type.type_name) == (18, "Công văn")
    assert header.subject == document.summary
    assert header.signer_info.competence == "KT."
    assert header.signer_info.position == "Phó Giám đốc"
    assert header.signer_info.full_name == p.director.get_full_name()
    assert header.due_date == dt.date(2026, 12, 15)
    assert header.to_places == ["Bộ Tư pháp"]
    assert header.other_info.priority == 2  # thượng khẩn
    assert header.other_info.page_amount == document.current_file.page_count >= 1
    assert header.other_info.promulgation_amount == document.copies
    assert header.steering_type == 0
    [response] = header.response_for
    assert response.organ_id == G22 and response.code == "45/BTP-PBGDPL"
    assert response.document_id == f"{G22},2026/11/20,45/BTP-PBGDPL"
    assert parsed.trace.bussiness.bussiness_doc_type == 0
    assert [t.organ_id for t in parsed.trace.trace_headers] == [p.stp.code]
    [attachment] = parsed.attachments
    assert attachment.data == document.current_file.read()

    # ... and the receiving side's mapping says the same thing to its receipt queue.
    meta = mapping.receipt_metadata(parsed, services.code_tables())
    assert meta.issuer_name == p.stp.name and meta.issuer_agency == p.stp
    assert meta.number_notation == document.notation
    assert meta.issued_on == issued
    assert meta.summary == document.summary
    assert meta.document_type.code == "cong-van"
    assert meta.place_of_issue == p.stp.place_name
    assert (meta.signer_capacity, meta.signer_position, meta.signer_name) == (
        "KT.", "Phó Giám đốc", p.director.get_full_name())
    assert meta.urgency == Urgency.VERY_URGENT
    assert meta.deadline == dt.date(2026, 12, 15)
    assert meta.page_count == document.current_file.page_count


def test_recall_and_replace_carry_their_business_kind_and_the_replaced_document(keys, dev_pki):  # noqa: F811
    p = keys
    old = released_external(p, code=G22, name="Bộ Tư pháp")
    _sent, recall = _roundtrip(old.deliveries.get(), dev_pki, kind=mapping.RECALL)
    assert recall.trace.bussiness.bussiness_doc_type == 1
    assert recall.trace.bussiness.document_id == mapping.document_id_of(old)
    assert recall.attachments == []

    from eoffice.outgoing import services as outgoing
    from tests.outgoing.conftest import draft_pdf

    new = outgoing.create_replacement(old, p.specialist, summary="V/v phối hợp (thay thế)",
                                      file=("du-thao.pdf", draft_pdf(p.director)))
    outgoing.submit(new, p.specialist)
    outgoing.review(new, p.unit_head, approve=True)
    outgoing.sign(new, p.director)
    outgoing.issue(new, p.clerk)
    outgoing.release(new, p.clerk)
    _sent, replace = _roundtrip(Delivery.objects.get(document=new), dev_pki, kind=mapping.REPLACE)
    assert replace.trace.bussiness.bussiness_doc_type == 3
    [info] = replace.trace.bussiness.replacement_info
    assert info.document_id == mapping.document_id_of(old) and info.organ_ids == [G22]


def test_a_secret_document_is_never_turned_into_an_edxml_message(keys):  # noqa: F811
    p = keys
    document = released_external(p, code=G22, name="Bộ Tư pháp")
    delivery = document.deliveries.get()
    type(document).objects.filter(pk=document.pk).update(confidentiality="mat")
    delivery.refresh_from_db()
    with pytest.raises(EdxmlRefused) as refused:
        mapping.message_for_delivery(delivery, tables=services.code_tables())
    assert refused.value.code == "secret"


def test_the_administrators_code_table_rows_drive_the_translation(keys, dev_pki):  # noqa: F811
    p = keys
    # This axis numbers priorities differently: 7 is their code for "khẩn".
    CodeRow.objects.filter(table="priorities").delete()  # the seeded defaults (if a flush left them)
    for position, (code, name, local) in enumerate([("0", "Thường", "thuong"), ("7", "Khẩn", "khan")]):
        CodeRow.objects.create(table="priorities", code=code, name=name, local_value=local, position=position)
    document = released_external(p, code=G22, name="Bộ Tư pháp", urgency=Urgency.URGENT)
    tables = services.code_tables()
    assert tables.priorities.codes() == ["0", "7"]
    msg, _attachments = mapping.message_for_delivery(document.deliveries.get(), tables=tables)
    assert msg.header.other_info.priority == 7
    assert mapping.local_urgency(7, tables) == Urgency.URGENT


def test_the_code_tables_fall_back_to_the_packaged_defaults_when_a_table_has_no_rows(db):
    CodeRow.objects.all().delete()
    tables = services.code_tables()
    assert tables.priorities.codes() == ["0", "1", "2", "3", "4"]
    assert "15" in tables.statuses and "16" in tables.statuses
