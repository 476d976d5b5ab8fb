from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """In-app notifications (thông báo), a low layer: any app may call :func:`~.services.notify`."""

    name = "eoffice.notifications"
    label = "notifications"
    verbose_name = _("Thông báo")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .scoping import register_notification_rules

        register_notification_rules()
