"""What the search index holds of outgoing documents, and who may see them there.

The acl tokens of a document and the viewer tokens of a person are built side by side, mirroring
``eoffice.outgoing.scoping.document_condition``, so that a search returns exactly what ``visible_to`` would.
Secret documents are never indexed (``build`` returns ``None``; the indexing task then removes any earlier copy).
Signal receivers schedule reindexing on every change that alters a document's text, metadata, file or acl; the
text of its PDF comes from :class:`~eoffice.archive.models.DocumentText`, filled by the ``ocr`` queue. Registered
from ``OutgoingConfig.ready``.
"""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.urls import reverse

from eoffice.archive.indexing import body_text, file_label_subquery
from eoffice.archive.models import DocumentKind
from eoffice.documents.models import is_secret
from search import SearchDocument
from search.indexing import EVERYONE, Source, register_source, schedule

from .scoping import RELEASED


def _queryset():
    from .models import OutgoingDocument

    return OutgoingDocument.objects.select_related(
        "agency", "document_type", "drafting_unit", "signer", "current_file__text",
    ).prefetch_related("readers", "recipient_units", "recipient_people").annotate(
        case_file_label=file_label_subquery(DocumentKind.OUTGOING))


def outgoing_acl(document) -> frozenset[str]:
    """Mirror of ``eoffice.outgoing.scoping.document_condition`` for an ordinary document: the people named on it;
    inside the agency, its leaders and clerks, the head of the drafting unit, and once released the recipient
    units and people and the agency's archivists."""
    agency = document.agency_id
    tokens = {EVERYONE, f"out:overseer:{agency}", f"out:head:{document.drafting_unit_id}@{agency}"}
    tokens |= {f"out:reader:{p.pk}" for p in document.readers.all()}
    if document.status in RELEASED:
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
        body=body_text([document.current_file] if document.current_file_id else []),
        confidentiality=document.confidentiality,
        acl=outgoing_acl(document),
    )


def register_outgoing_source() -> None:
    """The outgoing search source and the receivers that keep it current; called from ``OutgoingConfig.ready``."""
    from eoffice.archive.models import DocumentText

    from .models import OutgoingDocument

    register_source(Source(
        kind=DocumentKind.OUTGOING, prefix="out", label="Văn bản đi",
        queryset=_queryset, build=build_outgoing, viewer_tokens=outgoing_viewer_tokens,
        url=lambda pk: reverse("outgoing-detail", args=[pk]),
        stored_files=lambda d: [d.current_file] if d.current_file_id else [],
        pks_with_file=lambda sf: list(OutgoingDocument.objects.filter(current_file_id=sf).values_list("pk", flat=True)),
    ))

    def document_changed(sender, instance, **kwargs):
        schedule(DocumentKind.OUTGOING, [instance.pk])
        file_id = getattr(instance, "current_file_id", None)
        if kwargs.get("signal") is post_save and file_id and not DocumentText.objects.filter(pk=file_id).exists():
            from eoffice.archive.services import schedule_text

            schedule_text([file_id])

    def people_changed(sender, instance, action, pk_set=None, reverse=False, **kwargs):
        if action in ("post_add", "post_remove", "post_clear"):
            schedule(DocumentKind.OUTGOING, list(pk_set or ()) if reverse else [instance.pk])

    uid = "outgoing.indexing"
    post_save.connect(document_changed, sender=OutgoingDocument, weak=False, dispatch_uid=f"{uid}.doc")
    post_delete.connect(document_changed, sender=OutgoingDocument, weak=False, dispatch_uid=f"{uid}.doc-del")
    for name in ("readers", "recipient_units", "recipient_people"):
        m2m_changed.connect(people_changed, sender=getattr(OutgoingDocument, name).through, weak=False,
                            dispatch_uid=f"{uid}.{name}")
