"""Incoming dispatches: receipts waiting for the clerk, registered documents, the flow's process data, inbox items.

- :class:`Receipt`: an electronic dispatch that arrived for an agency (văn bản chờ tiếp nhận).
- :class:`IncomingDocument`: a registered incoming document with its arrival number (số đến) and files.
- :class:`Instruction`: a leader's instruction (ý kiến chỉ đạo): lead unit, supporting units, for information.
- :class:`IncomingProcess`: viewflow's process for one document going through ``workflows.incoming``.
- :class:`WorkItem`: one person's piece of work on a document, what the inbox (Việc cần xử lý) lists.
- :class:`Step`: the history of everything done to a document — who, what, when, on behalf of whom.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process

from eoffice.documents.models import Channel, Confidentiality, Urgency, is_secret


class ReceiptStatus(models.TextChoices):
    WAITING = "waiting", _("Chờ tiếp nhận")
    REGISTERED = "registered", _("Đã vào sổ")
    RETURNED = "returned", _("Đã trả lại")
    RECALLED = "recalled", _("Đã thu hồi")


class DocumentMetadata(models.Model):
    """The metadata of a dispatch (docs/DOMAIN.md, "Documents"), shared by receipts and registered documents."""

    issuer_agency = models.ForeignKey(
        "orgs.Agency", verbose_name=_("cơ quan ban hành"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    issuer_name = models.CharField(_("cơ quan ban hành"), max_length=255)
    number_notation = models.CharField(_("số, ký hiệu"), max_length=100)
    issued_on = models.DateField(_("ngày ban hành"))
    place_of_issue = models.CharField(_("nơi ban hành"), max_length=100, blank=True)
    document_type = models.ForeignKey(
        "documents.DocumentType", verbose_name=_("loại văn bản"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    summary = models.TextField(_("trích yếu"))
    signer_name = models.CharField(_("người ký"), max_length=150, blank=True)
    signer_position = models.CharField(_("chức vụ người ký"), max_length=150, blank=True)
    signer_capacity = models.CharField(_("thẩm quyền ký"), max_length=20, blank=True,
                                       help_text=_("KT., TM., TL., TUQ."))
    recipients_text = models.TextField(_("nơi nhận"), blank=True)
    urgency = models.CharField(_("độ khẩn"), max_length=20, choices=Urgency.choices, default=Urgency.NORMAL)
    confidentiality = models.CharField(
        _("độ mật"), max_length=20, choices=Confidentiality.choices, default=Confidentiality.NORMAL
    )
    deadline = models.DateField(_("hạn xử lý"), null=True, blank=True)
    page_count = models.PositiveIntegerField(_("số trang"), null=True, blank=True)
    language = models.CharField(_("ngôn ngữ"), max_length=20, default="vi")
    channel = models.CharField(_("phương thức nhận"), max_length=20, choices=Channel.choices)
    validation = models.JSONField(_("kết quả kiểm tra chữ ký số"), default=dict, blank=True)
    validation_status = models.CharField(_("trạng thái chữ ký số"), max_length=20, blank=True)
    validation_summary = models.TextField(_("kết luận kiểm tra chữ ký số"), blank=True)

    class Meta:
        abstract = True

    @property
    def is_secret(self) -> bool:
        """Mật, tối mật or tuyệt mật: only the people named on it may learn anything of it."""
        return is_secret(self.confidentiality)


class Receipt(DocumentMetadata):
    """An electronic dispatch addressed to ``agency``, waiting for its clerk (văn bản chờ tiếp nhận)."""

    agency = models.ForeignKey(
        "orgs.Agency", verbose_name=_("cơ quan nhận"), on_delete=models.PROTECT, related_name="receipts"
    )
    source = models.CharField(_("nguồn"), max_length=30, help_text=_("internal, edxml, email…"))
    source_ref = models.CharField(_("mã gửi của bên gửi"), max_length=255)
    status = models.CharField(_("trạng thái"), max_length=20, choices=ReceiptStatus.choices,
                              default=ReceiptStatus.WAITING)
    named_recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("người nhận đích danh"), blank=True, related_name="+"
    )
    received_at = models.DateTimeField(_("thời điểm đến"), default=timezone.now)
    decided_at = models.DateTimeField(_("thời điểm xử lý"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người xử lý"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(_("lý do trả lại/thu hồi"), blank=True)
    duplicate_of = models.ForeignKey(
        "IncomingDocument", verbose_name=_("trùng với văn bản"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="duplicate_receipts",
    )
    # The sender replaced an earlier dispatch it had sent to this agency with this one: both pages link each other.
    replaces = models.ForeignKey(
        "self", verbose_name=_("thay thế văn bản"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="replaced_by",
    )

    class Meta:
        verbose_name = _("văn bản chờ tiếp nhận")
        verbose_name_plural = _("văn bản chờ tiếp nhận")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["source", "source_ref"], name="receipt_unique_delivery"),
        ]
        indexes = [models.Index(fields=["agency", "status", "received_at"])]

    def __str__(self) -> str:
        return f"{self.number_notation} — {self.issuer_name}"


class ReceiptFileQuerySet(models.QuerySet):
    def offered(self) -> ReceiptFileQuerySet:
        """The files that may be opened: a recalled dispatch's files are withdrawn (its record stays)."""
        return self.exclude(receipt__status=ReceiptStatus.RECALLED)


