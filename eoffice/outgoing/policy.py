"""Who may act on an outgoing document: the one rule the actions, the flow, the pages, the inbox and the API use.

Each ``may_*`` returns ``(allowed, on_behalf_of)``: ``on_behalf_of`` is the person whose step it is when
``person`` acts for them by delegation (recorded in the audit trail), else None.
"""

from __future__ import annotations

from eoffice.orgs.models import Person, RoleCode

from .models import OutgoingDocument, Status


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
    for delegator in person.acting_for():
        if delegator.pk in allowed:
            return True, delegator
    return False, None


def may_sign(person: Person, document: OutgoingDocument) -> tuple[bool, Person | None]:
    """The signer named on the draft, or someone standing in for them."""
    if person.pk == document.signer_id:
        return True, None
    for delegator in person.acting_for():
        if delegator.pk == document.signer_id:
            return True, delegator
    return False, None


def is_clerk_of(person: Person, document: OutgoingDocument) -> bool:
    return person.agency_id == document.agency_id and person.has_role(RoleCode.CLERK)


def may_consult(person: Person, document: OutgoingDocument) -> bool:
    """The head of a consulted unit that has not given its opinion yet."""
    return bool(document.status == Status.CONSULTING and person.unit_id and person.has_role(RoleCode.UNIT_HEAD)
                and document.consultations.filter(unit_id=person.unit_id, opinion__isnull=True).exists())


def may_recall(person: Person, document: OutgoingDocument) -> bool:
    return (document.status == Status.RELEASED and person.agency_id == document.agency_id
            and person.has_role(RoleCode.CLERK, RoleCode.LEADER, RoleCode.DEPUTY_LEADER))


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
    }
