"""Who may act on an outgoing document, and what a drafter may pick: the one rule the actions, the flow, the
pages, the inbox and the API use.

Each ``may_*`` returns ``(allowed, on_behalf_of)``: ``on_behalf_of`` is the person whose step it is when
``person`` acts for them by delegation (recorded in the audit trail), else None. On a secret document a
delegation counts only where the delegator is named on it (``Person.acting_for(on=document)``,
``Delegation.counts_on``).

What a drafter may pick (the ``*_choices`` functions and :func:`nameable_people`): the draft form offers exactly
these, and the form and the API resolve the ids they receive against them with the same functions
(:meth:`eoffice.outgoing.services.DraftInput.from_ids`), so the page and the API accept and refuse the same input
with the same error code. The actions check the same rule again on the objects they are given
(:func:`may_name`, :func:`is_signer_of`), for the callers that build their input themselves.

- **Signer**: an active leader, deputy leader or unit head of the drafter's agency (a unit head signs "TL." or
  "TUQ.", by order or authorisation of the agency's head; Decree 30, art. 13).
- **Recipient units and consulted units**: active units of the drafter's agency.
- **Recipient agencies**: the other active agencies of this deployment (they receive through their clerk).
- **Named recipients** (decision, issue 12): for an ordinary document, active people of the drafter's agency only
  (another agency receives through its clerk, by naming the agency); for a secret document, active people of any
  agency of this deployment may be named (a secret document reaches only named people; a person of another agency
  gets it through that agency's clerk, named on the receipt). Anyone else is refused with ``bad_recipient``, by
  the page and the API alike.
"""

from __future__ import annotations

from django.db.models import QuerySet

from eoffice.documents.models import DocumentType, is_secret
from eoffice.orgs.models import Agency, Person, RoleCode, Unit

from .models import OutgoingDocument, Status

SIGNER_ROLES = (RoleCode.LEADER, RoleCode.DEPUTY_LEADER, RoleCode.UNIT_HEAD)


def _selves(person: Person) -> list[Person]:
    return [person, *person.acting_for()]


def reviewers(document: OutgoingDocument) -> list[Person]:
    """Who checks the draft for the drafting unit: every active head of that unit except the drafter; the
    drafter alone when the drafter is the unit's only head (a head's own draft goes on to the signer's check)."""
    heads = list(Person.objects.filter(unit_id=document.drafting_unit_id, is_active=True,
                                       roles__code=RoleCode.UNIT_HEAD).exclude(pk=document.drafter_id)
                 .order_by("pk"))
    return heads or [document.drafter]


def may_review(person: Person, document: OutgoingDocument) -> tuple[bool, Person | None]:
    """Any of the drafting unit's heads (:func:`reviewers`), or someone standing in for one of them."""
    allowed = {p.pk: p for p in reviewers(document)}
    if person.pk in allowed:
        return True, None
    for delegator in person.acting_for(on=document):
        if delegator.pk in allowed:
            return True, delegator
    return False, None


def may_sign(person: Person, document: OutgoingDocument) -> tuple[bool, Person | None]:
    """The signer named on the draft, or someone standing in for them."""
    if person.pk == document.signer_id:
        return True, None
    for delegator in person.acting_for(on=document):
        if delegator.pk == document.signer_id:
            return True, delegator
    return False, None


def is_clerk_of(person: Person, document: OutgoingDocument) -> bool:
    """A clerk of the issuing agency (:meth:`Person.is_clerk_of`, the rule of both directions)."""
    return person.is_clerk_of(document.agency_id)


def may_consult(person: Person, document: OutgoingDocument) -> bool:
    """The head of a consulted unit that has not given its opinion yet."""
    return bool(document.status == Status.CONSULTING and person.unit_id and person.has_role(RoleCode.UNIT_HEAD)
                and document.consultations.filter(unit_id=person.unit_id, opinion__isnull=True).exists())


def may_recall(person: Person, document: OutgoingDocument) -> bool:
    return (document.status == Status.RELEASED and person.agency_id == document.agency_id
            and person.has_role(RoleCode.CLERK, RoleCode.LEADER, RoleCode.DEPUTY_LEADER))


