"""Small builders for test data (plain functions: the models are simple enough not to need a factory library).

People and agencies are made directly; documents and files only through the real actions (``register_incoming``,
``instruct``, ``create_draft``, ``submit``, ``open_file``...), so what a test gets is what the product makes, without
loading the demo province."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from eoffice.orgs.models import Agency, AgencyKind, Person, RoleCode, Unit, ensure_roles

_counter = itertools.count(1)


def make_agency(name: str = "Sở Thử nghiệm", abbreviation: str = "STN", parent: Agency | None = None, **extra) -> Agency:
    n = next(_counter)
    extra.setdefault("kind", AgencyKind.DEPARTMENT)
    return Agency.objects.create(
        code=extra.pop("code", f"000.00.{n % 100:02d}.T{n % 100:02d}"),
        name=f"{name} {n}",
        abbreviation=abbreviation,
        parent=parent,
        **extra,
    )


def make_unit(agency: Agency, abbreviation: str = "VP", name: str = "Văn phòng") -> Unit:
    return Unit.objects.create(agency=agency, abbreviation=abbreviation, name=name)


def make_person(agency: Agency | None, *roles: str, unit: Unit | None = None, password: str = "pw", **extra) -> Person:
    n = next(_counter)
    person = Person.objects.create_user(
        username=extra.pop("username", f"user{n}"),
        password=password,
        full_name=extra.pop("full_name", f"Nguyễn Văn Thử {n}"),
        agency=agency,
        unit=unit,
        **extra,
    )
    if roles:
        available = ensure_roles()
        person.roles.set([available[code] for code in roles])
    return person


# ------------------------------------------------------------------------------------------------ an agency
@dataclass
class Office:
    """A small agency with the usual people, and a second agency for "another agency gets 404"."""

    agency: Agency
    vp: Unit  # Văn phòng: the clerk's and the archivist's unit
    lead: Unit  # Phòng Phổ biến, giáo dục pháp luật: the unit that handles and drafts
    other: Agency
    other_vp: Unit
    clerk: Person
    leader: Person
    archivist: Person
    head: Person  # head of ``lead``
    specialist: Person  # of ``lead``
    bystander: Person  # another specialist of ``lead``
    outsider_clerk: Person
    outsider_leader: Person


def make_office() -> Office:
    """The agency most tests need, with the code tables a flushed (transactional) test database lost."""
    from eoffice.archive.services import ensure_retention_periods
    from eoffice.documents.services import ensure_document_types

    ensure_document_types()
    ensure_retention_periods()
    agency = make_agency(name="Sở Tư pháp thử", abbreviation="STP")
    vp = make_unit(agency, "VP")
    lead = make_unit(agency, "PBGDPL", "Phòng Phổ biến, giáo dục pháp luật")
    other = make_agency(name="Sở Nội vụ thử", abbreviation="SNV")
    other_vp = make_unit(other, "VP")
    return Office(
        agency=agency, vp=vp, lead=lead, other=other, other_vp=other_vp,
        clerk=make_person(agency, RoleCode.CLERK, unit=vp),
        leader=make_person(agency, RoleCode.LEADER),
        archivist=make_person(agency, RoleCode.ARCHIVIST, unit=vp),
        head=make_person(agency, RoleCode.UNIT_HEAD, unit=lead),
        specialist=make_person(agency, RoleCode.SPECIALIST, unit=lead),
        bystander=make_person(agency, RoleCode.SPECIALIST, unit=lead),
        outsider_clerk=make_person(other, RoleCode.CLERK, unit=other_vp),
        outsider_leader=make_person(other, RoleCode.LEADER),
    )


# ------------------------------------------------------------------------------------------------ PDFs
def make_pdf(*lines: str, pages: int = 1) -> bytes:
    """A plain, valid, unsigned A4 PDF whose text is ``lines`` (what the search and OCR tests look for)."""
    from tests.fixtures_pki import make_sample_pdf

    return make_sample_pdf(tuple(lines) or ("Văn bản mẫu",), pages=pages)


def make_draft_pdf(signer_name: str, signer_position: str, *, summary: str, agency: str = "Sở Tư pháp thử",
                   body: tuple[str, ...] = ()) -> bytes:
    """An unnumbered Decree 30 draft with the signature block of ``signer_name``: it passes the layout check of
    submitting (the number and date fields are placed, the signature block is found)."""
    from signing.documents import OfficialDocument, render_document

    return render_document(OfficialDocument(
        agency=agency, superior_agency="Ủy ban nhân dân tỉnh Bình Minh", summary=summary,
        body=list(body) or ["Đề nghị các đơn vị phối hợp thực hiện theo quy định."],
        signer_name=signer_name, signer_position=signer_position, addressees=["Các phòng, đơn vị thuộc Sở"],
        recipients=["Như trên", "Lưu: VT"],
    ))


# ------------------------------------------------------------------------------------------------ incoming
_notations = itertools.count(1)


def make_metadata(summary: str = "V/v triển khai cải cách hành chính năm 2026", **overrides):
    """What the sender wrote on the dispatch; a new number/notation each time (never a duplicate)."""
    from eoffice.incoming.services import ReceiptMetadata

    values = dict(issuer_name="UBND tỉnh Bình Minh", number_notation=f"{next(_notations)}/UBND-VP",
                  issued_on=dt.date(2026, 3, 2), summary=summary, document_type="cong-van",
                  signer_name="Lê Hoàng Đức", signer_position="Chủ tịch")
    values.update(overrides)
    return ReceiptMetadata(**values)


def open_work_item(document, kind: str, person: Person | None = None):
    """The open work item of ``kind`` on ``document`` (of ``person`` if given): exactly one, or it fails."""
    from eoffice.incoming.models import WorkItem, WorkStatus

    items = WorkItem.objects.filter(document=document, kind=kind, status=WorkStatus.OPEN)
    if person is not None:
        items = items.filter(person=person)
    return items.get()


def make_incoming(clerk: Person, summary: str = "V/v triển khai cải cách hành chính năm 2026", *,
                  body: tuple[str, ...] = (), files: list[tuple[str, bytes]] | None = None, channel: str = "paper",
                  named_people=(), route_to: Unit | None = None, handler: Person | None = None,
                  instruction: str = "Giao đơn vị chủ trì xử lý", **metadata):
    """An incoming document registered by ``clerk`` through :func:`register_incoming` (arrival number, the flow
    started, the leader's INSTRUCT item open). Its PDF says ``summary`` and ``body`` unless ``files`` are given.

    ``route_to``: the leader instructs that unit to lead (its head's ASSIGN item is then open); ``handler``: that
    head assigns them the handling (their HANDLE item is then open; ``route_to`` defaults to their unit).
    ``metadata`` overrides fields of :class:`ReceiptMetadata` (confidentiality, deadline, document_type...).
    """
    from eoffice.incoming.models import WorkKind
    from eoffice.incoming.services import assign_handlers, instruct, register_incoming

    document = register_incoming(clerk, metadata=make_metadata(summary, **metadata),
                                 files=files or [("van-ban.pdf", make_pdf(summary, *body))], channel=channel,
                                 named_people=named_people)
    if handler is not None and route_to is None:
        route_to = handler.unit
    if route_to is not None:
        item = open_work_item(document, WorkKind.INSTRUCT)
        instruct(item, item.person, text=instruction, lead_unit=route_to)
    if handler is not None:
        item = open_work_item(document, WorkKind.ASSIGN)
        assign_handlers(item, item.person, main_handler=handler)
    document.refresh_from_db()
    return document


# ------------------------------------------------------------------------------------------------ outgoing
def make_draft(drafter: Person, signer: Person, summary: str = "Dự thảo kế hoạch tuyên truyền pháp luật năm 2026",
               *, signer_position: str = "Giám đốc", with_file: bool = True, submit: bool = False,
               reviewer: Person | None = None, **extra):
    """An outgoing draft by ``drafter`` through :func:`create_draft`, with a Decree 30 PDF signed off by
    ``signer`` (``with_file``). ``submit``: sent to the head of the drafting unit (IN_REVIEW); ``reviewer``: that
    head approves it too (TO_SIGN, or CONSULTING with ``consult_units``). ``extra`` goes to :func:`create_draft`
    (recipient_units, confidentiality, urgency...); without any recipient it goes to another unit of the agency."""
    from eoffice.documents.models import DocumentType
    from eoffice.outgoing import services

    extra.setdefault("document_type", DocumentType.objects.get(code="cong-van"))
    if not any(extra.get(key) for key in ("recipient_units", "recipient_people", "recipient_agencies",
                                          "external_recipients")):
        others = Unit.objects.filter(agency=drafter.agency_id).exclude(pk=drafter.unit_id).order_by("pk")
        extra["recipient_units"] = list(others[:1]) or [drafter.unit]
    if with_file:
        extra.setdefault("file", ("du-thao.pdf", make_draft_pdf(signer.get_full_name(), signer_position,
                                                                summary=summary, agency=drafter.agency.name)))
    document = services.create_draft(drafter, summary=summary, signer=signer, signer_position=signer_position,
                                     **extra)
    if submit or reviewer is not None:
        document = services.submit(document, drafter)
    if reviewer is not None:
        document = services.review(document, reviewer, approve=True)
    return document


# ------------------------------------------------------------------------------------------------ files (hồ sơ)
_file_codes = itertools.count(1)


def make_case_file(person: Person, unit: Unit | None = None, *, title: str = "Hồ sơ công tác năm 2026",
                   code: str | None = None, year: int = 2026, retention: str = "10-nam", documents=(),
                   closed: bool = False):
    """A file opened by ``person`` through :func:`open_file` (in their unit unless ``unit``), with ``documents``
    (incoming or outgoing documents) filed into it, closed if ``closed``."""
    from eoffice.archive.models import RetentionPeriod
    from eoffice.archive.services import close_file, file_document, open_file
    from eoffice.incoming.models import IncomingDocument

    unit = unit or person.unit
    case_file = open_file(person, unit=unit, year=year, code=code or f"{next(_file_codes):02d}.{unit.abbreviation}",
                          title=title, retention=RetentionPeriod.objects.get(code=retention))
    for document in documents:
        kind = "incoming" if isinstance(document, IncomingDocument) else "outgoing"
        file_document(person, case_file, kind, document.pk)
    if closed:
        case_file = close_file(person, case_file)
    return case_file


def make_transferred_files(archivist: Person, *case_files, note: str = ""):
    """Transfer closed files to the archive through ``transfer_files`` (it sends the archival tasks once the
    transaction commits: a test without a worker makes the archival version itself, ``make_archival_version``)."""
    from eoffice.archive.services import transfer_files

    return transfer_files(archivist, list(case_files), note=note)


def docx_package(body_xml: str) -> bytes:
    """A minimal, valid Word document (.docx) whose ``w:body`` is ``body_xml`` (paragraphs ``<w:p>...</w:p>``)."""
    import io
    import zipfile

    files = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'wordprocessingml.document.main+xml"/></Types>'),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="word/document.xml"/></Relationships>'),
        "word/document.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f"<w:body>{body_xml}</w:body></w:document>"),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()
