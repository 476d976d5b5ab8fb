"""Recall (business kind 1, or a status "recall"), update (kind 2) and the recall half of a replacement (kind 3)
of a document we received, each answered once with "agreed" or "declined" (15 or 16 in the packaged table).

Only the agency that sent the original document may recall, update or replace it: a request from another sender
(even one of our configured peers, with a valid signature) is declined, changes nothing, records no answer that
would stand in for the true sender's later request, and leaves an audit record (``interchange.recall_refused``)."""

from __future__ import annotations

from eoffice.audit.services import record
from eoffice.orgs.models import Agency

from .. import mapping
from ..edxml import CodeTables, Organization, ParsedMessage, ResponseFor, split_document_id
from ..models import InboundMessage, Peer
from .common import SOURCE, _code_of, _key, _ref, code_tables
from .outbound import queue_status

NOT_THE_SENDER = "Chỉ cơ quan đã gửi văn bản mới được thu hồi, cập nhật hoặc thay thế văn bản đó."


def _original(target: str, agency: Agency) -> InboundMessage | None:
    return (InboundMessage.objects.filter(key=_key(target, agency.code, mapping.NEW))
            .select_related("receipt").first())


def from_original_sender(original: InboundMessage | None, target: str, sender: Organization, peer: Peer) -> bool:
    """Whether ``sender`` (verified through ``peer``) is the agency that sent ``target``: the sender of the original
    we received, or, for a document we never received, the agency its DocumentId names."""
    if original is not None:
        return original.sender_code == sender.organ_id and peer.serves(original.sender_code)
    parts = split_document_id(target)
    return parts is None or parts[0] == sender.organ_id


def _not_the_sender(sender: Organization, peer: Peer, agency: Agency, target: str, kind: int) -> tuple[str, str]:
    """Decline a recall/update/replacement from another agency than the original's sender; nothing is stored."""
    record("interchange.recall_refused", agency=agency.pk,
           data={"document_id": target, "from": sender.organ_id, "peer": peer.name, "kind": kind})
    return mapping.DECLINED, NOT_THE_SENDER


def _previous_answer(previous: InboundMessage) -> tuple[str, str]:
    meaning = previous.answer_meaning or mapping.status_meaning(previous.answer_code, code_tables())
    return meaning, previous.answer_reason


def _answered(sender: Organization, peer: Peer, agency: Agency, target: str, kind: int, sha: str, meaning: str,
              reason: str, original: InboundMessage | None, code_text: str = "") -> tuple[str, str]:
    """Record a recall/update answer (agreed or declined: 15 or 16 by the code table) and queue it to the sender."""
    InboundMessage.objects.create(
        key=_key(target, agency.code, kind), peer=peer, document_id=target, sender_code=sender.organ_id,
        sender_name=sender.organ_name, recipient_code=agency.code, business_kind=kind,
        code_text=original.code_text if original else code_text,
        promulgation_date=original.promulgation_date if original else None,
        receipt=original.receipt if original else None, answer_code=_code_of(meaning), answer_meaning=meaning,
        answer_reason=reason, sha256=sha,
    )
    response_for = ResponseFor(organ_id=sender.organ_id, code=original.code_text if original else code_text,
                               promulgation_date=original.promulgation_date if original else None,
                               document_id=target)
    queue_status(agency=agency, peer=peer, response_for=response_for, recipient=sender, meaning=meaning,
                 description=reason)
    record("interchange.recall_answered" if kind == mapping.RECALL else "interchange.update_answered",
           agency=agency.pk, data={"document_id": target, "answer": meaning, "reason": reason})
    return meaning, reason


def _recall_one(sender: Organization, peer: Peer, agency: Agency, target: str, sha: str, *,
                reason: str = "", code_text: str = "") -> tuple[str, str]:
    """Recall ``target`` at ``agency`` (business kind 1, a replacement, or a status "recall"); once."""
    from eoffice.incoming import services as incoming
    from eoffice.incoming.models import DocumentStatus, IncomingDocument

    original = _original(target, agency)
    if not from_original_sender(original, target, sender, peer):
        return _not_the_sender(sender, peer, agency, target, mapping.RECALL)
    previous = InboundMessage.objects.filter(key=_key(target, agency.code, mapping.RECALL)).first()
    if previous is not None:
        return _previous_answer(previous)
    reason = reason or "Cơ quan gửi thu hồi văn bản."
    if original is None or original.receipt is None:
        return _answered(sender, peer, agency, target, mapping.RECALL, sha, mapping.DECLINED,
                         "Không tìm thấy văn bản cần thu hồi tại cơ quan nhận.", original, code_text)
    document = IncomingDocument.objects.filter(receipt=original.receipt).first()
    if document is not None and document.status == DocumentStatus.DONE:
        return _answered(sender, peer, agency, target, mapping.RECALL, sha, mapping.DECLINED,
                         "Văn bản đã được xử lý xong, không thu hồi được.", original, code_text)
    incoming.recall_receipt(SOURCE, _ref(target, agency.code), reason=reason)
    return _answered(sender, peer, agency, target, mapping.RECALL, sha, mapping.AGREED, reason, original, code_text)


def _update_one(parsed: ParsedMessage, peer: Peer, agency: Agency, target: str, sha: str,
                tables: CodeTables) -> tuple[str, str]:
    """Update (kind 2): the metadata of a receipt still waiting for the clerk is replaced by the new header."""
    from eoffice.incoming import services as incoming
    from eoffice.incoming.models import Receipt, ReceiptStatus

    original = _original(target, agency)
    if not from_original_sender(original, target, parsed.header.sender, peer):
        return _not_the_sender(parsed.header.sender, peer, agency, target, mapping.UPDATE)
    key = _key(target, agency.code, mapping.UPDATE)
    previous = InboundMessage.objects.filter(key=key).first()
    if previous is not None:
        return _previous_answer(previous)
    receipt = Receipt.objects.filter(pk=original.receipt_id).first() if original else None
    if receipt is None:
        return _answered(parsed.header.sender, peer, agency, target, mapping.UPDATE, sha, mapping.DECLINED,
                         "Không tìm thấy văn bản cần cập nhật tại cơ quan nhận.", original,
                         mapping.code_text(parsed.header))
    if receipt.status != ReceiptStatus.WAITING:
        return _answered(parsed.header.sender, peer, agency, target, mapping.UPDATE, sha, mapping.DECLINED,
                         "Văn bản đã được tiếp nhận, vào sổ; không cập nhật được, đề nghị gửi văn bản thay thế.",
                         original, mapping.code_text(parsed.header))
    reason = parsed.trace.bussiness.bussiness_doc_reason or "Cập nhật thông tin văn bản."
    if incoming.update_waiting_receipt(receipt.pk, mapping.receipt_metadata(parsed, tables), reason=reason) is None:
        return _answered(parsed.header.sender, peer, agency, target, mapping.UPDATE, sha, mapping.DECLINED,
                         "Văn bản đã được tiếp nhận, vào sổ; không cập nhật được, đề nghị gửi văn bản thay thế.",
                         original, mapping.code_text(parsed.header))
    return _answered(parsed.header.sender, peer, agency, target, mapping.UPDATE, sha, mapping.AGREED, reason,
                     original, mapping.code_text(parsed.header))
