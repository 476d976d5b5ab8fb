from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

#: The beat entry that writes a checkpoint of the audit chains outside the database (eoffice/audit/anchor.py).
ANCHOR_SCHEDULE_NAME = "audit.anchor"


class AuditConfig(AppConfig):
    name = "eoffice.audit"
    label = "audit"
    verbose_name = _("Nhật ký hệ thống")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (sign-in events)
        from .scoping import register

        register()
        from django.db.backends.signals import connection_created

        from . import checks  # noqa: F401  (audit.E001: the HMAC key in production)
        from .sqlite_guard import on_connection_created

        connection_created.connect(on_connection_created, dispatch_uid="audit-sqlite-guard")
        from django.conf import settings

        schedule = getattr(settings, "CELERY_BEAT_SCHEDULE", None)
        minutes = int(getattr(settings, "AUDIT_ANCHOR_INTERVAL_MINUTES", 60) or 0)
        if isinstance(schedule, dict) and minutes > 0 and ANCHOR_SCHEDULE_NAME not in schedule:
            schedule[ANCHOR_SCHEDULE_NAME] = {
                "task": "audit.anchor",
                "schedule": minutes * 60.0,
                "options": {"queue": "default"},
            }
