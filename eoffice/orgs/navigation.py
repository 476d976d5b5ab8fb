"""The navigation each role needs. One table, read by the base layout and tested as such."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models import RoleCode

HANDLERS = {
    RoleCode.CLERK,
    RoleCode.LEADER,
    RoleCode.DEPUTY_LEADER,
    RoleCode.UNIT_HEAD,
    RoleCode.SPECIALIST,
}


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url_name: str
    roles: frozenset[str] | None  # None: everyone signed in
    icon: str

    def url(self) -> str:
        return reverse(self.url_name)


NAVIGATION: tuple[NavItem, ...] = (
    NavItem("tasks", _("Việc cần xử lý"), "module-tasks", None, "✓"),
    NavItem("incoming", _("Văn bản đến"), "module-incoming", frozenset(HANDLERS), "↓"),
    NavItem("outgoing", _("Văn bản đi"), "module-outgoing", frozenset(HANDLERS), "↑"),
    NavItem(
        "files",
        _("Hồ sơ"),
        "module-files",
        frozenset(HANDLERS | {RoleCode.ARCHIVIST}),
        "▤",
    ),
    NavItem("search", _("Tra cứu"), "module-search", None, "⌕"),
    NavItem(
        "reports",
        _("Báo cáo"),
        "module-reports",
        frozenset({RoleCode.LEADER, RoleCode.DEPUTY_LEADER, RoleCode.UNIT_HEAD, RoleCode.CLERK, RoleCode.ARCHIVIST}),
        "▦",
    ),
    NavItem("admin", _("Quản trị"), "admin:index", frozenset({RoleCode.ADMIN}), "⚙"),
)


def navigation_for(person) -> list[NavItem]:
    """The items ``person`` may use, in the fixed order of the menu."""
    if person is None or not person.is_authenticated:
        return []
    if person.is_superuser:
        return list(NAVIGATION)
    codes = person.role_codes
    return [item for item in NAVIGATION if item.roles is None or codes & item.roles]
