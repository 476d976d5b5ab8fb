"""Who sees liên thông configuration and journals: the deployment's administrators only (people see the documents
themselves through the incoming and outgoing modules)."""

from __future__ import annotations

from eoffice.orgs.models import RoleCode
from eoffice.orgs.scoping import scoping_rule


def _admin_only(queryset, person):
    if person.is_superuser or person.has_role(RoleCode.ADMIN):
        return queryset
    return queryset.none()


def register_interchange_rules() -> None:
    from .models import CodeRow, InboundMessage, InboundStatus, OutboundMessage, Peer, RefusedTraffic

    for model in (Peer, CodeRow, OutboundMessage, InboundMessage, InboundStatus, RefusedTraffic):
        scoping_rule(model)(_admin_only)
