"""Who sees which files (hồ sơ) and what the archive holds.

- Files: people of the file's agency. The clerks, leaders and archivists see every file of the agency; anyone
  else the files of their own unit. Being able to see a file does not open its documents: each document is still
  shown only to those its own rule allows.
- Transfers and archived versions: through the files they belong to.
- Retention periods: a public code table. Texts of stored files: through the stored file's own rule.
"""

from __future__ import annotations

from django.db.models import Q

from eoffice.orgs.scoping import scoping_rule, visible_to


def register_archive_rules() -> None:
    from eoffice.documents.models import StoredFile

    from .models import ArchivedVersion, CaseFile, DocumentText, FileEntry, RetentionPeriod, Transfer
    from .services import FILE_MANAGERS

    @scoping_rule(RetentionPeriod)
    def retention(queryset, person):
        return queryset

    @scoping_rule(CaseFile)
    def case_files(queryset, person):
        if not person.agency_id:
            return queryset.none()
        mine = Q(agency_id=person.agency_id)
        if person.has_role(*FILE_MANAGERS):
            return queryset.filter(mine)
        if not person.unit_id:
            return queryset.none()
        return queryset.filter(mine & Q(unit_id=person.unit_id))

    @scoping_rule(FileEntry)
    def entries(queryset, person):
        return queryset.filter(case_file__in=visible_to(CaseFile, person).values("pk"))

    @scoping_rule(ArchivedVersion)
    def versions(queryset, person):
        return queryset.filter(case_file__in=visible_to(CaseFile, person).values("pk"))

    @scoping_rule(Transfer)
    def transfers(queryset, person):
        return queryset.filter(files__in=visible_to(CaseFile, person).values("pk")).distinct()

    @scoping_rule(DocumentText)
    def texts(queryset, person):
        return queryset.filter(stored_file__in=visible_to(StoredFile, person).values("pk"))

