"""Drafting a dispatch: the upload (PDF, or DOCX converted to PDF by LibreOffice in a Celery task), the
recipient rules, and the draft itself (:func:`create_draft`, :func:`add_version`, :func:`set_recipients`)."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from eoffice.audit.services import record
from eoffice.documents.models import is_secret
from eoffice.documents.services import store_file
from eoffice.orgs.models import Agency, Person, RoleCode

from .. import policy
from ..models import (
    Capacity,
    ConversionStatus,
    Delivery,
    DeliveryKind,
    DraftVersion,
    OutgoingDocument,
    Status,
    VersionKind,
)
from ._common import DOCX, PDF, _add_readers, _enqueue, _error, _lock, _new_version, clerks_of, unit_heads
from .inputs import DraftInput, RecipientsInput, coerce

CONVERSION_QUEUE = "conversion"
CONVERSION_TIMEOUT = 180


# ------------------------------------------------------------------------------------------------- uploads
def read_upload(name: str, data: bytes) -> tuple[str, str]:
    """Check an uploaded draft; returns (kind, content type) with kind "pdf" or "docx". Clear errors otherwise."""
    from signing.validation import PdfNotAcceptableError, check_pdf_acceptable

    limit = settings.EOFFICE_MAX_UPLOAD_BYTES
    if not data:
        raise _error("Tệp dự thảo rỗng.", "empty_file")
    if len(data) > limit:
        raise _error(f"Tệp dự thảo quá lớn (tối đa {limit // (1024 * 1024)} MB).", "too_large")
    lower = name.lower()
    if data.startswith(b"%PDF-") or lower.endswith(".pdf"):
        try:
            check_pdf_acceptable(data, max_bytes=limit)
        except PdfNotAcceptableError as exc:
            raise _error(f"Tệp PDF không dùng được: {exc.message}", f"pdf_{exc.code}") from exc
        return "pdf", PDF
    if lower.endswith(".docx") or data.startswith(b"PK"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
                broken = archive.testzip()
        except (zipfile.BadZipFile, ValueError, OSError) as exc:
            raise _error("Tệp DOCX bị hỏng, không đọc được. Hãy lưu lại tệp bằng Word/LibreOffice rồi tải lên.",
                         "docx_broken") from exc
        if broken is not None or "word/document.xml" not in names:
            raise _error("Tệp DOCX bị hỏng, không đọc được. Hãy lưu lại tệp bằng Word/LibreOffice rồi tải lên.",
                         "docx_broken")
        return "docx", DOCX
    raise _error("Chỉ nhận dự thảo dạng PDF hoặc DOCX.", "unsupported_type")


class ConversionError(Exception):
    """LibreOffice could not turn the DOCX into a PDF; the message is Vietnamese, for the drafter."""


def docx_to_pdf(data: bytes, *, timeout: int = CONVERSION_TIMEOUT) -> bytes:
    """Convert DOCX bytes to PDF bytes with LibreOffice headless, in a private profile (one per run: parallel
    conversions must not share a profile, LibreOffice locks it)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise ConversionError("Máy chủ chưa cài LibreOffice để chuyển DOCX sang PDF.")
    with tempfile.TemporaryDirectory(prefix="eoffice-lo-") as tmp:
        work = Path(tmp)
        source = work / "du-thao.docx"
        source.write_bytes(data)
        profile = work / "profile"
        try:
            proc = subprocess.run(
                [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                 "--convert-to", "pdf", "--outdir", str(work / "out"), str(source)],
                capture_output=True, timeout=timeout, cwd=work,
            )
        except subprocess.TimeoutExpired as exc:
            raise ConversionError("Chuyển DOCX sang PDF quá lâu, đã dừng.") from exc
        result = work / "out" / "du-thao.pdf"
        if proc.returncode != 0 or not result.exists() or result.stat().st_size == 0:
            raise ConversionError("Không chuyển được tệp DOCX sang PDF: tệp bị hỏng hoặc không đúng định dạng.")
        return result.read_bytes()


