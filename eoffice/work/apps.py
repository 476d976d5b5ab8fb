from django.apps import AppConfig


class WorkConfig(AppConfig):
    name = "eoffice.work"
    label = "work"
    verbose_name = "Công việc"

    def ready(self) -> None:
        # The incoming actions start a reply through the hook this app registers (incoming never imports outgoing).
        from . import replies

        replies.connect()
