"""Who sees which incoming documents and receipts.

- Receipts (the queue of dispatches waiting for the clerk): the recipient agency's clerks and leaders; secret ones
  only the people named on them.
- Documents of the person's own agency, when the person has a role in them: the clerks (they register and
  present every document), the agency's leaders and its archivists (they keep and search the agency's records) see
  every non-secret document; anyone else only documents they
  have a work item on (assigned, supporting, for information) or that name them. Secret documents: only the
  people named on them (named people, and people given work on them).
- People of another agency see nothing.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from eoffice.documents.models import SECRET_LEVELS
from eoffice.documents.scoping import file_provider
from eoffice.orgs.models import Delegation, RoleCode
from eoffice.orgs.scoping import scoping_rule, visible_to

OVERSEERS = (RoleCode.CLERK, RoleCode.LEADER, RoleCode.DEPUTY_LEADER)
# Who reads every ordinary (non-secret) registered document of the agency: the overseers and the archivists.
READERS = (*OVERSEERS, RoleCode.ARCHIVIST)


def _document_condition(person) -> Q:
    from .models import IncomingDocument, WorkItem

    # The person, and the people they stand in for by delegation: a delegate sees what names their delegator
    # (on a secret document too: Delegation.counts_on), not what the delegator sees by role.
    selves = Q(person_id=person.pk) | Q(person_id__in=Delegation.objects.delegator_ids(person))
    involved = Exists(WorkItem.objects.filter(selves, document=OuterRef("pk")))
    named = Exists(IncomingDocument.named_people.through.objects.filter(
        selves, incomingdocument_id=OuterRef("pk")))
    personal = Q(involved) | Q(named)
    secret = Q(confidentiality__in=SECRET_LEVELS)
    if person.has_role(*READERS):
        return Q(agency_id=person.agency_id) & (~secret | personal)
    return Q(agency_id=person.agency_id) & personal


def register_incoming_rules() -> None:
    from .models import (
        DeadlineExtension,
        IncomingDocument,
        IncomingFile,
        Instruction,
        Receipt,
        ReceiptFile,
        Step,
        WorkItem,
    )

    @scoping_rule(IncomingDocument)
    def documents(queryset, person):
        if not person.agency_id:
            return queryset.none()
        return queryset.filter(_document_condition(person))

    @scoping_rule(Receipt)
    def receipts(queryset, person):
        # A secret receipt, like a secret document, is for the people named on it only (docs/DOMAIN.md, "Confidentiality: who sees what"): the sender
        # names the clerk who registers it in the secret register and the people it is for; the agency's other
        # clerks and leaders do not see it, not even in the queue.
        if not person.agency_id:
            return queryset.none()
        named = Exists(Receipt.named_recipients.through.objects.filter(receipt_id=OuterRef("pk"),
                                                                        person_id=person.pk))
        secret = Q(confidentiality__in=SECRET_LEVELS)
        if person.has_role(*OVERSEERS):
            return queryset.filter(Q(agency_id=person.agency_id) & (~secret | Q(named)))
        return queryset.filter(Q(agency_id=person.agency_id) & secret & Q(named))

    @scoping_rule(WorkItem)
    def work_items(queryset, person):
        # One's own items, and the items on documents one may see (the document page shows who does what).
        if not person.agency_id:
            return queryset.none()
        return queryset.filter(document__in=visible_to(IncomingDocument, person))

    for model in (IncomingFile, Instruction, Step, DeadlineExtension):
        def rule(queryset, person):
            return queryset.filter(document__in=visible_to(IncomingDocument, person))

        scoping_rule(model)(rule)

    @scoping_rule(ReceiptFile)
    def receipt_files(queryset, person):
        return queryset.filter(receipt__in=visible_to(Receipt, person))

    # Only the files offered (a recalled dispatch's files are withdrawn): IncomingFile/ReceiptFile ``offered()``.
    @file_provider
    def incoming_files(person):
        return IncomingFile.objects.offered().filter(
            document__in=visible_to(IncomingDocument, person)).values("stored_file_id")

    @file_provider
    def receipt_stored_files(person):
        return ReceiptFile.objects.offered().filter(
            receipt__in=visible_to(Receipt, person)).values("stored_file_id")
