"""Operations on files (hồ sơ), the archive and the text of stored PDFs.

Views, the API, flows, Celery tasks and commands call these functions; they check permissions, write the audit
trail, and schedule the slow work (B-LTA archival on the ``signing`` queue, OCR on the ``ocr`` queue, indexing on
the ``indexing`` queue) once the transaction commits.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from eoffice.audit.services import record
from eoffice.core.errors import DomainError
from eoffice.core.tasks import send as send_task
from eoffice.documents.models import StoredFile
from eoffice.orgs.models import RoleCode
from eoffice.orgs.scoping import visible_to

from .models import (
    ArchivalStatus,
    ArchivedVersion,
    CaseFile,
    DocumentText,
    FileEntry,
    FileStatus,
    RetentionPeriod,
    TextMethod,
    Transfer,
)

logger = logging.getLogger(__name__)

# Who manages every file of the agency (not only their own unit's).
FILE_MANAGERS = (RoleCode.CLERK, RoleCode.LEADER, RoleCode.DEPUTY_LEADER, RoleCode.ARCHIVIST)

RETENTION_DEFAULTS = (
    ("vinh-vien", "Vĩnh viễn", None),
    ("70-nam", "70 năm", 70),
    ("50-nam", "50 năm", 50),
    ("20-nam", "20 năm", 20),
    ("10-nam", "10 năm", 10),
    ("5-nam", "5 năm", 5),
)


class ArchiveError(DomainError):
    """A refused operation on files or the archive; ``message`` is Vietnamese (API: a structured 4xx)."""


def ensure_retention_periods() -> int:
    """Create the standard retention periods if missing (a flushed test database loses migration data)."""
    created = 0
    for order, (code, name, years) in enumerate(RETENTION_DEFAULTS, start=1):
        _obj, was_created = RetentionPeriod.objects.get_or_create(
            code=code, defaults={"name": name, "years": years, "ordering": order})
        created += was_created
    return created


def manages_all_files(person) -> bool:
    return person.has_role(*FILE_MANAGERS)


def _may_edit(person, case_file: CaseFile) -> bool:
    return person.agency_id == case_file.agency_id and (
        manages_all_files(person) or (person.unit_id is not None and person.unit_id == case_file.unit_id))


def files_open_to(person) -> QuerySet[CaseFile]:
    """The open files ``person`` may file documents into (the choice offered where work is done)."""
    files = visible_to(CaseFile, person).filter(status=FileStatus.OPEN, agency_id=person.agency_id)
    if not manages_all_files(person):
        files = files.filter(unit_id=person.unit_id) if person.unit_id else files.none()
    return files.order_by("-year", "code")


# --- files -----------------------------------------------------------------------------------------------------------

def open_file(person, *, unit, year: int, code: str, title: str, retention: RetentionPeriod,
              notes: str = "", request=None) -> CaseFile:
    """Open a file (lập hồ sơ) in ``unit``'s file list for ``year``."""
    code, title = (code or "").strip(), (title or "").strip()
    if not person.agency_id or unit.agency_id != person.agency_id:
        raise ArchiveError("Đơn vị không thuộc cơ quan của bạn.", code="wrong_agency", status_code=403)
    if not manages_all_files(person) and person.unit_id != unit.pk:
        raise ArchiveError("Bạn chỉ lập được hồ sơ của đơn vị mình.", code="not_allowed", status_code=403)
    if not code or not title:
        raise ArchiveError("Cần nhập số, ký hiệu và tiêu đề hồ sơ.", code="missing_fields")
    if not 1900 <= int(year) <= 2200:
        raise ArchiveError("Năm hồ sơ không hợp lệ.", code="invalid_year")
    try:
        with transaction.atomic():
            case_file = CaseFile.objects.create(
                agency_id=person.agency_id, unit=unit, year=year, code=code[:50], title=title[:500],
                retention=retention, opened_by=person, notes=notes)
            record("archive.file_opened", actor=person, obj=case_file, request=request,
                   data={"code": case_file.code, "year": year, "unit": unit.pk})
    except IntegrityError:
        raise ArchiveError(f"Năm {year} đã có hồ sơ số, ký hiệu {code}.", code="duplicate_code",
                           status_code=409) from None
    return case_file


