"""Celery tasks of the reports app; each calls one service function and is safe to run twice.

- ``reports.send_deadline_reminders`` (queue ``default``, daily by beat — see ``ReportsConfig.ready``): in-app and
  e-mail reminders of work due soon and overdue. Idempotent per item, stage and recipient.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from . import services


@shared_task(name="reports.send_deadline_reminders", acks_late=True)
def send_deadline_reminders(today: str | None = None) -> int:
    """``today`` (ISO date) only for tests and catch-up runs; beat leaves it out."""
    return services.send_deadline_reminders(dt.date.fromisoformat(today) if today else None)
