from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "eoffice.demo"
    label = "demo"
    verbose_name = "Dữ liệu mẫu"
