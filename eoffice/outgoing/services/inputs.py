"""One input object per outgoing operation that takes structured input. The page's forms
(``eoffice/pages/outgoing/forms.py``) and the API's serializers (``eoffice/api/outgoing.py``) both build them, the
ids they receive resolved by the same functions (:meth:`DraftInput.from_ids`, :meth:`RecipientsInput.from_ids`,
against the choices of :mod:`eoffice.outgoing.policy`), so the page and the API call the same action with the
same input and get the same result, errors (and their codes) included.

The actions take the object (``create_draft(person, DraftInput(...))``); they also accept its fields as keyword
arguments (``create_draft(person, summary=..., ...)``), built into the same object by :func:`coerce`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from eoffice.core.errors import DomainError
from eoffice.documents.models import Confidentiality, DocumentType, Urgency, is_secret
from eoffice.orgs.models import Agency, Person, Unit

from .. import policy
from ..models import Capacity, OutgoingDocument

T = TypeVar("T")


def coerce(cls: type[T], given: T | None, fields: Mapping[str, Any]) -> T:
    """The input object of an action: ``given``, or one built from the keyword arguments ``fields``."""
    if given is None:
        return cls(**fields)
    if fields:
        raise TypeError(f"Pass a {cls.__name__} or its fields, not both (got {sorted(fields)}).")
    if not isinstance(given, cls):
        raise TypeError(f"Expected a {cls.__name__}, got {type(given).__name__}.")
    return given


def _tuples(obj: Any, *names: str) -> None:
    for name in names:
        object.__setattr__(obj, name, tuple(getattr(obj, name) or ()))


def _pick(choices: QuerySet, ids: Iterable[int], code: str, message: str) -> tuple:
    """The rows of ``choices`` with ``ids`` (in the order given, duplicates dropped); any other id is refused."""
    wanted = list(dict.fromkeys(int(i) for i in ids))
    if not wanted:
        return ()
    found = {row.pk: row for row in choices.filter(pk__in=wanted)}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise DomainError(message, code=code, details={"ids": missing})
    return tuple(found[i] for i in wanted)


def _external(values: Iterable[ExternalRecipient | Mapping[str, str]]) -> tuple[ExternalRecipient, ...]:
    found = []
    for value in values:
        if not isinstance(value, ExternalRecipient):
            code = (value.get("code") or "").strip()
            value = ExternalRecipient(code, (value.get("name") or "").strip() or code)
        found.append(value)
    return tuple(found)


# ------------------------------------------------------------------------------------------------ recipients
@dataclasses.dataclass(frozen=True)
class ExternalRecipient:
    """An agency outside this deployment, reached through the edXML interconnection."""

    code: str
    name: str


@dataclasses.dataclass(frozen=True)
class RecipientsInput:
    """The recipients of a draft (:func:`set_recipients`; the same fields in :class:`DraftInput`)."""

    recipient_units: tuple[Unit, ...] = ()
    recipient_people: tuple[Person, ...] = ()
    recipient_agencies: tuple[Agency, ...] = ()
    external_recipients: tuple[ExternalRecipient, ...] = ()

    def __post_init__(self):
        _tuples(self, "recipient_units", "recipient_people", "recipient_agencies", "external_recipients")

    @classmethod
    def from_ids(cls, person: Person, confidentiality: str, *, recipient_units: Iterable[int] = (),
                 recipient_people: Iterable[int] = (), recipient_agencies: Iterable[int] = (),
                 external_recipients: Iterable[ExternalRecipient | Mapping[str, str]] = ()) -> RecipientsInput:
        """Resolve the ids a form or a serializer received against what ``person`` may pick
        (:mod:`eoffice.outgoing.policy`) for a document of ``confidentiality``; anything else is refused with
        ``bad_recipient``."""
        return cls(
            recipient_units=_pick(policy.recipient_unit_choices(person), recipient_units, "bad_recipient",
                                  "Đơn vị nhận trong cơ quan phải là đơn vị đang hoạt động của cơ quan ban hành."),
            recipient_people=_pick(policy.nameable_people(person, confidentiality), recipient_people,
                                   "bad_recipient", _people_message(confidentiality)),
            recipient_agencies=_pick(policy.recipient_agency_choices(person), recipient_agencies, "bad_recipient",
                                     "Cơ quan nhận phải là cơ quan khác, đang hoạt động trong hệ thống; trong cơ "
                                     "quan ban hành, chọn đơn vị nhận."),
            external_recipients=_external(external_recipients),
        )


def _people_message(confidentiality: str) -> str:
    if is_secret(confidentiality):
        return "Cá nhân nhận không tồn tại hoặc không còn hoạt động."
    return "Cá nhân nhận phải thuộc cơ quan ban hành; cơ quan khác nhận qua văn thư của họ."


# ------------------------------------------------------------------------------------------------- drafts
@dataclasses.dataclass(frozen=True)
class DraftInput:
    """A new draft (:func:`create_draft`). ``file`` is (name, bytes), or None when it comes later."""

    document_type: DocumentType
    summary: str
    signer: Person
    signer_capacity: str = Capacity.DIRECT
    signer_position: str = ""
    urgency: str = Urgency.NORMAL
    confidentiality: str = Confidentiality.NORMAL
    recipient_units: tuple[Unit, ...] = ()
    recipient_people: tuple[Person, ...] = ()
    recipient_agencies: tuple[Agency, ...] = ()
    external_recipients: tuple[ExternalRecipient, ...] = ()
    consult_units: tuple[Unit, ...] = ()
    deadline: date | None = None
    file: tuple[str, bytes] | None = None
    # Set by the actions that draft for a purpose (a replacement, a reply), not by the form or the API.
    answers: Model | None = None
    replaces: OutgoingDocument | None = None
    notes: str = ""

    def __post_init__(self):
        _tuples(self, "recipient_units", "recipient_people", "recipient_agencies", "external_recipients",
                "consult_units")

    @property
    def recipients(self) -> RecipientsInput:
        return RecipientsInput(self.recipient_units, self.recipient_people, self.recipient_agencies,
                               self.external_recipients)

    @classmethod
    def from_ids(cls, person: Person, *, document_type: str | DocumentType, summary: str, signer: int | str | None,
                 signer_capacity: str = Capacity.DIRECT, signer_position: str = "", urgency: str = Urgency.NORMAL,
                 confidentiality: str = Confidentiality.NORMAL, recipient_units: Iterable[int] = (),
                 recipient_people: Iterable[int] = (), recipient_agencies: Iterable[int] = (),
                 external_recipients: Iterable[ExternalRecipient | Mapping[str, str]] = (),
                 consult_units: Iterable[int] = (), deadline: date | None = None,
                 file: tuple[str, bytes] | None = None) -> DraftInput:
        """The draft of ``person`` from what a form or a serializer received (ids, codes), resolved against
        the choices of :mod:`eoffice.outgoing.policy`: the page and the API accept and refuse the same input."""
        code = getattr(document_type, "code", document_type)
        found_type = policy.document_type_choices().filter(code=code).first() if code else None
        if found_type is None:
            raise DomainError("Loại văn bản không hợp lệ.", code="bad_document_type")
        try:
            signer_id = int(getattr(signer, "pk", signer) or 0)
        except (TypeError, ValueError):
            signer_id = 0
        found_signer = policy.signer_choices(person).filter(pk=signer_id).first() if signer_id else None
        if found_signer is None:
            raise DomainError("Người ký phải là lãnh đạo của cơ quan ban hành.", code="bad_signer")
        confidentiality = confidentiality or Confidentiality.NORMAL
        recipients = RecipientsInput.from_ids(
            person, confidentiality, recipient_units=recipient_units, recipient_people=recipient_people,
            recipient_agencies=recipient_agencies, external_recipients=external_recipients)
        return cls(
            document_type=found_type, summary=summary, signer=found_signer,
            signer_capacity=signer_capacity or Capacity.DIRECT, signer_position=signer_position or "",
            urgency=urgency or Urgency.NORMAL, confidentiality=confidentiality,
            recipient_units=recipients.recipient_units, recipient_people=recipients.recipient_people,
            recipient_agencies=recipients.recipient_agencies, external_recipients=recipients.external_recipients,
            consult_units=_pick(policy.consult_unit_choices(person), consult_units, "bad_consult_unit",
                                "Chỉ lấy ý kiến các đơn vị trong cơ quan."),
            deadline=deadline, file=file,
        )


@dataclasses.dataclass(frozen=True)
class ReplacementInput:
    """A replacement draft (:func:`create_replacement`): everything else comes from the replaced document; an
    empty summary keeps the old one."""

    summary: str = ""
    file: tuple[str, bytes] | None = None


# --------------------------------------------------------------------------------------------- decisions
@dataclasses.dataclass(frozen=True)
class ReviewInput:
    """The drafting unit head's check (:func:`review`): approve, or return with a comment."""

    approve: bool
    comment: str = ""


@dataclasses.dataclass(frozen=True)
class ConsultInput:
    """A consulted unit's opinion (:func:`consult`); ``unit`` defaults to the person's own."""

    agree: bool = True
    comment: str = ""
    unit: Unit | None = None


@dataclasses.dataclass(frozen=True)
class ReturnInput:
    """The signer's or the clerk's return to the drafter (:func:`return_to_drafter`): the comment is required."""

    comment: str


@dataclasses.dataclass(frozen=True)
class RecallInput:
    """A recall (:func:`recall`): the reason is required and reaches every recipient."""

    reason: str
