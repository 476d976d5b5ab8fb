"""Who may act on an incoming document: the one rule the actions, the pages, the inbox and the API use.

Each ``may_*`` about a step returns ``(allowed, on_behalf_of)``: ``on_behalf_of`` is the person whose right it is
when ``person`` acts for them by delegation (:meth:`Person.acting_for`, recorded in the audit trail), else None.
The functions take the person's current delegators as ``delegators`` when the caller already has them (a page
asking about several steps); otherwise they ask once. On a secret document a delegation counts only when the
delegator is named on it (:meth:`Delegation.counts_on`): the deputy handles the director's secret work, nothing
else that is secret.

- a step (work item): its owner, or someone standing in for the owner (:func:`may_act`);
- moving a step to someone else: the agency's leaders (or their delegates) any step, a unit head the handling steps
  of their unit (:func:`may_redirect`); taking a step back to oneself: leaders (:func:`may_take_back`);
- extending the deadline: leaders, or their delegates (:func:`may_extend`);
- registering and returning a dispatch: the agency's clerk (:func:`is_clerk_of`, :func:`may_register`);
- the secret incoming register: those who may see a secret document of the agency (:func:`may_see_secret_register`);
- :func:`actions`, :func:`document_actions`, :func:`receipt_actions`: what the pages and the API offer.
"""

from __future__ import annotations

from collections.abc import Sequence

from eoffice.documents.services import INCOMING_SECRET_SERIES
from eoffice.orgs.models import Delegation, Person, RoleCode
from eoffice.orgs.scoping import visible_to

from .models import IncomingDocument, Receipt, ReceiptStatus, WorkItem, WorkKind, WorkStatus

LEADER_ROLES = (RoleCode.LEADER, RoleCode.DEPUTY_LEADER)
#: The steps a unit head may move within their unit.
UNIT_STEPS = (WorkKind.HANDLE, WorkKind.COHANDLE)
#: The steps that may be sent back to the clerk.
SEND_BACK_STEPS = (WorkKind.PROPOSE, WorkKind.INSTRUCT)


def _delegators(person: Person, delegators: Sequence[Person] | None,
                document: IncomingDocument | None = None) -> Sequence[Person]:
    """Whom ``person`` stands in for, where it counts on ``document``: on a secret document only the delegators
    named on it (:meth:`Delegation.counts_on`; a delegation never extends what the delegate may see of secrets)."""
    delegators = person.acting_for() if delegators is None else delegators
    if delegators and document is not None:
        return [delegator for delegator in delegators if Delegation.counts_on(document, delegator)]
    return delegators


def is_leader(person: Person, agency_id: int) -> bool:
    """A leader or deputy leader of the agency."""
    return person.agency_id == agency_id and person.has_role(*LEADER_ROLES)


def _as_leader(person: Person, document: IncomingDocument, delegators: Sequence[Person] | None
               ) -> tuple[bool, Person | None]:
    agency_id = document.agency_id
    if is_leader(person, agency_id):
        return True, None
    for delegator in _delegators(person, delegators, document):
        if is_leader(delegator, agency_id):
            return True, delegator
    return False, None


def may_act(person: Person, item: WorkItem, *, delegators: Sequence[Person] | None = None
            ) -> tuple[bool, Person | None]:
    """The step's owner, or someone standing in for the owner by delegation."""
    if item.person_id == person.pk:
        return True, None
    for delegator in _delegators(person, delegators, item.document):
        if delegator.pk == item.person_id:
            return True, delegator
    return False, None


def may_redirect(person: Person, item: WorkItem, *, delegators: Sequence[Person] | None = None
                 ) -> tuple[bool, Person | None]:
    """Give the step to someone else: the agency's leaders (or their delegates) any step; a unit head the handling
    steps of their unit."""
    allowed, on_behalf_of = _as_leader(person, item.document, delegators)
    if allowed:
        return True, on_behalf_of
    if (person.has_role(RoleCode.UNIT_HEAD) and person.unit_id and item.unit_id == person.unit_id
            and item.kind in UNIT_STEPS):
        return True, None
    return False, None


def may_take_back(person: Person, item: WorkItem, *, delegators: Sequence[Person] | None = None
                  ) -> tuple[bool, Person | None]:
    """Take a step back to oneself (thu hồi việc đã giao): the agency's leaders, or their delegates."""
    return _as_leader(person, item.document, delegators)


def assigns_within(person: Person, document: IncomingDocument):
    """Among whom ``person`` picks the handlers at the assigning step: a unit head within the lead unit, anyone else
    (a leader who took the step back) within the whole agency (None)."""
    return document.lead_unit if person.has_role(RoleCode.UNIT_HEAD) and document.lead_unit_id else None


def may_extend(person: Person, document: IncomingDocument, *, delegators: Sequence[Person] | None = None
               ) -> tuple[bool, Person | None]:
    """Extend the document's deadline: the agency's leaders, or their delegates."""
    return _as_leader(person, document, delegators)


def is_clerk_of(person: Person, agency) -> bool:
    """Registers dispatches for ``agency`` (an Agency or its pk) and returns receipts: its clerk
    (:meth:`Person.is_clerk_of`, the rule of both directions); the deployment's operator (superuser) too."""
    return person.is_superuser or person.is_clerk_of(agency)


def may_register(person: Person) -> bool:
    """May enter dispatches in their own agency's incoming register (the register page): its clerk."""
    return person.agency_id is not None and is_clerk_of(person, person.agency_id)


def may_see_secret_register(person: Person, agency) -> bool:
    """Whether ``person`` may open ``agency``'s secret incoming register (sổ văn bản mật đến).

    Secret documents are visible only to the people named on them, so the register is for those who may see at
    least one secret incoming document of the agency (and the deployment's operators); it shows them only those.
    ``agency`` None: any agency (the operator, who belongs to none)."""
    documents = visible_to(IncomingDocument, person).filter(series_code=INCOMING_SECRET_SERIES[0])
    if agency is not None:
        documents = documents.filter(agency=agency)
    return documents.exists()


def actions(person: Person, item: WorkItem, *, delegators: Sequence[Person] | None = None) -> dict[str, bool]:
    """What ``person`` may do with the step ``item`` now (the document page's forms; the API answers the same):
    ``act`` (carry out the step), ``send_back``, ``draft_reply``, ``reassign``, ``take_back``."""
    if item.status != WorkStatus.OPEN:
        return dict.fromkeys(("act", "send_back", "draft_reply", "reassign", "take_back"), False)
    delegators = _delegators(person, delegators)
    act = may_act(person, item, delegators=delegators)[0]
    return {
        "act": act,
        "send_back": act and item.kind in SEND_BACK_STEPS,
        "draft_reply": act and item.kind == WorkKind.HANDLE,
        "reassign": may_redirect(person, item, delegators=delegators)[0],
        "take_back": may_take_back(person, item, delegators=delegators)[0],
    }


def document_actions(person: Person, document: IncomingDocument, *,
                     delegators: Sequence[Person] | None = None) -> dict[str, bool]:
    """What ``person`` may do on the document page besides the steps (:func:`actions`): ``extend`` the deadline."""
    return {"extend": may_extend(person, document, delegators=delegators)[0]}


def receipt_actions(person: Person, receipt: Receipt) -> dict[str, bool]:
    """What ``person`` may do with a dispatch waiting in the queue: ``register`` it or ``return`` it (the clerk)."""
    allowed = receipt.status == ReceiptStatus.WAITING and is_clerk_of(person, receipt.agency_id)
    return {"register": allowed, "return": allowed}