def may_draft_for(person: Person, document: OutgoingDocument) -> bool:
    """Who may draft for ``document`` (its replacement, :func:`may_replace`): its drafter, the head of its drafting
    unit, its signer — people of the issuing agency who answer for its content, not anyone who can open it."""
    if person.agency_id != document.agency_id or not person.is_active:
        return False
    if person.pk in (document.drafter_id, document.signer_id):
        return True
    return bool(person.unit_id) and person.unit_id == document.drafting_unit_id and person.has_role(
        RoleCode.UNIT_HEAD)


def may_replace(person: Person, document: OutgoingDocument) -> bool:
    """Draft the replacement of a released document (văn bản thay thế): those who may draft for it."""
    return document.status == Status.RELEASED and may_draft_for(person, document)


def actions(person: Person, document: OutgoingDocument) -> dict[str, bool]:
    """What ``person`` may do with ``document`` now (the page's buttons; the API answers the same)."""
    return {
        "edit": document.drafter_id == person.pk and document.status in (Status.DRAFT, Status.RETURNED),
        "review": document.status == Status.IN_REVIEW and may_review(person, document)[0],
        "consult": may_consult(person, document),
        "sign": document.status == Status.TO_SIGN and may_sign(person, document)[0],
        "issue": document.status == Status.SIGNED and is_clerk_of(person, document),
        "release": document.status == Status.ISSUED and is_clerk_of(person, document),
        "recall": may_recall(person, document),
        "replace": may_replace(person, document),
    }


# ------------------------------------------------------------------------------------ what a drafter may pick
def document_type_choices() -> QuerySet[DocumentType]:
    """The types a draft may have: active, and not a copy form (copies are made from an issued document)."""
    return DocumentType.objects.filter(is_active=True, is_copy=False)


def is_signer_of(agency_id: int | None, signer: Person) -> bool:
    return bool(agency_id) and signer.agency_id == agency_id and signer.has_role(*SIGNER_ROLES)


def signer_choices(person: Person) -> QuerySet[Person]:
    """Who may sign a draft of ``person``: the leaders, deputy leaders and unit heads of their agency."""
    if not person.agency_id:
        return Person.objects.none()
    return (Person.objects.filter(agency_id=person.agency_id, is_active=True, roles__code__in=SIGNER_ROLES)
            .distinct().order_by("full_name", "pk"))


def recipient_unit_choices(person: Person) -> QuerySet[Unit]:
    """The units of ``person``'s agency a draft may be sent to."""
    if not person.agency_id:
        return Unit.objects.none()
    return Unit.objects.filter(agency_id=person.agency_id, is_active=True)


def consult_unit_choices(person: Person) -> QuerySet[Unit]:
    """The units of ``person``'s agency whose opinion a draft may ask for."""
    return recipient_unit_choices(person)


def recipient_agency_choices(person: Person) -> QuerySet[Agency]:
    """The agencies of this deployment a draft may be sent to (not the drafter's own: name its units)."""
    return Agency.objects.filter(is_active=True).exclude(pk=person.agency_id)


def may_name(agency_id: int | None, named: Person, confidentiality: str | None) -> bool:
    """Whether a document of ``agency_id`` with ``confidentiality`` may name ``named`` as a recipient."""
    return named.agency_id == agency_id or (is_secret(confidentiality or "") and named.agency_id is not None)


def nameable_people(person: Person, confidentiality: str | None = None) -> QuerySet[Person]:
    """The people a draft of ``person`` may name: of their own agency for an ordinary document; of any agency of
    this deployment for a secret one. Without ``confidentiality``: everyone some draft may name (the form's list;
    the choice is checked again once the confidentiality is known)."""
    if not person.agency_id:
        return Person.objects.none()
    people = Person.objects.filter(is_active=True).select_related("agency")
    if confidentiality is None or is_secret(confidentiality):
        return people.filter(agency__isnull=False)
    return people.filter(agency_id=person.agency_id)
