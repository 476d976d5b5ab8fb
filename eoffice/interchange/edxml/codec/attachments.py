"""The body: the manifest (``edXMLManifest`` references) and the base64 ``AttachmentEncoded`` files, written,
prechecked (count and size before the signature is verified), read and checked for consistency."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

from lxml import etree

from ..errors import InvalidStructure, LimitExceeded
from ..messages import Attachment, strip_cid
from ..security import ParseLimits
from .base import ENVELOPE, XLINK_NS, _children, _q, _sub, _text


def _write_manifest(envelope: etree._Element, attachments: Sequence[Attachment]) -> None:
    """``edXMLBody/edXMLManifest``: one reference (``cid:``) per attachment."""
    body = _sub(envelope, "edXMLBody")
    manifest = _sub(body, "edXMLManifest")
    manifest.set("version", "1.0")
    for attachment in attachments:
        cid = strip_cid(attachment.content_id)
        reference = etree.SubElement(manifest, _q("Reference"), nsmap={"xlink": XLINK_NS})
        reference.set(f"{{{XLINK_NS}}}href", f"cid:{cid}")
        reference.set(f"{{{XLINK_NS}}}type", "simple")
        _sub(reference, "ContentId", f"cid:{cid}")
        _sub(reference, "ContentType", attachment.content_type)
        _sub(reference, "Description", attachment.description)
        _sub(reference, "AttachmentName", attachment.name)


def _write_encoded(root: etree._Element, attachments: Sequence[Attachment]) -> None:
    """``AttachmentEncoded`` beside the envelope: the files themselves, base64 (nothing when there are none)."""
    if attachments:
        encoded = _sub(root, "AttachmentEncoded")
        for attachment in attachments:
            a_el = _sub(encoded, "Attachment")
            _sub(a_el, "ContentType", attachment.content_type)
            _sub(a_el, "ContentId", strip_cid(attachment.content_id))
            _sub(a_el, "Description", attachment.description)
            _sub(a_el, "AttachmentName", attachment.name)
            _sub(a_el, "ContentTransferEncoded", base64.b64encode(attachment.data).decode("ascii"))


def _validate_attachments(attachments: list[Attachment], limits: ParseLimits) -> None:
    if len(attachments) > limits.max_attachments:
        raise _too_many_attachments(len(attachments), limits)
    seen: set[str] = set()
    for attachment in attachments:
        cid = strip_cid(attachment.content_id).strip()
        if not cid:
            raise InvalidStructure("attachment_without_cid", "Tệp đính kèm thiếu mã nội dung (ContentId).")
        if cid in seen:
            raise InvalidStructure("duplicate_cid", f"Mã nội dung tệp đính kèm bị trùng: «{cid}».")
        seen.add(cid)
        if len(attachment.data) > limits.max_attachment_bytes:
            raise _attachment_too_large(attachment.name, len(attachment.data), limits)


def _too_many_attachments(count: int, limits: ParseLimits) -> LimitExceeded:
    return LimitExceeded(
        "too_many_attachments",
        f"Gói tin có {count} tệp đính kèm, vượt quá {limits.max_attachments} tệp cho phép.",
    )


def _attachment_too_large(name: str, size: int, limits: ParseLimits) -> LimitExceeded:
    return LimitExceeded(
        "attachment_too_large",
        f"Tệp đính kèm «{name}» có dung lượng khoảng {size} byte, vượt quá {limits.max_attachment_bytes} byte cho phép.",
    )


def _precheck_attachments(root: etree._Element, limits: ParseLimits) -> None:
    """Refuse oversized or too many attachments before spending time on the signature."""
    items = root.findall(f"{_q('AttachmentEncoded')}/{_q('Attachment')}")
    if len(items) > limits.max_attachments:
        raise _too_many_attachments(len(items), limits)
    for item in items:
        encoded = _text(item, "ContentTransferEncoded")
        approx = len(encoded) * 3 // 4
        if approx > limits.max_attachment_bytes + 3:
            raise _attachment_too_large(_text(item, "AttachmentName"), approx, limits)


def _read_attachments(root: etree._Element, limits: ParseLimits) -> list[Attachment]:
    manifest = root.find(f"{ENVELOPE}/{_q('edXMLBody')}/{_q('edXMLManifest')}")
    references: dict[str, etree._Element] = {}
    for reference in _children(manifest, "Reference"):
        href = reference.get(f"{{{XLINK_NS}}}href") or _text(reference, "ContentId")
        cid = strip_cid(href.strip())
        if not cid:
            raise InvalidStructure(
                "reference_without_cid", "Tham chiếu trong danh mục (Manifest) thiếu mã nội dung."
            )
        if cid in references:
            raise InvalidStructure("duplicate_cid", f"Mã nội dung tệp đính kèm bị trùng: «{cid}».")
        references[cid] = reference
    attachments: list[Attachment] = []
    seen: set[str] = set()
    for item in root.findall(f"{_q('AttachmentEncoded')}/{_q('Attachment')}"):
        cid = strip_cid(_text(item, "ContentId").strip())
        name = _text(item, "AttachmentName")
        if not cid:
            raise InvalidStructure("attachment_without_cid", "Tệp đính kèm thiếu mã nội dung (ContentId).")
        if cid in seen:
            raise InvalidStructure("duplicate_cid", f"Mã nội dung tệp đính kèm bị trùng: «{cid}».")
        seen.add(cid)
        if cid not in references:
            raise InvalidStructure(
                "attachment_not_in_manifest",
                f"Tệp đính kèm «{name}» không được liệt kê trong danh mục (Manifest).",
            )
        try:
            data = base64.b64decode("".join(_text(item, "ContentTransferEncoded").split()), validate=True)
        except (binascii.Error, ValueError):
            raise InvalidStructure(
                "attachment_bad_base64", f"Nội dung tệp đính kèm «{name}» không phải base64 hợp lệ."
            ) from None
        if len(data) > limits.max_attachment_bytes:
            raise _attachment_too_large(name, len(data), limits)
        attachments.append(
            Attachment(
                content_id=cid,
                name=name,
                content_type=_text(item, "ContentType"),
                data=data,
                description=_text(item, "Description"),
            )
        )
    missing = [cid for cid in references if cid not in seen]
    if missing:
        raise InvalidStructure(
            "attachment_missing",
            f"Danh mục (Manifest) tham chiếu tệp «{missing[0]}» nhưng gói tin không kèm tệp đó.",
        )
    return attachments
