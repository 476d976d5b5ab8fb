from django.apps import AppConfig


class SigningConfig(AppConfig):
    name = "signing"
    verbose_name = "Chữ ký số"
    default_auto_field = "django.db.models.BigAutoField"
