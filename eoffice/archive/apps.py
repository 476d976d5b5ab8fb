from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

#: The beat entry that brings B-LT-only archival copies to B-LTA once a timestamp authority answers again.
ARCHIVAL_SCHEDULE_NAME = "archive.complete-archival-copies"


class ArchiveConfig(AppConfig):
    name = "eoffice.archive"
    label = "archive"
    verbose_name = _("Hồ sơ và lưu trữ")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .indexing import register_sources
        from .scoping import register_archive_rules

        register_archive_rules()
        register_sources()
        from django.conf import settings

        schedule = getattr(settings, "CELERY_BEAT_SCHEDULE", None)
        if isinstance(schedule, dict) and ARCHIVAL_SCHEDULE_NAME not in schedule:
            from celery.schedules import crontab

            schedule[ARCHIVAL_SCHEDULE_NAME] = {
                "task": "archive.complete_archival_copies",
                "schedule": crontab(hour=2, minute=30),  # at night, away from the working day
                "options": {"queue": "default"},
            }
