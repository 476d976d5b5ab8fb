"""Documents and viewers for the search tests, built from a few keywords."""
from __future__ import annotations

import datetime
from typing import Any

from search import SearchDocument, Viewer

AGENCY_1 = frozenset({"agency:1"})
VIEWER_1 = Viewer(frozenset({"agency:1", "unit:11", "person:101"}))


def make_doc(number: int, summary: str, body: str = "", **overrides: Any) -> SearchDocument:
    """An ordinary incoming document of agency 1, visible to the whole agency, unless overridden."""
    values: dict[str, Any] = {
        "id": f"in:{number}",
        "agency_id": 1,
        "year": 2024,
        "date": datetime.date(2024, 3, 1) + datetime.timedelta(days=number),
        "doc_type": "Công văn",
        "issuer": "UBND tỉnh",
        "signer": "Nguyễn Văn An",
        "unit": "Văn phòng",
        "file": None,
        "urgency": "Thường",
        "status": "Đã xử lý",
        "number_notation": f"{number:02d}/UBND-VP",
        "summary": summary,
        "body": body,
        "confidentiality": "thuong",
        "acl": AGENCY_1,
    }
    values.update(overrides)
    return SearchDocument(**values)

