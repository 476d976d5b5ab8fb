"""``{% notification_bell %}``: the bell with the unread count in the top bar (one query per page)."""

from __future__ import annotations

from django import template

from eoffice.notifications.services import unread_count

register = template.Library()


@register.inclusion_tag("reports/bell_link.html", takes_context=True)
def notification_bell(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"unread": unread_count(user) if user is not None else 0}
