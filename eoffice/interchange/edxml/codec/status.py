"""Status messages (``<Status>``): build, parse, and the "refused" answer for a refusal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from cryptography import x509
from lxml import etree

from ..codes import CodeTables, default_code_tables
from ..errors import EdxmlRefused, InvalidStructure
from ..messages import Organization, ParsedStatus, ResponseFor, StaffInfo, StatusMessage
from ..security import (
    DEFAULT_LIMITS,
    EdxmlSigner,
    ParseLimits,
    placeholder_signature,
    safe_parse,
    sign_document,
    verify_document,
)
from .base import (
    NS,
    STATUS_HEADER,
    STATUS_ROOT,
    VN_TZ,
    _check_root,
    _child,
    _fmt_timestamp,
    _guard,
    _missing,
    _q,
    _read_organization,
    _read_response_for,
    _read_staff,
    _sub,
    _text,
    _timestamp,
    _write_organization,
    _write_response_for,
    _write_staff,
)


def status_to_xml(status: StatusMessage) -> etree._Element:
    """The unsigned status tree with the signature placeholder (see ``message_to_xml``)."""
    root = etree.Element(STATUS_ROOT, nsmap={None: NS})
    header = etree.SubElement(root, STATUS_HEADER, nsmap={"edXML": NS})
    body = _sub(header, "MessageStatus")
    _write_response_for(body, status.response_for)
    _write_organization(body, "From", status.sender)
    if status.recipient is not None:
        _write_organization(body, "To", status.recipient)
    _sub(body, "StatusCode", status.status_code)
    _sub(body, "Description", status.description)
    _sub(body, "Timestamp", _fmt_timestamp(status.timestamp))
    if status.staff_info is not None:
        _write_staff(body, status.staff_info)
    header.append(placeholder_signature())
    return root


def build_status(
    status: StatusMessage,
    *,
    signer: EdxmlSigner,
    code_tables: CodeTables | None = None,
) -> bytes:
    """Serialise and sign a status message (01 arrived ... 16 recall/update refused)."""
    _validate_status(status, code_tables or default_code_tables())
    return sign_document(status_to_xml(status), signer, huge_tree=False)


def _validate_status(status: StatusMessage, tables: CodeTables) -> None:
    if status.status_code not in tables.statuses:
        raise InvalidStructure(
            "unknown_status", f"Mã trạng thái «{status.status_code}» không có trong bảng mã."
        )
    if not status.sender.organ_id.strip():
        raise _missing("From")
    if not (status.response_for.document_id.strip() or status.response_for.code.strip()):
        raise _missing("ResponseFor")


def parse_status(
    data: bytes,
    *,
    trusted_certs: Sequence[x509.Certificate],
    limits: ParseLimits = DEFAULT_LIMITS,
    code_tables: CodeTables | None = None,
    now: dt.datetime | None = None,
) -> ParsedStatus:
    """Parse and verify a received status message."""
    tables = code_tables or default_code_tables()
    status_limits = ParseLimits(
        max_message_bytes=min(limits.max_message_bytes, 1024 * 1024),
        max_attachment_bytes=0,
        max_attachments=0,
        max_subject_chars=limits.max_subject_chars,
    )
    root = safe_parse(data, status_limits)
    _check_root(root, STATUS_ROOT, "một thông điệp trạng thái edXML")
    signed, cert = verify_document(root, [STATUS_HEADER], trusted_certs, huge_tree=False, now=now)

    def read() -> ParsedStatus:
        body = signed.find(f"{STATUS_HEADER}/{_q('MessageStatus')}")
        if body is None:
            raise _missing("MessageStatus")
        response_el = _child(body, "ResponseFor")
        if response_el is None:
            raise _missing("ResponseFor")
        sender = _read_organization(_child(body, "From"))
        if sender is None:
            raise _missing("From")
        timestamp = _timestamp(body, "Timestamp")
        if timestamp is None:
            raise _missing("Timestamp")
        code = _text(body, "StatusCode").strip()
        if not code:
            raise _missing("StatusCode")
        status = StatusMessage(
            response_for=_read_response_for(response_el),
            sender=sender,
            recipient=_read_organization(_child(body, "To")),
            status_code=code,
            description=_text(body, "Description"),
            timestamp=timestamp,
            staff_info=_read_staff(_child(body, "StaffInfo")),
        )
        _validate_status(status, tables)
        return ParsedStatus(status=status, signer_certificate=cert)

    try:
        return _guard(read)
    except EdxmlRefused as exc:  # refused after the signature verified: the caller may answer the signer
        exc.verified_certificate = cert
        raise


def refusal_status(
    refused: EdxmlRefused,
    *,
    response_for: ResponseFor,
    sender: Organization,
    recipient: Organization | None = None,
    timestamp: dt.datetime | None = None,
    staff_info: StaffInfo | None = None,
    code_tables: CodeTables | None = None,
) -> StatusMessage:
    """The status "refused" (02 in the packaged table) answer for a refusal, its description being the refusal's
    Vietnamese reason. The code is the one ``code_tables`` gives the meaning ``refused`` (``MissingCode`` if none)."""
    return StatusMessage(
        response_for=response_for,
        sender=sender,
        recipient=recipient,
        status_code=(code_tables or default_code_tables()).statuses.code_for("refused"),
        description=refused.reason_vi,
        timestamp=timestamp or dt.datetime.now(VN_TZ).replace(microsecond=0),
        staff_info=staff_info,
    )
