"""Helpers shared by the outgoing actions: errors, row locks, readers, file versions, who holds which role."""

from __future__ import annotations

from django.db.models import Max

from eoffice.core.errors import DomainError
from eoffice.core.tasks import send_on_commit
from eoffice.documents.models import StoredFile
from eoffice.orgs.models import Agency, Person, RoleCode, Unit

from ..models import ConversionStatus, DraftVersion, OutgoingDocument

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SOURCE = "internal"  # the ``source`` of receipts this deployment delivers to itself


def _error(message: str, code: str = "invalid", status_code: int | None = None) -> DomainError:
    return DomainError(message, code=code, status_code=status_code)


def _not_your_task() -> DomainError:
    return _error("Bạn không phải người được giao bước này.", "not_your_task", 403)


def _lock(document: OutgoingDocument) -> OutgoingDocument:
    """Re-read ``document`` with its row locked (inside the caller's transaction)."""
    return OutgoingDocument.objects.select_for_update().get(pk=document.pk)


def _add_readers(document: OutgoingDocument, *people: Person | None) -> None:
    document.readers.add(*[p for p in people if p is not None])


def _next_seq(document: OutgoingDocument) -> int:
    return (document.versions.aggregate(m=Max("seq"))["m"] or 0) + 1


def _new_version(
    document: OutgoingDocument, kind: str, file: StoredFile | None, person: Person | None, *,
    source: StoredFile | None = None, conversion: str = ConversionStatus.NONE,
) -> DraftVersion:
    version = DraftVersion.objects.create(
        document=document, seq=_next_seq(document), kind=kind, file=file, source=source, conversion=conversion,
        created_by=person,
    )
    if file is not None:
        document.current_file = file
        document.save(update_fields=["current_file", "updated_at"])
    return version


def position_of(document: OutgoingDocument) -> str:
    """The signer's position as printed in the signature block ("Giám đốc", "Phó Giám đốc")."""
    if document.signer_position:
        return document.signer_position
    return str(document.signer.position) if document.signer.position_id else ""


def unit_heads(unit: Unit) -> list[Person]:
    return list(Person.objects.filter(unit=unit, is_active=True, roles__code=RoleCode.UNIT_HEAD).order_by("pk"))


def clerks_of(agency: Agency) -> list[Person]:
    return list(Person.objects.filter(agency=agency, is_active=True, roles__code=RoleCode.CLERK).order_by("pk"))


def _enqueue(task_name: str, *args, **options) -> None:
    """Send the Celery task ``task_name`` (see :mod:`eoffice.outgoing.tasks`) once the current transaction
    commits, by name (:func:`eoffice.core.tasks.send_on_commit`)."""
    send_on_commit(task_name, *args, **options)
