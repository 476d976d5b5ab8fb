"""Operations of the document core: storing files, allocating register numbers, choosing series."""

from __future__ import annotations

import hashlib
import io

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from .models import Direction, DocumentType, NumberSeries, SeriesRule, StoredFile, is_secret, stored_file_path


def _page_count(data: bytes, content_type: str) -> int | None:
    if content_type != "application/pdf":
        return None
    try:
        from pyhanko.pdf_utils.reader import PdfFileReader

        reader = PdfFileReader(io.BytesIO(data), strict=False)
        return int(reader.root["/Pages"]["/Count"])
    except Exception:  # a count is a nicety; an odd PDF must not fail storing it
        return None


def store_file(data: bytes, *, name: str, content_type: str = "application/pdf") -> StoredFile:
    """Store ``data`` once, addressed by its SHA-256; storing the same bytes again returns the existing file.

    Stored files are immutable: a signed version of a file is new bytes and so a new :class:`StoredFile`.
    """
    sha = hashlib.sha256(data).hexdigest()
    existing = StoredFile.objects.filter(sha256=sha).first()
    if existing is not None:
        return existing
    stored = StoredFile(sha256=sha, name=name[:255] or "tep", content_type=content_type, size=len(data),
                        page_count=_page_count(data, content_type))
    path = stored_file_path(stored, stored.name)
    # Same path means same bytes: a copy left by a rolled-back transaction is reused, never overwritten.
    if not default_storage.exists(path):
        path = default_storage.save(path, ContentFile(data))
    stored.file.name = path
    try:
        with transaction.atomic():
            stored.save()
    except IntegrityError:
        return StoredFile.objects.get(sha256=sha)
    return stored


def allocate_number(agency, direction: str, code: str, year: int, *, name: str | None = None) -> int:
    """The next number of the agency's ``code`` series for ``year``.

    Must run inside the caller's ``transaction.atomic()``: the series row stays locked (``select_for_update``) until
    the caller commits, so concurrent registrations queue up, and a registration that fails afterwards rolls the
    number back with everything else — no gap, no duplicate. A new year's row is created on first use (numbers
    restart at 1 each 1 January); two first uses at once both end up on the one row.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate_number() must be called inside transaction.atomic()")
    agency_id = getattr(agency, "pk", agency)
    key = {"agency_id": agency_id, "direction": direction, "code": code, "year": year}
    series = NumberSeries.objects.select_for_update().filter(**key).first()
    if series is None:
        try:
            with transaction.atomic():
                NumberSeries.objects.create(**key, name=name or default_series_name(direction, code))
        except IntegrityError:
            pass  # someone else created it first: lock theirs below
        series = NumberSeries.objects.select_for_update().get(**key)
    series.last_number += 1
    series.save(update_fields=["last_number"])
    return series.last_number


def format_number(n: int) -> str:
    """Numbers below 10 are written with a leading zero (Decree 30): 1 → "01", 10 → "10"."""
    return f"{n:02d}"


INCOMING_SERIES = ("den", "Sổ văn bản đến")
INCOMING_SECRET_SERIES = ("den-mat", "Sổ văn bản mật đến")
OUTGOING_SERIES = ("di", "Sổ văn bản đi")
OUTGOING_SECRET_SERIES = ("di-mat", "Sổ văn bản mật đi")


def default_series_name(direction: str, code: str) -> str:
    for series_code, series_name in (INCOMING_SERIES, INCOMING_SECRET_SERIES, OUTGOING_SERIES,
                                     OUTGOING_SECRET_SERIES):
        if code == series_code:
            return series_name
    prefix = "Sổ văn bản đến" if direction == Direction.INCOMING else "Sổ văn bản đi"
    return f"{prefix} ({code})"


def incoming_series_for(confidentiality: str) -> tuple[str, str]:
    """(code, name) of the incoming series: paper and electronic share one; secret documents have their own."""
    return INCOMING_SECRET_SERIES if is_secret(confidentiality) else INCOMING_SERIES


def outgoing_series_for(agency, document_type: DocumentType | None, confidentiality: str) -> tuple[str, str]:
    """(code, name) of the outgoing series a document uses.

    Secret documents always use the secret series. Otherwise an agency's :class:`SeriesRule` for the type wins,
    then a deployment-wide rule, then the default: legal normative documents one series per kind, everything else
    the shared outgoing series.
    """
    if is_secret(confidentiality):
        return OUTGOING_SECRET_SERIES
    if document_type is not None:
        agency_id = getattr(agency, "pk", agency)
        rules = {rule.agency_id: rule for rule in SeriesRule.objects.filter(document_type=document_type)}
        rule = rules.get(agency_id) or rules.get(None)
        if rule is not None:
            return rule.series_code, rule.series_name
        if document_type.is_legal_normative:
            return document_type.code, f"Sổ {document_type.name}"
    return OUTGOING_SERIES


def ensure_document_types() -> int:
    """Create the seeded document types if missing (a flushed test database loses migration data)."""
    from .catalog import TYPES

    created = 0
    for order, (code, name, abbreviation, legal, paperless, copy) in enumerate(TYPES, start=1):
        _obj, was_created = DocumentType.objects.get_or_create(
            code=code,
            defaults={"name": name, "abbreviation": abbreviation, "is_legal_normative": legal,
                      "paperless": paperless, "is_copy": copy, "ordering": order},
        )
        created += was_created
    return created
