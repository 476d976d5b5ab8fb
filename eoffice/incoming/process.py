"""The seam between incoming actions and the incoming flow.

Actions (``eoffice.incoming.services``) decide what happens to a document; the flow (``workflows.incoming``)
decides who acts next. Actions never import the flow: when an action must move the process it asks the driver
registered here, and ``workflows`` registers its driver when Django starts (``workflows.apps``). This keeps the
domain below the processes (docs/ARCHITECTURE.md, "Layers").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from .models import IncomingDocument, IncomingProcess


class IncomingProcessDriver(Protocol):
    def start(self, document: IncomingDocument, *, leader, proposer=None) -> IncomingProcess:
        """The clerk presents a registered document: start its process."""

    def complete(self, task) -> None:
        """Finish a human step and let the process move on (under the process lock)."""

    def finish_support(self, process: IncomingProcess) -> None:
        """The supporting branch has nothing more to wait for."""

    def cancel(self, document: IncomingDocument) -> None:
        """The dispatch was recalled: end its open processes and steps."""

    def hand_over(self, task, new_person) -> None:
        """An open human step now belongs to ``new_person`` (redirect, take back); refuses a closed step."""


_driver: IncomingProcessDriver | None = None


def register_driver(driver: IncomingProcessDriver) -> None:
    global _driver
    _driver = driver


def driver() -> IncomingProcessDriver:
    if _driver is None:
        raise ImproperlyConfigured("No incoming process driver: add 'workflows' to INSTALLED_APPS.")
    return _driver
