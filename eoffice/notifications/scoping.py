"""Who sees which notifications: only their recipient (the operator, as everywhere, sees all)."""

from __future__ import annotations

from eoffice.orgs.scoping import scoping_rule


def register_notification_rules() -> None:
    from .models import Notification

    @scoping_rule(Notification)
    def notifications(queryset, person):
        return queryset.filter(recipient_id=person.pk)
