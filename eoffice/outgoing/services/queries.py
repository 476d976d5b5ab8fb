"""What waits for whom on the outgoing side: :func:`waiting_for` (the inbox and the outgoing index use it) and
the step a document waits for (:data:`WAITING_STEPS`, :func:`waiting_step`)."""

from __future__ import annotations

from typing import Any

from django.db.models import (
    Case,
    CharField,
    DateField,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy

from eoffice.documents.models import URGENCY_RANK
from eoffice.orgs.models import Person, RoleCode

from ..models import Consultation, OutgoingDocument, Status

#: The step a document waits for, by status (the code used by the inbox's filter, and its label).
WAITING_STEPS: dict[str, tuple[str, Any]] = {
    Status.DRAFT: ("out_draft", gettext_lazy("Hoàn thiện, trình dự thảo")),
    Status.RETURNED: ("out_returned", gettext_lazy("Sửa dự thảo bị trả lại")),
    Status.IN_REVIEW: ("out_review", gettext_lazy("Kiểm tra dự thảo")),
    Status.CONSULTING: ("out_consult", gettext_lazy("Góp ý dự thảo")),
    Status.TO_SIGN: ("out_sign", gettext_lazy("Duyệt, ký số văn bản đi")),
    Status.SIGNED: ("out_issue", gettext_lazy("Kiểm tra thể thức, cấp số, đóng dấu")),
    Status.ISSUED: ("out_release", gettext_lazy("Phát hành văn bản đi")),
}


WAITING_STEP_CHOICES: list[tuple[str, Any]] = list(WAITING_STEPS.values())


def waiting_step(document: OutgoingDocument) -> tuple[str, Any]:
    """The (code, label) of the step ``document`` waits for."""
    return WAITING_STEPS.get(document.status, ("", document.get_status_display()))


def waiting_for(person: Person, documents: QuerySet[OutgoingDocument] | None = None) -> QuerySet[OutgoingDocument]:
    """The outgoing documents whose next step is ``person``'s, or of someone they stand in for (ủy quyền).

    THE rule of "what waits for me" on the outgoing side (the inbox and the outgoing index use it): the drafter's
    new and returned drafts; drafts in review for the heads of the drafting unit; consultations of the units the
    person heads with no opinion yet; documents to sign for their signer; signed and issued documents for the
    agency's clerks. ``documents`` (default: what the person may see) narrows it further. One query, whatever the
    data size; annotated with ``waiting_code`` (see :data:`WAITING_STEPS`), ``urgency_rank`` and
    ``waiting_deadline`` (the deadline of the incoming document a reply answers).
    """
    from eoffice.incoming.models import IncomingDocument
    from eoffice.orgs.scoping import visible_to

    if documents is None:
        documents = visible_to(OutgoingDocument, person)
    selves = [person, *person.acting_for()]
    ids = [p.pk for p in selves]
    head_units = sorted({p.unit_id for p in selves if p.unit_id and p.has_role(RoleCode.UNIT_HEAD)})
    clerk_agencies = sorted({p.agency_id for p in selves if p.agency_id and p.has_role(RoleCode.CLERK)})
    conditions = Q(drafter=person, status__in=[Status.DRAFT, Status.RETURNED])
    conditions |= Q(signer_id__in=ids, status=Status.TO_SIGN)
    if head_units:
        conditions |= Q(drafting_unit_id__in=head_units, status=Status.IN_REVIEW)
        conditions |= Q(status=Status.CONSULTING) & Exists(Consultation.objects.filter(
            document=OuterRef("pk"), unit_id__in=head_units, opinion__isnull=True))
    if clerk_agencies:
        conditions |= Q(agency_id__in=clerk_agencies, status__in=[Status.SIGNED, Status.ISSUED])
    due = IncomingDocument.objects.filter(pk=OuterRef("answers_incoming_id")).values(
        due=Coalesce("due_on", "deadline"))[:1]
    return documents.filter(conditions).annotate(
        waiting_code=Case(*[When(status=status, then=Value(code)) for status, (code, _label) in WAITING_STEPS.items()],
                          default=Value(""), output_field=CharField()),
        urgency_rank=Case(*[When(urgency=value, then=Value(rank)) for value, rank in URGENCY_RANK.items()],
                          default=Value(0), output_field=IntegerField()),
        waiting_deadline=Subquery(due, output_field=DateField()),
    )
