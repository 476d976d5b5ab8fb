"""Operations on outgoing dispatches (văn bản đi). Pages, the API, the flow and tasks call these; nothing else
changes an outgoing document. One module per family of operations; this package re-exports what callers use.

The life of a dispatch (Decree 30, art. 18-20), one function per step:

1. :func:`create_draft` / :func:`add_version` (:mod:`.drafting`) — a specialist uploads the draft (PDF, or DOCX
   converted to PDF by LibreOffice in a Celery task, :func:`convert_version`); every file is kept as a version.
2. :func:`submit` (:mod:`.review`) — the draft goes to the head of the drafting unit; the number and date form
   fields are placed in the heading now (:func:`signing.pades.add_number_date_fields`), so the layout problems show
   before anyone signs.
3. :func:`review` — the unit head approves or returns it with comments; :func:`consult` — consulted units give
   their opinions in parallel.
4. :func:`sign` (software key store) or :func:`prepare_two_step` + :func:`complete_two_step` (the official's token
   through the signing agent) (:mod:`.signing`) — the leader approves and signs; :func:`return_to_drafter` at
   the leader's step.
5. :func:`issue` (:mod:`.issuing`) — the clerk checks the form; in ONE transaction the number comes from the right
   series, the number/date fields are filled, the register row is written and the agency's seal is applied. Any
   failure rolls everything back: no number is consumed.
6. :func:`release` (:mod:`.release`) — every recipient at once: units and people of the agency see it, agencies of
   this deployment get it in their receipt queue (Celery, ``interchange`` queue, idempotent on the delivery id),
   external agencies are queued for the edXML transport. :func:`record_recipient_status` records what recipients
   answer.
7. :func:`recall` and :func:`create_replacement` (:mod:`.recall`) — a recall reaches every recipient; a
   replacement supersedes.

Queries (what waits for whom) are in :mod:`.queries`; the reply hook of the incoming side in :mod:`.replies`.
The input of each operation is one object of :mod:`.inputs` (:class:`DraftInput`, :class:`RecipientsInput`,
:class:`ReviewInput`, ...), built by the page's forms and the API's serializers alike.
The actions never import :mod:`eoffice.outgoing.tasks`: they send its tasks by name after commit.
"""

from ._common import DOCX, PDF, SOURCE, clerks_of, position_of, unit_heads
from .drafting import (
    SECRET_NAMED_ONLY,
    ConversionError,
    add_version,
    check_secret_recipients,
    convert_version,
    create_draft,
    docx_to_pdf,
    read_upload,
    set_recipients,
)
from .inputs import (
    ConsultInput,
    DraftInput,
    ExternalRecipient,
    RecallInput,
    RecipientsInput,
    ReplacementInput,
    ReturnInput,
    ReviewInput,
)
from .issuing import date_text, issue, notation_for
from .queries import WAITING_STEP_CHOICES, WAITING_STEPS, waiting_for, waiting_step
from .recall import create_replacement, recall, recall_delivery
from .release import (
    STATUS_MAP,
    deliver,
    note_not_sent,
    record_recipient_status,
    release,
    restore_after_declined_recall,
)
from .replies import start_reply_draft
from .review import consult, return_to_drafter, review, submit
from .signing import complete_two_step, prepare_two_step, sign

__all__ = [
    "DOCX",
    "PDF",
    "SECRET_NAMED_ONLY",
    "SOURCE",
    "STATUS_MAP",
    "WAITING_STEPS",
    "WAITING_STEP_CHOICES",
    "ConsultInput",
    "ConversionError",
    "DraftInput",
    "ExternalRecipient",
    "RecallInput",
    "RecipientsInput",
    "ReplacementInput",
    "ReturnInput",
    "ReviewInput",
    "add_version",
    "check_secret_recipients",
    "clerks_of",
    "complete_two_step",
    "consult",
    "convert_version",
    "create_draft",
    "create_replacement",
    "date_text",
    "deliver",
    "docx_to_pdf",
    "issue",
    "notation_for",
    "position_of",
    "prepare_two_step",
    "read_upload",
    "recall",
    "recall_delivery",
    "note_not_sent",
    "record_recipient_status",
    "release",
    "restore_after_declined_recall",
    "return_to_drafter",
    "review",
    "set_recipients",
    "sign",
    "start_reply_draft",
    "submit",
    "unit_heads",
    "waiting_for",
    "waiting_step",
]
