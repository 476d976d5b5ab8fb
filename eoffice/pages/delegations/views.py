"""Ủy quyền (delegation): a person delegates their work for a period, a leader of the agency may do it for
someone; both through the actions of :mod:`eoffice.work.delegations` (the admin and the API call the same), which
check who may, audit and notify."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from eoffice.core.errors import DomainError
from eoffice.orgs.models import Delegation, Person, RoleCode
from eoffice.orgs.policy import may_revoke
from eoffice.orgs.scoping import visible_to
from eoffice.work import delegations

LOCAL_INPUT = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class DelegationForm(forms.Form):
    delegator = forms.ModelChoiceField(queryset=Person.objects.none(), label=gettext_lazy("Người ủy quyền"))
    delegate = forms.ModelChoiceField(queryset=Person.objects.none(), label=gettext_lazy("Người được ủy quyền"))
    starts_at = forms.DateTimeField(label=gettext_lazy("Từ"), input_formats=LOCAL_INPUT,
                                    widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(label=gettext_lazy("Đến"), input_formats=LOCAL_INPUT,
                                  widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    reason = forms.CharField(label=gettext_lazy("Lý do"), required=False, max_length=255)

    def __init__(self, *args, person: Person, **kwargs):
        super().__init__(*args, **kwargs)
        people = visible_to(Person, person).filter(is_active=True).order_by("full_name", "username")
        # One's own delegation; a leader of the agency may also make another person's (eoffice.orgs.policy).
        self.fields["delegator"].queryset = people if person.has_role(RoleCode.LEADER) else people.filter(
            pk=person.pk)
        self.fields["delegator"].initial = person.pk
        self.fields["delegate"].queryset = people


@login_required
def index(request: HttpRequest) -> HttpResponse:
    person = request.user
    form = DelegationForm(request.POST or None, person=person)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                delegations.create_delegation(person, delegator=data["delegator"], delegate=data["delegate"],
                                              starts_at=data["starts_at"], ends_at=data["ends_at"],
                                              reason=data["reason"], request=request)
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status_code
            else:
                messages.success(request, _("Đã lập ủy quyền."))
                return redirect("delegations:index")
        else:
            status = 400
    mine = visible_to(Delegation, person).filter(Q(delegator=person) | Q(delegate=person))
    rows = [(d, may_revoke(person, d) and d.revoked_at is None)
            for d in mine.select_related("delegator", "delegate").order_by("-starts_at")[:200]]
    return render(request, "delegations/index.html", {"form": form, "rows": rows}, status=status)


@login_required
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    delegation = get_object_or_404(visible_to(Delegation, request.user), pk=pk)
    try:
        delegations.revoke_delegation(request.user, delegation, request=request)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã thu hồi ủy quyền."))
    return redirect("delegations:index")
