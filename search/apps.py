from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "Tra cứu"
    default_auto_field = "django.db.models.BigAutoField"
