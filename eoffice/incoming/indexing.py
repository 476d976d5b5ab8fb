"""What the search index holds of incoming documents, and who may see them there.

The acl tokens of a document and the viewer tokens of a person are built side by side, mirroring the scoping rule
of ``eoffice/incoming/scoping.py``, so that a search returns exactly what ``visible_to`` would. Secret documents
are never indexed (``build`` returns ``None``; the indexing task then removes any earlier copy). Signal receivers
schedule reindexing on every change that alters a document's text, metadata, file or acl; the text of its PDFs
comes from :class:`~eoffice.archive.models.DocumentText`, filled by the ``ocr`` queue. Registered from
``IncomingConfig.ready``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.urls import reverse

from eoffice.archive.indexing import body_text, file_label_subquery
from eoffice.archive.models import DocumentKind
from eoffice.documents.models import is_secret
from search import SearchDocument
from search.indexing import EVERYONE, Source, register_source, schedule


def _queryset():
    from .models import IncomingDocument, IncomingFile, WorkItem

    return IncomingDocument.objects.select_related("document_type", "lead_unit").prefetch_related(
        Prefetch("files", queryset=IncomingFile.objects.select_related("stored_file__text")),
        Prefetch("work_items", queryset=WorkItem.objects.only("pk", "document_id", "person_id")),
        "named_people",
    ).annotate(case_file_label=file_label_subquery(DocumentKind.INCOMING))


def incoming_acl(document) -> frozenset[str]:
    """Mirror of ``eoffice.incoming.scoping``: the agency's clerks, leaders and archivists see every ordinary
    document of the agency; anyone else of the agency only documents they have work on or that name them."""
    agency = document.agency_id
    people = {item.person_id for item in document.work_items.all()} | {p.pk for p in document.named_people.all()}
    return frozenset({EVERYONE, f"in:overseer:{agency}"} | {f"in:person:{pk}@{agency}" for pk in people})


def incoming_viewer_tokens(person) -> set[str]:
    from .scoping import READERS

    if not person.agency_id:
        return set()
    tokens = {f"in:person:{person.pk}@{person.agency_id}"}
    if person.has_role(*READERS):
        tokens.add(f"in:overseer:{person.agency_id}")
    return tokens


def build_incoming(document) -> SearchDocument | None:
    if is_secret(document.confidentiality):
        return None
    files = [link.stored_file for link in document.files.all()]
    return SearchDocument(
        id=f"in:{document.pk}",
        agency_id=document.agency_id,
        year=document.year,
        date=document.issued_on,
        doc_type=document.document_type.name if document.document_type else "",
        issuer=document.issuer_name,
        signer=document.signer_name,
        unit=document.lead_unit.name if document.lead_unit else "",
        file=getattr(document, "case_file_label", None) or None,
        urgency=str(document.get_urgency_display()),
        status=str(document.get_status_display()),
        number_notation=document.number_notation,
        summary=document.summary,
        body=body_text(files),
        confidentiality=document.confidentiality,
        acl=incoming_acl(document),
    )


def _with_file(stored_file_id: int) -> list[int]:
    from .models import IncomingFile

    return list(IncomingFile.objects.filter(stored_file_id=stored_file_id).values_list("document_id", flat=True))


def _files(document) -> list[Any]:
    return [link.stored_file for link in document.files.all()]


def register_incoming_source() -> None:
    """The incoming search source and the receivers that keep it current; called from ``IncomingConfig.ready``."""
    from .models import IncomingDocument, IncomingFile, WorkItem

    register_source(Source(
        kind=DocumentKind.INCOMING, prefix="in", label="Văn bản đến",
        queryset=_queryset, build=build_incoming, viewer_tokens=incoming_viewer_tokens,
        url=lambda pk: reverse("incoming:document", args=[pk]), stored_files=_files,
        pks_with_file=_with_file,
    ))

    def document_changed(sender, instance, **kwargs):
        schedule(DocumentKind.INCOMING, [instance.pk])

    def related_changed(sender, instance, **kwargs):
        schedule(DocumentKind.INCOMING, [instance.document_id])

    def file_added(sender, instance, created, **kwargs):
        schedule(DocumentKind.INCOMING, [instance.document_id])
        if created:
            from eoffice.archive.services import schedule_text

            schedule_text([instance.stored_file_id])

    def named_changed(sender, instance, action, pk_set=None, reverse=False, **kwargs):
        if action in ("post_add", "post_remove", "post_clear"):
            schedule(DocumentKind.INCOMING, list(pk_set or ()) if reverse else [instance.pk])

    uid = "incoming.indexing"
    post_save.connect(document_changed, sender=IncomingDocument, weak=False, dispatch_uid=f"{uid}.doc")
    post_delete.connect(document_changed, sender=IncomingDocument, weak=False, dispatch_uid=f"{uid}.doc-del")
    post_save.connect(related_changed, sender=WorkItem, weak=False, dispatch_uid=f"{uid}.work")
    post_save.connect(file_added, sender=IncomingFile, weak=False, dispatch_uid=f"{uid}.file")
    m2m_changed.connect(named_changed, sender=IncomingDocument.named_people.through, weak=False,
                        dispatch_uid=f"{uid}.named")