def _store_upload(document: OutgoingDocument, person: Person, name: str, data: bytes) -> DraftVersion:
    kind, content_type = read_upload(name, data)
    stored = store_file(data, name=name, content_type=content_type)
    if kind == "pdf":
        return _new_version(document, VersionKind.UPLOAD, stored, person)
    version = _new_version(document, VersionKind.UPLOAD, None, person, source=stored,
                           conversion=ConversionStatus.PENDING)
    _enqueue("outgoing.convert_docx", version.pk, queue=CONVERSION_QUEUE)
    return version


def convert_version(version_id: int) -> DraftVersion:
    """Convert a pending DOCX version to PDF (run by the ``outgoing.convert_docx`` task; idempotent)."""
    from signing.validation import PdfNotAcceptableError, check_pdf_acceptable

    version = DraftVersion.objects.select_related("source", "document").get(pk=version_id)
    if version.conversion != ConversionStatus.PENDING:
        return version
    try:
        pdf = docx_to_pdf(version.source.read())
        check_pdf_acceptable(pdf)
    except (ConversionError, PdfNotAcceptableError) as exc:
        version.conversion = ConversionStatus.FAILED
        version.error = getattr(exc, "message", None) or str(exc)
        version.save(update_fields=["conversion", "error"])
        record("outgoing.conversion_failed", obj=version.document, data={"version": version.seq,
                                                                         "error": version.error})
        return version
    with transaction.atomic():
        document = _lock(version.document)
        stored = store_file(pdf, name=Path(version.source.name).with_suffix(".pdf").name, content_type=PDF)
        version.file = stored
        version.conversion = ConversionStatus.DONE
        version.save(update_fields=["file", "conversion"])
        latest = document.versions.order_by("-seq").first()
        if latest is not None and latest.pk == version.pk:
            document.current_file = stored
            document.save(update_fields=["current_file", "updated_at"])
    return version


# --------------------------------------------------------------------------------------------- recipients
def _check_recipients(agency: Agency, confidentiality: str, recipients: RecipientsInput) -> None:
    """The recipient rules, on the objects given (:mod:`eoffice.outgoing.policy` says who may be named; the page
    and the API resolve their ids against the same choices before they get here)."""
    units, people = recipients.recipient_units, recipients.recipient_people
    agencies, external = recipients.recipient_agencies, recipients.external_recipients
    if any(u.agency_id != agency.pk for u in units):
        raise _error("Đơn vị nhận trong cơ quan phải thuộc cơ quan ban hành.", "bad_recipient")
    if not all(policy.may_name(agency.pk, p, confidentiality) for p in people):
        raise _error("Cá nhân nhận phải thuộc cơ quan ban hành; cơ quan khác nhận qua văn thư của họ.",
                     "bad_recipient")
    if any(a.pk == agency.pk for a in agencies):
        raise _error("Không gửi liên thông cho chính cơ quan ban hành: chọn đơn vị nhận trong cơ quan.",
                     "bad_recipient")
    if is_secret(confidentiality):
        if external:
            raise _error("Văn bản mật không được gửi qua trục liên thông.", "secret_external")
        if units or agencies:
            raise _error("Văn bản mật chỉ gửi cho cá nhân có tên, không gửi cả đơn vị hay cơ quan.",
                         "secret_named_only")
    if not (units or people or agencies or external):
        raise _error("Văn bản cần có ít nhất một nơi nhận.", "no_recipient")


SECRET_NAMED_ONLY = "Văn bản mật chỉ gửi cho cá nhân có tên, không gửi cả đơn vị hay cơ quan."


