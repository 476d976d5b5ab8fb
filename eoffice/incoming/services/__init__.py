"""Operations on incoming dispatches. Pages, the API, the flow, tasks and commands call these; nothing else writes.

By operation family:

- :mod:`.receipts`: the receipt API (for the outgoing module and edXML): :func:`receive`, :func:`recall_receipt`, :func:`update_waiting_receipt`,
  :func:`return_receipt`, and the signal :data:`eoffice.incoming.signals.status_changed`;
- :mod:`.registration`: :func:`register_incoming` (which presents the document and starts its process);
- :mod:`.handling`: the flow's callbacks and the steps :func:`propose`, :func:`instruct`, :func:`send_back`,
  :func:`represent`, :func:`assign_handlers`, :func:`finish_handling`, :func:`give_input`, :func:`mark_read`,
  :func:`reply_released`;
- :mod:`.redirection`: :func:`reassign`, :func:`take_back`, :func:`extend_deadline`;
- :mod:`.queries`: the inbox and the registers (read only).

Each action checks who may act through :mod:`eoffice.incoming.policy` (the owner of the work item, or a delegate
standing in for them, recorded as on behalf of) and writes the audit trail. The names below are the package's
public surface: import them from here.
Drafting a reply (which needs the outgoing module) is ``eoffice.work.replies.draft_reply``.
"""

from ._common import IncomingError
from .handling import (
    assign_handlers,
    finish_handling,
    finish_handling_and_file,
    give_input,
    instruct,
    lock_handling,
    mark_read,
    on_flow_closed,
    on_flow_task_created,
    on_inform,
    propose,
    record_reply_drafted,
    register_reply_starter,
    reply_released,
    represent,
    send_back,
)
from .queries import duplicate_as_seen_by, find_duplicate, inbox_items, register_documents
from .receipts import (
    ReceiptMetadata,
    check_upload,
    recall_receipt,
    receive,
    return_receipt,
    update_waiting_receipt,
)
from .redirection import extend_deadline, reassign, take_back
from .registration import default_leader, register_incoming

__all__ = [
    "IncomingError",
    "ReceiptMetadata",
    "assign_handlers",
    "check_upload",
    "default_leader",
    "extend_deadline",
    "duplicate_as_seen_by",
    "find_duplicate",
    "finish_handling",
    "finish_handling_and_file",
    "give_input",
    "inbox_items",
    "instruct",
    "lock_handling",
    "mark_read",
    "on_flow_closed",
    "on_flow_task_created",
    "on_inform",
    "propose",
    "reassign",
    "recall_receipt",
    "update_waiting_receipt",
    "receive",
    "record_reply_drafted",
    "register_documents",
    "register_incoming",
    "register_reply_starter",
    "reply_released",
    "represent",
    "return_receipt",
    "send_back",
    "take_back",
]
