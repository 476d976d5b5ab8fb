"""Quản trị liên thông: the peer systems and their certificates, the edXML code tables, and the journals."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.forms import ModelForm
from django.utils.translation import gettext_lazy as _

from .models import CodeRow, InboundMessage, InboundStatus, OutboundMessage, Peer, RefusedTraffic


def _formfield(field, **kwargs):
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class PeerForm(ModelForm):
    class Meta:
        model = Peer
        formfield_callback = _formfield
        fields = ["name", "base_url", "agency_codes", "certificates_pem", "enabled"]

    def clean_certificates_pem(self) -> str:
        from cryptography import x509

        text = self.cleaned_data["certificates_pem"].strip()
        try:
            certs = x509.load_pem_x509_certificates(text.encode())
        except ValueError as exc:
            raise ValidationError(_("Không đọc được chứng thư số: cần một hoặc nhiều chứng thư dạng PEM.")) from exc
        if not certs:
            raise ValidationError(_("Chưa có chứng thư số nào."))
        return text + "\n"


@admin.register(Peer)
class PeerAdmin(admin.ModelAdmin):
    form = PeerForm
    list_display = ["name", "base_url", "enabled"]
    list_filter = ["enabled"]
    search_fields = ["name", "agency_codes"]


@admin.register(CodeRow)
class CodeRowAdmin(admin.ModelAdmin):
    """Labels, local values, order and additional codes are the administrator's; the ``meaning`` of a row is what
    the program sends a status or steering type by (a row that loses it makes those messages fail in the outbound
    journal with the reason)."""

    list_display = ["table", "code", "name", "meaning", "local_value", "position"]
    list_filter = ["table", "meaning"]
    list_editable = ["name", "local_value", "position"]
    search_fields = ["code", "name", "local_value"]


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OutboundMessage)
class OutboundMessageAdmin(_ReadOnly):
    list_display = ["document_id", "recipient_code", "kind", "business_kind", "status_code", "state", "attempts",
                    "sent_at"]
    list_filter = ["kind", "state"]
    search_fields = ["document_id", "recipient_code"]
    exclude = ["payload"]
    actions = ["resend"]

    @admin.action(description=_("Gửi lại các gói tin gửi không thành công"))
    def resend(self, request, queryset) -> None:
        from . import services

        count = services.resend(list(queryset.values_list("pk", flat=True)))
        self.message_user(request, _("Đã đưa %(count)d gói tin vào hàng đợi gửi lại.") % {"count": count})


@admin.register(InboundMessage)
class InboundMessageAdmin(_ReadOnly):
    list_display = ["document_id", "sender_code", "recipient_code", "business_kind", "answer_code", "steering_type",
                    "answers_outgoing", "received_at"]
    list_filter = ["business_kind", "answer_code"]
    search_fields = ["document_id", "sender_code"]


@admin.register(InboundStatus)
class InboundStatusAdmin(_ReadOnly):
    list_display = ["document_id", "sender_code", "status_code", "at"]
    list_filter = ["status_code"]
    search_fields = ["document_id"]


@admin.register(RefusedTraffic)
class RefusedTrafficAdmin(_ReadOnly):
    """Refused and rate-limited requests to the endpoint, counted per day, address, endpoint and reason."""

    list_display = ["day", "address", "endpoint", "reason", "count", "last_at"]
    list_filter = ["endpoint", "reason", "day"]
    search_fields = ["address"]
