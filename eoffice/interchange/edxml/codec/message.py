"""Document messages (``<edXML>``): build (validate, serialise, sign) and parse (verify, read, check)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from cryptography import x509
from lxml import etree

from ..codes import CodeTables, default_code_tables
from ..errors import EdxmlRefused
from ..messages import Attachment, EdxmlMessage, ParsedMessage
from ..security import (
    DEFAULT_LIMITS,
    EdxmlSigner,
    ParseLimits,
    placeholder_signature,
    safe_parse,
    sign_document,
    verify_document,
)
from .attachments import (
    _precheck_attachments,
    _read_attachments,
    _validate_attachments,
    _write_encoded,
    _write_manifest,
)
from .base import ENVELOPE, HEADER, NS, ROOT, _check_root, _child, _guard, _sub
from .header import (
    _read_message_header,
    _read_trace,
    _validate_header,
    _validate_trace,
    _write_message_header,
    _write_trace,
)


def message_to_xml(msg: EdxmlMessage, attachments: Sequence[Attachment] = ()) -> etree._Element:
    """The unsigned message tree, with the signature placeholder in the header.

    Exposed so that tools (and tests) can inspect or alter a message before ``sign_document``; normal callers
    use ``build_message``, which validates first.
    """
    root = etree.Element(ROOT, nsmap={None: NS})
    envelope = etree.SubElement(root, ENVELOPE, nsmap={"edXML": NS})
    header = _sub(envelope, "edXMLHeader")
    _write_message_header(header, msg.header)
    _write_trace(header, msg.trace)
    header.append(placeholder_signature())
    _write_manifest(envelope, attachments)
    _write_encoded(root, attachments)
    return root


def build_message(
    msg: EdxmlMessage,
    attachments: Sequence[Attachment],
    *,
    signer: EdxmlSigner,
    limits: ParseLimits = DEFAULT_LIMITS,
    code_tables: CodeTables | None = None,
) -> bytes:
    """Serialise and sign a message. A message that ``parse_message`` would refuse is never built.

    Raises ``EdxmlRefused`` (same codes and reasons as on receipt) when a field is missing or out of range.
    """
    tables = code_tables or default_code_tables()
    _validate_header(msg.header, limits, tables)
    _validate_trace(msg.trace, limits, tables)
    _validate_attachments(list(attachments), limits)
    root = message_to_xml(msg, attachments)
    return sign_document(root, signer, huge_tree=limits.needs_huge_tree())


def parse_message(
    data: bytes,
    *,
    trusted_certs: Sequence[x509.Certificate],
    limits: ParseLimits = DEFAULT_LIMITS,
    code_tables: CodeTables | None = None,
    now: dt.datetime | None = None,
) -> ParsedMessage:
    """Parse, verify and check a received edXML message.

    Order: size → safe XML → namespace/root → attachment count and sizes → signature and trust → fields read
    from the signed bytes only → required fields and code tables → manifest/attachment consistency.
    """
    tables = code_tables or default_code_tables()
    root = safe_parse(data, limits)
    _check_root(root, ROOT, "một thông điệp edXML")
    _precheck_attachments(root, limits)
    signed, cert = verify_document(
        root, [ENVELOPE, HEADER], trusted_certs, huge_tree=limits.needs_huge_tree(), now=now
    )

    def read() -> ParsedMessage:
        header_el = signed.find(f"{ENVELOPE}/{HEADER}")
        header = _read_message_header(_child(header_el, "MessageHeader"))
        trace = _read_trace(_child(header_el, "TraceHeaderList"), limits)
        _validate_header(header, limits, tables)
        _validate_trace(trace, limits, tables)
        attachments = _read_attachments(signed, limits)
        return ParsedMessage(header=header, trace=trace, attachments=attachments, signer_certificate=cert)

    try:
        return _guard(read)
    except EdxmlRefused as exc:  # refused after the signature verified: the caller may answer the signer
        exc.verified_certificate = cert
        raise
