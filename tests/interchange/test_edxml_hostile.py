"""Hostile and invalid messages: each is refused with a typed exception and a Vietnamese reason.

Messages with a valid signature but bad content are made by altering the unsigned tree from
``message_to_xml`` and signing it with ``sign_document``, as a sender with a broken (or malicious)
implementation would.
"""

from __future__ import annotations

import datetime as dt
import http.server
import threading
from collections.abc import Callable, Iterator

import pytest
from lxml import etree

from eoffice.interchange.edxml import (
    NS,
    Attachment,
    EdxmlRefused,
    InvalidStructure,
    LimitExceeded,
    ParseLimits,
    SignatureRefused,
    UnsafeXml,
    build_message,
    message_to_xml,
    parse_message,
    refusal_status,
    security,
    sign_document,
)
from eoffice.interchange.edxml.messages import ResponseFor

from .conftest import NOW, full_message, make_cert, sample_attachments


def q(name: str) -> str:
    return f"{{{NS}}}{name}"


def signed_with(signer, mutate: Callable[[etree._Element], None], attachments=()) -> bytes:
    root = message_to_xml(full_message(), list(attachments))
    mutate(root)
    return sign_document(root, signer)


def header_el(root: etree._Element) -> etree._Element:
    return root.find(f"{q('edXMLEnvelope')}/{q('edXMLHeader')}/{q('MessageHeader')}")


def assert_refused(exc_type: type[EdxmlRefused], code: str, data: bytes, trusted, **kwargs) -> EdxmlRefused:
    with pytest.raises(exc_type) as info:
        parse_message(data, trusted_certs=trusted, **kwargs)
    refused = info.value
    assert refused.code == code
    assert refused.status_code == "02"
    # A reason a clerk can read: Vietnamese, with diacritics, and not a Python traceback.
    assert any(ch in refused.reason_vi for ch in "ăâđêôơưáàảãạếệốộớợứự"), refused.reason_vi
    return refused


