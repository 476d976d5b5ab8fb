from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArchiveConfig(AppConfig):
    name = "eoffice.archive"
    label = "archive"
    verbose_name = _("Hồ sơ và lưu trữ")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .scoping import register_archive_rules

        register_archive_rules()
