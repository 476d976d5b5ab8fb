"""The seam between outgoing actions and the outgoing flow.

Actions (``eoffice.outgoing.services``) decide what happens to a draft; the flow (``workflows.outgoing``) decides
who acts next. Actions never import the flow: they ask the driver registered here, which ``workflows`` registers
when Django starts (``workflows.apps``). docs/ARCHITECTURE.md, "Layers".
"""

from __future__ import annotations

from typing import Protocol

from django.core.exceptions import ImproperlyConfigured


class OutgoingProcessDriver(Protocol):
    def start(self, document):
        """Start the process of a new draft (the unit head's review comes next)."""

    def open_task(self, document, node_name: str, **data):
        """The open task of step ``node_name``; a 409 domain error when the process is not at that step."""

    def complete(self, document, node_name: str, person, **data) -> None:
        """Finish the open task of ``node_name`` as ``person`` and let the process move on."""

    def open_steps(self, document) -> list:
        """The steps waiting for someone, for the document page."""


_driver: OutgoingProcessDriver | None = None


def register_driver(driver: OutgoingProcessDriver) -> None:
    global _driver
    _driver = driver


def driver() -> OutgoingProcessDriver:
    if _driver is None:
        raise ImproperlyConfigured("No outgoing process driver: add 'workflows' to INSTALLED_APPS.")
    return _driver
