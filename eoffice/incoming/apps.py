from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncomingConfig(AppConfig):
    name = "eoffice.incoming"
    label = "incoming"
    verbose_name = _("Văn bản đến")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .indexing import register_incoming_source
        from .scoping import register_incoming_rules

        register_incoming_rules()
        register_incoming_source()
