"""Outgoing dispatches (văn bản đi): the document from its first draft to its release, and its deliveries.

- :class:`OutgoingDocument`: one dispatch, draft and issued document alike (its status says which). Holds the
  metadata of docs/DOMAIN.md ("Documents"), the intended signer and capacity, and, once issued, the number, notation and date.
- :class:`DraftVersion`: every file the document ever had, in order (upload, DOCX conversion, number/date fields,
  the leader's signature, numbering, the seal). Files are immutable :class:`~eoffice.documents.models.StoredFile`.
- :class:`Opinion`: what reviewers, consulted units, the signer and the clerk said (approve / return, with text).
- :class:`Consultation`: one consulted unit's part of the parallel consultation.
- :class:`Delivery` and :class:`DeliveryEvent`: one recipient agency (of this deployment, or external by code) and
  the statuses it reported (arrived, refused, accepted, assigned, done, recall answered).
- :class:`TwoStepSession`: a prepared two-step signature waiting for the official's token.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from eoffice.documents.models import Confidentiality, Urgency, is_secret


class Capacity(models.TextChoices):
    """The signer's capacity (thẩm quyền ký) written before the position in the signature block."""

    DIRECT = "", _("Ký trực tiếp")
    KT = "KT", _("KT. (ký thay người đứng đầu)")
    TM = "TM", _("TM. (thay mặt tập thể)")
    TL = "TL", _("TL. (thừa lệnh)")
    TUQ = "TUQ", _("TUQ. (thừa ủy quyền)")


class Status(models.TextChoices):
    DRAFT = "draft", _("Dự thảo")
    IN_REVIEW = "in_review", _("Chờ lãnh đạo đơn vị kiểm tra")
    RETURNED = "returned", _("Trả lại để chỉnh sửa")
    CONSULTING = "consulting", _("Đang lấy ý kiến đơn vị")
    TO_SIGN = "to_sign", _("Chờ lãnh đạo ký")
    SIGNED = "signed", _("Đã ký, chờ văn thư cấp số")
    ISSUED = "issued", _("Đã cấp số, đóng dấu")
    RELEASED = "released", _("Đã phát hành")
    RECALLED = "recalled", _("Đã thu hồi")
    SUPERSEDED = "superseded", _("Đã được thay thế")


