"""The organisation model in the Django admin, in Vietnamese.

Superusers (the deployment's operators) manage everything. An agency's administrators (role ``admin``, staff) manage
the units and people of their own agency only (delegations: ``eoffice/work/admin.py``; never their own roles):
every admin queryset goes through ``visible_to`` and choices are limited to their agency. Changes are written to
the audit trail.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from eoffice.audit.services import record

from .models import Agency, Person, Position, Role, Unit
from .scoping import visible_to

admin.site.site_header = _("eoffice — Quản trị hệ thống")
admin.site.site_title = _("Quản trị eoffice")
admin.site.index_title = _("Quản trị")


class AuditedAdmin(admin.ModelAdmin):
    """Every add, change and delete made in the admin is also an audit record."""

    def log_addition(self, request, obj, message):
        record(f"admin.{obj._meta.model_name}.add", actor=request.user, obj=obj, request=request)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        record(
            f"admin.{obj._meta.model_name}.change",
            actor=request.user,
            obj=obj,
            request=request,
            data={"message": str(message)[:2000]},
        )
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            record(f"admin.{obj._meta.model_name}.delete", actor=request.user, obj=obj, request=request)
        return super().log_deletions(request, queryset)

    def get_queryset(self, request):
        return visible_to(super().get_queryset(request), request.user)


class SuperuserEditsAdmin(AuditedAdmin):
    """Shared reference data (agencies, positions): visible to agency admins, changed by operators only."""

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff


class UnitInline(admin.TabularInline):
    model = Unit
    extra = 0
    fields = ("name", "abbreviation", "is_active")


@admin.register(Agency)
class AgencyAdmin(SuperuserEditsAdmin):
    list_display = ("code", "name", "abbreviation", "kind", "parent", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name", "abbreviation")
    list_select_related = ("parent",)
    autocomplete_fields = ("parent",)
    inlines = [UnitInline]


@admin.register(Position)
class PositionAdmin(SuperuserEditsAdmin):
    list_display = ("name", "rank")
    search_fields = ("name",)


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    """Roles are fixed by the product: shown for reference, never edited."""

    list_display = ("code", "name")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff


class OwnAgencyChoicesMixin:
    """Limit foreign-key choices to the administrator's agency."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        user = request.user
        if not user.is_superuser:
            if db_field.related_model is Agency:
                kwargs["queryset"] = Agency.objects.filter(pk=user.agency_id)
            elif db_field.related_model in (Unit, Person):
                kwargs["queryset"] = visible_to(db_field.related_model.objects.all(), user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Unit)
class UnitAdmin(OwnAgencyChoicesMixin, AuditedAdmin):
    list_display = ("name", "abbreviation", "agency", "is_active")
    list_filter = ("is_active", "agency__kind")
    search_fields = ("name", "abbreviation", "agency__name")
    list_select_related = ("agency",)


@admin.register(Person)
class PersonAdmin(OwnAgencyChoicesMixin, AuditedAdmin, UserAdmin):
    list_display = ("username", "full_name", "agency", "unit", "position", "roles_display", "is_active")
    list_filter = ("is_active", "roles", "agency__kind")
    search_fields = ("username", "full_name", "email", "agency__name")
    list_select_related = ("agency", "unit", "position")
    filter_horizontal = ("roles", "groups", "user_permissions")
    ordering = ("agency__code", "full_name")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Thông tin cán bộ"), {"fields": ("full_name", "email", "phone", "agency", "unit", "position", "roles")}),
        (_("Quyền hạn"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Thời điểm"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "full_name", "agency", "unit", "position", "roles", "password1", "password2"),
            },
        ),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("roles")

    @admin.display(description=_("Vai trò"))
    def roles_display(self, obj):
        return ", ".join(role.name for role in obj.roles.all())

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # An agency administrator cannot make anyone an operator of the whole deployment.
            readonly += ["is_superuser", "user_permissions", "groups"]
            if obj is not None and obj.pk == request.user.pk:
                # Nor give themself a role (a leader's role would let them make the director's delegation to
                # themself, docs/DOMAIN.md "Delegation"): another administrator or the operator does that.
                readonly += ["roles", "agency", "unit", "is_staff", "is_active"]
        return readonly


# Delegations are made and revoked only through their actions (eoffice/work/delegations.py): their admin is
# eoffice/work/admin.py.
