"""Sending Celery tasks from actions: by name, so that an action never imports its app's ``tasks`` module (the
tasks import and call the actions; docs/ARCHITECTURE.md, "Celery"). The queue comes from the task's name
(``CELERY_TASK_ROUTES``). With ``CELERY_TASK_ALWAYS_EAGER`` the task runs here, as ``apply_async`` would run it.
"""

from __future__ import annotations

from celery import current_app
from django.db import transaction


def send(task_name: str, *args, **options) -> None:
    """Send ``task_name`` now (for callers that already run after the commit)."""
    if current_app.conf.task_always_eager:
        current_app.tasks[task_name].apply(args=args, **options)
    else:
        current_app.send_task(task_name, args=list(args), **options)


def send_on_commit(task_name: str, *args, **options) -> None:
    """Send ``task_name`` once the current transaction commits; nothing when it rolls back."""
    transaction.on_commit(lambda: send(task_name, *args, **options))
