from django.apps import apps
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from eoffice.orgs.scoping import can_see, visible_to

from .models import AuditRecord

HIDDEN = _("(văn bản mật: chỉ người có tên trên văn bản được xem)")


def _hidden_for(request, rec: AuditRecord) -> bool:
    """Whether ``rec`` is about a secret document the viewer may not see (asked once per object and request)."""
    cache = request.__dict__.setdefault("_audit_secret_cache", {})
    key = (rec.object_type, rec.object_id)
    if key not in cache:
        obj = None
        if rec.object_type and rec.object_id:
            try:
                model = apps.get_model(rec.object_type)
            except (LookupError, ValueError):
                model = None
            if model is not None:
                obj = model._default_manager.filter(pk=rec.object_id).first()
        cache[key] = bool(obj is not None and getattr(obj, "is_secret", False) and not can_see(obj, request.user))
    return cache[key]


def _columns(request):
    """The object and data columns for this request (the same callables for the list and the record's page)."""
    cache = request.__dict__.setdefault("_audit_columns", [])
    if not cache:
        def object_shown(rec):
            return HIDDEN if _hidden_for(request, rec) else rec.object_repr

        def data_shown(rec):
            return HIDDEN if _hidden_for(request, rec) else rec.data

        object_shown.short_description = _("đối tượng")
        data_shown.short_description = _("dữ liệu")
        cache.extend([object_shown, data_shown])
    return cache


@admin.register(AuditRecord)
class AuditRecordAdmin(admin.ModelAdmin):
    """Read-only: the trail is append-only, the admin only shows it. Of a record about a secret document the
    viewer may not see (``visible_to``), the object's name and the data are not shown: who did what, when."""

    list_filter = ("action",)
    search_fields = ("actor_repr", "action", "object_id")  # not object_repr: older records may name a secret
    date_hierarchy = "at"

    def get_queryset(self, request):
        return visible_to(super().get_queryset(request), request.user).select_related("agency")

    def get_list_display(self, request):
        return ("at", "actor_repr", "action", _columns(request)[0], "agency", "ip")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in AuditRecord._meta.fields if f.name not in ("object_repr", "data")] + list(
            _columns(request))

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