def check_secret_recipients(document: OutgoingDocument) -> None:
    """A secret document reaches only the people named on it: re-checked on the stored document, not only when the
    draft is created, at every step that moves it towards its recipients (:func:`submit`, :func:`issue` before a
    number is taken, :func:`release` before anything is sent, and :func:`deliver` for each delivery), so that a
    recipient added by another path (an old reply draft, an edit in the database) never receives it.

    The rule, as in :func:`_check_recipients`: no recipient unit, nothing through the interconnection, and a
    delivery to an agency of this deployment only as the channel to the people of that agency named on the document
    (their receipt carries the names); at least one named person. Raises the same coded errors.
    """
    if not document.is_secret:
        return
    if document.recipient_units.exists():
        raise _error(SECRET_NAMED_ONLY, "secret_named_only")
    deliveries = list(document.deliveries.all())
    if any(d.kind != DeliveryKind.AGENCY for d in deliveries):
        raise _error("Văn bản mật không được gửi qua trục liên thông.", "secret_external")
    named_agencies = set(document.recipient_people.values_list("agency_id", flat=True))
    if any(d.agency_id is None or d.agency_id == document.agency_id or d.agency_id not in named_agencies
           for d in deliveries):
        raise _error(SECRET_NAMED_ONLY, "secret_named_only")
    if not named_agencies:
        raise _error("Văn bản mật cần có ít nhất một cá nhân nhận có tên.", "no_recipient")


# ------------------------------------------------------------------------------------------------- drafts
def create_draft(person: Person, draft: DraftInput | None = None, *, request=None, **fields: Any) -> OutgoingDocument:
    """A new draft by ``person`` (a specialist or unit head of the agency), from ``draft`` (or its fields as
    keyword arguments). Its file may come later (:func:`add_version`); a reply draft (:func:`start_reply_draft`)
    starts without one."""
    draft = coerce(DraftInput, draft, fields)
    if person.agency_id is None or person.unit_id is None:
        raise _error("Người soạn thảo phải thuộc một đơn vị của cơ quan.", "no_unit", 403)
    if not person.has_role(RoleCode.SPECIALIST, RoleCode.UNIT_HEAD, RoleCode.CLERK, RoleCode.LEADER,
                           RoleCode.DEPUTY_LEADER):
        raise _error("Bạn không có quyền soạn thảo văn bản đi.", "permission_denied", 403)
    summary = (draft.summary or "").strip()
    if not summary:
        raise _error("Cần nhập trích yếu nội dung văn bản.", "no_summary")
    agency = person.agency
    signer, confidentiality, answers = draft.signer, draft.confidentiality, draft.answers
    if not policy.is_signer_of(agency.pk, signer):
        raise _error("Người ký phải là lãnh đạo của cơ quan ban hành.", "bad_signer")
    if draft.signer_capacity not in Capacity.values:
        raise _error("Thẩm quyền ký không hợp lệ.", "bad_capacity")
    if any(u.agency_id != agency.pk for u in draft.consult_units):
        raise _error("Chỉ lấy ý kiến các đơn vị trong cơ quan.", "bad_consult_unit")
    _check_recipients(agency, confidentiality, draft.recipients)
    recipient_people = draft.recipient_people
    with transaction.atomic():
        document = OutgoingDocument.objects.create(
            agency=agency, drafting_unit=person.unit, drafter=person, document_type=draft.document_type,
            summary=summary, urgency=draft.urgency, confidentiality=confidentiality, signer=signer,
            signer_capacity=draft.signer_capacity, signer_position=draft.signer_position, deadline=draft.deadline,
            keeper_unit=person.unit, notes=draft.notes,
            answers_incoming_id=getattr(answers, "pk", None), answers_label=str(answers)[:255] if answers else "",
            replaces=draft.replaces,
        )
        document.recipient_units.set(draft.recipient_units)
        document.recipient_people.set(recipient_people)
        document.consult_units.set([u for u in draft.consult_units if u.pk != person.unit_id])
        _add_readers(document, person, signer, *[p for p in recipient_people if p.agency_id == agency.pk])
        _plan_deliveries(document, draft.recipients)
        if draft.file is not None:
            _store_upload(document, person, draft.file[0], draft.file[1])
        record("outgoing.draft_created", actor=person, obj=document, request=request,
               data={"summary": summary, "confidentiality": confidentiality})
    return document


