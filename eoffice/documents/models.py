"""The document core shared by incoming and outgoing dispatches.

- :class:`DocumentType`: the code table of Decree 30's types and their abbreviations (admin-editable data).
- :class:`Urgency`, :class:`Confidentiality`, :class:`Channel`: the fixed choice lists.
- :class:`StoredFile`: an immutable, content-addressed file; every signature produces a new one.
- :class:`NumberSeries`: one register's number series per agency, direction, code and year.
- :class:`SeriesRule`: which outgoing series a document type uses in an agency (configurable registers).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Urgency(models.TextChoices):
    NORMAL = "thuong", _("Thường")
    URGENT = "khan", _("Khẩn")
    VERY_URGENT = "thuong_khan", _("Thượng khẩn")
    EXPRESS = "hoa_toc", _("Hỏa tốc")
    EXPRESS_TIMED = "hoa_toc_hen_gio", _("Hỏa tốc hẹn giờ")


# Higher = more urgent: the choices above are declared from ordinary to "hỏa tốc hẹn giờ".
URGENCY_RANK = {value: rank for rank, value in enumerate(Urgency.values)}


class Confidentiality(models.TextChoices):
    NORMAL = "thuong", _("Thường")
    SECRET = "mat", _("Mật")
    TOP_SECRET = "toi_mat", _("Tối mật")
    ABSOLUTE_SECRET = "tuyet_mat", _("Tuyệt mật")


SECRET_LEVELS = (Confidentiality.SECRET, Confidentiality.TOP_SECRET, Confidentiality.ABSOLUTE_SECRET)


def is_secret(confidentiality: str) -> bool:
    return confidentiality in SECRET_LEVELS


class Channel(models.TextChoices):
    PAPER = "paper", _("Giấy/bưu chính")
    EMAIL = "email", _("Thư điện tử")
    INTERCONNECTION = "interconnection", _("Liên thông")
    INTERNAL = "internal", _("Nội bộ hệ thống")


ELECTRONIC_CHANNELS = (Channel.EMAIL, Channel.INTERCONNECTION, Channel.INTERNAL)


class Direction(models.TextChoices):
    INCOMING = "incoming", _("Văn bản đến")
    OUTGOING = "outgoing", _("Văn bản đi")


class DocumentType(models.Model):
    """A type of administrative document (Decree 30, art. 7), with the abbreviation used in the notation."""

    code = models.SlugField(_("mã"), max_length=40, unique=True)
    name = models.CharField(_("tên loại văn bản"), max_length=120)
    abbreviation = models.CharField(
        _("chữ viết tắt"), max_length=10, blank=True, help_text=_("Để trống với công văn và thư công.")
    )
    is_legal_normative = models.BooleanField(_("văn bản quy phạm pháp luật"), default=False)
    paperless = models.BooleanField(
        _("ký số, phát hành điện tử không kèm giấy"), default=False,
        help_text=_("Bảy loại văn bản ký số và gửi nhận điện tử hoàn toàn."),
    )
    is_copy = models.BooleanField(_("là bản sao"), default=False)
    is_active = models.BooleanField(_("đang dùng"), default=True)
    ordering = models.PositiveSmallIntegerField(_("thứ tự"), default=100)

    class Meta:
        verbose_name = _("loại văn bản")
        verbose_name_plural = _("loại văn bản")
        ordering = ["ordering", "name"]

    def __str__(self) -> str:
        return self.name


def stored_file_path(instance: StoredFile, filename: str) -> str:
    sha = instance.sha256
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"files/{sha[:2]}/{sha[2:4]}/{sha}.{suffix[:8]}"


class StoredFile(models.Model):
    """An immutable file, addressed by its SHA-256. The product never overwrites or deletes one."""

    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    file = models.FileField(_("tệp"), upload_to=stored_file_path, max_length=255)
    name = models.CharField(_("tên tệp"), max_length=255)
    content_type = models.CharField(_("kiểu nội dung"), max_length=100, default="application/pdf")
    size = models.PositiveBigIntegerField(_("kích thước (byte)"))
    page_count = models.PositiveIntegerField(_("số trang"), null=True, blank=True)
    created_at = models.DateTimeField(_("thời điểm lưu"), auto_now_add=True)

    class Meta:
        verbose_name = _("tệp lưu trữ")
        verbose_name_plural = _("tệp lưu trữ")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.sha256[:12]})"

    def read(self) -> bytes:
        with self.file.open("rb") as handle:
            return handle.read()


class NumberSeries(models.Model):
    """A register's number series (e.g. Sổ văn bản đến 2026 of the Sở Tư pháp): numbers 1, 2, 3 … per year."""

    agency = models.ForeignKey(
        "orgs.Agency", verbose_name=_("cơ quan"), on_delete=models.PROTECT, related_name="number_series"
    )
    direction = models.CharField(_("chiều"), max_length=10, choices=Direction.choices)
    code = models.SlugField(_("mã sổ"), max_length=40, help_text=_("Ví dụ: den, den-mat, di, di-mat, qd."))
    name = models.CharField(_("tên sổ"), max_length=150)
    year = models.PositiveSmallIntegerField(_("năm"))
    last_number = models.PositiveIntegerField(_("số cuối đã cấp"), default=0)

    class Meta:
        verbose_name = _("sổ văn bản")
        verbose_name_plural = _("sổ văn bản")
        ordering = ["agency__code", "-year", "direction", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "direction", "code", "year"], name="number_series_unique_per_agency_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.year}"


class SeriesRule(models.Model):
    """Which outgoing series a document type uses (configurable registers).

    A rule with no agency is the deployment default; an agency's own rule wins. Without any rule the defaults of
    :func:`eoffice.documents.services.outgoing_series_for` apply: secret documents their own series, legal
    normative documents one series per kind, everything else one shared series.
    """

    agency = models.ForeignKey(
        "orgs.Agency", verbose_name=_("cơ quan"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="series_rules", help_text=_("Để trống: áp dụng cho mọi cơ quan."),
    )
    document_type = models.ForeignKey(
        DocumentType, verbose_name=_("loại văn bản"), on_delete=models.CASCADE, related_name="series_rules"
    )
    series_code = models.SlugField(_("mã sổ"), max_length=40)
    series_name = models.CharField(_("tên sổ"), max_length=150)

    class Meta:
        verbose_name = _("quy tắc sổ văn bản đi")
        verbose_name_plural = _("quy tắc sổ văn bản đi")
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "document_type"], name="series_rule_unique_per_agency_type",
                condition=Q(agency__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["document_type"], name="series_rule_unique_default_per_type", condition=Q(agency__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_type} → {self.series_name}"
