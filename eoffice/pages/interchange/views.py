"""The liên thông HTTP endpoint: peers POST edXML messages and status messages here.

No session, no CSRF (the XML signature of a configured peer is the authentication). Each source address is
rate-limited before anything is read (429 with Retry-After, ``services.gate``); the size is checked before the body
is read. A request no configured peer signed gets a fixed, unsigned JSON refusal (``not_authenticated``) that
echoes nothing it sent; a configured peer's refused message gets a signed status 02 with the reason. Never a 500.
"""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from eoffice.audit.services import client_ip
from eoffice.interchange import services
from eoffice.interchange.edxml import EdxmlRefused
from eoffice.interchange.services import gate

log = logging.getLogger(__name__)


def _too_large(limit: int) -> EdxmlRefused:
    return EdxmlRefused("message_too_large", f"Gói tin vượt quá dung lượng cho phép (tối đa {limit} byte).")


def _read_body(request: HttpRequest) -> bytes:
    """The body, refusing (before reading it) one that declares or turns out larger than the limit."""
    limit = settings.EDXML_MAX_MESSAGE_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise _too_large(limit)
    data = request.read(limit + 1)
    if len(data) > limit:
        raise _too_large(limit)
    return data


def _respond(answer: services.Answer) -> HttpResponse:
    response = HttpResponse(answer.body, status=answer.http_status, content_type=answer.content_type)
    if answer.status_code:
        response["X-Edxml-Status"] = answer.status_code
    return response


def _unavailable() -> HttpResponse:
    """An internal failure is not the sender's fault: 503 tells its queue to try again later."""
    log.exception("edXML endpoint failure")
    body = {"error": {"code": "unavailable", "message": "Hệ thống nhận tạm thời không xử lý được gói tin, "
                                                        "đề nghị gửi lại sau."}}
    return HttpResponse(json.dumps(body, ensure_ascii=False), status=503, content_type="application/json")


def _throttled(request: HttpRequest, endpoint: str) -> HttpResponse | None:
    address = client_ip(request)
    retry_after = gate.rate_limited(address)
    if retry_after is None:
        return None
    response = _respond(gate.too_many_requests(address, endpoint, retry_after))
    response["Retry-After"] = str(retry_after)
    return response


def _disabled() -> HttpResponse:
    body = {"error": {"code": "disabled", "message": "Hệ thống không nhận văn bản liên thông qua điểm kết nối này."}}
    return HttpResponse(json.dumps(body, ensure_ascii=False), status=403, content_type="application/json")


@csrf_exempt
@require_POST
def receive_message(request: HttpRequest) -> HttpResponse:
    if not settings.EDXML_ENDPOINT_ENABLED:
        return _disabled()
    throttled = _throttled(request, "message")
    if throttled is not None:
        return throttled
    try:
        data = _read_body(request)
    except EdxmlRefused as refused:
        return _respond(gate.refuse_unauthenticated(refused, address=client_ip(request), endpoint="message"))
    try:
        return _respond(services.receive_message(data, address=client_ip(request)))
    except Exception:  # never a 500: the sender retries a 503
        return _unavailable()


@csrf_exempt
@require_POST
def receive_status(request: HttpRequest) -> HttpResponse:
    if not settings.EDXML_ENDPOINT_ENABLED:
        return _disabled()
    throttled = _throttled(request, "status")
    if throttled is not None:
        return throttled
    try:
        data = _read_body(request)
    except EdxmlRefused as refused:
        return _respond(gate.refuse_unauthenticated(refused, address=client_ip(request), endpoint="status"))
    try:
        return _respond(services.receive_status(data, address=client_ip(request)))
    except Exception:  # never a 500: the sender retries a 503
        return _unavailable()