def file_document(person, case_file: CaseFile, kind: str, document_id: int, *, request=None) -> FileEntry:
    """File a document into an open file (đưa văn bản vào hồ sơ). A document belongs to one file at most."""
    from search.indexing import get_source

    try:
        source = get_source(kind)
    except LookupError:
        raise ArchiveError("Loại văn bản không hợp lệ.", code="invalid_kind") from None
    if not visible_to(CaseFile.objects.filter(pk=case_file.pk), person).exists() or not _may_edit(person, case_file):
        raise ArchiveError("Bạn không có quyền đưa văn bản vào hồ sơ này.", code="not_allowed", status_code=403)
    document = visible_to(source.queryset().model, person).filter(pk=document_id).first()
    if document is None:
        raise ArchiveError("Không tìm thấy văn bản.", code="not_found", status_code=404)
    if document.agency_id != case_file.agency_id:
        raise ArchiveError("Văn bản không thuộc cơ quan của hồ sơ.", code="wrong_agency", status_code=403)
    with transaction.atomic():
        locked = CaseFile.objects.select_for_update().get(pk=case_file.pk)
        if locked.status != FileStatus.OPEN:
            raise ArchiveError("Hồ sơ đã kết thúc, không đưa thêm văn bản được.", code="file_closed",
                               status_code=409)
        existing = FileEntry.objects.filter(kind=kind, document_id=document_id).select_related("case_file").first()
        if existing is not None:
            raise ArchiveError(f"Văn bản đã thuộc hồ sơ {existing.case_file}.", code="already_filed",
                               details={"case_file_id": existing.case_file_id}, status_code=409)
        entry = FileEntry.objects.create(case_file=locked, kind=kind, document_id=document_id, added_by=person)
        record("archive.document_filed", actor=person, obj=locked, request=request,
               data={"kind": kind, "document_id": document_id})
    return entry


def close_file(person, case_file: CaseFile, *, request=None) -> CaseFile:
    """Close a file (kết thúc hồ sơ): nothing more can be filed into it; it can then be transferred."""
    if not _may_edit(person, case_file):
        raise ArchiveError("Bạn không có quyền kết thúc hồ sơ này.", code="not_allowed", status_code=403)
    with transaction.atomic():
        locked = CaseFile.objects.select_for_update().get(pk=case_file.pk)
        if locked.status != FileStatus.OPEN:
            raise ArchiveError("Hồ sơ đã kết thúc.", code="file_closed", status_code=409)
        locked.status = FileStatus.CLOSED
        locked.closed_by = person
        locked.closed_on = timezone.localdate()
        locked.save(update_fields=["status", "closed_by", "closed_on"])
        record("archive.file_closed", actor=person, obj=locked, request=request)
    return locked


def _entry_files(entry: FileEntry) -> list[StoredFile]:
    from search.indexing import get_source

    source = get_source(entry.kind)
    document = source.queryset().filter(pk=entry.document_id).first()
    if document is None:
        return []
    return [f for f in source.stored_files(document) if f.content_type == "application/pdf"]


def transfer_files(person, files: Iterable[CaseFile], *, note: str = "", request=None) -> Transfer:
    """Transfer closed files to the agency archive (nộp lưu) with their metadata.

    Every PDF of every document in them gets an archival version (PAdES B-LTA for signed ones), made by a task on
    the ``signing`` queue after the transfer commits; the originals are kept untouched.
    """
    files = list(files)
    if not files:
        raise ArchiveError("Chưa chọn hồ sơ để nộp lưu.", code="no_files")
    with transaction.atomic():
        locked = list(CaseFile.objects.select_for_update().filter(pk__in=[f.pk for f in files])
                      .select_related("unit", "retention"))
        for case_file in locked:
            if not _may_edit(person, case_file):
                raise ArchiveError(f"Bạn không có quyền nộp lưu hồ sơ {case_file.code}.", code="not_allowed",
                                   status_code=403)
            if case_file.status != FileStatus.CLOSED:
                raise ArchiveError(f"Hồ sơ {case_file.code} chưa kết thúc hoặc đã nộp lưu.", code="not_closed",
                                   status_code=409)
        transfer = Transfer.objects.create(agency_id=person.agency_id, transferred_by=person, note=note)
        catalogue = []
        versions: list[int] = []
        for case_file in locked:
            entries = list(case_file.entries.all())
            catalogue.append({
                "id": case_file.pk, "code": case_file.code, "title": case_file.title, "year": case_file.year,
                "unit": case_file.unit.name, "retention": case_file.retention.name,
                "opened_on": case_file.opened_on.isoformat(),
                "closed_on": case_file.closed_on.isoformat() if case_file.closed_on else None,
                "documents": [{"kind": e.kind, "id": e.document_id} for e in entries],
            })
            for entry in entries:
                for stored in _entry_files(entry):
                    version, _created = ArchivedVersion.objects.get_or_create(
                        case_file=case_file, source=stored,
                        defaults={"kind": entry.kind, "document_id": entry.document_id})
                    versions.append(version.pk)
            case_file.status = FileStatus.TRANSFERRED
            case_file.transfer = transfer
            case_file.save(update_fields=["status", "transfer"])
        transfer.metadata = {"files": catalogue}
        transfer.save(update_fields=["metadata"])
        record("archive.files_transferred", actor=person, obj=transfer, request=request,
               data={"files": [f.pk for f in locked], "versions": len(versions)})
        transaction.on_commit(lambda: enqueue_archival(versions))
    return transfer


