"""Files (hồ sơ) and the archive.

- :class:`RetentionPeriod`: the retention periods as data (vĩnh viễn, 70, 50, 20, 10, 5 năm; admin-editable).
- :class:`CaseFile`: one file (hồ sơ) of a unit's yearly file list: code, title, retention, who opened it, when.
  Named ``CaseFile`` in code only to keep it apart from stored files; in the UI and the glossary it is "hồ sơ".
- :class:`FileEntry`: a document filed into a file, referenced by its kind (``incoming``/``outgoing``) and id.
- :class:`Transfer`: a transfer of closed files to the agency archive (nộp lưu).
- :class:`ArchivedVersion`: the archival (PAdES B-LTA) version of one signed PDF of a transferred file; a new
  stored file, never an overwrite of the original.
- :class:`DocumentText`: the text of a stored PDF (its text layer, or OCR in Vietnamese for scans).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RetentionPeriod(models.Model):
    code = models.SlugField(_("mã"), max_length=30, unique=True)
    name = models.CharField(_("tên thời hạn"), max_length=60)
    years = models.PositiveSmallIntegerField(_("số năm"), null=True, blank=True,
                                             help_text=_("Để trống: bảo quản vĩnh viễn."))
    ordering = models.PositiveSmallIntegerField(_("thứ tự"), default=100)

    class Meta:
        verbose_name = _("thời hạn bảo quản")
        verbose_name_plural = _("thời hạn bảo quản")
        ordering = ["ordering", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_permanent(self) -> bool:
        return self.years is None


class FileStatus(models.TextChoices):
    OPEN = "open", _("Đang mở")
    CLOSED = "closed", _("Đã kết thúc")
    TRANSFERRED = "transferred", _("Đã nộp lưu")


class CaseFile(models.Model):
    """A file (hồ sơ) in a unit's yearly file list (danh mục hồ sơ)."""

    agency = models.ForeignKey("orgs.Agency", verbose_name=_("cơ quan"), on_delete=models.PROTECT,
                               related_name="case_files")
    unit = models.ForeignKey("orgs.Unit", verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="case_files")
    year = models.PositiveSmallIntegerField(_("năm"))
    code = models.CharField(_("số, ký hiệu hồ sơ"), max_length=50)
    title = models.CharField(_("tiêu đề hồ sơ"), max_length=500)
    retention = models.ForeignKey(RetentionPeriod, verbose_name=_("thời hạn bảo quản"), on_delete=models.PROTECT,
                                  related_name="case_files")
    status = models.CharField(_("trạng thái"), max_length=20, choices=FileStatus.choices, default=FileStatus.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người lập"), on_delete=models.PROTECT,
                                  related_name="+")
    opened_on = models.DateField(_("ngày mở"), default=timezone.localdate)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người kết thúc"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    closed_on = models.DateField(_("ngày kết thúc"), null=True, blank=True)
    transfer = models.ForeignKey("Transfer", verbose_name=_("lần nộp lưu"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="files")
    notes = models.TextField(_("ghi chú"), blank=True)

    class Meta:
        verbose_name = _("hồ sơ")
        verbose_name_plural = _("hồ sơ")
        ordering = ["-year", "unit__name", "code"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "year", "code"], name="case_file_unique_code_per_agency_year"),
        ]
        indexes = [models.Index(fields=["agency", "unit", "year"])]

    def __str__(self) -> str:
        return f"{self.code} — {self.title}"

    @property
    def retention_until(self) -> int | None:
        """The last year the file must be kept (None: permanent); counted from the year the file was closed."""
        if self.retention.years is None:
            return None
        return (self.closed_on.year if self.closed_on else self.year) + self.retention.years


class DocumentKind(models.TextChoices):
    INCOMING = "incoming", _("Văn bản đến")
    OUTGOING = "outgoing", _("Văn bản đi")


class FileEntry(models.Model):
    case_file = models.ForeignKey(CaseFile, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("loại"), max_length=20, choices=DocumentKind.choices)
    document_id = models.PositiveBigIntegerField(_("mã văn bản"))
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("văn bản trong hồ sơ")
        verbose_name_plural = _("văn bản trong hồ sơ")
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "document_id"], name="file_entry_one_file_per_document"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.document_id} → {self.case_file_id}"


class Transfer(models.Model):
    """A transfer of closed files to the agency archive (nộp lưu)."""

    agency = models.ForeignKey("orgs.Agency", on_delete=models.PROTECT, related_name="archive_transfers")
    transferred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(_("ghi chú"), blank=True)
    metadata = models.JSONField(_("mục lục hồ sơ nộp lưu"), default=dict, blank=True)

    class Meta:
        verbose_name = _("lần nộp lưu")
        verbose_name_plural = _("lần nộp lưu")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.agency} {self.at:%d/%m/%Y}"


class ArchivalStatus(models.TextChoices):
    """Where an archival copy stands. ``DONE`` is PAdES B-LTA (validation material and a document timestamp);
    ``LT_ONLY`` is a copy with the validation material (B-LT) but no archive timestamp, because no timestamp
    authority could be reached: usable, but not yet protected against the expiry of the CA's certificates, and
    made again (from the original) by the next archival run."""

    PENDING = "pending", _("Đang xử lý")
    DONE = "done", _("Đã đạt B-LTA (có thông tin kiểm tra dài hạn và dấu thời gian lưu trữ)")
    LT_ONLY = "lt_only", _("Mới đạt B-LT, chưa có dấu thời gian lưu trữ")
    UNSIGNED = "unsigned", _("Không có chữ ký số")
    FAILED = "failed", _("Lỗi")


class ArchivedVersion(models.Model):
    case_file = models.ForeignKey(CaseFile, on_delete=models.CASCADE, related_name="archived_versions")
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    document_id = models.PositiveBigIntegerField()
    source = models.ForeignKey("documents.StoredFile", on_delete=models.PROTECT, related_name="+")
    archived = models.ForeignKey("documents.StoredFile", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    status = models.CharField(max_length=20, choices=ArchivalStatus.choices, default=ArchivalStatus.PENDING)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("bản lưu trữ dài hạn")
        verbose_name_plural = _("bản lưu trữ dài hạn")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["case_file", "source"], name="archived_version_once_per_file"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} → {self.archived_id or '…'}"


class TextMethod(models.TextChoices):
    TEXT_LAYER = "text_layer", _("Lớp chữ của PDF")
    OCR = "ocr", _("Nhận dạng ký tự (OCR)")
    NONE = "none", _("Không có chữ")


class DocumentText(models.Model):
    """The text of a stored PDF, used by the search index; OCR'd in Vietnamese when the PDF is a scan."""

    stored_file = models.OneToOneField("documents.StoredFile", primary_key=True, on_delete=models.CASCADE,
                                       related_name="text")
    text = models.TextField(blank=True)
    method = models.CharField(max_length=20, choices=TextMethod.choices, default=TextMethod.NONE)
    needs_ocr = models.BooleanField(default=False)
    ocr_file = models.ForeignKey("documents.StoredFile", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", help_text=_("Bản PDF có lớp chữ do OCR tạo ra."))
    error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("nội dung chữ của tệp")
        verbose_name_plural = _("nội dung chữ của tệp")

    def __str__(self) -> str:
        return f"{self.stored_file_id} ({self.method})"