# --------------------------------------------------------------------------------------------- unsafe XML

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><Subject>&lol9;</Subject></edXML>"""


def test_billion_laughs_is_refused_without_expanding_entities(trusted):
    refused = assert_refused(UnsafeXml, "dtd_forbidden", BILLION_LAUGHS, trusted)
    assert "DTD" in refused.reason_vi


def test_billion_laughs_in_utf16_is_refused_by_the_parser_check(trusted):
    # The cheap byte scan cannot see UTF-16 text, so this exercises the parse-time DTD/entity check.
    data = BILLION_LAUGHS.decode().replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
    assert_refused(UnsafeXml, "dtd_forbidden", data.encode("utf-16"), trusted)


def test_external_file_entity_is_refused_and_the_file_is_never_read(tmp_path, trusted):
    secret = tmp_path / "secret.txt"
    secret.write_text("MẬT-KHẨU-BÍ-MẬT")
    data = (
        f'<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        f'<edXML xmlns="{NS}"><Subject>&xxe;</Subject></edXML>'
    ).encode()

    refused = assert_refused(UnsafeXml, "dtd_forbidden", data, trusted)

    assert "MẬT-KHẨU" not in refused.reason_vi


@pytest.fixture
def loopback_http() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 recording every path requested of it."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            requests.append(self.path)
            body = b'<!ENTITY leaked "leaked">'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def xxe_payload(url: str, prolog_padding: str = "", parameter_entity: bool = True) -> bytes:
    remote = f'<!ENTITY % remote SYSTEM "{url}/param"> %remote;' if parameter_entity else ""
    return (
        f'<?xml version="1.0"?>{prolog_padding}<!DOCTYPE edXML SYSTEM "{url}/evil.dtd" '
        f'[<!ENTITY xxe SYSTEM "{url}/entity"> {remote}]>'
        f'<edXML xmlns="{NS}"><Subject>&xxe;</Subject></edXML>'
    ).encode()


@pytest.mark.parametrize("padding", ["", f"<!--{'x' * 8000}-->"], ids=["plain", "doctype-after-long-comment"])
def test_external_http_entity_and_dtd_are_refused_without_any_network_request(
    loopback_http, trusted, padding
):
    url, requests = loopback_http

    assert_refused(UnsafeXml, "dtd_forbidden", xxe_payload(url, padding), trusted)

    assert requests == []


@pytest.mark.parametrize(
    ("parameter_entity", "codes"),
    [(False, {"dtd_forbidden", "malformed_xml"}), (True, {"dtd_forbidden", "malformed_xml"})],
    ids=["general-entity", "parameter-entity"],
)
def test_the_parser_itself_never_fetches_even_if_the_prolog_scan_missed_the_dtd(
    loopback_http, monkeypatch, parameter_entity, codes
):
    # Defence in depth: with the expat prolog scan disabled, lxml must still neither fetch nor expand, and the
    # document is refused (libxml2 reports the external DTD it would not load as a syntax error).
    url, requests = loopback_http
    monkeypatch.setattr(security, "_prolog_declares_dtd", lambda data: False)

    with pytest.raises(UnsafeXml) as info:
        security.safe_parse(xxe_payload(url, parameter_entity=parameter_entity))

    assert info.value.code in codes
    assert requests == []


def test_malformed_xml_is_refused(trusted):
    assert_refused(UnsafeXml, "malformed_xml", b"<edXML xmlns='x'><unclosed></edXML>", trusted)


# ------------------------------------------------------------------------------------------------- limits


def test_message_over_the_size_limit_is_refused_before_parsing(signer, trusted):
    data = build_message(full_message(), sample_attachments(), signer=signer)

    assert_refused(
        LimitExceeded, "message_too_large", data, trusted, limits=ParseLimits(max_message_bytes=len(data) - 1)
    )


def test_oversized_attachment_is_refused(signer, trusted):
    big = Attachment(content_id="big", name="Bản scan.pdf", content_type="application/pdf", data=b"x" * 5000)
    data = build_message(full_message(), [big], signer=signer)

    refused = assert_refused(
        LimitExceeded, "attachment_too_large", data, trusted, limits=ParseLimits(max_attachment_bytes=4000)
    )
    assert "Bản scan.pdf" in refused.reason_vi


def test_too_many_attachments_are_refused(signer, trusted):
    files = [
        Attachment(content_id=f"f{i}", name=f"tệp {i}.pdf", content_type="application/pdf", data=b"%PDF")
        for i in range(4)
    ]
    data = build_message(full_message(), files, signer=signer)

    assert_refused(
        LimitExceeded, "too_many_attachments", data, trusted, limits=ParseLimits(max_attachments=3)
    )


def test_subject_over_500_characters_is_refused_on_receipt_and_never_built(signer, trusted):
    long_subject = "Về việc " + "ư" * 493  # 501 characters

    def lengthen(root: etree._Element) -> None:
        header_el(root).find(q("Subject")).text = long_subject

    refused = assert_refused(LimitExceeded, "subject_too_long", signed_with(signer, lengthen), trusted)
    assert "500" in refused.reason_vi

    msg = full_message()
    msg.header.subject = long_subject
    with pytest.raises(LimitExceeded):
        build_message(msg, [], signer=signer)
    msg.header.subject = long_subject[:500]
    assert (
        parse_message(build_message(msg, [], signer=signer), trusted_certs=trusted).header.subject
        == msg.header.subject
    )


# ----------------------------------------------------------------------------------------------- structure


def test_wrong_namespace_is_refused(signer, trusted):
    foreign = "http://www.e-doc.vn/Schema/"
    root = etree.Element(f"{{{foreign}}}edXML", nsmap={None: foreign})
    etree.SubElement(root, f"{{{foreign}}}edXMLEnvelope")
    data = etree.tostring(root)

    refused = assert_refused(InvalidStructure, "wrong_namespace", data, trusted)
    assert "QCVN 102:2016" in refused.reason_vi


def test_a_status_message_is_not_accepted_as_a_document_message(signer, trusted):
    root = etree.Element(q("Status"), nsmap={None: NS})
    assert_refused(InvalidStructure, "wrong_root", etree.tostring(root), trusted)


@pytest.mark.parametrize(
    ("remove", "label"),
    [
        ("To", "cơ quan nhận"),
        ("Subject", "trích yếu"),
        ("From", "cơ quan gửi"),
        ("DocumentId", "mã định danh văn bản"),
    ],
)
def test_message_missing_a_required_field_is_refused(signer, trusted, remove, label):
    def drop(root: etree._Element) -> None:
        header = header_el(root)
        for element in header.findall(q(remove)):
            header.remove(element)

    refused = assert_refused(InvalidStructure, "missing_field", signed_with(signer, drop), trusted)
    assert label in refused.reason_vi


def test_building_a_message_without_recipients_is_refused(signer):
    msg = full_message()
    msg.header.recipients = []

    with pytest.raises(InvalidStructure) as info:
        build_message(msg, [], signer=signer)
    assert info.value.code == "missing_field"


def test_a_non_numeric_priority_is_refused(signer, trusted):
    def corrupt(root: etree._Element) -> None:
        header_el(root).find(f"{q('OtherInfo')}/{q('Priority')}").text = "rất khẩn"

    assert_refused(InvalidStructure, "bad_value", signed_with(signer, corrupt), trusted)


def test_a_manifest_reference_without_its_attachment_is_refused(signer, trusted):
    def drop_first_attachment(root: etree._Element) -> None:
        encoded = root.find(q("AttachmentEncoded"))
        encoded.remove(encoded[0])

    data = signed_with(signer, drop_first_attachment, sample_attachments())

    assert_refused(InvalidStructure, "attachment_missing", data, trusted)


def test_an_attachment_that_is_not_base64_is_refused(signer, trusted):
    def corrupt(root: etree._Element) -> None:
        root.find(
            f"{q('AttachmentEncoded')}/{q('Attachment')}/{q('ContentTransferEncoded')}"
        ).text = "không@base64!"

    assert_refused(
        InvalidStructure, "attachment_bad_base64", signed_with(signer, corrupt, sample_attachments()), trusted
    )


# ---------------------------------------------------------------------------------------------- signatures


def test_a_message_without_signature_is_refused(trusted):
    root = message_to_xml(full_message(), sample_attachments())
    placeholder = root.find(".//{http://www.w3.org/2000/09/xmldsig#}Signature")
    placeholder.getparent().remove(placeholder)

    assert_refused(SignatureRefused, "signature_missing", etree.tostring(root), trusted)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda s: s.replace("Nguyễn Văn An".encode(), "Nguyễn Văn Bình".encode()),
        lambda s: s.replace(b"<edXML:Priority>2<", b"<edXML:Priority>3<"),
        lambda s: s.replace(b"UEsDBCBwaHUgbHVj", b"UEsDBCBwaHUgbHVk"),  # a byte of an attachment
    ],
    ids=["signer-name", "priority", "attachment-byte"],
)
def test_a_message_altered_after_signing_is_refused(signer, trusted, tamper):
    data = build_message(full_message(), sample_attachments(), signer=signer)
    altered = tamper(data)
    assert altered != data

    assert_refused(SignatureRefused, "signature_invalid", altered, trusted)


def test_a_broken_signature_value_is_refused(signer, trusted):
    data = build_message(full_message(), [], signer=signer)
    root = etree.fromstring(data)
    value = root.find(".//{http://www.w3.org/2000/09/xmldsig#}SignatureValue")
    value.text = "A" + value.text[1:] if value.text[0] != "A" else "B" + value.text[1:]

    assert_refused(SignatureRefused, "signature_invalid", etree.tostring(root), trusted)


def test_a_signature_by_an_untrusted_certificate_is_refused(stranger, trusted):
    data = build_message(full_message(), [], signer=stranger.signer())

    refused = assert_refused(SignatureRefused, "certificate_untrusted", data, trusted)
    assert "Cơ quan lạ" in refused.reason_vi


def test_a_certificate_claiming_a_trusted_issuer_without_its_signature_is_refused(root_ca, trusted):
    # Same issuer name as the trusted root, but signed by an impostor key.
    impostor_ca = make_cert("CA chuyên dùng thử nghiệm", ca=True)
    forged = make_cert("Sở Tư pháp tỉnh Bình Minh", issuer=impostor_ca)
    assert forged.cert.issuer == root_ca.cert.subject

    assert_refused(
        SignatureRefused,
        "certificate_untrusted",
        build_message(full_message(), [], signer=forged.signer()),
        trusted,
    )


def test_an_expired_certificate_is_refused(root_ca, trusted):
    expired = make_cert(
        "Sở Tài chính",
        issuer=root_ca,
        not_before=NOW - dt.timedelta(days=400),
        not_after=NOW - dt.timedelta(days=1),
    )

    assert_refused(
        SignatureRefused,
        "certificate_expired",
        build_message(full_message(), [], signer=expired.signer()),
        trusted,
    )


def test_a_signature_moved_out_of_the_header_is_refused(signer, trusted):
    root = etree.fromstring(build_message(full_message(), [], signer=signer))
    signature = root.find(".//{http://www.w3.org/2000/09/xmldsig#}Signature")
    root.append(signature)

    assert_refused(SignatureRefused, "signature_misplaced", etree.tostring(root), trusted)


@pytest.mark.parametrize("position", [0, 1], ids=["forged-first", "forged-after"])
def test_unsigned_content_wrapped_around_a_valid_signature_is_refused(signer, trusted, position):
    # Signature wrapping: a forged, unsigned envelope beside the signed one must never be what we read.
    root = etree.fromstring(build_message(full_message(), [], signer=signer))
    forged_msg = full_message()
    forged_msg.header.subject = "Nội dung giả mạo"
    forged_envelope = message_to_xml(forged_msg)[0]
    placeholder = forged_envelope.find(".//{http://www.w3.org/2000/09/xmldsig#}Signature")
    placeholder.getparent().remove(placeholder)
    root.insert(position, forged_envelope)

    with pytest.raises(SignatureRefused) as info:
        parse_message(etree.tostring(root), trusted_certs=trusted)
    assert info.value.code in {"signature_misplaced", "signature_invalid"}


def test_a_refusal_becomes_a_status_02_with_its_reason(stranger, trusted):
    with pytest.raises(EdxmlRefused) as info:
        parse_message(build_message(full_message(), [], signer=stranger.signer()), trusted_certs=trusted)
    from eoffice.interchange.edxml import Organization

    status = refusal_status(
        info.value,
        response_for=ResponseFor(organ_id="000.00.20.H01", code="45/STP-VP", document_id="x"),
        sender=Organization(organ_id="000.00.00.G22", organ_name="Bộ Tư pháp"),
    )

    assert status.status_code == "02"
    assert status.description == info.value.reason_vi
