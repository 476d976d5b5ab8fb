from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "eoffice.api"
    label = "api"
    verbose_name = "API"
