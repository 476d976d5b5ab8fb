"""Data classes for edXML messages (QCVN 102:2016/BTTTT).

Field names follow the standard's element names in snake case, so a reader can map one to the other without a
table; the few exceptions are ``sender``/``recipients`` for ``From``/``To`` (``from`` is a Python keyword).
Dates (PromulgationDate, DueDate) are ``datetime.date``; timestamps are timezone-aware datetimes and travel in
Vietnam time with second precision, as the standard's ``yyyy/MM/dd HH:mm:ss`` format allows nothing finer.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from cryptography import x509

# --- header parts -----------------------------------------------------------------------------------------


@dataclass
class Organization:
    """An agency in ``From``/``To`` (and the ``From`` of a status), known by its identifier code (OrganId)."""

    organ_id: str
    organ_name: str = ""
    organization_in_charge: str = ""
    organ_add: str = ""
    email: str = ""
    telephone: str = ""
    fax: str = ""
    website: str = ""


@dataclass
class Code:
    """Số và ký hiệu: ``CodeNumber`` (e.g. ``12``) and ``CodeNotation`` (e.g. ``QĐ-UBND``)."""

    code_number: str = ""
    code_notation: str = ""


@dataclass
class PromulgationInfo:
    """Place and date of issue."""

    place: str = ""
    promulgation_date: dt.date | None = None


@dataclass
class DocumentType:
    """Document type: ``type`` is the code from the document-type table, ``type_name`` its name."""

    type: int | None = None
    type_name: str = ""
    type_detail: str = ""


@dataclass
class SignerInfo:
    """Who signed: capacity (KT., TM., TL., TUQ. or direct), position and full name."""

    competence: str = ""
    position: str = ""
    full_name: str = ""


@dataclass
class OtherInfo:
    """Priority (độ khẩn), sphere of promulgation, typist notation, counts and appendices."""

    priority: int = 0
    sphere_of_promulgation: str = ""
    typer_notation: str = ""
    promulgation_amount: int | None = None
    page_amount: int | None = None
    appendixes: list[str] = field(default_factory=list)


@dataclass
class ResponseFor:
    """The document this message (or status) answers."""

    organ_id: str = ""
    code: str = ""
    promulgation_date: dt.date | None = None
    document_id: str = ""


@dataclass
class MessageHeader:
    """``MessageHeader`` of an edXML message (items 1.1 to 1.14 of the standard, in that order)."""

    sender: Organization
    recipients: list[Organization]
    document_id: str
    subject: str
    code: Code = field(default_factory=Code)
    promulgation_info: PromulgationInfo = field(default_factory=PromulgationInfo)
    document_type: DocumentType = field(default_factory=DocumentType)
    content: str = ""
    signer_info: SignerInfo = field(default_factory=SignerInfo)
    due_date: dt.date | None = None
    to_places: list[str] = field(default_factory=list)
    other_info: OtherInfo = field(default_factory=OtherInfo)
    response_for: list[ResponseFor] = field(default_factory=list)
    steering_type: int | None = None


# --- trace ------------------------------------------------------------------------------------------------


@dataclass
class TraceHeader:
    """One agency (or axis node) the message passed, with the time it passed."""

    organ_id: str
    timestamp: dt.datetime


@dataclass
class StaffInfo:
    """The official who acted (department, name, mobile, e-mail)."""

    department: str = ""
    staff: str = ""
    mobile: str = ""
    email: str = ""


@dataclass
class Receiver:
    """A receiver change for an update: ``receiver_type`` says whether it is added/kept or removed."""

    receiver_type: int
    organ_id: str


@dataclass
class BussinessDocumentInfo:
    """What an update changes: the document information, the receivers, and the receiver list."""

    document_info: str = ""
    document_receiver: str = ""
    receivers: list[Receiver] = field(default_factory=list)


@dataclass
class ReplacementInfo:
    """A document being replaced and the agencies it was sent to."""

    document_id: str
    organ_ids: list[str] = field(default_factory=list)


@dataclass
class Bussiness:
    """Business information (the standard spells it ``Bussiness``): kind 0 new, 1 recall, 2 update, 3 replace."""

    bussiness_doc_type: int = 0
    bussiness_doc_reason: str = ""
    bussiness_document_info: BussinessDocumentInfo | None = None
    document_id: str = ""
    staff_info: StaffInfo | None = None
    paper: int | None = None
    replacement_info: list[ReplacementInfo] = field(default_factory=list)


@dataclass
class TraceHeaderList:
    """``TraceHeaderList``: where the message went, and the business it carries."""

    trace_headers: list[TraceHeader] = field(default_factory=list)
    bussiness: Bussiness = field(default_factory=Bussiness)


# --- body -------------------------------------------------------------------------------------------------


@dataclass
class Attachment:
    """A file carried base64-encoded beside the envelope and referenced from the manifest by content id."""

    content_id: str
    name: str
    content_type: str
    data: bytes
    description: str = ""


@dataclass
class EdxmlMessage:
    """Everything the sender decides: header and trace. Attachments are passed separately to the builder."""

    header: MessageHeader
    trace: TraceHeaderList = field(default_factory=TraceHeaderList)


@dataclass
class ParsedMessage:
    """A received message whose signature verified against a trusted certificate and whose fields passed checks."""

    header: MessageHeader
    trace: TraceHeaderList
    attachments: list[Attachment]
    signer_certificate: x509.Certificate

    def attachment(self, content_id: str) -> Attachment:
        """The attachment referenced by ``content_id`` (with or without the ``cid:`` prefix)."""
        wanted = strip_cid(content_id)
        for attachment in self.attachments:
            if attachment.content_id == wanted:
                return attachment
        raise KeyError(content_id)


# --- status -----------------------------------------------------------------------------------------------


@dataclass
class StatusMessage:
    """A status answer to a document (01 arrived ... 16 recall/update refused)."""

    response_for: ResponseFor
    sender: Organization
    status_code: str
    timestamp: dt.datetime
    description: str = ""
    recipient: Organization | None = None
    staff_info: StaffInfo | None = None


@dataclass
class ParsedStatus:
    """A received status whose signature verified against a trusted certificate."""

    status: StatusMessage
    signer_certificate: x509.Certificate


# --- helpers ----------------------------------------------------------------------------------------------

_DOCUMENT_ID = re.compile(r"^(?P<agency>[^,]+),(?P<date>\d{4}/\d{2}/\d{2}),(?P<code>.+)$")


def format_document_id(agency_id: str, promulgation_date: dt.date, number: str, notation: str) -> str:
    """The standard's DocumentId: ``agencyId,YYYY/MM/DD,number/notation`` (e.g. ``000.00.00.G22,2024/03/05,12/QĐ-UBND``)."""
    return f"{agency_id},{promulgation_date:%Y/%m/%d},{number}/{notation}"


def split_document_id(document_id: str) -> tuple[str, dt.date, str] | None:
    """``(agency_id, date, "number/notation")`` when ``document_id`` has the standard's shape, else None.

    Some implementations put a UUID there; callers that need the parts must handle None.
    """
    match = _DOCUMENT_ID.match(document_id)
    if not match:
        return None
    try:
        date = dt.datetime.strptime(match["date"], "%Y/%m/%d").date()
    except ValueError:
        return None
    return match["agency"], date, match["code"]


def strip_cid(content_id: str) -> str:
    """Content ids travel as ``cid:xyz`` in references and ``xyz`` in attachments; compare them bare."""
    return content_id[4:] if content_id.lower().startswith("cid:") else content_id
