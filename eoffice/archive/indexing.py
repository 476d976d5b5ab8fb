"""What the search index holds of incoming (and outgoing) documents, and who may see it there.

For each kind, the document's acl tokens and a person's viewer tokens are built side by side, mirroring the kind's
scoping rule (``eoffice/incoming/scoping.py``, ``eoffice/outgoing/scoping.py``), so that a search returns exactly
what ``visible_to`` would. Secret documents are never indexed (``build`` returns ``None``; the indexing task then
removes any earlier copy). Signal receivers schedule reindexing on every change that alters a document's text,
metadata, file or acl; the text of its PDFs comes from :class:`~eoffice.archive.models.DocumentText`, filled by
the ``ocr`` queue.
"""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Concat
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.urls import reverse

from eoffice.documents.models import is_secret
from search import SearchDocument
from search.indexing import EVERYONE, Source, register_source, schedule

from .models import CaseFile, DocumentKind, FileEntry

MAX_BODY_CHARS = 400_000


def _file_label_subquery(kind: str) -> Subquery:
    entry = FileEntry.objects.filter(kind=kind, document_id=OuterRef("pk")).annotate(
        label=Concat("case_file__code", Value(" — "), "case_file__title", output_field=CharField()))
    return Subquery(entry.values("label")[:1], output_field=CharField())


def _body(stored_files: list[Any]) -> str:
    parts = []
    for stored in stored_files:
        text = getattr(stored, "text", None)
        if text is not None and text.text:
            parts.append(text.text)
    return "\n".join(parts)[:MAX_BODY_CHARS]


# --- incoming --------------------------------------------------------------------------------------------------------

def _incoming_queryset():
    from eoffice.incoming.models import IncomingDocument, IncomingFile, WorkItem

    return IncomingDocument.objects.select_related("document_type", "lead_unit").prefetch_related(
        Prefetch("files", queryset=IncomingFile.objects.select_related("stored_file__text")),
        Prefetch("work_items", queryset=WorkItem.objects.only("pk", "document_id", "person_id")),
        "named_people",
    ).annotate(case_file_label=_file_label_subquery(DocumentKind.INCOMING))


def incoming_acl(document) -> frozenset[str]:
    """Mirror of ``eoffice.incoming.scoping``: the agency's clerks, leaders and archivists see every ordinary
    document of the agency; anyone else of the agency only documents they have work on or that name them."""
    agency = document.agency_id
    people = {item.person_id for item in document.work_items.all()} | {p.pk for p in document.named_people.all()}
    return frozenset({EVERYONE, f"in:overseer:{agency}"} | {f"in:person:{pk}@{agency}" for pk in people})


def incoming_viewer_tokens(person) -> set[str]:
    from eoffice.incoming.scoping import READERS

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
        body=_body(files),
        confidentiality=document.confidentiality,
        acl=incoming_acl(document),
    )


def _incoming_with_file(stored_file_id: int) -> list[int]:
    from eoffice.incoming.models import IncomingFile

    return list(IncomingFile.objects.filter(stored_file_id=stored_file_id).values_list("document_id", flat=True))


def _incoming_files(document) -> list[Any]:
    return [link.stored_file for link in document.files.all()]


def register_incoming_source() -> None:
    from eoffice.incoming.models import IncomingDocument, IncomingFile, WorkItem

    register_source(Source(
        kind=DocumentKind.INCOMING, prefix="in", label="Văn bản đến",
        queryset=_incoming_queryset, build=build_incoming, viewer_tokens=incoming_viewer_tokens,
        url=lambda pk: reverse("incoming:document", args=[pk]), stored_files=_incoming_files,
        pks_with_file=_incoming_with_file,
    ))

    def document_changed(sender, instance, **kwargs):
        schedule(DocumentKind.INCOMING, [instance.pk])

    def related_changed(sender, instance, **kwargs):
        schedule(DocumentKind.INCOMING, [instance.document_id])

    def file_added(sender, instance, created, **kwargs):
        schedule(DocumentKind.INCOMING, [instance.document_id])
        if created:
            from .tasks import schedule_text

            schedule_text([instance.stored_file_id])

    def named_changed(sender, instance, action, pk_set=None, reverse=False, **kwargs):
        if action in ("post_add", "post_remove", "post_clear"):
            schedule(DocumentKind.INCOMING, list(pk_set or ()) if reverse else [instance.pk])

    uid = "archive.indexing.incoming"
    post_save.connect(document_changed, sender=IncomingDocument, weak=False, dispatch_uid=f"{uid}.doc")
    post_delete.connect(document_changed, sender=IncomingDocument, weak=False, dispatch_uid=f"{uid}.doc-del")
    post_save.connect(related_changed, sender=WorkItem, weak=False, dispatch_uid=f"{uid}.work")
    post_save.connect(file_added, sender=IncomingFile, weak=False, dispatch_uid=f"{uid}.file")
    m2m_changed.connect(named_changed, sender=IncomingDocument.named_people.through, weak=False,
                        dispatch_uid=f"{uid}.named")


# --- outgoing --------------------------------------------------------------------------------------------------------

OUTGOING_RELEASED = ("released", "recalled", "superseded")  # as eoffice.outgoing.scoping.RELEASED


