"""Delegations (ủy quyền) in the admin, made and revoked only through their actions (:mod:`eoffice.work.delegations`).

An agency administrator sees the delegations of their agency but may make one only as the actions allow: the
delegator's own act or a leader's (so an administrator cannot make the director's delegation to himself). Nothing
is edited or deleted in place: a delegation is revoked (an admin action), and every step is audited and told to
both people.
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from eoffice.core.errors import DomainError
from eoffice.orgs.admin import OwnAgencyChoicesMixin
from eoffice.orgs.models import Delegation
from eoffice.orgs.policy import may_delegate
from eoffice.orgs.scoping import visible_to

from .delegations import create_delegation, revoke_delegation


@admin.register(Delegation)
class DelegationAdmin(OwnAgencyChoicesMixin, admin.ModelAdmin):
    list_display = ("delegator", "delegate", "starts_at", "ends_at", "reason", "revoked_at")
    list_select_related = ("delegator", "delegate")
    search_fields = ("delegator__full_name", "delegate__full_name", "reason")
    date_hierarchy = "starts_at"
    fields = ("delegator", "delegate", "starts_at", "ends_at", "reason")
    actions = ["revoke_selected"]

    def get_queryset(self, request):
        return visible_to(super().get_queryset(request), request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        user = request.user

        class DelegationForm(form):
            def clean(self):
                data = super().clean()
                delegator = data.get("delegator")
                if delegator is not None and not may_delegate(user, delegator):
                    raise ValidationError(_("Chỉ người ủy quyền hoặc lãnh đạo cơ quan mới được lập ủy quyền."))
                return data

        return DelegationForm

    def save_model(self, request, obj, form, change):
        if change:  # never reached: nothing is changed in place
            raise ValidationError(_("Ủy quyền không sửa được; hãy thu hồi và lập ủy quyền mới."))
        try:
            made = create_delegation(request.user, delegator=obj.delegator, delegate=obj.delegate,
                                     starts_at=obj.starts_at, ends_at=obj.ends_at, reason=obj.reason,
                                     request=request)
        except DomainError as exc:  # checked in the form already; a race (someone deactivated) lands here
            raise ValidationError(exc.message) from exc
        obj.pk, obj.created_at = made.pk, made.created_at

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Thu hồi các ủy quyền đã chọn"))
    def revoke_selected(self, request, queryset):
        done = 0
        for delegation in queryset.filter(revoked_at__isnull=True):
            try:
                revoke_delegation(request.user, delegation, request=request)
            except DomainError as exc:
                self.message_user(request, f"{delegation}: {exc.message}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, _("Đã thu hồi %(n)s ủy quyền.") % {"n": done}, messages.SUCCESS)
