"""Liên thông (edXML) as data: the peer systems we exchange with, the code tables, and the two journals.

- :class:`Peer`: another system (another deployment, the national axis, another vendor) — its endpoint, the agency
  codes it serves and the certificates its XML signatures must chain to.
- :class:`CodeRow`: one row of an edXML code table (priorities, document types, steering types, statuses, business
  kinds) that the administrator can adjust; :func:`eoffice.interchange.services.code_tables` feeds them to the codec.
  Rows the program relies on (each status, each steering type) carry a fixed ``meaning``: the program asks for the
  code of a meaning, so labels and codes are the administrator's data.
- :class:`OutboundMessage`: one message or status message to send, keyed for idempotency (DocumentId + recipient +
  business kind, or + status code); the Celery task sends it with retries until it is ``sent`` or ``refused``.
- :class:`InboundMessage`: one received message that was applied (a receipt, a recall...), keyed the same way, so
  that a resend is answered with the existing receipt's status instead of a second receipt.
- :class:`InboundStatus`: one status message received for a document we sent (deduplicated).
"""

from __future__ import annotations

from cryptography import x509
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .edxml.codes import MEANINGS, TABLE_NAMES

TABLE_TITLES = {
    "priorities": _("Độ khẩn"),
    "document_types": _("Loại văn bản"),
    "steering_types": _("Loại chỉ đạo"),
    "statuses": _("Trạng thái xử lý"),
    "business_kinds": _("Loại nghiệp vụ"),
}


class Peer(models.Model):
    """A system we exchange edXML with."""

    name = models.CharField(_("tên hệ thống"), max_length=100, unique=True)
    base_url = models.URLField(
        _("địa chỉ liên thông"), max_length=300,
        help_text=_("Ví dụ https://vanban.tinh-khac.gov.vn/lien-thong/ — gói tin gửi tới <địa chỉ>edxml/, "
                    "trạng thái tới <địa chỉ>edxml/trang-thai/."),
    )
    agency_codes = models.TextField(
        _("mã định danh cơ quan"), help_text=_("Các mã định danh cơ quan mà hệ thống này phục vụ, mỗi mã một dòng."),
    )
    certificates_pem = models.TextField(
        _("chứng thư số (PEM)"),
        help_text=_("Chứng thư số của cơ quan hoặc của tổ chức cấp (CA) mà chữ ký XML của hệ thống phải thuộc về."),
    )
    enabled = models.BooleanField(_("đang kết nối"), default=True)
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)

    class Meta:
        verbose_name = _("hệ thống liên thông")
        verbose_name_plural = _("hệ thống liên thông")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def codes(self) -> list[str]:
        return [c.strip() for c in self.agency_codes.replace(",", "\n").splitlines() if c.strip()]

    def serves(self, code: str) -> bool:
        return code.strip() in self.codes()

    def certificates(self) -> list[x509.Certificate]:
        try:
            return x509.load_pem_x509_certificates(self.certificates_pem.encode())
        except ValueError:
            return []

    def url_for(self, what: str) -> str:
        base = self.base_url if self.base_url.endswith("/") else self.base_url + "/"
        return base + ("edxml/trang-thai/" if what == "status" else "edxml/")


