from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutgoingConfig(AppConfig):
    name = "eoffice.outgoing"
    label = "outgoing"
    verbose_name = _("Văn bản đi")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - listens to the recipients' status signal
        from .indexing import register_outgoing_source
        from .scoping import register_outgoing_rules

        register_outgoing_rules()
        register_outgoing_source()
