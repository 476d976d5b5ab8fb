"""Who sees an outgoing document (and its versions, opinions, deliveries).

- Secret documents (mật, tối mật, tuyệt mật): only the people named on them (:attr:`OutgoingDocument.readers`:
  drafter, reviewers, consulted unit heads, signer, the clerk who issued it, named recipients). Nobody else, not the
  agency's leaders, not the clerks.
- Other documents, inside the issuing agency: the people named on them; the agency's leaders and clerks; the head
  of the drafting unit; once released, the people of the recipient units, the recipient people and the agency's
  archivists (they keep and search the agency's records).
- People of other agencies see nothing here: what reaches them is a receipt in their own incoming queue.
"""

from __future__ import annotations

from django.db.models import Q

from eoffice.documents.models import SECRET_LEVELS
from eoffice.documents.scoping import file_provider
from eoffice.orgs.models import Delegation, RoleCode
from eoffice.orgs.scoping import scoping_rule, visible_to

RELEASED = ("released", "recalled", "superseded")


def document_condition(person, prefix: str = "") -> Q:
    """The Q limiting outgoing documents (reached through ``prefix``, e.g. ``"document__"``) to ``person``."""
    if not person.agency_id:
        return Q(pk__in=[])

    def q(**kwargs) -> Q:
        return Q(**{f"{prefix}{key}": value for key, value in kwargs.items()})

    # Named on it, or standing in for someone named on it (a delegation: Delegation.counts_on; on a secret document
    # too, never for what the delegator sees by role).
    named = q(readers=person) | q(readers__in=Delegation.objects.delegator_ids(person))
    open_rule = q(recipient_people=person) & q(status__in=RELEASED)
    if person.unit_id:
        open_rule |= q(recipient_units=person.unit_id) & q(status__in=RELEASED)
        if person.has_role(RoleCode.UNIT_HEAD):
            open_rule |= q(drafting_unit_id=person.unit_id)
    if person.has_role(RoleCode.LEADER, RoleCode.DEPUTY_LEADER, RoleCode.CLERK):
        open_rule |= q(agency_id=person.agency_id)
    elif person.has_role(RoleCode.ARCHIVIST):
        open_rule |= q(agency_id=person.agency_id) & q(status__in=RELEASED)
    not_secret = q(agency_id=person.agency_id) & ~q(confidentiality__in=SECRET_LEVELS)
    return named | (not_secret & open_rule)


def register_outgoing_rules() -> None:
    from .models import (
        Consultation,
        Delivery,
        DeliveryEvent,
        DraftVersion,
        Opinion,
        OutgoingDocument,
        TwoStepSession,
    )

    @scoping_rule(OutgoingDocument)
    def documents(queryset, person):
        ids = OutgoingDocument.objects.filter(document_condition(person)).values("pk")
        return queryset.filter(pk__in=ids)

    def through_document(model):
        @scoping_rule(model)
        def rule(queryset, person):
            return queryset.filter(document__in=visible_to(OutgoingDocument, person).values("pk"))

        return rule

    for model in (DraftVersion, Opinion, Consultation, Delivery):
        through_document(model)

    @scoping_rule(DeliveryEvent)
    def events(queryset, person):
        return queryset.filter(delivery__document__in=visible_to(OutgoingDocument, person).values("pk"))

    @scoping_rule(TwoStepSession)
    def sessions(queryset, person):
        return queryset.filter(person=person)

    @file_provider
    def outgoing_files(person):
        from eoffice.documents.models import StoredFile

        visible = visible_to(DraftVersion, person)
        return StoredFile.objects.filter(
            Q(pk__in=visible.values("file_id")) | Q(pk__in=visible.values("source_id"))
        ).values("pk")
