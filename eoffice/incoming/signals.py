"""What incoming tells the sender's side (the outgoing module, later edXML) about a dispatch it received.

``status_changed(sender, source, source_ref, agency, status, reason, at)`` is sent after the transaction commits,
at each stage: ``arrived``, ``refused``, ``accepted``, ``assigned``, ``done``, ``recall_done``. ``source`` and
``source_ref`` are the values given to :func:`eoffice.incoming.services.receive`; ``agency`` is the recipient.
Incoming never imports outgoing: the sender's side listens here.
"""

from django.dispatch import Signal

status_changed = Signal()

ARRIVED = "arrived"
REFUSED = "refused"
ACCEPTED = "accepted"
ASSIGNED = "assigned"
DONE = "done"
RECALL_DONE = "recall_done"
