"""The clerk's step: check the form, take the number from the right series, fill the number and date fields,
register and seal, in ONE transaction (:func:`issue`): any failure rolls everything back, no number is consumed."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from eoffice.audit.services import record
from eoffice.documents.services import allocate_number, format_number, outgoing_series_for, store_file
from eoffice.orgs.models import Person

from .. import policy
from ..models import OutgoingDocument, Status, VersionKind
from ..process import driver as process_driver
from ._common import _add_readers, _error, _lock, _new_version
from .drafting import check_secret_recipients


def _require_clerk(person: Person, document: OutgoingDocument) -> None:
    if not policy.is_clerk_of(person, document):
        raise _error("Chỉ văn thư của cơ quan ban hành được cấp số, đóng dấu và phát hành.", "not_clerk", 403)


def notation_for(document: OutgoingDocument, number: int) -> str:
    """``12/QĐ-UBND`` (number/type-agency), or for a công văn ``45/UBND-VP`` (number/agency-drafting unit)."""
    type_abbr = document.document_type.abbreviation
    if type_abbr:
        return f"{format_number(number)}/{type_abbr}-{document.agency.abbreviation}"
    return f"{format_number(number)}/{document.agency.abbreviation}-{document.drafting_unit.abbreviation}"


def date_text(document: OutgoingDocument, when: datetime) -> str:
    from signing.documents import date_line

    place = document.agency.place_name or document.agency.name
    return date_line(place, timezone.localtime(when).date())


def issue(document: OutgoingDocument, person: Person, *, request=None, at: datetime | None = None) -> OutgoingDocument:
    """The clerk's step: number and notation from the right series, fill the fields, register, seal.

    All in one transaction: if filling or sealing fails, the number goes back to the series and nothing is kept.
    """
    from eoffice.documents.keyring import seal_key_source
    from signing.appearance import LayoutError
    from signing.images import seal_image
    from signing.keys import KeyStoreError
    from signing.ltv import ArchivalError, get_timestamper, make_archival
    from signing.pades import fill_number_date, sign_seal
    flow = process_driver()

    _require_clerk(person, document)
    with transaction.atomic():
        document = _lock(document)
        if document.status != Status.SIGNED:
            raise _error("Văn bản chưa được lãnh đạo ký, hoặc đã được cấp số.", "wrong_state", 409)
        flow.open_task(document, "issue")
        check_secret_recipients(document)  # before the number is taken: a refusal consumes no number, seals nothing
        when = at or timezone.now()
        year = timezone.localtime(when).year
        code, series_name = outgoing_series_for(document.agency, document.document_type, document.confidentiality)
        number = allocate_number(document.agency, "outgoing", code, year, name=series_name)
        notation = notation_for(document, number)
        pdf = document.current_file.read()
        try:
            numbered = fill_number_date(pdf, notation, date_text(document, when))
            agency = document.agency
            superior = agency.parent.name if agency.parent_id else None
            timestamper = get_timestamper()
            sealed = sign_seal(numbered, seal_key_source(agency), agency_name=agency.name,
                               seal_image=seal_image(agency.name, superior_name=superior),
                               person_field=document.person_field or None, timestamper=timestamper,
                               seal_diameter_mm=agency.seal_size_mm())
            if timestamper is not None:
                # PAdES B-LT: keep in the DSS the CRLs/OCSP responses every signature was checked against.
                sealed = make_archival(sealed, timestamper=timestamper, document_timestamp=False)
        except ArchivalError as exc:
            raise _error(f"Không cấp số được: {exc.message}", "revocation_unavailable", 409) from exc
        except KeyStoreError as exc:
            raise _error(str(exc), "no_seal_key", 409) from exc
        except (LayoutError, ValueError) as exc:
            raise _error(f"Không cấp số, đóng dấu được: {exc}", "layout") from exc
        slug = notation.replace("/", "-")
        _new_version(document, VersionKind.NUMBERED, store_file(numbered, name=f"{slug}-so.pdf"), person)
        _new_version(document, VersionKind.SEALED, store_file(sealed, name=f"{slug}.pdf"), person)
        document.series_code, document.year, document.number = code, year, number
        document.notation = notation
        document.issued_at = when
        document.status = Status.ISSUED
        document.save()
        _add_readers(document, person)
        flow.complete(document, "issue", person)
        record("outgoing.issued", actor=person, obj=document, request=request,
               data={"series": code, "year": year, "number": number, "notation": notation})
    return document