def _plan_deliveries(document: OutgoingDocument, recipients: RecipientsInput) -> None:
    """One delivery per recipient agency and external recipient. A secret document: named people of other
    agencies get it through their agency's clerk, named on the receipt."""
    agencies = recipients.recipient_agencies
    if is_secret(document.confidentiality):
        agencies = list({p.agency_id: p.agency for p in recipients.recipient_people
                         if p.agency_id != document.agency_id}.values())
    for target in agencies:
        Delivery.objects.create(document=document, kind=DeliveryKind.AGENCY, agency=target)
    for target in recipients.external_recipients:
        Delivery.objects.create(document=document, kind=DeliveryKind.EXTERNAL, external_code=target.code,
                                external_name=target.name)


def _lock_with_drafter(document: OutgoingDocument, person: Person, what: str) -> OutgoingDocument:
    """Lock a draft that is with its drafter (new or returned) and check that ``person`` is that drafter."""
    document = _lock(document)
    if document.status not in (Status.DRAFT, Status.RETURNED):
        raise _error("Chỉ sửa dự thảo khi dự thảo đang ở người soạn thảo.", "wrong_state", 409)
    if person.pk != document.drafter_id:
        raise _error(f"Chỉ người soạn thảo được {what}.", "permission_denied", 403)
    return document


def add_version(document: OutgoingDocument, person: Person, name: str, data: bytes, *, request=None) -> DraftVersion:
    """A new draft file (the drafter, while the draft is with them: new or returned)."""
    with transaction.atomic():
        document = _lock_with_drafter(document, person, "tải lên phiên bản mới")
        version = _store_upload(document, person, name, data)
        record("outgoing.version_added", actor=person, obj=document, request=request, data={"seq": version.seq})
    return version


def set_recipients(document: OutgoingDocument, person: Person, recipients: RecipientsInput | None = None, *,
                   request=None, **fields: Any) -> OutgoingDocument:
    """The drafter (re)names the recipients while the draft is with them (new or returned), with the rules of
    :func:`create_draft`: e.g. a secret reply draft that started without a recipient (:func:`start_reply_draft`)."""
    recipients = coerce(RecipientsInput, recipients, fields)
    recipient_people = recipients.recipient_people
    with transaction.atomic():
        document = _lock_with_drafter(document, person, "sửa nơi nhận")
        agency = document.agency
        _check_recipients(agency, document.confidentiality, recipients)
        old_people = set(document.recipient_people.values_list("pk", flat=True))
        document.recipient_units.set(recipients.recipient_units)
        document.recipient_people.set(recipient_people)
        # People who were readers only as named recipients stop being readers; those with a part in the document
        # (drafter, signer, reviewers, consulted heads, clerks) stay.
        keep = {document.drafter_id, document.signer_id, document.signed_by_id}
        keep |= set(document.opinions.values_list("person_id", flat=True))
        keep |= {p.pk for p in unit_heads(document.drafting_unit)}
        keep |= {p.pk for u in document.consult_units.all() for p in unit_heads(u)}
        keep |= {p.pk for p in clerks_of(agency)}
        dropped = old_people - {p.pk for p in recipient_people} - keep
        if dropped:
            document.readers.remove(*dropped)
        _add_readers(document, *[p for p in recipient_people if p.agency_id == agency.pk])
        document.deliveries.all().delete()  # a draft's deliveries are only planned: nothing was sent
        _plan_deliveries(document, recipients)
        check_secret_recipients(document)
        record("outgoing.recipients_set", actor=person, obj=document, request=request,
               data={"units": [u.pk for u in recipients.recipient_units], "people": [p.pk for p in recipient_people],
                     "agencies": list(document.deliveries.filter(kind=DeliveryKind.AGENCY)
                                      .values_list("agency_id", flat=True)),
                     "external": [e.code for e in recipients.external_recipients]})
    return document
