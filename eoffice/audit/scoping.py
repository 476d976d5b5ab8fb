"""Scoping rule for audit records: administrators see their own agency's trail."""

from eoffice.orgs.models import RoleCode
from eoffice.orgs.scoping import scoping_rule

from .models import AuditRecord


def register() -> None:
    @scoping_rule(AuditRecord)
    def audit_records(queryset, person):
        if not person.agency_id or not person.has_role(RoleCode.ADMIN):
            return queryset.none()
        return queryset.filter(agency_id=person.agency_id)
