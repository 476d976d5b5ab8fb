from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

#: The beat entry of the deadline reminders; added to ``settings.CELERY_BEAT_SCHEDULE`` by :meth:`ready` (the
#: settings module keeps one shared dict, which Celery reads when beat starts).
REMINDER_SCHEDULE_NAME = "reports.send-deadline-reminders"


class ReportsConfig(AppConfig):
    name = "eoffice.reports"
    label = "reports"
    verbose_name = _("Báo cáo, thống kê, nhắc việc")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        schedule = getattr(settings, "CELERY_BEAT_SCHEDULE", None)
        if isinstance(schedule, dict) and REMINDER_SCHEDULE_NAME not in schedule:
            from celery.schedules import crontab

            hour = int(getattr(settings, "EOFFICE_REMINDER_HOUR", 7))
            schedule[REMINDER_SCHEDULE_NAME] = {
                "task": "reports.send_deadline_reminders",
                "schedule": crontab(hour=hour, minute=0),
                "options": {"queue": "default"},
            }