def _outgoing_queryset():
    from eoffice.outgoing.models import OutgoingDocument

    return OutgoingDocument.objects.select_related(
        "agency", "document_type", "drafting_unit", "signer", "current_file__text",
    ).prefetch_related("readers", "recipient_units", "recipient_people").annotate(
        case_file_label=_file_label_subquery(DocumentKind.OUTGOING))


def outgoing_acl(document) -> frozenset[str]:
    """Mirror of ``eoffice.outgoing.scoping.document_condition`` for an ordinary document: the people named on it;
    inside the agency, its leaders and clerks, the head of the drafting unit, and once released the recipient
    units and people and the agency's archivists."""
    agency = document.agency_id
    tokens = {EVERYONE, f"out:overseer:{agency}", f"out:head:{document.drafting_unit_id}@{agency}"}
    tokens |= {f"out:reader:{p.pk}" for p in document.readers.all()}
    if document.status in OUTGOING_RELEASED:
        tokens.add(f"out:archive:{agency}")
        tokens |= {f"out:rp:{p.pk}@{agency}" for p in document.recipient_people.all()}
        tokens |= {f"out:unit:{u.pk}@{agency}" for u in document.recipient_units.all()}
    return frozenset(tokens)


def outgoing_viewer_tokens(person) -> set[str]:
    from eoffice.orgs.models import RoleCode

    if not person.agency_id:
        return set()
    agency = person.agency_id
    tokens = {f"out:reader:{person.pk}", f"out:rp:{person.pk}@{agency}"}
    if person.unit_id:
        tokens.add(f"out:unit:{person.unit_id}@{agency}")
        if person.has_role(RoleCode.UNIT_HEAD):
            tokens.add(f"out:head:{person.unit_id}@{agency}")
    if person.has_role(RoleCode.LEADER, RoleCode.DEPUTY_LEADER, RoleCode.CLERK):
        tokens.add(f"out:overseer:{agency}")
    elif person.has_role(RoleCode.ARCHIVIST):
        tokens.add(f"out:archive:{agency}")
    return tokens


def build_outgoing(document) -> SearchDocument | None:
    from django.utils import timezone

    if is_secret(document.confidentiality):
        return None
    when = document.issued_at or document.created_at or timezone.now()
    date = timezone.localtime(when).date()
    return SearchDocument(
        id=f"out:{document.pk}",
        agency_id=document.agency_id,
        year=document.year or date.year,
        date=date,
        doc_type=document.document_type.name if document.document_type_id else "",
        issuer=document.agency.name,
        signer=document.signer.get_full_name() if document.signer_id else "",
        unit=document.drafting_unit.name if document.drafting_unit_id else "",
        file=getattr(document, "case_file_label", None) or None,
        urgency=str(document.get_urgency_display()),
        status=str(document.get_status_display()),
        number_notation=document.notation,
        summary=document.summary,
        body=_body([document.current_file] if document.current_file_id else []),
        confidentiality=document.confidentiality,
        acl=outgoing_acl(document),
    )


def register_outgoing_source() -> None:
    try:
        from eoffice.outgoing.models import OutgoingDocument
    except ImportError:  # the outgoing app is not installed
        return
    from .models import DocumentText

    register_source(Source(
        kind=DocumentKind.OUTGOING, prefix="out", label="Văn bản đi",
        queryset=_outgoing_queryset, build=build_outgoing, viewer_tokens=outgoing_viewer_tokens,
        url=lambda pk: reverse("outgoing-detail", args=[pk]),
        stored_files=lambda d: [d.current_file] if d.current_file_id else [],
        pks_with_file=lambda sf: list(OutgoingDocument.objects.filter(current_file_id=sf).values_list("pk", flat=True)),
    ))

    def document_changed(sender, instance, **kwargs):
        schedule(DocumentKind.OUTGOING, [instance.pk])
        file_id = getattr(instance, "current_file_id", None)
        if kwargs.get("signal") is post_save and file_id and not DocumentText.objects.filter(pk=file_id).exists():
            from .tasks import schedule_text

            schedule_text([file_id])

    def people_changed(sender, instance, action, pk_set=None, reverse=False, **kwargs):
        if action in ("post_add", "post_remove", "post_clear"):
            schedule(DocumentKind.OUTGOING, list(pk_set or ()) if reverse else [instance.pk])

    uid = "archive.indexing.outgoing"
    post_save.connect(document_changed, sender=OutgoingDocument, weak=False, dispatch_uid=f"{uid}.doc")
    post_delete.connect(document_changed, sender=OutgoingDocument, weak=False, dispatch_uid=f"{uid}.doc-del")
    for name in ("readers", "recipient_units", "recipient_people"):
        m2m_changed.connect(people_changed, sender=getattr(OutgoingDocument, name).through, weak=False,
                            dispatch_uid=f"{uid}.{name}")


# --- files (hồ sơ): the "file" field of the documents filed in them ---------------------------------------------------

def register_file_receivers() -> None:
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
    """Called from ``ArchiveConfig.ready``."""
    register_incoming_source()
    register_outgoing_source()
    register_file_receivers()
