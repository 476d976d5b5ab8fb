"""The recipients' answers: the incoming side's ``status_changed`` signal updates each delivery's status."""

from __future__ import annotations

from django.dispatch import receiver

from . import services

try:
    from eoffice.incoming.signals import status_changed
except ImportError:  # the incoming app is not installed: nothing to listen to
    status_changed = None


if status_changed is not None:

    @receiver(status_changed, dispatch_uid="outgoing.recipient_status")
    def on_status_changed(sender, source, source_ref, agency, status, reason="", at=None, **kwargs) -> None:
        if source != services.SOURCE:
            return
        services.record_recipient_status(source_ref, status, reason=reason or "", at=at)
