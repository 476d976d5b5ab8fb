from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "eoffice.documents"
    label = "documents"
    verbose_name = _("Văn bản: danh mục, tệp và sổ")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .scoping import register_document_rules

        register_document_rules()