class CodeRow(models.Model):
    """One code of an edXML code table; tables without rows keep the packaged defaults."""

    table = models.CharField(_("bảng mã"), max_length=30, choices=[(t, TABLE_TITLES[t]) for t in TABLE_NAMES])
    code = models.CharField(_("mã"), max_length=10)
    name = models.CharField(_("tên"), max_length=200)
    local_value = models.CharField(
        _("giá trị trong hệ thống"), max_length=60, blank=True,
        help_text=_("Giá trị tương ứng của hệ thống này (ví dụ mã loại văn bản “cong-van”, độ khẩn “khan”)."),
    )
    position = models.PositiveSmallIntegerField(_("thứ tự"), default=0)
    meaning = models.CharField(
        _("ý nghĩa cố định"), max_length=30, blank=True,
        choices=[(key, label) for table in MEANINGS.values() for key, label in table.items()],
        help_text=_("Ý nghĩa mà chương trình dựa vào (đã đến, từ chối, hoàn thành…; không phải văn bản chỉ đạo…). "
                    "Mỗi ý nghĩa chỉ gắn với một mã trong bảng; mã bổ sung để trống."),
    )

    class Meta:
        verbose_name = _("mã trong bảng mã edXML")
        verbose_name_plural = _("bảng mã edXML")
        ordering = ["table", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["table", "code"], name="interchange_code_once"),
            models.UniqueConstraint(fields=["table", "meaning"], condition=~Q(meaning=""),
                                    name="interchange_meaning_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_table_display()}: {self.code} {self.name}"

    def clean(self) -> None:
        if self.meaning and self.meaning not in MEANINGS.get(self.table, {}):
            raise ValidationError({"meaning": _("Ý nghĩa này không thuộc bảng mã đã chọn.")})


class OutboundKind(models.TextChoices):
    MESSAGE = "message", _("Gói tin văn bản")
    STATUS = "status", _("Thông điệp trạng thái")


class OutboundState(models.TextChoices):
    PENDING = "pending", _("Chờ gửi")
    SENT = "sent", _("Đã gửi")
    REFUSED = "refused", _("Bị từ chối")
    FAILED = "failed", _("Gửi không thành công")


class OutboundMessage(models.Model):
    """One thing to send to a peer; ``key`` makes sending it twice impossible."""

    key = models.CharField(_("khóa"), max_length=400, unique=True)
    kind = models.CharField(_("loại"), max_length=10, choices=OutboundKind.choices)
    peer = models.ForeignKey(Peer, verbose_name=_("hệ thống nhận"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="outbound")
    delivery = models.ForeignKey("outgoing.Delivery", verbose_name=_("nơi nhận"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="edxml_messages")
    document_id = models.CharField(_("DocumentId"), max_length=300)
    recipient_code = models.CharField(_("mã cơ quan nhận"), max_length=13)
    business_kind = models.PositiveSmallIntegerField(_("loại nghiệp vụ"), null=True, blank=True)
    status_code = models.CharField(_("mã trạng thái"), max_length=2, blank=True)
    reason = models.TextField(_("lý do"), blank=True)
    payload = models.BinaryField(_("gói tin"), null=True, blank=True)
    status_data = models.JSONField(
        _("nội dung trạng thái"), default=dict, blank=True,
        help_text=_("Cơ quan gửi, nơi nhận, văn bản được trả lời và ý nghĩa của thông điệp trạng thái: đủ để lập "
                    "lại gói tin khi gửi lại."),
    )
    state = models.CharField(_("tình trạng"), max_length=10, choices=OutboundState.choices,
                             default=OutboundState.PENDING)
    attempts = models.PositiveIntegerField(_("số lần gửi"), default=0)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True)
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)
    sent_at = models.DateTimeField(_("thời điểm gửi"), null=True, blank=True)

    class Meta:
        verbose_name = _("gói tin gửi đi")
        verbose_name_plural = _("gói tin gửi đi")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        what = f"trạng thái {self.status_code}" if self.kind == OutboundKind.STATUS else f"nghiệp vụ {self.business_kind}"
        return f"{self.document_id} → {self.recipient_code} ({what})"


class InboundMessage(models.Model):
    """One received message that was applied; ``key`` = DocumentId + recipient + business kind."""

    key = models.CharField(_("khóa"), max_length=400, unique=True)
    peer = models.ForeignKey(Peer, verbose_name=_("hệ thống gửi"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="inbound")
    document_id = models.CharField(_("DocumentId"), max_length=300, db_index=True)
    sender_code = models.CharField(_("mã cơ quan gửi"), max_length=13)
    sender_name = models.CharField(_("tên cơ quan gửi"), max_length=255, blank=True)
    recipient_code = models.CharField(_("mã cơ quan nhận"), max_length=13)
    business_kind = models.PositiveSmallIntegerField(_("loại nghiệp vụ"), default=0)
    code_text = models.CharField(_("số, ký hiệu"), max_length=120, blank=True)
    promulgation_date = models.DateField(_("ngày ban hành"), null=True, blank=True)
    receipt = models.ForeignKey("incoming.Receipt", verbose_name=_("văn bản đến"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="edxml_messages")
    answer_code = models.CharField(_("mã trạng thái đã trả lời"), max_length=2, blank=True)
    answer_meaning = models.CharField(_("ý nghĩa trạng thái đã trả lời"), max_length=30, blank=True)
    answer_reason = models.TextField(_("lý do"), blank=True)
    content = models.TextField(_("nội dung (Content)"), blank=True)
    steering_type = models.CharField(_("loại chỉ đạo (SteeringType)"), max_length=10, blank=True)
    steering_meaning = models.CharField(_("ý nghĩa loại chỉ đạo"), max_length=30, blank=True)
    response_for = models.JSONField(_("trả lời văn bản (ResponseFor)"), default=list, blank=True)
    answers_outgoing = models.ForeignKey(
        "outgoing.OutgoingDocument", verbose_name=_("trả lời văn bản đi"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="edxml_replies",
        help_text=_("Văn bản đi của cơ quan mà văn bản nhận được trả lời (theo ResponseFor)."),
    )
    sha256 = models.CharField(max_length=64)
    received_at = models.DateTimeField(_("thời điểm nhận"), auto_now_add=True)

    class Meta:
        verbose_name = _("gói tin nhận được")
        verbose_name_plural = _("gói tin nhận được")
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.document_id} ← {self.sender_code} (nghiệp vụ {self.business_kind})"


class InboundStatus(models.Model):
    """One status message received for a document we sent."""

    key = models.CharField(_("khóa"), max_length=400, unique=True)
    document_id = models.CharField(_("DocumentId"), max_length=300, db_index=True)
    sender_code = models.CharField(_("mã cơ quan gửi trạng thái"), max_length=13)
    status_code = models.CharField(_("mã trạng thái"), max_length=2)
    description = models.TextField(_("mô tả"), blank=True)
    at = models.DateTimeField(_("thời điểm"))
    delivery = models.ForeignKey("outgoing.Delivery", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="edxml_statuses")

    class Meta:
        verbose_name = _("trạng thái nhận được")
        verbose_name_plural = _("trạng thái nhận được")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.document_id}: {self.status_code} ({self.sender_code})"


class RefusedTraffic(models.Model):
    """Refused requests to the liên thông endpoint, counted per day, source address, endpoint and reason.

    Unauthenticated traffic (not signed by a configured peer) and rate-limited requests are counted here rather than
    written to the audit trail one by one: a flood fills a counter, not the hash chain. Traffic of a configured peer
    (received, applied, or refused after its signature verified) is audited.
    """

    day = models.DateField(_("ngày"))
    address = models.CharField(_("địa chỉ nguồn"), max_length=45, blank=True)  # "" when unknown
    endpoint = models.CharField(_("điểm nhận"), max_length=20)  # "message" or "status"
    reason = models.CharField(_("lý do"), max_length=60)  # a refusal code of ours, never the sender's text
    count = models.PositiveBigIntegerField(_("số lần"), default=0)
    last_at = models.DateTimeField(_("lần cuối"))

    class Meta:
        verbose_name = _("lượt từ chối liên thông")
        verbose_name_plural = _("lượt từ chối liên thông")
        ordering = ["-day", "-count"]
        constraints = [models.UniqueConstraint(fields=["day", "address", "endpoint", "reason"],
                                               name="interchange_refused_traffic_unique")]

    def __str__(self) -> str:
        return f"{self.day} {self.address or '?'} {self.endpoint} {self.reason}: {self.count}"
