"""The Celery application.

Embedded mode runs a real worker on the kombu SQLAlchemy transport (``sqla+sqlite://``); production uses Redis.
Queues: ``default``, ``signing``, ``indexing``, ``ocr``, ``interchange``, ``conversion`` (LibreOffice) so that each kind of slow work can get its own
workers.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eoffice.settings")

app = Celery("eoffice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="eoffice.ping")
def ping() -> str:
    """A trivial task used by health checks and tests to prove that a worker answers."""
    return "pong"
