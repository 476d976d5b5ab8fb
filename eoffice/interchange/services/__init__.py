"""Liên thông (edXML) operations. The endpoint, the Celery tasks, the signal receivers and the management commands
call these and hold no logic of their own. The package re-exports the names its callers use; the modules are
``common`` (code tables, limits, peers, signing keys, answers), ``outbound`` (the outbound journal: queuing,
building, resending, file export), ``sending`` (HTTP), ``statuses`` (status messages received), ``receiving``
(messages received, refusals) and ``recall`` (recall/update/replace of a document we received).

Sending (our outgoing documents to other systems):
- :func:`queue_delivery` — an external delivery (business kind 0 new, 1 recall, 2 update, 3 replace) becomes an
  :class:`~eoffice.interchange.models.OutboundMessage`, keyed by DocumentId + recipient + kind, sent by the task
  ``interchange.edxml_send`` (:func:`send_outbound`) with retries and exponential backoff.
- :func:`receive_status` / :func:`apply_status` — the recipients' status messages (01 … 16) update the delivery;
  a status meaning "recall" (13) from the system that sent us a document is applied as a recall of it.

Statuses are named in the program by their fixed meaning (arrived, refused, accepted, assigned, done,
recall_agreed…, see ``edxml.codes.STATUS_MEANINGS``); the code that travels is the one the administrator's table
(:class:`~eoffice.interchange.models.CodeRow`) gives that meaning when the status is built. A table that lost a
meaning makes the status fail in the outbound journal with the reason, never silently.

Receiving (other systems' documents for our agencies):
- :func:`receive_message` — verify (signature of a configured peer), check, and apply in one transaction: a new
  document becomes a receipt in the addressed agency's queue (``incoming.services.receive``, channel
  ``interconnection``, source ``edxml``); recall/update/replace are applied and answered 15 or 16. A refusal is a
  status 02 with the reason, returned to the caller and queued back to the sending peer. A resend of the same
  DocumentId for the same recipient is answered with the existing receipt's status, never a second receipt.
- :func:`on_incoming_status` — the incoming flow's stages (arrived, refused, accepted, assigned, done) are sent
  back to the sender as status messages 01, 02, 03, 05, 06.
"""

from .common import (
    CONTENT_TYPE,
    SOURCE,
    Answer,
    TransportError,
    code_tables,
    default_agency,
    enabled_peers,
    json_answer,
    limits,
    peer_serving,
    signer_for,
)
from .outbound import (
    NOT_SENT_YET,
    build_outbound_message,
    export_package,
    mark_failed,
    on_incoming_status,
    queue_delivery,
    queue_status,
    resend,
)
from .receiving import (
    is_status_document,
    receive_message,
    refuse,
)
from .sending import (
    post,
    send_outbound,
)
from .statuses import (
    apply_status,
    receive_status,
)

__all__ = [
    "CONTENT_TYPE",
    "NOT_SENT_YET",
    "SOURCE",
    "Answer",
    "TransportError",
    "apply_status",
    "build_outbound_message",
    "code_tables",
    "default_agency",
    "enabled_peers",
    "export_package",
    "is_status_document",
    "json_answer",
    "limits",
    "mark_failed",
    "on_incoming_status",
    "peer_serving",
    "post",
    "queue_delivery",
    "queue_status",
    "receive_message",
    "receive_status",
    "refuse",
    "resend",
    "send_outbound",
    "signer_for",
]
