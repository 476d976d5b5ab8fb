"""What every part of the liên thông (edXML) operations uses: the code tables, the parse limits, the
configured peers and their certificates, the agencies' signing keys, the journal keys and the endpoint's answers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from django.conf import settings

from eoffice.orgs.models import Agency

from .. import mapping
from ..edxml import VN_TZ, CodeTables, EdxmlRefused, EdxmlSigner, MissingCode, ParseLimits
from ..models import CodeRow, Peer

SOURCE = "edxml"  # the ``source`` of receipts made from edXML messages
CONTENT_TYPE = "application/xml; charset=utf-8"


class TransportError(Exception):
    """The peer could not be reached or failed (5xx): the task retries with backoff."""


def code_tables() -> CodeTables:
    """The code tables the codec uses: the administrator's rows (with their fixed meanings), tables without rows
    keep the packaged defaults."""
    tables: dict[str, list[tuple[str, str, str]]] = {}
    for row in CodeRow.objects.order_by("table", "position", "code"):
        tables.setdefault(row.table, []).append((row.code, row.name, row.meaning))
    return CodeTables.from_mappings(tables)


def limits() -> ParseLimits:
    return ParseLimits(
        max_message_bytes=settings.EDXML_MAX_MESSAGE_BYTES,
        max_attachment_bytes=settings.EDXML_MAX_ATTACHMENT_BYTES,
        max_attachments=settings.EDXML_MAX_ATTACHMENTS,
    )


def enabled_peers() -> list[Peer]:
    return list(Peer.objects.filter(enabled=True))


def peer_serving(code: str) -> Peer | None:
    return next((peer for peer in enabled_peers() if peer.serves(code)), None)


def signer_for(agency: Agency) -> EdxmlSigner:
    """The agency's seal key (its certificate signs what the agency sends)."""
    from eoffice.documents.keyring import seal_key
    from signing.keyring import dev_pki

    pki = dev_pki()
    key = seal_key(agency)
    try:
        data = pki.key_store_path(key).read_bytes()
        password = pki.key_store_passphrase(key)
    except (KeyError, OSError) as exc:
        raise EdxmlRefused("no_key", f"Chưa có khóa đóng dấu của {agency.name} để ký gói tin edXML.") from exc
    return EdxmlSigner.from_pkcs12(data, password)


def default_agency() -> Agency | None:
    """The agency that answers for the deployment when a message names none of ours (refusals)."""
    code = getattr(settings, "EDXML_DEFAULT_AGENCY", "")
    if code:
        found = Agency.objects.filter(code=code).first()
        if found:
            return found
    return Agency.objects.filter(parent__isnull=True, is_active=True).order_by("pk").first()


def _now() -> dt.datetime:
    return dt.datetime.now(VN_TZ).replace(microsecond=0)


def _ref(document_id: str, agency_code: str) -> str:
    """The receipt's ``source_ref``: DocumentId + recipient, the idempotency key of a delivery."""
    return f"{document_id}|{agency_code}"


def _key(document_id: str, agency_code: str, kind: int) -> str:
    return f"{document_id}|{agency_code}|{kind}"


def _all_certs() -> list[x509.Certificate]:
    return [cert for peer in enabled_peers() for cert in peer.certificates()]


@dataclass
class Answer:
    """What the endpoint answers: an HTTP status and a body (a signed status message, or a JSON error)."""

    http_status: int
    body: bytes
    content_type: str = CONTENT_TYPE
    status_code: str = ""
    reason: str = ""


def json_answer(http_status: int, code: str, message: str) -> Answer:
    import json

    body = json.dumps({"error": {"code": code, "message": message}} if http_status >= 400 else
                      {"ok": True, "message": message}, ensure_ascii=False).encode()
    return Answer(http_status=http_status, body=body, content_type="application/json", reason=message)


def _verified(data: bytes, sender_code: str, peers: list[Peer], parse, tables: CodeTables):
    """Parse with the certificates of each peer serving ``sender_code`` in turn: (parsed, the peer it verified
    against). A signature no serving peer's certificate accepts is refused."""
    from ..edxml import SignatureRefused

    candidates = [peer for peer in peers if sender_code and peer.serves(sender_code) and peer.certificates()]
    if not candidates:
        raise _unknown_peer()
    refusal: EdxmlRefused | None = None
    for peer in candidates:
        try:
            return parse(data, trusted_certs=peer.certificates(), limits=limits(), code_tables=tables), peer
        except SignatureRefused as exc:
            refusal = exc
        except EdxmlRefused as exc:
            if exc.verified_certificate is not None:  # signed by this peer, refused on content: the peer is known
                exc.peer = peer
            raise
    assert refusal is not None
    raise refusal


def _unknown_peer() -> EdxmlRefused:
    return EdxmlRefused("unknown_peer", "Hệ thống gửi không có trong danh sách hệ thống liên thông được tin cậy "
                                        "của cơ quan nhận.")


def _code_of(meaning: str) -> str:
    """The code of a status meaning for the journal ("" when the table lost it: the answer says why)."""
    try:
        return mapping.status_code(meaning, code_tables())
    except MissingCode:
        return ""
