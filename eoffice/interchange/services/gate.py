"""The endpoint's gate: a rate limit per source address, and what unauthenticated senders get.

- :func:`rate_limited` — at most ``EDXML_RATE_LIMIT_REQUESTS`` requests per source address and
  ``EDXML_RATE_LIMIT_WINDOW`` seconds (both endpoints together), counted in Django's cache (fixed windows); beyond,
  the endpoint answers 429 with ``Retry-After`` before reading the body.
- :func:`refuse_unauthenticated` — a message or status that is not signed by a configured peer (unsafe or malformed
  XML, unknown sender, bad or untrusted signature, too large) gets one fixed, unsigned answer that carries nothing
  the sender chose: ``{"error": {"code": "not_authenticated", "message": …, "details": {"reason": <our code>}}}``
  (HTTP 403; 413 for a body over the size limit). Nothing is signed, queued or written to the audit trail for it;
  the refusal is counted in :class:`~eoffice.interchange.models.RefusedTraffic` (per day, address, endpoint, reason).
"""

from __future__ import annotations

import json
import re
import time

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ..edxml import EdxmlRefused
from ..models import RefusedTraffic
from .common import Answer

NOT_AUTHENTICATED = "not_authenticated"
RATE_LIMITED = "rate_limited"
_FIXED_MESSAGE = ("Gói tin không được chấp nhận: không phải gói tin hợp lệ, được ký bởi một hệ thống liên thông "
                  "đã được cơ quan nhận cấu hình.")
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,59}$")


def rate_limited(address: str | None) -> int | None:
    """Count one request of ``address``; the seconds to wait when it is over the limit, else None."""
    limit = int(getattr(settings, "EDXML_RATE_LIMIT_REQUESTS", 120) or 0)
    window = max(1, int(getattr(settings, "EDXML_RATE_LIMIT_WINDOW", 60) or 60))
    if limit <= 0:
        return None
    now = time.time()
    slot = int(now // window)
    key = f"edxml-rate:{address or '-'}:{window}:{slot}"
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 1)
        count = 1
    if count <= limit:
        return None
    return max(1, int((slot + 1) * window - now + 0.999))


def _over_limit_batch(address: str | None, retry_after: int) -> int:
    """How many rate-limited requests to add to the counter now: the first of a window at once, then by hundreds
    (a flood costs one cache increment per request, and one database write per hundred)."""
    key = f"edxml-over:{address or '-'}"
    cache.add(key, 0, timeout=retry_after + 1)
    try:
        over = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=retry_after + 1)
        over = 1
    if over == 1:
        return 1
    if over % 100 == 0:
        return 99 if over == 100 else 100
    return 0


def count_refusal(address: str | None, endpoint: str, reason: str, n: int = 1) -> None:
    """``n`` more refused requests of ``address`` today (a counter row, not an audit record)."""
    reason = reason if _CODE.match(reason or "") else "other"
    now = timezone.now()
    day = timezone.localdate(now)
    address = (address or "")[:45]
    lookup = {"day": day, "address": address, "endpoint": endpoint, "reason": reason}
    with transaction.atomic():
        if RefusedTraffic.objects.filter(**lookup).update(count=F("count") + n, last_at=now):
            return
        try:
            with transaction.atomic():
                RefusedTraffic.objects.create(**lookup, count=n, last_at=now)
        except IntegrityError:  # another request created today's row first
            RefusedTraffic.objects.filter(**lookup).update(count=F("count") + n, last_at=now)


def refuse_unauthenticated(refused: EdxmlRefused, *, address: str | None, endpoint: str) -> Answer:
    """The fixed, unsigned refusal of a request no configured peer signed (counted, not audited)."""
    count_refusal(address, endpoint, refused.code)
    http_status = 413 if refused.code == "message_too_large" else 403
    reason = refused.code if _CODE.match(refused.code or "") else "other"
    body = {"error": {"code": NOT_AUTHENTICATED, "message": _FIXED_MESSAGE, "details": {"reason": reason}}}
    # ``reason`` stays on this side (the file import shows it to the operator); the body is all the sender gets.
    return Answer(http_status=http_status, body=json.dumps(body, ensure_ascii=False).encode(),
                  content_type="application/json", reason=refused.reason_vi)


def too_many_requests(address: str | None, endpoint: str, retry_after: int) -> Answer:
    batch = _over_limit_batch(address, retry_after)
    if batch:
        count_refusal(address, endpoint, RATE_LIMITED, batch)
    body = {"error": {"code": RATE_LIMITED, "message": "Quá nhiều gói tin từ cùng một địa chỉ; đề nghị gửi lại sau "
                                                       f"{retry_after} giây.", "details": {"retry_after": retry_after}}}
    return Answer(http_status=429, body=json.dumps(body, ensure_ascii=False).encode(),
                  content_type="application/json")
