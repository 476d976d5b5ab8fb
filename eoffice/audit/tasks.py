"""Celery tasks of the audit app.

- ``audit.anchor`` (queue ``default``, every ``AUDIT_ANCHOR_INTERVAL_MINUTES`` by beat, see ``AuditConfig.ready``):
  verify the trail and append a checkpoint of its chains' heads outside the database; none over a broken trail.
"""

from __future__ import annotations

import logging

from celery import shared_task

from . import services

log = logging.getLogger(__name__)


@shared_task(name="audit.anchor", acks_late=True)
def anchor() -> int:
    """The number of problems found (0: a checkpoint was written)."""
    problems = services.verify_and_anchor()
    for problem in problems:
        log.error("audit trail: %s", problem)
    return len(problems)
