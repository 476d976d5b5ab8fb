from django.contrib import admin

from eoffice.orgs.scoping import visible_to

from .models import AuditRecord


@admin.register(AuditRecord)
class AuditRecordAdmin(admin.ModelAdmin):
    """Read-only: the trail is append-only, the admin only shows it."""

    list_display = ("at", "actor_repr", "action", "object_repr", "agency", "ip")
    list_filter = ("action",)
    search_fields = ("actor_repr", "action", "object_repr", "object_id")
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditRecord._meta.fields]

    def get_queryset(self, request):
        return visible_to(super().get_queryset(request), request.user).select_related("agency")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
