"""Round trips of edXML messages: every field, attachments by cid, layout of the standard, trust paths."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from lxml import etree

from eoffice.interchange.edxml import (
    NS,
    VN_TZ,
    Attachment,
    EdxmlMessage,
    EdxmlSigner,
    MessageHeader,
    Organization,
    ParseLimits,
    build_message,
    parse_message,
    split_document_id,
)

from .conftest import full_message, make_cert, sample_attachments

DS = "http://www.w3.org/2000/09/xmldsig#"


def test_every_header_and_trace_field_survives_a_round_trip(signer, trusted):
    msg = full_message()

    parsed = parse_message(build_message(msg, sample_attachments(), signer=signer), trusted_certs=trusted)

    assert parsed.header == msg.header
    assert parsed.trace == msg.trace
    # Spot checks so a failure names the field, not just "dataclasses differ".
    assert parsed.header.sender.fax == "0233 3852 124"
    assert [r.organ_id for r in parsed.header.recipients] == ["000.00.00.G22", "000.00.00.H01"]
    assert parsed.header.other_info.appendixes == ["Phụ lục I: Danh sách đơn vị", "Phụ lục II: Lộ trình"]
    assert parsed.header.response_for[0].promulgation_date == dt.date(2024, 2, 1)
    assert parsed.trace.bussiness.replacement_info[0].organ_ids == ["000.00.00.G22", "000.00.00.H01"]
    assert parsed.trace.trace_headers[1].timestamp == dt.datetime(2024, 3, 5, 8, 31, tzinfo=VN_TZ)


def test_minimal_message_round_trips_with_optional_parts_empty(signer, trusted):
    msg = full_message()
    header = MessageHeader(
        sender=Organization(organ_id="000.00.20.H01"),
        recipients=[Organization(organ_id="000.00.00.G22")],
        document_id="000.00.20.H01,2024/03/05,46/STP-VP",
        subject="Giấy mời họp",
        code=dataclasses.replace(msg.header.code, code_number="46"),
        promulgation_info=msg.header.promulgation_info,
    )
    minimal = EdxmlMessage(header=header)

    parsed = parse_message(build_message(minimal, [], signer=signer), trusted_certs=trusted)

    assert parsed.header == header
    assert parsed.trace == minimal.trace
    assert parsed.attachments == []


def test_attachments_are_returned_by_content_id_with_name_type_and_description(signer, trusted):
    attachments = sample_attachments()

    parsed = parse_message(build_message(full_message(), attachments, signer=signer), trusted_certs=trusted)

    assert parsed.attachments == attachments
    annex = parsed.attachment("cid:d4e5f6")
    assert annex.name == "Phụ lục I.docx"
    assert annex.data == b"PK\x03\x04 phu luc"
    assert annex.description == "Phụ lục kèm theo"
    assert parsed.attachment("a1b2c3").content_type == "application/pdf"
    with pytest.raises(KeyError):
        parsed.attachment("cid:unknown")


def test_message_follows_the_standard_layout_and_signature_covers_the_whole_document(signer):
    data = build_message(full_message(), sample_attachments(), signer=signer)
    root = etree.fromstring(data)

    assert root.tag == f"{{{NS}}}edXML"
    assert root.nsmap[None] == NS
    envelope, encoded = list(root)
    assert envelope.prefix == "edXML" and etree.QName(envelope).localname == "edXMLEnvelope"
    assert etree.QName(encoded).localname == "AttachmentEncoded" and encoded.prefix is None
    header, body = list(envelope)
    assert [etree.QName(e).localname for e in header] == ["MessageHeader", "TraceHeaderList", "Signature"]
    assert [etree.QName(e).localname for e in header[0]] == [
        "From", "To", "To", "Code", "PromulgationInfo", "DocumentType", "Subject", "Content", "SignerInfo",
        "DueDate", "ToPlaces", "OtherInfo", "ResponseFor", "SteeringType", "DocumentId",
    ]  # fmt: skip
    assert (
        header.findtext(f"{{{NS}}}MessageHeader/{{{NS}}}PromulgationInfo/{{{NS}}}PromulgationDate")
        == "2024/03/05"
    )
    assert (
        header.findtext(f"{{{NS}}}TraceHeaderList/{{{NS}}}TraceHeader/{{{NS}}}Timestamp")
        == "2024/03/05 08:30:15"
    )
    assert header.find(f"{{{NS}}}TraceHeaderList/{{{NS}}}Bussiness/{{{NS}}}BussinessDocType").text == "3"
    references = body.findall(f"{{{NS}}}edXMLManifest/{{{NS}}}Reference")
    assert [r.get("{http://www.w3.org/1999/xlink}href") for r in references] == ["cid:a1b2c3", "cid:d4e5f6"]
    signature = header[2]
    assert signature.find(f"{{{DS}}}SignedInfo/{{{DS}}}Reference").get("URI") == ""
    assert (
        signature.find(f"{{{DS}}}SignedInfo/{{{DS}}}SignatureMethod").get("Algorithm").endswith("rsa-sha256")
    )


def test_document_id_helpers_split_the_standard_shape():
    agency_id, date, code = split_document_id(full_message().header.document_id)

    assert (agency_id, date, code) == ("000.00.20.H01", dt.date(2024, 3, 5), "45/STP-VP")
    assert split_document_id("8d0f8a1e-3c55-4d0e-9c1e-1d2f3a4b5c6d") is None


def test_a_pinned_peer_certificate_is_trusted_without_its_ca(agency, trusted):
    data = build_message(full_message(), [], signer=agency.signer())

    parsed = parse_message(data, trusted_certs=[agency.cert])

    assert parsed.signer_certificate == agency.cert


def test_a_certificate_under_an_intermediate_is_trusted_when_the_chain_is_attached(root_ca, intermediate_ca):
    leaf = make_cert("UBND huyện Hòa An", issuer=intermediate_ca)

    parsed = parse_message(
        build_message(full_message(), [], signer=leaf.signer(intermediate_ca.cert)),
        trusted_certs=[root_ca.cert],
    )

    assert parsed.signer_certificate == leaf.cert


def test_an_attachment_larger_than_libxml2_default_text_limit_round_trips(signer, trusted):
    # 8 MB of data is ~10.7 MB of base64 in one text node: over libxml2's 10 MB default without huge_tree.
    big = Attachment(
        content_id="big", name="scan.pdf", content_type="application/pdf", data=b"\x00\x01" * 4_000_000
    )
    limits = ParseLimits(max_attachment_bytes=9_000_000)

    parsed = parse_message(
        build_message(full_message(), [big], signer=signer, limits=limits),
        trusted_certs=trusted,
        limits=limits,
    )

    assert parsed.attachment("big").data == big.data


def test_a_seal_from_the_development_pki_signs_messages_trusted_through_its_root(dev_pki):
    from tests.fixtures_pki import SEAL_STP_KEY

    seal = EdxmlSigner.from_pkcs12(
        dev_pki.key_store_path(SEAL_STP_KEY).read_bytes(), dev_pki.key_store_passphrase(SEAL_STP_KEY)
    )

    parsed = parse_message(
        build_message(full_message(), sample_attachments(), signer=seal),
        trusted_certs=[dev_pki.root_certificate],
    )

    assert parsed.signer_certificate == dev_pki.certificate(SEAL_STP_KEY)
    assert parsed.header == full_message().header
