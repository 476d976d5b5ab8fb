from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InterchangeConfig(AppConfig):
    name = "eoffice.interchange"
    label = "interchange"
    verbose_name = _("Liên thông văn bản (edXML)")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - statuses back to senders, external deliveries to the queue
        from .scoping import register_interchange_rules

        register_interchange_rules()
