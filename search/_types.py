"""The plain shapes that cross the public surface of :mod:`search`.

They hold no Django objects on purpose: the document models (incoming, outgoing) build a
:class:`SearchDocument` from themselves, and the views build a :class:`Viewer` from the requesting
person, so the engine can be tested and benchmarked with no database.
"""
from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field
from typing import Any

# Fields a search can be filtered on (exact values) and faceted by.
FILTER_FIELDS: tuple[str, ...] = ("year", "doc_type", "issuer", "signer", "unit", "file", "urgency", "status")
FACET_FIELDS: tuple[str, ...] = FILTER_FIELDS
# Facets of the search page by default: a file (hồ sơ) facet has thousands of values, ask for it explicitly.
DEFAULT_FACETS: tuple[str, ...] = ("year", "doc_type", "issuer", "signer", "unit", "urgency", "status")
# Facets the search page asks for (and so the benchmark, which measures what the page does): the file tree too.
PAGE_FACETS: tuple[str, ...] = (*DEFAULT_FACETS, "file")
# Extra filter keys: an inclusive date range (datetime.date values).
RANGE_FILTERS: tuple[str, ...] = ("date_from", "date_to")
# Confidentiality value of an ordinary document, the only kind that may be indexed (folded spelling).
ORDINARY = "thuong"


@dataclass(frozen=True)
class SearchDocument:
    """One document as the index sees it.

    ``acl`` lists who may see it (tokens such as ``"agency:12"``, ``"unit:34"``, ``"person:56"``,
    ``"role:archivist@12"``); a :class:`Viewer` sees it when the two token sets intersect.
    ``confidentiality`` other than ordinary (``"thuong"``) means the document is secret: the index
    refuses it, because secret content must never reach a search index.
    """

    id: str
    agency_id: int
    year: int
    date: datetime.date
    doc_type: str
    issuer: str
    signer: str
    unit: str
    file: str | None
    urgency: str
    status: str
    number_notation: str
    summary: str
    body: str
    confidentiality: str
    acl: frozenset[str]

    def stored_fields(self) -> dict[str, Any]:
        """The fields a hit carries back (everything but the body text and the acl)."""
        return {
            "id": self.id,
            "agency_id": self.agency_id,
            "year": self.year,
            "date": self.date,
            "doc_type": self.doc_type,
            "issuer": self.issuer,
            "signer": self.signer,
            "unit": self.unit,
            "file": self.file,
            "urgency": self.urgency,
            "status": self.status,
            "number_notation": self.number_notation,
            "summary": self.summary,
        }


@dataclass(frozen=True)
class Removal:
    """What a reindex source yields for a row that must not be in the index (secret, or no longer
    indexable): the reindex removes ``id`` instead of skipping the row, so an entry that the indexing
    task could not remove (broker down) does not stay searchable."""

    id: str


@dataclass(frozen=True)
class Viewer:
    """Who asks: the same kind of tokens as :attr:`SearchDocument.acl`."""

    tokens: frozenset[str]


@dataclass
class Hit:
    """One result: ``summary_html``/``body_html`` are escaped HTML with ``<mark>`` around matches."""

    id: str
    score: float
    summary_html: str
    body_html: str
    fields: dict[str, Any]


@dataclass
class SearchResult:
    hits: list[Hit]
    total: int
    facets: dict[str, list[tuple[Any, int]]]
    page: int
    page_size: int
    query: str = ""
    filters: dict[str, Any] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size)) if self.page_size else 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1
