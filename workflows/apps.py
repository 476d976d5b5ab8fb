from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    label = "workflows"
    verbose_name = "Quy trình"

    def ready(self) -> None:
        # The domain's actions move processes through the drivers they define; the flows provide them.
        from eoffice.incoming import process as incoming_process
        from eoffice.outgoing import process as outgoing_process

        from . import incoming, outgoing

        incoming_process.register_driver(incoming.IncomingDriver())
        outgoing_process.register_driver(outgoing)
