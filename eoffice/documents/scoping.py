"""Who sees what of the document core.

Document types: everyone (a public code table). Number series: the person's own agency. Stored files: only through
a document the person may see — each app that attaches files registers a provider with :func:`file_provider`
returning the ids of the files ``person`` may see (as a queryset of ids, evaluated inside one query).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q, QuerySet

from eoffice.orgs.scoping import scoping_rule

FileProvider = Callable[[object], QuerySet]
_FILE_PROVIDERS: list[FileProvider] = []


def file_provider(provider: FileProvider) -> FileProvider:
    """Register ``provider(person) -> queryset of StoredFile ids`` the person may see through some document."""
    _FILE_PROVIDERS.append(provider)
    return provider


def register_document_rules() -> None:
    from .models import DocumentType, NumberSeries, SeriesRule, StoredFile

    @scoping_rule(DocumentType)
    def document_types(queryset, person):
        return queryset

    @scoping_rule(NumberSeries)
    def number_series(queryset, person):
        if not person.agency_id:
            return queryset.none()
        return queryset.filter(agency_id=person.agency_id)

    @scoping_rule(SeriesRule)
    def series_rules(queryset, person):
        return queryset.filter(Q(agency__isnull=True) | Q(agency_id=person.agency_id))

    @scoping_rule(StoredFile)
    def stored_files(queryset, person):
        if not _FILE_PROVIDERS:
            return queryset.none()
        condition = Q()
        for provider in _FILE_PROVIDERS:
            condition |= Q(pk__in=provider(person))
        return queryset.filter(condition)
