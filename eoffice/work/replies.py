"""Drafting a reply to an incoming dispatch: an outgoing draft that answers an incoming document. The only place
that knows both directions (docs/ARCHITECTURE.md, "Layers"): incoming never imports outgoing.

:func:`connect` (called when Django starts, ``eoffice.work.apps``) gives incoming the function that starts a reply
draft when a handler finishes the handling with a reply (``eoffice.incoming.services.finish_handling``).
"""

from __future__ import annotations

from django.db import transaction

from eoffice.incoming.models import WorkItem
from eoffice.incoming.services import (
    finish_handling_and_file,
    lock_handling,
    record_reply_drafted,
    register_reply_starter,
)
from eoffice.outgoing.models import OutgoingDocument, Status
from eoffice.outgoing.services import start_reply_draft


def draft_reply(item: WorkItem, person, *, request=None) -> object:
    """The handler starts the reply (an outgoing draft linked to the document) and keeps the handling open: the
    work is done when the reply is released (``eoffice.incoming.services.reply_released``). Drafting twice opens
    the same draft."""
    with transaction.atomic():
        item, on_behalf_of = lock_handling(item, person)
        document = item.document
        existing = (OutgoingDocument.objects.filter(answers_incoming_id=document.pk, drafter=person)
                    .exclude(status__in=[Status.RELEASED, Status.RECALLED, Status.SUPERSEDED]).order_by("pk").first())
        if existing is not None:
            return existing
        draft = start_reply_draft(document, person)
        record_reply_drafted(document, person, draft, on_behalf_of=on_behalf_of, request=request)
    return draft


_open_reply_draft = draft_reply  # ``handle``'s own argument is called draft_reply, as in the form and the API


def handle(item: WorkItem, person, *, result: str, draft_reply: bool = False, case_file=None,
           request=None) -> OutgoingDocument | None:
    """THE handler's step, for the page and the API alike.

    Drafting a reply keeps the handling open: the dispatch is handled when its reply is released (the
    specialist's work is the reply), so ``draft_reply`` opens (or reopens) the reply draft and returns it, and
    nothing is closed or filed yet. Otherwise the handling is finished and, with ``case_file``, the document is
    filed in the same transaction (a refused filing records nothing).
    """
    if draft_reply:
        return _open_reply_draft(item, person, request=request)
    finish_handling_and_file(item, person, result=result, case_file=case_file, request=request)
    return None


def connect() -> None:
    """Register with incoming how a reply draft is started."""
    register_reply_starter(start_reply_draft)
