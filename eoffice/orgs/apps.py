from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "eoffice.orgs"
    label = "orgs"
    verbose_name = _("Tổ chức và cán bộ")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .scoping import register_org_rules

        register_org_rules()
