"""Operations on outgoing dispatches (văn bản đi). Views, the API, the flow and tasks call these; nothing else
changes an outgoing document.

The life of a dispatch (Decree 30, art. 18-20), one function per step:

1. :func:`create_draft` / :func:`add_version` — a specialist uploads the draft (PDF, or DOCX converted to PDF by
   LibreOffice in a Celery task, :func:`convert_version`); every file is kept as a version.
2. :func:`submit` — the draft goes to the head of the drafting unit; the number and date form fields are placed in
   the heading now (:func:`signing.pades.add_number_date_fields`), so the layout problems show before anyone signs.
3. :func:`review` — the unit head approves or returns it with comments; :func:`consult` — consulted units give
   their opinions in parallel.
4. :func:`sign` (software key store) or :func:`prepare_two_step` + :func:`complete_two_step` (the official's token
   through the signing agent) — the leader approves and signs; :func:`return_to_drafter` at the leader's step.
5. :func:`issue` — the clerk checks the form; in ONE transaction the number comes from the right series, the
   number/date fields are filled, the register row is written and the agency's seal is applied. Any failure rolls
   everything back: no number is consumed.
6. :func:`release` — every recipient at once: units and people of the agency see it, agencies of this deployment
   get it in their receipt queue (Celery, ``interchange`` queue, idempotent on the delivery id), external agencies
   are queued for the edXML transport. :func:`record_recipient_status` records what recipients answer.
7. :func:`recall` and :func:`create_replacement` — a recall reaches every recipient; a replacement supersedes.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import (
    Case,
    CharField,
    DateField,
    Exists,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy

from eoffice.audit.services import record
from eoffice.core.errors import DomainError
from eoffice.documents.models import (
    URGENCY_RANK,
    Channel,
    Confidentiality,
    DocumentType,
    StoredFile,
    Urgency,
    is_secret,
)
from eoffice.documents.services import allocate_number, format_number, outgoing_series_for, store_file
from eoffice.orgs.models import Agency, Person, RoleCode, Unit

from . import policy
from .models import (
    Capacity,
    Consultation,
    ConversionStatus,
    Delivery,
    DeliveryEvent,
    DeliveryKind,
    DeliveryStatus,
    DraftVersion,
    Opinion,
    OutgoingDocument,
    Status,
    Step,
    TwoStepSession,
    VersionKind,
)
from .process import driver as process_driver

log = logging.getLogger(__name__)

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
SOURCE = "internal"  # the ``source`` of receipts this deployment delivers to itself
CONVERSION_TIMEOUT = 180


# --------------------------------------------------------------------------------------------------- helpers
def _error(message: str, code: str = "invalid", status_code: int | None = None) -> DomainError:
    return DomainError(message, code=code, status_code=status_code)


def _lock(document: OutgoingDocument) -> OutgoingDocument:
    """Re-read ``document`` with its row locked (inside the caller's transaction)."""
    return OutgoingDocument.objects.select_for_update().get(pk=document.pk)


def _add_readers(document: OutgoingDocument, *people: Person | None) -> None:
    document.readers.add(*[p for p in people if p is not None])


def _next_seq(document: OutgoingDocument) -> int:
    return (document.versions.aggregate(m=Max("seq"))["m"] or 0) + 1


def _new_version(
    document: OutgoingDocument, kind: str, file: StoredFile | None, person: Person | None, *,
    source: StoredFile | None = None, conversion: str = ConversionStatus.NONE,
) -> DraftVersion:
    version = DraftVersion.objects.create(
        document=document, seq=_next_seq(document), kind=kind, file=file, source=source, conversion=conversion,
        created_by=person,
    )
    if file is not None:
        document.current_file = file
        document.save(update_fields=["current_file", "updated_at"])
    return version


def position_of(document: OutgoingDocument) -> str:
    """The signer's position as printed in the signature block ("Giám đốc", "Phó Giám đốc")."""
    if document.signer_position:
        return document.signer_position
    return str(document.signer.position) if document.signer.position_id else ""


def leaders_of(agency: Agency) -> Iterable[Person]:
    return Person.objects.filter(
        agency=agency, is_active=True, roles__code__in=[RoleCode.LEADER, RoleCode.DEPUTY_LEADER]
    ).distinct()


def unit_heads(unit: Unit) -> list[Person]:
    return list(Person.objects.filter(unit=unit, is_active=True, roles__code=RoleCode.UNIT_HEAD).order_by("pk"))


def clerks_of(agency: Agency) -> list[Person]:
    return list(Person.objects.filter(agency=agency, is_active=True, roles__code=RoleCode.CLERK).order_by("pk"))


def acts_for(person: Person, expected: Person) -> Person | None:
    """None when ``person`` is ``expected``; ``expected`` when ``person`` acts for them by delegation; else refuse."""
    if person.pk == expected.pk:
        return None
    if expected.pk in {p.pk for p in person.acting_for()}:
        return expected
    raise _error("Bạn không phải người được giao bước này.", "not_your_task", 403)


# ------------------------------------------------------------------------------------------------- uploads
def read_upload(name: str, data: bytes) -> tuple[str, str]:
    """Check an uploaded draft; returns (kind, content type) with kind "pdf" or "docx". Clear errors otherwise."""
    from signing.validation import PdfNotAcceptableError, check_pdf_acceptable

    if not data:
        raise _error("Tệp dự thảo rỗng.", "empty_file")
    if len(data) > MAX_UPLOAD_BYTES:
        raise _error("Tệp dự thảo quá lớn (tối đa 50 MB).", "too_large")
    lower = name.lower()
    if data.startswith(b"%PDF-") or lower.endswith(".pdf"):
        try:
            check_pdf_acceptable(data)
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
    from .tasks import CONVERSION_QUEUE, convert_docx

    transaction.on_commit(lambda: convert_docx.apply_async(args=[version.pk], queue=CONVERSION_QUEUE))
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


# -------------------------------------------------------------------------------------------------- drafting
@dataclasses.dataclass
class ExternalRecipient:
    code: str
    name: str


def _check_recipients(
    agency: Agency, confidentiality: str, units: Sequence[Unit], people: Sequence[Person],
    agencies: Sequence[Agency], external: Sequence[ExternalRecipient],
) -> None:
    if any(u.agency_id != agency.pk for u in units):
        raise _error("Đơn vị nhận trong cơ quan phải thuộc cơ quan ban hành.", "bad_recipient")
    if not is_secret(confidentiality) and any(p.agency_id != agency.pk for p in people):
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


def create_draft(
    person: Person,
    *,
    document_type: DocumentType,
    summary: str,
    signer: Person,
    file: tuple[str, bytes] | None = None,
    signer_capacity: str = Capacity.DIRECT,
    signer_position: str = "",
    urgency: str = Urgency.NORMAL,
    confidentiality: str = Confidentiality.NORMAL,
    recipient_units: Sequence[Unit] = (),
    recipient_people: Sequence[Person] = (),
    recipient_agencies: Sequence[Agency] = (),
    external_recipients: Sequence[ExternalRecipient] = (),
    consult_units: Sequence[Unit] = (),
    deadline: date | None = None,
    answers: Any = None,
    replaces: OutgoingDocument | None = None,
    notes: str = "",
    request=None,
) -> OutgoingDocument:
    """A new draft by ``person`` (a specialist or unit head of the agency). ``file`` may come later
    (:func:`add_version`); a reply draft (:func:`start_reply_draft`) starts without one."""
    if person.agency_id is None or person.unit_id is None:
        raise _error("Người soạn thảo phải thuộc một đơn vị của cơ quan.", "no_unit", 403)
    if not person.has_role(RoleCode.SPECIALIST, RoleCode.UNIT_HEAD, RoleCode.CLERK, RoleCode.LEADER,
                           RoleCode.DEPUTY_LEADER):
        raise _error("Bạn không có quyền soạn thảo văn bản đi.", "permission_denied", 403)
    summary = (summary or "").strip()
    if not summary:
        raise _error("Cần nhập trích yếu nội dung văn bản.", "no_summary")
    agency = person.agency
    if signer.agency_id != agency.pk or not signer.has_role(RoleCode.LEADER, RoleCode.DEPUTY_LEADER,
                                                           RoleCode.UNIT_HEAD):
        raise _error("Người ký phải là lãnh đạo của cơ quan ban hành.", "bad_signer")
    if signer_capacity not in Capacity.values:
        raise _error("Thẩm quyền ký không hợp lệ.", "bad_capacity")
    if any(u.agency_id != agency.pk for u in consult_units):
        raise _error("Chỉ lấy ý kiến các đơn vị trong cơ quan.", "bad_consult_unit")
    _check_recipients(agency, confidentiality, recipient_units, recipient_people, recipient_agencies,
                      external_recipients)
    with transaction.atomic():
        document = OutgoingDocument.objects.create(
            agency=agency, drafting_unit=person.unit, drafter=person, document_type=document_type, summary=summary,
            urgency=urgency, confidentiality=confidentiality, signer=signer, signer_capacity=signer_capacity,
            signer_position=signer_position, deadline=deadline, keeper_unit=person.unit, notes=notes,
            answers_incoming_id=getattr(answers, "pk", None), answers_label=str(answers)[:255] if answers else "",
            replaces=replaces,
        )
        document.recipient_units.set(recipient_units)
        document.recipient_people.set(recipient_people)
        document.consult_units.set([u for u in consult_units if u.pk != person.unit_id])
        _add_readers(document, person, signer, *[p for p in recipient_people if p.agency_id == agency.pk])
        if is_secret(confidentiality):
            # Named people of other agencies get it through their agency's clerk, named on the receipt.
            recipient_agencies = list({p.agency_id: p.agency for p in recipient_people
                                       if p.agency_id != agency.pk}.values())
        for target in recipient_agencies:
            Delivery.objects.create(document=document, kind=DeliveryKind.AGENCY, agency=target)
        for target in external_recipients:
            Delivery.objects.create(document=document, kind=DeliveryKind.EXTERNAL, external_code=target.code,
                                    external_name=target.name)
        if file is not None:
            _store_upload(document, person, file[0], file[1])
        record("outgoing.draft_created", actor=person, obj=document, request=request,
               data={"summary": summary, "confidentiality": confidentiality})
    return document


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


def _prepare_for_signing(document: OutgoingDocument, person: Person) -> None:
    """Place the number and date fields (once per file) and check the signature block can be found."""
    from signing.appearance import LayoutError, find_signature_block
    from signing.pades import add_number_date_fields

    latest = document.versions.order_by("-seq").first()
    if latest is None or latest.conversion == ConversionStatus.PENDING:
        raise _error("Dự thảo chưa có tệp PDF (tệp DOCX đang được chuyển đổi, hãy đợi).", "no_pdf", 409)
    if latest.conversion == ConversionStatus.FAILED or latest.file is None:
        raise _error(f"Dự thảo chưa có tệp PDF hợp lệ: {latest.error or 'hãy tải lên tệp khác'}", "no_pdf", 409)
    if latest.kind == VersionKind.FIELDS:
        return
    if latest.kind in (VersionKind.SIGNED, VersionKind.NUMBERED, VersionKind.SEALED):
        raise _error("Văn bản đã ký được trả lại: hãy tải lên phiên bản dự thảo mới trước khi trình lại.",
                     "new_version_required", 409)
    pdf = latest.file.read()
    try:
        find_signature_block(pdf, name=document.signer.get_full_name(), position=position_of(document))
        with_fields = add_number_date_fields(pdf)
    except LayoutError as exc:
        raise _error(f"Dự thảo chưa đúng thể thức: {exc}", "layout") from exc
    stored = store_file(with_fields, name=f"du-thao-{document.pk}-v{_next_seq(document)}.pdf")
    _new_version(document, VersionKind.FIELDS, stored, person)


def submit(document: OutgoingDocument, person: Person, *, request=None) -> OutgoingDocument:
    """The drafter sends the draft to the head of the drafting unit (first time, or again after a return)."""
    flow = process_driver()

    with transaction.atomic():
        document = _lock(document)
        if person.pk != document.drafter_id:
            raise _error("Chỉ người soạn thảo được trình dự thảo.", "permission_denied", 403)
        if document.status not in (Status.DRAFT, Status.RETURNED):
            raise _error("Dự thảo đã được trình.", "wrong_state", 409)
        if not unit_heads(document.drafting_unit) and not person.has_role(RoleCode.UNIT_HEAD):
            raise _error("Đơn vị soạn thảo chưa có lãnh đạo đơn vị để kiểm tra dự thảo.", "no_reviewer", 409)
        check_secret_recipients(document)
        _prepare_for_signing(document, person)
        _add_readers(document, *unit_heads(document.drafting_unit))
        first = document.status == Status.DRAFT
        document.status = Status.IN_REVIEW
        document.save(update_fields=["status", "updated_at"])
        if first:
            flow.start(document)
        else:
            flow.complete(document, "revise", person)
        record("outgoing.submitted", actor=person, obj=document, request=request)
    return document


def review(document: OutgoingDocument, person: Person, *, approve: bool, comment: str = "",
           request=None) -> OutgoingDocument:
    """The unit head's check of content and form: approve (on to consultation or the signer) or return."""
    flow = process_driver()

    comment = (comment or "").strip()
    if not approve and not comment:
        raise _error("Trả lại dự thảo cần ghi ý kiến.", "comment_required")
    with transaction.atomic():
        document = _lock(document)
        if document.status != Status.IN_REVIEW:
            raise _error("Dự thảo không ở bước kiểm tra.", "wrong_state", 409)
        flow.open_task(document, "review")
        allowed, behalf = policy.may_review(person, document)
        if not allowed:
            raise _error("Chỉ lãnh đạo đơn vị soạn thảo mới kiểm tra dự thảo.", "not_your_task", 403)
        Opinion.objects.create(document=document, step=Step.REVIEW, person=person, on_behalf_of=behalf,
                               unit=document.drafting_unit, approved=approve, text=comment)
        if not approve:
            document.status = Status.RETURNED
        elif document.consult_units.exists():
            document.status = Status.CONSULTING
            round_no = (document.consultations.aggregate(m=Max("round"))["m"] or 0) + 1
            for unit in document.consult_units.all():
                Consultation.objects.create(document=document, unit=unit, round=round_no)
                _add_readers(document, *unit_heads(unit))
        else:
            document.status = Status.TO_SIGN
        document.save(update_fields=["status", "updated_at"])
        flow.complete(document, "review", person)
        record("outgoing.reviewed", actor=person, obj=document, request=request, on_behalf_of=behalf,
               data={"approved": approve, "comment": comment})
    return document


def consult(document: OutgoingDocument, person: Person, *, unit: Unit | None = None, agree: bool = True,
            comment: str = "", request=None) -> Consultation:
    """A consulted unit's head gives the unit's opinion; the last one sends the draft on to the signer."""
    flow = process_driver()

    unit = unit or person.unit
    with transaction.atomic():
        document = _lock(document)
        if document.status != Status.CONSULTING:
            raise _error("Dự thảo không ở bước lấy ý kiến.", "wrong_state", 409)
        consultation = (document.consultations.filter(unit=unit, opinion__isnull=True)
                        .order_by("-round").first())
        if consultation is None:
            raise _error("Đơn vị của bạn không được hỏi ý kiến, hoặc đã góp ý.", "not_consulted", 409)
        task = flow.open_task(document, "consult", unit_id=unit.pk)
        if task.owner_id is None and person.unit_id != unit.pk:
            raise _error("Chỉ đơn vị được hỏi ý kiến mới góp ý.", "not_your_task", 403)
        behalf = _check_owner(task, person)
        opinion = Opinion.objects.create(document=document, step=Step.CONSULT, person=person, on_behalf_of=behalf,
                                         unit=unit, approved=agree, text=(comment or "").strip())
        consultation.opinion = opinion
        consultation.save(update_fields=["opinion"])
        if not document.consultations.filter(round=consultation.round, opinion__isnull=True).exists():
            document.status = Status.TO_SIGN
            document.save(update_fields=["status", "updated_at"])
        flow.complete(document, "consult", person, unit_id=unit.pk)
        record("outgoing.consulted", actor=person, obj=document, request=request, on_behalf_of=behalf,
               data={"unit": unit.abbreviation, "agree": agree, "comment": comment})
    return consultation


def _check_owner(task, person: Person) -> Person | None:
    """The person may do ``task``: its owner, someone acting for the owner, or (unassigned) anyone it allows."""
    if task.owner_id is None:
        return None
    return acts_for(person, task.owner)


def return_to_drafter(document: OutgoingDocument, person: Person, *, comment: str, request=None) -> OutgoingDocument:
    """The signer (at signing) or the clerk (at the form check) returns the draft to the drafter."""
    flow = process_driver()

    comment = (comment or "").strip()
    if not comment:
        raise _error("Trả lại dự thảo cần ghi ý kiến.", "comment_required")
    with transaction.atomic():
        document = _lock(document)
        if document.status == Status.TO_SIGN:
            step, node = Step.SIGN, "sign"
            behalf = _check_owner(flow.open_task(document, node), person)
        elif document.status == Status.SIGNED:
            step, node = Step.ISSUE, "issue"
            _require_clerk(document, person)
            behalf = None
        else:
            raise _error("Văn bản không ở bước có thể trả lại.", "wrong_state", 409)
        Opinion.objects.create(document=document, step=step, person=person, on_behalf_of=behalf, approved=False,
                               text=comment)
        if step == Step.ISSUE:
            # The leader's signature is on the returned file: the next version starts from the drafter's last one.
            document.signed_at = None
            document.signed_by = None
        document.status = Status.RETURNED
        document.save(update_fields=["status", "signed_at", "signed_by", "updated_at"])
        flow.complete(document, node, person)
        record("outgoing.returned", actor=person, obj=document, request=request, on_behalf_of=behalf,
               data={"step": step, "comment": comment})
    return document


# --------------------------------------------------------------------------------------------------- signing
def _signing_input(document: OutgoingDocument) -> bytes:
    latest = document.versions.filter(kind=VersionKind.FIELDS).order_by("-seq").first()
    if latest is None or latest.file_id != document.current_file_id:
        raise _error("Dự thảo chưa được chuẩn bị để ký (thiếu ô số, ngày).", "not_prepared", 409)
    return latest.file.read()


def _start_signing(document: OutgoingDocument, person: Person) -> tuple[OutgoingDocument, Person | None]:
    flow = process_driver()

    document = _lock(document)
    if document.status != Status.TO_SIGN:
        raise _error("Văn bản không ở bước chờ ký.", "wrong_state", 409)
    behalf = _check_owner(flow.open_task(document, "sign"), person)
    # A delegate approves for the absent leader but signs with their own key and name (recorded as on behalf).
    return document, behalf


def _finish_signing(document: OutgoingDocument, person: Person, behalf: Person | None, signed: bytes,
                    field_name: str, request) -> OutgoingDocument:
    flow = process_driver()

    stored = store_file(signed, name=f"van-ban-{document.pk}-da-ky.pdf")
    _new_version(document, VersionKind.SIGNED, stored, person)
    Opinion.objects.create(document=document, step=Step.SIGN, person=person, on_behalf_of=behalf, approved=True)
    document.status = Status.SIGNED
    document.signed_at = timezone.now()
    document.signed_by = person
    document.person_field = field_name
    document.save(update_fields=["status", "signed_at", "signed_by", "person_field", "updated_at"])
    _add_readers(document, person, *clerks_of(document.agency))
    flow.complete(document, "sign", person)
    record("outgoing.signed", actor=person, obj=document, request=request, on_behalf_of=behalf,
           data={"sha256": stored.sha256, "field": field_name})
    return document


def _signer_name_position(document: OutgoingDocument, person: Person) -> tuple[str, str]:
    if person.pk == document.signer_id:
        return person.get_full_name(), position_of(document)
    return person.get_full_name(), str(person.position) if person.position_id else position_of(document)


def _signature_block(document: OutgoingDocument, pdf: bytes):
    """The block printed for the intended signer (a delegate signs there too, under their own name)."""
    from signing.appearance import find_signature_block

    return find_signature_block(pdf, name=document.signer.get_full_name(), position=position_of(document))


def sign(document: OutgoingDocument, person: Person, *, request=None) -> OutgoingDocument:
    """The leader approves and signs with their key store (:func:`signing.keyring.person_key_source`)."""
    from signing.appearance import LayoutError
    from signing.images import signature_image
    from signing.keyring import person_key_source
    from signing.keys import KeyStoreError
    from signing.ltv import get_timestamper
    from signing.pades import apply_plan, plan_person_signature

    with transaction.atomic():
        document, behalf = _start_signing(document, person)
        pdf = _signing_input(document)
        name, position = _signer_name_position(document, person)
        try:
            source = person_key_source(person)
            plan = plan_person_signature(pdf, name=name, position=position, signature_image=signature_image(name),
                                         block=_signature_block(document, pdf))
            signed = apply_plan(pdf, plan, source, timestamper=get_timestamper())
        except KeyStoreError as exc:
            raise _error(str(exc), "no_key", 409) from exc
        except LayoutError as exc:
            raise _error(f"Không đặt được chữ ký: {exc}", "layout") from exc
        return _finish_signing(document, person, behalf, signed, plan.metadata.field_name, request)


def prepare_two_step(document: OutgoingDocument, person: Person, chain: Sequence[bytes], *,
                     request=None) -> tuple[TwoStepSession, Any]:
    """Prepare the leader's signature for their token: returns the session and the agent's request body."""
    from signing import twostep
    from signing.appearance import LayoutError
    from signing.images import signature_image
    from signing.ltv import get_timestamper

    with transaction.atomic():
        document, _behalf = _start_signing(document, person)
        pdf = _signing_input(document)
        name, position = _signer_name_position(document, person)
        chain = _complete_chain(chain)
        try:
            # B-T when a TSA is configured (or the development one runs): the timestamp is fetched on completion.
            prepared = twostep.prepare(pdf, chain=list(chain), name=name, position=position,
                                       signature_image=signature_image(name), block=_signature_block(document, pdf),
                                       timestamper=get_timestamper())
        except (LayoutError, twostep.TwoStepError, ValueError) as exc:
            raise _error(f"Không chuẩn bị được chữ ký: {exc}", "prepare_failed") from exc
        session = TwoStepSession.objects.create(document=document, person=person, state=prepared.state,
                                                field_name=prepared.field_name)
        record("outgoing.two_step_prepared", actor=person, obj=document, request=request,
               data={"certificate": prepared.certificate_fingerprint})
    return session, prepared


def _complete_chain(chain: Sequence[bytes]) -> list:
    """The signer's certificate as the agent lists it, followed by its issuers (the deployment's CA chain)."""
    chain = list(chain)
    if len(chain) == 1:
        from signing.keyring import ca_chain

        chain.extend(ca_chain())  # SIGNING_CA_CHAIN in production, the development intermediate otherwise
    return chain


def complete_two_step(document: OutgoingDocument, person: Person, session_id: int, signature_value: bytes, *,
                      request=None) -> OutgoingDocument:
    """Embed the token's signature value; the finished document is validated before it is kept."""
    from pyhanko_certvalidator import ValidationContext

    from signing import twostep
    from signing.validation import default_trust_roots

    with transaction.atomic():
        document, behalf = _start_signing(document, person)
        session = TwoStepSession.objects.select_for_update().filter(
            pk=session_id, document=document, person=person, completed_at__isnull=True).first()
        if session is None:
            raise _error("Phiên ký không còn hiệu lực, hãy ký lại.", "no_session", 409)
        context = ValidationContext(trust_roots=default_trust_roots(), allow_fetching=False,
                                    revocation_mode="soft-fail")
        try:
            signed = twostep.complete(session.state, signature_value, validation_context=context)
        except twostep.TwoStepError as exc:
            raise _error(str(exc), "signature_rejected") from exc
        session.completed_at = timezone.now()
        session.save(update_fields=["completed_at"])
        return _finish_signing(document, person, behalf, signed, session.field_name, request)


# ----------------------------------------------------------------------------------------- numbering, seal
def _require_clerk(document: OutgoingDocument, person: Person) -> None:
    if not (person.has_role(RoleCode.CLERK) and person.agency_id == document.agency_id):
        raise _error("Chỉ văn thư của cơ quan ban hành được cấp số, đóng dấu và phát hành.", "not_clerk", 403)


def notation_for(document: OutgoingDocument, number: int) -> str:
    """``12/QĐ-UBND`` (number/type-agency), or for a công văn ``45/UBND-VP`` (number/agency-drafting unit)."""
    type_abbr = document.document_type.abbreviation
    if type_abbr:
        return f"{format_number(number)}/{type_abbr}-{document.agency.abbreviation}"
    return f"{format_number(number)}/{document.agency.abbreviation}-{document.drafting_unit.abbreviation}"


def date_text(document: OutgoingDocument, when: datetime) -> str:
    from signing.documents import date_line

    place = document.agency.place_name or document.agency.name
    return date_line(place, timezone.localtime(when).date())


def issue(document: OutgoingDocument, person: Person, *, request=None, at: datetime | None = None) -> OutgoingDocument:
    """The clerk's step: number and notation from the right series, fill the fields, register, seal.

    All in one transaction: if filling or sealing fails, the number goes back to the series and nothing is kept.
    """
    from signing.appearance import LayoutError
    from signing.images import seal_image
    from signing.keyring import seal_key_source
    from signing.keys import KeyStoreError
    from signing.ltv import get_timestamper
    from signing.pades import fill_number_date, sign_seal
    flow = process_driver()

    _require_clerk(document, person)
    with transaction.atomic():
        document = _lock(document)
        if document.status != Status.SIGNED:
            raise _error("Văn bản chưa được lãnh đạo ký, hoặc đã được cấp số.", "wrong_state", 409)
        flow.open_task(document, "issue")
        check_secret_recipients(document)  # before the number is taken: a refusal consumes no number, seals nothing
        when = at or timezone.now()
        year = timezone.localtime(when).year
        code, series_name = outgoing_series_for(document.agency, document.document_type, document.confidentiality)
        number = allocate_number(document.agency, "outgoing", code, year, name=series_name)
        notation = notation_for(document, number)
        pdf = document.current_file.read()
        try:
            numbered = fill_number_date(pdf, notation, date_text(document, when))
            agency = document.agency
            superior = agency.parent.name if agency.parent_id else None
            sealed = sign_seal(numbered, seal_key_source(agency), agency_name=agency.name,
                               seal_image=seal_image(agency.name, superior_name=superior),
                               person_field=document.person_field or None, timestamper=get_timestamper())
        except KeyStoreError as exc:
            raise _error(str(exc), "no_seal_key", 409) from exc
        except (LayoutError, ValueError) as exc:
            raise _error(f"Không cấp số, đóng dấu được: {exc}", "layout") from exc
        slug = notation.replace("/", "-")
        _new_version(document, VersionKind.NUMBERED, store_file(numbered, name=f"{slug}-so.pdf"), person)
        _new_version(document, VersionKind.SEALED, store_file(sealed, name=f"{slug}.pdf"), person)
        document.series_code, document.year, document.number = code, year, number
        document.notation = notation
        document.issued_at = when
        document.status = Status.ISSUED
        document.save()
        _add_readers(document, person)
        flow.complete(document, "issue", person)
        record("outgoing.issued", actor=person, obj=document, request=request,
               data={"series": code, "year": year, "number": number, "notation": notation})
    return document


# ---------------------------------------------------------------------------------------- release, delivery
def release(document: OutgoingDocument, person: Person, *, case_file: Any = None, request=None) -> OutgoingDocument:
    """Release to every recipient at once (see the module docstring). With ``case_file`` the document is filed
    into that file (hồ sơ) in the same transaction: a refused filing releases nothing."""
    flow = process_driver()

    _require_clerk(document, person)
    with transaction.atomic():
        document = _lock(document)
        if document.status != Status.ISSUED:
            raise _error("Văn bản chưa được cấp số, đóng dấu, hoặc đã phát hành.", "wrong_state", 409)
        flow.open_task(document, "release")
        check_secret_recipients(document)  # nothing is sent, the document stays issued
        now = timezone.now()
        document.status = Status.RELEASED
        document.released_at = now
        document.save(update_fields=["status", "released_at", "updated_at"])
        to_send = []
        for delivery in document.deliveries.select_for_update():
            if delivery.kind == DeliveryKind.AGENCY:
                delivery.status = DeliveryStatus.SENDING
                to_send.append(delivery.pk)
            else:
                delivery.status = DeliveryStatus.QUEUED_EXTERNAL
            delivery.sent_at = now
            delivery.save(update_fields=["status", "sent_at", "updated_at"])
            DeliveryEvent.objects.create(delivery=delivery, status=delivery.status, at=now)
        if document.replaces_id:
            _supersede(document.replaces, document, person)
        flow.complete(document, "release", person)
        record("outgoing.released", actor=person, obj=document, request=request,
               data={"deliveries": len(to_send)})
        _link_reply(document)
        if case_file is not None:
            from eoffice.archive.services import ArchiveError, file_document

            try:
                file_document(person, case_file, "outgoing", document.pk, request=request)
            except ArchiveError as exc:
                raise _error(exc.message, f"file_{exc.code}", exc.status_code) from exc
        from .tasks import deliver

        for pk in to_send:
            transaction.on_commit(lambda pk=pk: deliver.delay(pk))
    return document


def _link_reply(document: OutgoingDocument) -> None:
    """A released reply closes or links the incoming work it answers (the incoming side's hook, if present)."""
    if not document.answers_incoming_id:
        return
    try:
        from eoffice.incoming import services as incoming
    except ImportError:
        return
    hook = getattr(incoming, "reply_released", None)
    if hook is not None:
        hook(document.answers_incoming_id, document)


def _receipt_metadata(document: OutgoingDocument, delivery: Delivery):
    """What the recipient's receipt queue is told about the document (the incoming side's ``ReceiptMetadata``)."""
    from eoffice.incoming.services import ReceiptMetadata

    signer = document.signed_by or document.signer
    deliveries = document.deliveries.select_related("agency")
    recipients = [d.recipient_name for d in deliveries]
    summary = document.summary
    named = list(document.recipient_people.filter(agency_id=delivery.agency_id)) if document.is_secret else []
    replaces_ref = None
    if document.replaces_id:
        summary = f"{summary} (thay thế văn bản số {document.replaces.notation})"
        # The recipient links the new dispatch to the one it replaces (their receipt of our earlier delivery).
        earlier = document.replaces.deliveries.filter(kind=DeliveryKind.AGENCY, agency_id=delivery.agency_id).first()
        if earlier is not None:
            replaces_ref = (SOURCE, earlier.source_ref)
    return ReceiptMetadata(
        issuer_name=document.agency.name,
        issuer_agency=document.agency,
        number_notation=document.notation,
        issued_on=timezone.localtime(document.issued_at).date(),
        summary=summary,
        document_type=document.document_type,
        place_of_issue=document.agency.place_name,
        signer_name=signer.get_full_name(),
        signer_position=position_of(document) if signer.pk == document.signer_id else str(signer.position or ""),
        signer_capacity=document.capacity_line,
        recipients_text="; ".join(recipients),
        urgency=document.urgency,
        confidentiality=document.confidentiality,
        deadline=document.deadline,
        page_count=document.current_file.page_count,
        named_recipients=named,
        replaces_ref=replaces_ref,
    )


def deliver(delivery_id: int) -> Delivery:
    """Hand one delivery to the recipient agency's receipt queue (task ``interchange.outgoing_deliver``).

    Idempotent: the incoming side keys receipts on (``"internal"``, delivery id), so a retried task lands once.
    """
    from eoffice.incoming import services as incoming

    delivery = Delivery.objects.select_related("document__agency", "document__document_type", "agency").get(
        pk=delivery_id)
    document = delivery.document
    if delivery.kind != DeliveryKind.AGENCY or document.status not in (Status.RELEASED,):
        return delivery
    if document.is_secret and not document.recipient_people.filter(agency_id=delivery.agency_id).exists():
        # Last line of defence (release checks first): a secret document never lands in the receipt queue of an
        # agency where nobody is named on it. The sender sees the delivery refused, with the reason.
        _refuse_delivery(delivery, SECRET_NAMED_ONLY)
        return delivery
    pdf = document.current_file.read()
    name = f"{document.notation.replace('/', '-')}.pdf"
    incoming.receive(delivery.agency, files=[(name, pdf)], metadata=_receipt_metadata(document, delivery),
                     channel=Channel.INTERNAL, source=SOURCE, source_ref=delivery.source_ref)
    return delivery


def _refuse_delivery(delivery: Delivery, reason: str) -> None:
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.status == DeliveryStatus.REFUSED:
            return
        now = timezone.now()
        delivery.status = DeliveryStatus.REFUSED
        delivery.reason = reason
        delivery.save(update_fields=["status", "reason", "updated_at"])
        DeliveryEvent.objects.create(delivery=delivery, status=DeliveryStatus.REFUSED, reason=reason, at=now)
        record("outgoing.delivery_blocked", obj=delivery.document, agency=delivery.document.agency,
               data={"delivery": delivery.pk, "recipient": delivery.recipient_name, "reason": reason})


STATUS_MAP = {
    "arrived": DeliveryStatus.ARRIVED,
    "refused": DeliveryStatus.REFUSED,
    "accepted": DeliveryStatus.ACCEPTED,
    "assigned": DeliveryStatus.ASSIGNED,
    "done": DeliveryStatus.DONE,
    "recall_done": DeliveryStatus.RECALL_DONE,
}
_ORDER = [DeliveryStatus.SENDING, DeliveryStatus.ARRIVED, DeliveryStatus.ACCEPTED, DeliveryStatus.ASSIGNED,
          DeliveryStatus.DONE]


def record_recipient_status(source_ref: str, status: str, *, reason: str = "", at: datetime | None = None) -> None:
    """A recipient's answer (from the incoming side's ``status_changed`` signal, or later edXML status)."""
    mapped = STATUS_MAP.get(status)
    if mapped is None or not str(source_ref).isdigit():
        return
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().filter(pk=int(source_ref)).first()
        if delivery is None:
            return
        at = at or timezone.now()
        DeliveryEvent.objects.create(delivery=delivery, status=mapped, reason=reason or "", at=at)
        # Statuses can arrive out of order (signals on commit of different transactions): never step back,
        # except that a refusal or a recall answer always shows.
        current = delivery.status
        forward = (mapped not in _ORDER or current not in _ORDER or _ORDER.index(mapped) >= _ORDER.index(current))
        if current in (DeliveryStatus.RECALLING, DeliveryStatus.RECALL_DONE) and mapped != DeliveryStatus.RECALL_DONE:
            forward = False
        if forward:
            delivery.status = mapped
            delivery.reason = reason or ""
            delivery.save(update_fields=["status", "reason", "updated_at"])
        record("outgoing.recipient_status", obj=delivery.document, agency=delivery.document.agency,
               data={"delivery": delivery.pk, "recipient": delivery.recipient_name, "status": status,
                     "reason": reason})


# --------------------------------------------------------------------------------------- recall and replace
def recall(document: OutgoingDocument, person: Person, *, reason: str, request=None,
           _superseded_by: OutgoingDocument | None = None) -> OutgoingDocument:
    """Recall a released document from every recipient (leaders or clerks of the issuing agency)."""
    reason = (reason or "").strip()
    if not reason:
        raise _error("Thu hồi văn bản cần ghi lý do.", "reason_required")
    if person.agency_id != document.agency_id or not person.has_role(RoleCode.CLERK, RoleCode.LEADER,
                                                                      RoleCode.DEPUTY_LEADER):
        raise _error("Chỉ lãnh đạo hoặc văn thư cơ quan ban hành được thu hồi văn bản.", "permission_denied", 403)
    with transaction.atomic():
        document = _lock(document)
        if document.status != Status.RELEASED:
            raise _error("Chỉ thu hồi được văn bản đã phát hành.", "wrong_state", 409)
        now = timezone.now()
        document.status = Status.SUPERSEDED if _superseded_by else Status.RECALLED
        document.recalled_at = now
        document.recall_reason = reason
        document.save(update_fields=["status", "recalled_at", "recall_reason", "updated_at"])
        to_recall = []
        for delivery in document.deliveries.select_for_update():
            if delivery.kind == DeliveryKind.AGENCY:
                to_recall.append(delivery.pk)
            delivery.status = DeliveryStatus.RECALLING
            delivery.reason = reason
            delivery.save(update_fields=["status", "reason", "updated_at"])
            DeliveryEvent.objects.create(delivery=delivery, status=DeliveryStatus.RECALLING, reason=reason, at=now)
        record("outgoing.superseded" if _superseded_by else "outgoing.recalled", actor=person, obj=document,
               request=request, data={"reason": reason,
                                      "replaced_by": _superseded_by.notation if _superseded_by else None})
        from .tasks import recall_delivery

        for pk in to_recall:
            transaction.on_commit(lambda pk=pk: recall_delivery.delay(pk, reason))
    return document


def recall_delivery(delivery_id: int, reason: str) -> None:
    """Tell one recipient agency the document is recalled (task ``interchange.outgoing_recall``; idempotent)."""
    from eoffice.incoming import services as incoming

    delivery = Delivery.objects.get(pk=delivery_id)
    incoming.recall_receipt(SOURCE, delivery.source_ref, reason=reason)


def create_replacement(document: OutgoingDocument, person: Person, **draft: Any) -> OutgoingDocument:
    """A new draft that, once released, supersedes ``document`` everywhere (recalled at every recipient, with a
    link both ways). Recipients default to the old document's."""
    if document.status != Status.RELEASED:
        raise _error("Chỉ thay thế được văn bản đã phát hành.", "wrong_state", 409)
    if OutgoingDocument.objects.filter(replaces=document).exists():
        raise _error("Văn bản này đã có văn bản thay thế.", "already_replaced", 409)
    draft.setdefault("document_type", document.document_type)
    draft.setdefault("signer", document.signer)
    draft.setdefault("signer_capacity", document.signer_capacity)
    draft.setdefault("signer_position", document.signer_position)
    draft.setdefault("urgency", document.urgency)
    draft.setdefault("confidentiality", document.confidentiality)
    draft.setdefault("recipient_units", list(document.recipient_units.all()))
    draft.setdefault("recipient_people", list(document.recipient_people.all()))
    if not document.is_secret:
        draft.setdefault("recipient_agencies",
                         [d.agency for d in document.deliveries.filter(kind=DeliveryKind.AGENCY)])
    draft.setdefault("external_recipients", [ExternalRecipient(d.external_code, d.external_name)
                                             for d in document.deliveries.filter(kind=DeliveryKind.EXTERNAL)])
    return create_draft(person, replaces=document, **draft)


def _supersede(old: OutgoingDocument, new: OutgoingDocument, person: Person) -> None:
    if old.status == Status.RELEASED:
        recall(old, person, reason=f"Được thay thế bởi văn bản số {new.notation}", _superseded_by=new)
    else:
        old.status = Status.SUPERSEDED
        old.save(update_fields=["status", "updated_at"])


# ------------------------------------------------------------------------------------------ waiting work
#: The step a document waits for, by status (the code used by the inbox's filter, and its label).
WAITING_STEPS: dict[str, tuple[str, Any]] = {
    Status.DRAFT: ("out_draft", gettext_lazy("Hoàn thiện, trình dự thảo")),
    Status.RETURNED: ("out_returned", gettext_lazy("Sửa dự thảo bị trả lại")),
    Status.IN_REVIEW: ("out_review", gettext_lazy("Kiểm tra dự thảo")),
    Status.CONSULTING: ("out_consult", gettext_lazy("Góp ý dự thảo")),
    Status.TO_SIGN: ("out_sign", gettext_lazy("Duyệt, ký số văn bản đi")),
    Status.SIGNED: ("out_issue", gettext_lazy("Kiểm tra thể thức, cấp số, đóng dấu")),
    Status.ISSUED: ("out_release", gettext_lazy("Phát hành văn bản đi")),
}
WAITING_STEP_CHOICES: list[tuple[str, Any]] = list(WAITING_STEPS.values())


def waiting_step(document: OutgoingDocument) -> tuple[str, Any]:
    """The (code, label) of the step ``document`` waits for."""
    return WAITING_STEPS.get(document.status, ("", document.get_status_display()))


def waiting_for(person: Person, documents: QuerySet[OutgoingDocument] | None = None) -> QuerySet[OutgoingDocument]:
    """The outgoing documents whose next step is ``person``'s, or of someone they stand in for (ủy quyền).

    THE rule of "what waits for me" on the outgoing side (the inbox and the outgoing index use it): the drafter's
    new and returned drafts; drafts in review for the heads of the drafting unit; consultations of the units the
    person heads with no opinion yet; documents to sign for their signer; signed and issued documents for the
    agency's clerks. ``documents`` (default: what the person may see) narrows it further. One query, whatever the
    data size; annotated with ``waiting_code`` (see :data:`WAITING_STEPS`), ``urgency_rank`` and
    ``waiting_deadline`` (the deadline of the incoming document a reply answers).
    """
    from eoffice.incoming.models import IncomingDocument
    from eoffice.orgs.scoping import visible_to

    if documents is None:
        documents = visible_to(OutgoingDocument, person)
    selves = [person, *person.acting_for()]
    ids = [p.pk for p in selves]
    head_units = sorted({p.unit_id for p in selves if p.unit_id and p.has_role(RoleCode.UNIT_HEAD)})
    clerk_agencies = sorted({p.agency_id for p in selves if p.agency_id and p.has_role(RoleCode.CLERK)})
    conditions = Q(drafter=person, status__in=[Status.DRAFT, Status.RETURNED])
    conditions |= Q(signer_id__in=ids, status=Status.TO_SIGN)
    if head_units:
        conditions |= Q(drafting_unit_id__in=head_units, status=Status.IN_REVIEW)
        conditions |= Q(status=Status.CONSULTING) & Exists(Consultation.objects.filter(
            document=OuterRef("pk"), unit_id__in=head_units, opinion__isnull=True))
    if clerk_agencies:
        conditions |= Q(agency_id__in=clerk_agencies, status__in=[Status.SIGNED, Status.ISSUED])
    due = IncomingDocument.objects.filter(pk=OuterRef("answers_incoming_id")).values(
        due=Coalesce("due_on", "deadline"))[:1]
    return documents.filter(conditions).annotate(
        waiting_code=Case(*[When(status=status, then=Value(code)) for status, (code, _label) in WAITING_STEPS.items()],
                          default=Value(""), output_field=CharField()),
        urgency_rank=Case(*[When(urgency=value, then=Value(rank)) for value, rank in URGENCY_RANK.items()],
                          default=Value(0), output_field=IntegerField()),
        waiting_deadline=Subquery(due, output_field=DateField()),
    )


# ------------------------------------------------------------------------------------ hook for incoming
def _sender_in_deployment(incoming_document: Any) -> Person | None:
    """The person who signed ``incoming_document`` when it came from an agency of this deployment (its receipt
    points at one of our deliveries), if that person is still active; else None. Never guessed from a name."""
    receipt = getattr(incoming_document, "receipt", None)
    if receipt is None or getattr(receipt, "source", None) != SOURCE or not str(receipt.source_ref).isdigit():
        return None
    delivery = Delivery.objects.select_related("document__signed_by", "document__signer").filter(
        pk=int(receipt.source_ref)).first()
    if delivery is None:
        return None
    sender = delivery.document.signed_by or delivery.document.signer
    if not sender.is_active or sender.agency_id != delivery.document.agency_id:
        return None
    return sender


def start_reply_draft(incoming_document: Any, person: Person) -> OutgoingDocument:
    """A draft answering ``incoming_document`` (called by the incoming flow when a specialist drafts a reply).

    The draft has no file yet: the specialist uploads it. It is signed by default by the agency's head. An ordinary
    reply is addressed to the incoming document's issuer when that agency is in this deployment.

    A secret reply (it keeps the incoming document's confidentiality) is never addressed to a whole agency: it
    must reach only named people (:func:`check_secret_recipients`). Decision: when the incoming document came from
    an agency of this deployment, the reply is addressed by name to the person who signed it there (found through
    our own delivery record, never guessed from the printed name), and the delivery to that agency only carries
    it to that person. Otherwise (paper, e-mail, interconnection, the signer no longer active) the draft starts
    with no recipient and the drafter names the people (:func:`set_recipients`); it cannot be submitted before.
    """
    if person.agency_id is None or person.unit_id is None:
        raise _error("Người soạn thảo phải thuộc một đơn vị của cơ quan.", "no_unit", 403)
    cong_van = DocumentType.objects.filter(code="cong-van").first()
    if cong_van is None:
        raise _error("Chưa có loại văn bản công văn trong danh mục.", "no_type", 409)
    signer = (Person.objects.filter(agency_id=person.agency_id, roles__code=RoleCode.LEADER, is_active=True)
              .order_by("pk").first())
    if signer is None:
        raise _error("Cơ quan chưa có lãnh đạo để ký văn bản trả lời.", "no_signer", 409)
    label = str(getattr(incoming_document, "number_notation", "") or incoming_document)
    confidentiality = getattr(incoming_document, "confidentiality", Confidentiality.NORMAL) or Confidentiality.NORMAL
    issuer = None
    for attr in ("issuer_agency", "issuing_agency", "issuer"):
        value = getattr(incoming_document, attr, None)
        if isinstance(value, Agency):
            issuer = value
            break
    named: list[Person] = []
    if is_secret(confidentiality):
        sender = _sender_in_deployment(incoming_document)
        if sender is not None and sender.agency_id != person.agency_id:
            named = [sender]
        recipients = [sender.agency] if named else []
    else:
        recipients = [issuer] if issuer is not None and issuer.pk != person.agency_id else []
    with transaction.atomic():
        document = OutgoingDocument.objects.create(
            agency_id=person.agency_id, drafting_unit_id=person.unit_id, drafter=person, document_type=cong_van,
            summary=f"Trả lời văn bản {label}"[:500], signer=signer, keeper_unit_id=person.unit_id,
            answers_incoming_id=getattr(incoming_document, "pk", None), answers_label=label[:255],
            urgency=getattr(incoming_document, "urgency", Urgency.NORMAL) or Urgency.NORMAL,
            confidentiality=confidentiality,
        )
        document.recipient_people.set(named)
        _add_readers(document, person, signer)
        for target in recipients:
            Delivery.objects.create(document=document, kind=DeliveryKind.AGENCY, agency=target)
        if named:
            check_secret_recipients(document)
        record("outgoing.reply_draft_created", actor=person, obj=document,
               data={"answers": label, "named": [p.pk for p in named]})
    return document


def set_recipients(
    document: OutgoingDocument, person: Person, *,
    recipient_units: Sequence[Unit] = (),
    recipient_people: Sequence[Person] = (),
    recipient_agencies: Sequence[Agency] = (),
    external_recipients: Sequence[ExternalRecipient] = (),
    request=None,
) -> OutgoingDocument:
    """The drafter (re)names the recipients while the draft is with them (new or returned), with the rules of
    :func:`create_draft`: e.g. a secret reply draft that started without a recipient (:func:`start_reply_draft`)."""
    with transaction.atomic():
        document = _lock_with_drafter(document, person, "sửa nơi nhận")
        agency = document.agency
        _check_recipients(agency, document.confidentiality, recipient_units, recipient_people, recipient_agencies,
                          external_recipients)
        old_people = set(document.recipient_people.values_list("pk", flat=True))
        document.recipient_units.set(recipient_units)
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
        if is_secret(document.confidentiality):
            recipient_agencies = list({p.agency_id: p.agency for p in recipient_people
                                       if p.agency_id != agency.pk}.values())
        document.deliveries.all().delete()  # a draft's deliveries are only planned: nothing was sent
        for target in recipient_agencies:
            Delivery.objects.create(document=document, kind=DeliveryKind.AGENCY, agency=target)
        for target in external_recipients:
            Delivery.objects.create(document=document, kind=DeliveryKind.EXTERNAL, external_code=target.code,
                                    external_name=target.name)
        check_secret_recipients(document)
        record("outgoing.recipients_set", actor=person, obj=document, request=request,
               data={"units": [u.pk for u in recipient_units], "people": [p.pk for p in recipient_people],
                     "agencies": [a.pk for a in recipient_agencies],
                     "external": [e.code for e in external_recipients]})
    return document