class OutgoingDocument(models.Model):
    """A dispatch of one agency, from draft to release."""

    agency = models.ForeignKey(
        "orgs.Agency", verbose_name=_("cơ quan ban hành"), on_delete=models.PROTECT, related_name="outgoing_documents"
    )
    drafting_unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("đơn vị soạn thảo"), on_delete=models.PROTECT, related_name="drafted_documents"
    )
    drafter = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người soạn thảo"), on_delete=models.PROTECT,
        related_name="drafted_documents",
    )
    document_type = models.ForeignKey(
        "documents.DocumentType", verbose_name=_("loại văn bản"), on_delete=models.PROTECT, related_name="+"
    )
    summary = models.TextField(_("trích yếu"))
    urgency = models.CharField(_("độ khẩn"), max_length=20, choices=Urgency.choices, default=Urgency.NORMAL)
    confidentiality = models.CharField(
        _("độ mật"), max_length=20, choices=Confidentiality.choices, default=Confidentiality.NORMAL
    )
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người ký"), on_delete=models.PROTECT, related_name="documents_to_sign"
    )
    signer_capacity = models.CharField(_("thẩm quyền ký"), max_length=5, choices=Capacity.choices, blank=True)
    signer_position = models.CharField(
        _("chức vụ người ký"), max_length=100, blank=True,
        help_text=_("Như in ở khối chữ ký, ví dụ “Giám đốc”; để trống: lấy chức vụ của người ký."),
    )
    deadline = models.DateField(_("hạn trả lời"), null=True, blank=True)
    answers_incoming_id = models.PositiveBigIntegerField(_("trả lời văn bản đến (mã)"), null=True, blank=True)
    answers_label = models.CharField(_("trả lời văn bản"), max_length=255, blank=True)
    recipient_units = models.ManyToManyField(
        "orgs.Unit", verbose_name=_("đơn vị nhận trong cơ quan"), blank=True, related_name="outgoing_received"
    )
    recipient_people = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("cá nhân nhận trong cơ quan"), blank=True,
        related_name="outgoing_received",
    )
    consult_units = models.ManyToManyField(
        "orgs.Unit", verbose_name=_("đơn vị được lấy ý kiến"), blank=True, related_name="outgoing_consulted"
    )
    readers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("người được xem"), blank=True, related_name="outgoing_readable",
        help_text=_("Những người có tên trên văn bản: người soạn, người kiểm tra, người ký, văn thư, người nhận."),
    )
    copies = models.PositiveSmallIntegerField(_("số lượng bản"), default=1)
    keeper_unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("đơn vị lưu hồ sơ"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    notes = models.CharField(_("ghi chú"), max_length=255, blank=True)

    status = models.CharField(_("trạng thái"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    current_file = models.ForeignKey(
        "documents.StoredFile", verbose_name=_("tệp hiện hành"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    person_field = models.CharField(_("trường chữ ký của người ký"), max_length=60, blank=True)
    series_code = models.SlugField(_("mã sổ"), max_length=40, blank=True)
    year = models.PositiveSmallIntegerField(_("năm"), null=True, blank=True)
    number = models.PositiveIntegerField(_("số"), null=True, blank=True)
    notation = models.CharField(_("số, ký hiệu"), max_length=60, blank=True)
    issued_at = models.DateTimeField(_("thời điểm ban hành"), null=True, blank=True)
    signed_at = models.DateTimeField(_("thời điểm ký"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người đã ký"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    released_at = models.DateTimeField(_("thời điểm phát hành"), null=True, blank=True)
    recalled_at = models.DateTimeField(_("thời điểm thu hồi"), null=True, blank=True)
    recall_reason = models.TextField(_("lý do thu hồi"), blank=True)
    replaces = models.OneToOneField(
        "self", verbose_name=_("thay thế văn bản"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="replaced_by",
    )
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật"), auto_now=True)

    class Meta:
        verbose_name = _("văn bản đi")
        verbose_name_plural = _("văn bản đi")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "series_code", "year", "number"], condition=Q(number__isnull=False),
                name="outgoing_unique_number_per_series_year",
            )
        ]
        indexes = [models.Index(fields=["agency", "series_code", "year", "number"])]

    def __str__(self) -> str:
        return self.notation or f"Dự thảo: {self.summary[:80]}"

    @property
    def is_secret(self) -> bool:
        return is_secret(self.confidentiality)

    @property
    def capacity_line(self) -> str:
        return f"{self.signer_capacity}." if self.signer_capacity else ""


class VersionKind(models.TextChoices):
    UPLOAD = "upload", _("Tải lên")
    CONVERSION = "conversion", _("Chuyển DOCX sang PDF")
    FIELDS = "fields", _("Thêm ô số, ngày")
    SIGNED = "signed", _("Lãnh đạo ký số")
    NUMBERED = "numbered", _("Điền số, ngày")
    SEALED = "sealed", _("Đóng dấu cơ quan")


class ConversionStatus(models.TextChoices):
    NONE = "", _("Không cần")
    PENDING = "pending", _("Đang chuyển đổi")
    DONE = "done", _("Đã chuyển đổi")
    FAILED = "failed", _("Lỗi chuyển đổi")


class DraftVersion(models.Model):
    """One file of the document's history. Never changed once its file is set (files are immutable)."""

    document = models.ForeignKey(OutgoingDocument, on_delete=models.CASCADE, related_name="versions")
    seq = models.PositiveIntegerField(_("lần"))
    kind = models.CharField(_("loại"), max_length=20, choices=VersionKind.choices)
    file = models.ForeignKey(
        "documents.StoredFile", verbose_name=_("tệp PDF"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    source = models.ForeignKey(
        "documents.StoredFile", verbose_name=_("tệp gốc (DOCX)"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    conversion = models.CharField(
        _("chuyển đổi"), max_length=10, choices=ConversionStatus.choices, blank=True, default=ConversionStatus.NONE
    )
    error = models.TextField(_("lỗi"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("phiên bản")
        verbose_name_plural = _("phiên bản")
        ordering = ["document", "seq"]
        constraints = [models.UniqueConstraint(fields=["document", "seq"], name="outgoing_version_unique_seq")]

    def __str__(self) -> str:
        return f"{self.document_id} v{self.seq} ({self.get_kind_display()})"


class Step(models.TextChoices):
    REVIEW = "review", _("Kiểm tra của lãnh đạo đơn vị")
    CONSULT = "consult", _("Góp ý của đơn vị")
    SIGN = "sign", _("Lãnh đạo ký")
    ISSUE = "issue", _("Văn thư kiểm tra thể thức")


class Opinion(models.Model):
    """An opinion given at a step: approve or return, with comments."""

    document = models.ForeignKey(OutgoingDocument, on_delete=models.CASCADE, related_name="opinions")
    step = models.CharField(_("bước"), max_length=20, choices=Step.choices)
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey("orgs.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    approved = models.BooleanField(_("đồng ý"))
    text = models.TextField(_("ý kiến"), blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ý kiến")
        verbose_name_plural = _("ý kiến")
        ordering = ["document", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_step_display()}: {'đồng ý' if self.approved else 'trả lại'}"


class Consultation(models.Model):
    """One unit asked for its opinion in the parallel consultation."""

    document = models.ForeignKey(OutgoingDocument, on_delete=models.CASCADE, related_name="consultations")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+")
    round = models.PositiveSmallIntegerField(default=1)
    opinion = models.ForeignKey(Opinion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["document", "round", "unit__name"]
        constraints = [
            models.UniqueConstraint(fields=["document", "unit", "round"], name="outgoing_consultation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.document_id} ← {self.unit_id}"


class DeliveryKind(models.TextChoices):
    AGENCY = "agency", _("Cơ quan trong hệ thống")
    EXTERNAL = "external", _("Cơ quan ngoài hệ thống (liên thông)")


class DeliveryStatus(models.TextChoices):
    PLANNED = "planned", _("Chưa phát hành")
    SENDING = "sending", _("Đang gửi")
    QUEUED_EXTERNAL = "queued", _("Chờ gửi liên thông")
    ARRIVED = "arrived", _("Đã đến")
    REFUSED = "refused", _("Bị từ chối")
    ACCEPTED = "accepted", _("Đã tiếp nhận")
    ASSIGNED = "assigned", _("Đã phân công xử lý")
    DONE = "done", _("Đã xử lý xong")
    RECALLING = "recalling", _("Đang thu hồi")
    RECALL_DONE = "recall_done", _("Đã thu hồi")


class Delivery(models.Model):
    """One recipient agency of a released document; ``pk`` is the idempotency key of the delivery."""

    document = models.ForeignKey(OutgoingDocument, on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(_("loại nơi nhận"), max_length=10, choices=DeliveryKind.choices)
    agency = models.ForeignKey(
        "orgs.Agency", verbose_name=_("cơ quan nhận"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="outgoing_deliveries",
    )
    external_code = models.CharField(_("mã định danh"), max_length=13, blank=True)
    external_name = models.CharField(_("tên cơ quan"), max_length=255, blank=True)
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PLANNED
    )
    reason = models.TextField(_("lý do"), blank=True)
    sent_at = models.DateTimeField(_("thời điểm gửi"), null=True, blank=True)
    updated_at = models.DateTimeField(_("cập nhật"), auto_now=True)

    class Meta:
        verbose_name = _("nơi nhận")
        verbose_name_plural = _("nơi nhận")
        ordering = ["document", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "agency"], condition=Q(agency__isnull=False), name="outgoing_delivery_agency_once"
            ),
            models.UniqueConstraint(
                fields=["document", "external_code"], condition=~Q(external_code=""),
                name="outgoing_delivery_external_once",
            ),
        ]

    def __str__(self) -> str:
        return self.recipient_name

    @property
    def recipient_name(self) -> str:
        return self.agency.name if self.agency_id else self.external_name or self.external_code

    @property
    def source_ref(self) -> str:
        return str(self.pk)


class DeliveryEvent(models.Model):
    """A status a recipient reported (or the sending side recorded) for one delivery."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(_("trạng thái"), max_length=20, choices=DeliveryStatus.choices)
    reason = models.TextField(_("lý do"), blank=True)
    at = models.DateTimeField(_("thời điểm"))

    class Meta:
        ordering = ["delivery", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.delivery_id}: {self.status}"


class TwoStepSession(models.Model):
    """A person signature prepared for the official's token (:func:`signing.twostep.prepare`)."""

    document = models.ForeignKey(OutgoingDocument, on_delete=models.CASCADE, related_name="twostep_sessions")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    state = models.TextField()
    field_name = models.CharField(max_length=60)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.document_id}/{self.field_name}"
