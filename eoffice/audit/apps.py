from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "eoffice.audit"
    label = "audit"
    verbose_name = _("Nhật ký hệ thống")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (sign-in events)
        from .scoping import register

        register()
