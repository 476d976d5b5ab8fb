"""Read-only questions about incoming documents: the inbox, the registers, the same dispatch registered before."""

from __future__ import annotations

from datetime import date

from django.db.models import Q

from eoffice.core.text import nfc
from eoffice.documents.services import INCOMING_SERIES
from eoffice.orgs.models import Delegation
from eoffice.orgs.scoping import visible_to

from ..models import DocumentStatus, IncomingDocument, WorkItem, WorkStatus


def find_duplicate(agency, issuer_name: str, number_notation: str, issued_on: date) -> IncomingDocument | None:
    """The registered document with the same issuer, number/notation and date of issue, if any."""
    return (IncomingDocument.objects.filter(agency=agency, issued_on=issued_on,
                                            number_notation__iexact=nfc(number_notation.strip()),
                                            issuer_name__iexact=nfc(issuer_name.strip()))
            .exclude(status=DocumentStatus.RECALLED).order_by("pk").first())


def duplicate_as_seen_by(duplicate: IncomingDocument | None, person) -> dict | None:
    """What ``person`` may learn of the registered document a dispatch duplicates: None when there is none; else
    ``{"visible": True, "id", "arrival_number", "year", "label"}`` when ``visible_to`` shows it to them, or only
    ``{"visible": False}`` (a secret document they are not named on: no id, no number, nothing of it)."""
    if duplicate is None:
        return None
    if not visible_to(IncomingDocument, person).filter(pk=duplicate.pk).exists():
        return {"visible": False}
    return {"visible": True, "id": duplicate.pk, "arrival_number": duplicate.arrival_number,
            "year": duplicate.year, "label": f"{duplicate.arrival_number_display}/{duplicate.year}"}


def inbox_items(person, *, include_delegated: bool = True):
    """The open work items of ``person`` (and of the people they stand in for), overdue and urgent first.

    A delegator's step, secret documents included: the delegator owns it, so is named on the document
    (:meth:`Delegation.counts_on`), and the scoping rule shows the document to the delegate."""
    owners = Q(person=person)
    if include_delegated:
        # The people of Person.acting_for(), as a subquery: the inbox stays one query.
        owners |= Q(person__in=Delegation.objects.delegator_ids(person))
    return (WorkItem.objects.filter(owners, status=WorkStatus.OPEN)
            .exclude(document__status=DocumentStatus.RECALLED)
            .select_related("document", "document__document_type", "person"))


def register_documents(person, *, year: int, agency=None, series: str = "", date_from: date | None = None,
                       date_to: date | None = None, urgency: str = "", channel: str = "", status: str = "",
                       text: str = ""):
    """The documents of the incoming register of ``year`` as ``person`` may see them (the list and the print-outs).

    One register at a time: the ordinary series unless ``series`` names another (secret documents have their own
    register and never appear in the ordinary one). ``date_from``/``date_to`` bound the arrival date (local,
    both included). ``agency`` None: every agency the person may see (the deployment's operator)."""
    documents = visible_to(IncomingDocument, person).filter(year=year, series_code=series or INCOMING_SERIES[0])
    if agency is not None:
        documents = documents.filter(agency=agency)
    if date_from:
        documents = documents.filter(arrived_at__date__gte=date_from)
    if date_to:
        documents = documents.filter(arrived_at__date__lte=date_to)
    for field_name, value in (("urgency", urgency), ("channel", channel), ("status", status)):
        if value:
            documents = documents.filter(**{field_name: value})
    if text:
        text = nfc(text)
        documents = documents.filter(Q(summary__icontains=text) | Q(number_notation__icontains=text) |
                                     Q(issuer_name__icontains=text))
    return documents
