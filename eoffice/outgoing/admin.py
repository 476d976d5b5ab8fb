"""Administration of outgoing dispatches: read-mostly (every change goes through the services and the flow)."""

from django.contrib import admin

from eoffice.orgs.scoping import visible_to

from .models import Delivery, OutgoingDocument


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    fields = ["kind", "agency", "external_code", "external_name", "status", "reason", "sent_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(OutgoingDocument)
class OutgoingDocumentAdmin(admin.ModelAdmin):
    list_display = ["notation", "summary", "agency", "status", "confidentiality", "issued_at"]
    list_filter = ["status", "confidentiality", "year", "series_code"]
    search_fields = ["notation", "summary"]
    inlines = [DeliveryInline]

    def get_queryset(self, request):
        # The admin says what the pages say: only the documents visible_to shows (secret ones to those named).
        return visible_to(super().get_queryset(request), request.user)

    def get_readonly_fields(self, request, obj=None):
        # Numbers, files and states are the services' business; an administrator may only correct notes.
        return [f.name for f in self.model._meta.fields if f.name not in ("notes", "copies")] + [
            "recipient_units", "recipient_people", "consult_units", "readers"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
