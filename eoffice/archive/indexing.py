"""The archive's part in the search index: the helpers every document kind's source uses, and the "file" field.

Each document kind registers its own search source from its app (``eoffice/incoming/indexing.py``,
``eoffice/outgoing/indexing.py``); they share :func:`file_label_subquery` (the file, hồ sơ, a document is filed
in) and :func:`body_text` (the text of its PDFs, from :class:`~eoffice.archive.models.DocumentText`, filled by the
``ocr`` queue). The archive itself keeps the "file" field of the indexed documents current when a file entry or a
file changes (:func:`register_sources`, called from ``ArchiveConfig.ready``), whatever the kind of document.
"""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Concat
from django.db.models.signals import post_delete, post_save

from search.indexing import schedule

MAX_BODY_CHARS = 400_000


def file_label_subquery(kind: str) -> Subquery:
    """"<code> — <title>" of the file a document of ``kind`` is filed in (annotate as ``case_file_label``)."""
    from .models import FileEntry

    entry = FileEntry.objects.filter(kind=kind, document_id=OuterRef("pk")).annotate(
        label=Concat("case_file__code", Value(" — "), "case_file__title", output_field=CharField()))
    return Subquery(entry.values("label")[:1], output_field=CharField())


def body_text(stored_files: list[Any]) -> str:
    """The extracted text of these stored files (``select_related("text")``), bounded to ``MAX_BODY_CHARS``."""
    parts = []
    for stored in stored_files:
        text = getattr(stored, "text", None)
        if text is not None and text.text:
            parts.append(text.text)
    return "\n".join(parts)[:MAX_BODY_CHARS]


# --- files (hồ sơ): the "file" field of the documents filed in them ---------------------------------------------------

def register_file_receivers() -> None:
    from .models import CaseFile, FileEntry

    def entry_changed(sender, instance, **kwargs):
        schedule(instance.kind, [instance.document_id])

    def case_file_changed(sender, instance, created, **kwargs):
        if created:
            return
        by_kind: dict[str, list[int]] = {}
        for kind, document_id in instance.entries.values_list("kind", "document_id"):
            by_kind.setdefault(kind, []).append(document_id)
        for kind, ids in by_kind.items():
            schedule(kind, ids)

    post_save.connect(entry_changed, sender=FileEntry, weak=False, dispatch_uid="archive.indexing.entry")
    post_delete.connect(entry_changed, sender=FileEntry, weak=False, dispatch_uid="archive.indexing.entry-del")
    post_save.connect(case_file_changed, sender=CaseFile, weak=False, dispatch_uid="archive.indexing.casefile")


def register_sources() -> None:
    """The archive's search receivers; called from ``ArchiveConfig.ready``."""
    register_file_receivers()