class ReceiptFile(models.Model):
    receipt = models.ForeignKey(Receipt, on_delete=models.CASCADE, related_name="files")
    stored_file = models.ForeignKey("documents.StoredFile", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    objects = ReceiptFileQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return str(self.stored_file_id)


class DocumentStatus(models.TextChoices):
    REGISTERED = "registered", _("Đã vào sổ")
    IN_PROGRESS = "in_progress", _("Đang xử lý")
    DONE = "done", _("Đã xử lý xong")
    RETURNED = "returned", _("Trả lại văn thư")
    RECALLED = "recalled", _("Đã bị thu hồi")


class IncomingDocument(DocumentMetadata):
    """A registered incoming document: arrival number (số đến) from the agency's incoming series, files, routing."""

    agency = models.ForeignKey(
        "orgs.Agency", verbose_name=_("cơ quan nhận"), on_delete=models.PROTECT, related_name="incoming_documents"
    )
    series_code = models.SlugField(_("mã sổ"), max_length=40)
    year = models.PositiveSmallIntegerField(_("năm"))
    arrival_number = models.PositiveIntegerField(_("số đến"))
    arrived_at = models.DateTimeField(_("ngày, giờ đến"))
    registered_at = models.DateTimeField(_("thời điểm vào sổ"), default=timezone.now)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người vào sổ"), on_delete=models.PROTECT, related_name="+"
    )
    receipt = models.OneToOneField(
        Receipt, verbose_name=_("văn bản điện tử đến"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="document",
    )
    copy_notation = models.CharField(_("số bản sao"), max_length=60, blank=True,
                                     help_text=_("Bản giấy số hóa thành bản sao y có chữ ký số của cơ quan."))
    status = models.CharField(_("trạng thái"), max_length=20, choices=DocumentStatus.choices,
                              default=DocumentStatus.REGISTERED)
    lead_unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("đơn vị xử lý chính"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    due_on = models.DateField(_("hạn xử lý theo chỉ đạo"), null=True, blank=True)
    completed_at = models.DateTimeField(_("thời điểm xử lý xong"), null=True, blank=True)
    recalled_at = models.DateTimeField(_("thời điểm thu hồi"), null=True, blank=True)
    notes = models.TextField(_("ghi chú"), blank=True)
    named_people = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("người được xem (văn bản mật)"), blank=True,
        related_name="named_incoming_documents",
    )

    class Meta:
        verbose_name = _("văn bản đến")
        verbose_name_plural = _("văn bản đến")
        ordering = ["-year", "-arrival_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "series_code", "year", "arrival_number"], name="incoming_unique_arrival_number"
            ),
        ]
        indexes = [
            models.Index(fields=["agency", "year", "series_code", "arrival_number"]),
            models.Index(fields=["agency", "issuer_name", "number_notation", "issued_on"]),
            # find_duplicate(): number/notation compared case-insensitively (iexact → UPPER(...)).
            models.Index(F("agency"), Upper("number_notation"), F("issued_on"), name="incoming_duplicate_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.arrival_number_display} — {self.number_notation}"

    @property
    def arrival_number_display(self) -> str:
        from eoffice.documents.services import format_number

        return format_number(self.arrival_number)

    @property
    def effective_deadline(self):
        return self.due_on or self.deadline


class FileKind(models.TextChoices):
    MAIN = "main", _("Văn bản")
    ORIGINAL_SCAN = "scan", _("Bản quét bản giấy")
    COPY = "copy", _("Bản sao y điện tử")
    ATTACHMENT = "attachment", _("Phụ lục, tài liệu kèm theo")


class IncomingFileQuerySet(models.QuerySet):
    def offered(self) -> IncomingFileQuerySet:
        """The files that may be opened: a recalled document is removed on the recipient's side (Decree 30), its
        files with it; the register entry and the history stay (docs/DOMAIN.md)."""
        return self.exclude(document__status=DocumentStatus.RECALLED)


class IncomingFile(models.Model):
    document = models.ForeignKey(IncomingDocument, on_delete=models.CASCADE, related_name="files")
    stored_file = models.ForeignKey("documents.StoredFile", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=FileKind.choices, default=FileKind.MAIN)
    position = models.PositiveSmallIntegerField(default=0)

    objects = IncomingFileQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.stored_file_id}"


class Instruction(models.Model):
    """A leader's instruction (ý kiến chỉ đạo, bút phê) or the chief of office's proposal."""

    document = models.ForeignKey(IncomingDocument, on_delete=models.CASCADE, related_name="instructions")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_proposal = models.BooleanField(_("là đề xuất"), default=False)
    text = models.TextField(_("nội dung chỉ đạo"))
    lead_unit = models.ForeignKey("orgs.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    supporting_units = models.ManyToManyField("orgs.Unit", blank=True, related_name="+")
    info_units = models.ManyToManyField("orgs.Unit", blank=True, related_name="+")
    info_people = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    deadline = models.DateField(_("hạn xử lý"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:80]


class IncomingProcess(Process):
    """One document's run through the incoming flow (``workflows.incoming.IncomingFlow``)."""

    document = models.ForeignKey(IncomingDocument, on_delete=models.CASCADE, related_name="processes")
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=20, blank=True, help_text="route | return")
    lead_head = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    main_handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    has_support = models.BooleanField(default=False)
    has_information = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("quy trình xử lý văn bản đến")
        verbose_name_plural = _("quy trình xử lý văn bản đến")
        permissions = [
            ("propose_incoming", "Đề xuất xử lý văn bản đến"),
            ("instruct_incoming", "Cho ý kiến chỉ đạo văn bản đến"),
            ("assign_incoming", "Giao chuyên viên xử lý văn bản đến"),
            ("handle_incoming", "Xử lý văn bản đến"),
            ("register_incoming", "Vào sổ văn bản đến"),
        ]


class WorkKind(models.TextChoices):
    REVISE = "revise", _("Văn thư trình lại")
    PROPOSE = "propose", _("Đề xuất xử lý")
    INSTRUCT = "instruct", _("Cho ý kiến chỉ đạo")
    ASSIGN = "assign", _("Giao xử lý")
    HANDLE = "handle", _("Xử lý chính")
    COHANDLE = "cohandle", _("Cùng xử lý")
    SUPPORT = "support", _("Phối hợp")
    INFO = "info", _("Để biết")


class WorkStatus(models.TextChoices):
    OPEN = "open", _("Đang chờ")
    DONE = "done", _("Đã xong")
    CANCELED = "canceled", _("Đã hủy")


class WorkItem(models.Model):
    """One person's piece of work on a document: the rows of the inbox (Việc cần xử lý).

    Urgency and deadline are copied from the document so that the inbox sorts and counts in one indexed query.
    """

    document = models.ForeignKey(IncomingDocument, on_delete=models.CASCADE, related_name="work_items")
    agency = models.ForeignKey("orgs.Agency", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="incoming_work")
    unit = models.ForeignKey("orgs.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=WorkKind.choices)
    status = models.CharField(max_length=20, choices=WorkStatus.choices, default=WorkStatus.OPEN)
    task = models.ForeignKey("viewflow.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    urgency = models.CharField(max_length=20, choices=Urgency.choices, default=Urgency.NORMAL)
    urgency_rank = models.PositiveSmallIntegerField(default=0)
    deadline = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.TextField(blank=True)

    class Meta:
        ordering = ["-urgency_rank", "deadline", "-created_at"]
        indexes = [
            models.Index(fields=["person", "status", "deadline"]),
            models.Index(fields=["document", "kind", "status"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status="open") | Q(finished_at__isnull=False),
                                   name="work_item_finished_has_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.document}"

    @property
    def is_overdue(self) -> bool:
        return bool(self.deadline and self.status == WorkStatus.OPEN and self.deadline < timezone.localdate())


STEP_ACTIONS = {
    "registered": _("Vào sổ"),
    "presented": _("Trình"),
    "proposed": _("Đề xuất xử lý"),
    "instructed": _("Cho ý kiến chỉ đạo"),
    "sent_back": _("Trả lại văn thư"),
    "assigned": _("Giao xử lý"),
    "handled": _("Hoàn thành xử lý"),
    "input_given": _("Cho ý kiến phối hợp"),
    "read": _("Đã xem (để biết)"),
    "reassigned": _("Chuyển việc"),
    "taken_back": _("Thu hồi việc"),
    "deadline_extended": _("Gia hạn xử lý"),
    "reply_requested": _("Yêu cầu dự thảo văn bản trả lời"),
    "reply_drafted": _("Dự thảo văn bản trả lời"),
    "reply_released": _("Ban hành văn bản trả lời"),
    "recalled": _("Bên gửi thu hồi văn bản"),
}


class Step(models.Model):
    """The history of a document: every action, by whom (and on behalf of whom), when, with what text."""

    document = models.ForeignKey(IncomingDocument, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(max_length=40)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    on_behalf_of = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    target = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    text = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.at:%Y-%m-%d %H:%M}"

    @property
    def action_label(self) -> str:
        """The action in words for the document page (the code itself stays stable for programs)."""
        return str(STEP_ACTIONS.get(self.action, self.action))


class DeadlineExtension(models.Model):
    document = models.ForeignKey(IncomingDocument, on_delete=models.CASCADE, related_name="extensions")
    old_deadline = models.DateField(null=True, blank=True)
    new_deadline = models.DateField()
    reason = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    on_behalf_of = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.old_deadline} → {self.new_deadline}"
