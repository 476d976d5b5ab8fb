"""Delegation (ủy quyền) as actions: :func:`create_delegation` and :func:`revoke_delegation`, THE way a delegation is
made or ended, used by the admin (``eoffice/work/admin.py``) and the API (``/api/v1/delegations/``).

Each checks who may (:mod:`eoffice.orgs.policy`: the delegator's own act, or a leader of their agency), writes the
audit record and tells both people (in-app and e-mail), so a delegation made by someone else never goes unnoticed
by the delegator. On a secret document a delegation counts only where the delegator is named on it
(:meth:`eoffice.orgs.models.Delegation.counts_on`). It lives here, above the organisation model, because it needs
the audit trail and the notifications, and because it governs work of both directions.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from eoffice.audit.services import record
from eoffice.core.errors import DomainError
from eoffice.notifications.services import notify
from eoffice.orgs.models import Delegation, Person
from eoffice.orgs.policy import may_delegate, may_revoke


class DelegationError(DomainError):
    """A refused delegation (Vietnamese message, stable code)."""


def _name(person: Person) -> str:
    return person.get_full_name() or person.username


def _when(at: datetime) -> str:
    return f"{timezone.localtime(at):%H:%M %d/%m/%Y}"


def create_delegation(actor: Person, *, delegator: Person, delegate: Person, starts_at: datetime,
                      ends_at: datetime, reason: str = "", request=None) -> Delegation:
    """``delegate`` acts for ``delegator`` from ``starts_at`` to ``ends_at``; made by ``actor`` (the delegator, or a
    leader of their agency). Audited; both people are notified."""
    if not may_delegate(actor, delegator):
        raise DelegationError("Chỉ người ủy quyền hoặc lãnh đạo cơ quan mới được lập ủy quyền.",
                              code="permission_denied", status_code=403)
    reason = (reason or "").strip()
    if delegator.pk == delegate.pk:
        raise DelegationError("Không thể ủy quyền cho chính mình.", code="self_delegation")
    if not delegator.agency_id or delegator.agency_id != delegate.agency_id:
        raise DelegationError("Chỉ được ủy quyền cho cán bộ cùng cơ quan.", code="other_agency")
    if not delegate.is_active or not delegator.is_active:
        raise DelegationError("Người ủy quyền và người được ủy quyền phải đang hoạt động.", code="inactive")
    if ends_at <= starts_at:
        raise DelegationError("Thời điểm kết thúc phải sau thời điểm bắt đầu.", code="invalid_period",
                              details={"field": "ends_at"})
    if len(reason) > Delegation._meta.get_field("reason").max_length:
        raise DelegationError("Lý do ủy quyền quá dài.", code="too_long", details={"field": "reason"})
    with transaction.atomic():
        delegation = Delegation.objects.create(delegator=delegator, delegate=delegate, starts_at=starts_at,
                                               ends_at=ends_at, reason=reason)
        record("orgs.delegation_created", actor=actor, obj=delegation, agency=delegator.agency_id,
               request=request, data={"delegator": delegator.pk, "delegate": delegate.pk,
                                      "starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat(),
                                      "reason": reason})
        period = f"từ {_when(starts_at)} đến {_when(ends_at)}"
        by = "" if actor.pk == delegator.pk else f" ({_name(actor)} lập)"
        notify(delegate, about=None, key=f"delegation:{delegation.pk}:created",
               text=f"{_name(delegator)} ủy quyền cho bạn {period}{by}." + (f" Lý do: {reason}" if reason else ""))
        notify(delegator, about=None, key=f"delegation:{delegation.pk}:created",
               text=f"Ủy quyền của bạn cho {_name(delegate)} {period}{by}.")
    return delegation


def revoke_delegation(actor: Person, delegation: Delegation, *, request=None) -> Delegation:
    """End ``delegation`` now (its delegator, a leader of their agency, or its delegate). Audited; both are told."""
    if not may_revoke(actor, delegation):
        raise DelegationError("Bạn không được thu hồi ủy quyền này.", code="permission_denied", status_code=403)
    with transaction.atomic():
        delegation = Delegation.objects.select_for_update().select_related("delegator", "delegate").get(
            pk=delegation.pk)
        if delegation.revoked_at is not None:
            raise DelegationError("Ủy quyền này đã được thu hồi.", code="already_revoked", status_code=409)
        delegation.revoked_at = timezone.now()
        delegation.save(update_fields=["revoked_at"])
        record("orgs.delegation_revoked", actor=actor, obj=delegation, agency=delegation.delegator.agency_id,
               request=request, data={"delegator": delegation.delegator_id, "delegate": delegation.delegate_id})
        text = (f"Ủy quyền của {_name(delegation.delegator)} cho {_name(delegation.delegate)} đã được thu hồi "
                f"({_name(actor)}, {_when(delegation.revoked_at)}).")
        for person in (delegation.delegator, delegation.delegate):
            notify(person, about=None, key=f"delegation:{delegation.pk}:revoked", text=text)
    return delegation