def enqueue_archival(version_ids: Iterable[int]) -> None:
    """Send one archival task (``signing`` queue) per version; called after the transfer commits and by the daily
    task that completes B-LT copies."""
    for pk in version_ids:
        try:
            send_task("signing.archive_version", pk, retry=False)
        except Exception:
            logger.exception("could not enqueue archival of version %s", pk)


class ArchivalUnavailable(Exception):
    """A transient failure of archival (a CA's OCSP/CRL service or the timestamp authority unreachable): the task
    tries again later (with backoff); the version stays pending with the reason in ``error``."""


# Errors of pyhanko-certvalidator that no retry will change (the certificate is revoked, expired, untrusted, ...).
_PERMANENT_ERRORS = frozenset({
    "RevokedError", "ExpiredError", "NotYetValidError", "PathBuildingError", "InvalidCertificateError",
    "DisallowedAlgorithmError", "AlgorithmNotSupported", "InvalidSignature", "PSSParameterMismatch",
})


def is_transient(error: BaseException) -> bool:
    """Whether an archival failure may succeed later: a network error or missing revocation information (the CA
    or the TSA did not answer), as opposed to a revoked, expired or untrusted certificate or an unusable PDF."""
    from signing.validation import PdfNotAcceptableError

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, PdfNotAcceptableError) or type(current).__name__ in _PERMANENT_ERRORS:
            return False
        current = current.__cause__ or current.__context__
    return True


def make_archival_version(version_id: int, *, retry_transient: bool = False) -> ArchivedVersion:
    """Bring one PDF of a transferred file to PAdES B-LTA as a new stored file. Idempotent: a version already
    done (or found unsigned) is returned as it is, so a redelivered task never archives twice.

    The status says what was reached: ``DONE`` for B-LTA; ``LT_ONLY`` when no timestamp authority is configured
    or reachable (B-LT: validation material without the archive timestamp; a later run makes it again from the
    original); ``FAILED`` with the reason otherwise. With ``retry_transient`` (the task, while it has retries
    left) a transient failure (CA or TSA unreachable) leaves the version pending and raises
    :class:`ArchivalUnavailable` so that the task tries again later; without it, a failure of the timestamp
    alone still yields the B-LT copy (``LT_ONLY``).
    """
    from pyhanko.pdf_utils.reader import PdfFileReader

    from eoffice.documents.services import store_file
    from signing.ltv import ArchivalError, get_timestamper, make_archival
    from signing.validation import PdfNotAcceptableError

    version = ArchivedVersion.objects.select_related("source").get(pk=version_id)
    if version.status in (ArchivalStatus.DONE, ArchivalStatus.UNSIGNED):
        return version
    data = version.source.read()
    try:
        import io

        signed = bool(PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures)
    except Exception:
        signed = False
    if not signed:
        version.status = ArchivalStatus.UNSIGNED
        version.archived = version.source
        version.done_at = timezone.now()
        version.save(update_fields=["status", "archived", "done_at"])
        return version
    timestamper = get_timestamper()
    level, note = (ArchivalStatus.DONE, "") if timestamper is not None else (
        ArchivalStatus.LT_ONLY, "Không có máy chủ cấp dấu thời gian (TSA) để đóng dấu thời gian lưu trữ.")
    try:
        archived = make_archival(data, timestamper=timestamper, document_timestamp=timestamper is not None)
    except (ArchivalError, PdfNotAcceptableError, OSError) as error:
        message = getattr(error, "message", None) or "Không liên lạc được với dịch vụ chứng thực."
        transient = is_transient(error)
        if transient and retry_transient:
            version.status = ArchivalStatus.PENDING
            version.error = f"{message} Sẽ thử lại sau."
            version.save(update_fields=["status", "error"])
            raise ArchivalUnavailable(message) from error
        archived = None
        if transient and timestamper is not None:
            # Perhaps only the TSA failed: the validation material alone (B-LT) is still worth keeping.
            try:
                archived = make_archival(data, document_timestamp=False)
            except (ArchivalError, PdfNotAcceptableError, OSError):
                archived = None
            level, note = ArchivalStatus.LT_ONLY, message
        if archived is None:
            version.status = ArchivalStatus.FAILED
            version.error = message
            version.save(update_fields=["status", "error"])
            return version
    name = version.source.name.rsplit(".", 1)[0] + ".luu-tru.pdf"
    stored = store_file(archived, name=name)
    with transaction.atomic():
        locked = ArchivedVersion.objects.select_for_update().get(pk=version_id)
        if locked.status == ArchivalStatus.DONE:
            return locked
        locked.archived = stored
        locked.status = level
        locked.error = note
        locked.done_at = timezone.now()
        locked.save(update_fields=["archived", "status", "error", "done_at"])
    return locked


