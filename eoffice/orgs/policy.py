"""Who may change the organisation's standing arrangements: delegation (ủy quyền).

- :func:`may_delegate`: a delegation is the delegator's own act, or the act of the head of the delegator's agency
  (role ``leader``: Giám đốc, Chủ tịch), never an administrator's or a deputy's on someone else's behalf, and never
  the deployment operator's: it lets the delegate act for the delegator, so only those who answer for the
  delegator's work may give it.
- :func:`may_revoke`: the same people, and the delegate (who may decline).
"""

from __future__ import annotations

from .models import Delegation, Person, RoleCode


def may_delegate(actor: Person, delegator: Person) -> bool:
    """Whether ``actor`` may make ``delegator``'s delegation: the delegator themself, or a leader of their agency."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    if actor.pk == delegator.pk:
        return True
    return bool(actor.agency_id) and actor.agency_id == delegator.agency_id and actor.has_role(RoleCode.LEADER)


def may_revoke(actor: Person, delegation: Delegation) -> bool:
    """Whether ``actor`` may revoke ``delegation``: who may make it (:func:`may_delegate`), or its delegate."""
    return actor.pk == delegation.delegate_id or may_delegate(actor, delegation.delegator)
