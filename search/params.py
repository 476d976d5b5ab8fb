"""Search parameters as the search page and the API take them, and the link of a hit.

Shared by ``eoffice/pages/search`` and ``eoffice/api/search.py``; imports nothing of ``eoffice``.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from ._types import FILTER_FIELDS
from .indexing import source_for_id

MAX_QUERY_CHARS = 500


class SearchRequestError(ValueError):
    """A search parameter that cannot be used; ``message`` is Vietnamese."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def parse_params(params: Mapping[str, Any], *, getlist=None) -> tuple[str, dict[str, Any], int]:
    """(query, filters, page) from request parameters; raises :class:`SearchRequestError` on unusable values."""
    getlist = getlist or (lambda key: [params[key]] if key in params else [])
    query = (params.get("q") or "").strip()[:MAX_QUERY_CHARS]
    filters: dict[str, Any] = {}
    for field in FILTER_FIELDS:
        values = [v.strip() for v in getlist(field) if v and v.strip()]
        if not values:
            continue
        if field == "year":
            try:
                values = [int(v) for v in values]
            except ValueError:
                raise SearchRequestError("Năm phải là một số.", "year") from None
        filters[field] = values if len(values) > 1 else values[0]
    for field in ("date_from", "date_to"):
        value = (params.get(field) or "").strip()
        if value:
            try:
                filters[field] = datetime.date.fromisoformat(value)
            except ValueError:
                raise SearchRequestError("Ngày phải có dạng YYYY-MM-DD.", field) from None
    try:
        page = int(params.get("page") or 1)
    except (TypeError, ValueError):
        raise SearchRequestError("Số trang phải là một số.", "page") from None
    if page < 1 or page > 10_000:
        raise SearchRequestError("Số trang không hợp lệ.", "page")
    return query, filters, page


def hit_link(hit_id: str) -> tuple[str, str]:
    """(url, kind label) of a hit."""
    try:
        source, pk = source_for_id(hit_id)
    except (LookupError, ValueError):
        return "", ""
    return source.url(pk), source.label