def files_past_retention(person, *, today: datetime.date | None = None) -> QuerySet[CaseFile]:
    """Closed or transferred files whose retention period has run out (permanent files never do)."""
    year = (today or timezone.localdate()).year
    files = visible_to(CaseFile, person).exclude(status=FileStatus.OPEN).filter(retention__years__isnull=False)
    from django.db.models import ExpressionWrapper, F, IntegerField
    from django.db.models.functions import Coalesce, ExtractYear

    return files.annotate(
        until=ExpressionWrapper(Coalesce(ExtractYear("closed_on"), F("year"), output_field=IntegerField())
                                + F("retention__years"), output_field=IntegerField()),
    ).filter(until__lt=year).select_related("unit", "retention").order_by("until", "code")


# --- text ------------------------------------------------------------------------------------------------------------

def extract_text(stored_file_id: int, *, allow_ocr: bool = True) -> DocumentText | None:
    """Fill the text of a stored PDF: its text layer, or OCR in Vietnamese when it looks like a scan.

    The OCR'd PDF is kept as a new stored file (the original is untouched). Returns the :class:`DocumentText`
    (``None`` if the stored file does not exist, e.g. its registration was rolled back).
    """
    from eoffice.documents.services import store_file

    from . import text as pdftext

    stored = StoredFile.objects.filter(pk=stored_file_id).first()
    if stored is None:
        return None
    current = DocumentText.objects.filter(stored_file=stored).first()
    if current is not None and not current.needs_ocr and current.method != TextMethod.NONE:
        return current
    values: dict = {"error": ""}
    if stored.content_type != "application/pdf":
        values.update(text="", method=TextMethod.NONE, needs_ocr=False)
    else:
        data = stored.read()
        try:
            layer = pdftext.text_layer(data)
        except pdftext.TextError as error:
            layer, values["error"] = "", error.message
        if not pdftext.looks_scanned(layer, stored.page_count):
            values.update(text=layer, method=TextMethod.TEXT_LAYER, needs_ocr=False)
        elif not allow_ocr:
            values.update(text=layer, method=TextMethod.TEXT_LAYER if layer else TextMethod.NONE, needs_ocr=True)
        else:
            try:
                ocr_pdf, ocr_text = pdftext.ocr(data)
            except pdftext.TextError as error:
                values.update(text=layer, method=TextMethod.NONE, needs_ocr=False, error=error.message)
            else:
                ocr_file = store_file(ocr_pdf, name=stored.name.rsplit(".", 1)[0] + ".ocr.pdf")
                values.update(text=ocr_text, method=TextMethod.OCR, needs_ocr=False, ocr_file=ocr_file)
    text, _created = DocumentText.objects.update_or_create(stored_file=stored, defaults=values)
    return text


def reindex_documents_with_file(stored_file_id: int) -> None:
    """Schedule the reindexing of every document holding this stored file (after its text changed)."""
    from search.indexing import schedule, sources

    for source in sources():
        pks = source.pks_with_file(stored_file_id)
        if pks:
            schedule(source.kind, pks)


def schedule_text(stored_file_ids: Iterable[int]) -> None:
    """Extract the text of these stored files once the current transaction commits (the ``ocr`` queue).

    Calls within one transaction are merged into one commit hook, which sends one task per distinct file (each
    file is its own unit of OCR work, so that several workers share a batch). A rolled-back transaction sends
    nothing. The task is idempotent.
    """
    from search.indexing import on_commit_batch

    on_commit_batch(_send_text, [int(pk) for pk in stored_file_ids])


def _send_text(ids: list[int]) -> None:
    for pk in ids:
        try:
            send_task("ocr.extract_text", pk, retry=False)
        except Exception:
            logger.exception("could not enqueue text extraction of stored file %s", pk)
