"""The recipients' answers: the incoming side's ``status_changed`` signal updates each delivery's status."""

from __future__ import annotations

from django.dispatch import receiver

from eoffice.incoming.signals import status_changed

from . import services


@receiver(status_changed, dispatch_uid="outgoing.recipient_status")
def on_status_changed(sender, source, source_ref, agency, status, reason="", at=None, **kwargs) -> None:
    if source != services.SOURCE:
        return
    services.record_recipient_status(source_ref, status, reason=reason or "", at=at)
