"""Sending one queued message or status to its peer over HTTP (task ``interchange.edxml_send``)."""

from __future__ import annotations

import urllib.error
import urllib.request

from django.conf import settings
from django.utils import timezone

from ..edxml import EdxmlRefused, MissingCode, StatusMessage, parse_status
from ..models import OutboundKind, OutboundMessage, OutboundState
from .common import CONTENT_TYPE, TransportError, _all_certs, code_tables, peer_serving
from .outbound import _delivery_status, _give_up, _status_from_data, _status_not_built, build_outbound_message
from .statuses import apply_status


def post(url: str, data: bytes) -> tuple[int, bytes]:
    """POST ``data``; returns (HTTP status, body) for any HTTP answer, raises TransportError when unreachable."""
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": CONTENT_TYPE})
    try:
        with urllib.request.urlopen(request, timeout=settings.EDXML_HTTP_TIMEOUT) as response:  # noqa: S310
            return response.status, response.read(1024 * 1024)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(1024 * 1024)
    except (urllib.error.URLError, OSError) as exc:
        raise TransportError(f"{url}: {exc}") from exc


def send_outbound(outbound_id: int) -> OutboundMessage | None:
    """Send one queued message or status (task ``interchange.edxml_send``). Sending something already sent does
    nothing; an unreachable or failing peer raises ``TransportError`` so that the task retries with backoff."""
    outbound = (OutboundMessage.objects.select_related("peer", "delivery__document__agency")
                .filter(pk=outbound_id).first())
    if outbound is None or outbound.state != OutboundState.PENDING:
        return outbound
    if outbound.peer is None or not outbound.peer.enabled:
        outbound.peer = peer_serving(outbound.recipient_code)
        if outbound.peer is None:
            _give_up(outbound, f"Chưa cấu hình hệ thống liên thông phục vụ cơ quan {outbound.recipient_code}.")
            return outbound
        outbound.save(update_fields=["peer"])
    if outbound.payload is None and outbound.kind == OutboundKind.STATUS:
        try:
            payload = _status_from_data(outbound)
        except (MissingCode, EdxmlRefused) as exc:
            _status_not_built(outbound, exc)
            return outbound
        OutboundMessage.objects.filter(pk=outbound.pk, payload__isnull=True).update(payload=payload)
        outbound.refresh_from_db()
    elif outbound.payload is None:
        try:
            payload = build_outbound_message(outbound)
        except EdxmlRefused as refused:
            _give_up(outbound, refused.reason_vi, refuse_delivery=True)
            return outbound
        OutboundMessage.objects.filter(pk=outbound.pk, payload__isnull=True).update(payload=payload)
        outbound.refresh_from_db()
    OutboundMessage.objects.filter(pk=outbound.pk).update(attempts=outbound.attempts + 1)
    try:
        status_code, body = post(outbound.peer.url_for(outbound.kind), bytes(outbound.payload))
    except TransportError as exc:
        OutboundMessage.objects.filter(pk=outbound.pk).update(last_error=str(exc)[:1000])
        raise
    if status_code >= 500:
        OutboundMessage.objects.filter(pk=outbound.pk).update(last_error=f"HTTP {status_code}")
        raise TransportError(f"HTTP {status_code} từ {outbound.peer.name}")
    answer = _answer_status(body) if outbound.kind == OutboundKind.MESSAGE else None
    state = OutboundState.SENT if status_code < 400 else OutboundState.REFUSED
    OutboundMessage.objects.filter(pk=outbound.pk).update(
        state=state, sent_at=timezone.now(),
        last_error="" if state == OutboundState.SENT else (answer.description if answer else f"HTTP {status_code}"))
    if answer is not None:
        apply_status(answer)
    elif state == OutboundState.REFUSED and outbound.delivery_id:
        _delivery_status(outbound.delivery_id, "refused", f"Hệ thống nhận từ chối gói tin (HTTP {status_code}).")
    outbound.refresh_from_db()
    return outbound


def _answer_status(body: bytes) -> StatusMessage | None:
    """The status the peer answered with (only when signed by a configured peer)."""
    try:
        parsed = parse_status(body, trusted_certs=_all_certs(), code_tables=code_tables())
    except EdxmlRefused:
        return None
    return parsed.status
