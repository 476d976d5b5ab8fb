"""Forms of the outgoing pages; they only collect input, the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _l

from eoffice.documents.models import Confidentiality, DocumentType, Urgency
from eoffice.orgs.models import Agency, Person, RoleCode, Unit
from eoffice.orgs.scoping import visible_to
from eoffice.outgoing import services
from eoffice.outgoing.models import Capacity


class DraftForm(forms.Form):
    document_type = forms.ModelChoiceField(DocumentType.objects.filter(is_active=True, is_copy=False),
                                           label=_l("Loại văn bản"), to_field_name="code")
    summary = forms.CharField(label=_l("Trích yếu"), widget=forms.Textarea(attrs={"rows": 2}))
    signer = forms.ModelChoiceField(Person.objects.none(), label=_l("Người ký"))
    signer_capacity = forms.ChoiceField(choices=Capacity.choices, required=False, label=_l("Thẩm quyền ký"))
    signer_position = forms.CharField(required=False, label=_l("Chức vụ in ở khối chữ ký"))
    urgency = forms.ChoiceField(choices=Urgency.choices, label=_l("Độ khẩn"))
    confidentiality = forms.ChoiceField(choices=Confidentiality.choices, label=_l("Độ mật"))
    recipient_agencies = forms.ModelMultipleChoiceField(Agency.objects.none(), required=False,
                                                        label=_l("Cơ quan nhận (trong hệ thống)"))
    recipient_units = forms.ModelMultipleChoiceField(Unit.objects.none(), required=False,
                                                     label=_l("Đơn vị nhận trong cơ quan"))
    recipient_people = forms.ModelMultipleChoiceField(Person.objects.none(), required=False,
                                                      label=_l("Cá nhân nhận (văn bản mật: chỉ người có tên)"))
    external = forms.CharField(required=False, label=_l("Cơ quan ngoài hệ thống (mỗi dòng: mã định danh; tên)"),
                               widget=forms.Textarea(attrs={"rows": 2}))
    consult_units = forms.ModelMultipleChoiceField(Unit.objects.none(), required=False,
                                                   label=_l("Lấy ý kiến các đơn vị"))
    deadline = forms.DateField(required=False, label=_l("Hạn trả lời"), widget=forms.DateInput(attrs={"type": "date"}))
    file = forms.FileField(label=_l("Tệp dự thảo (PDF hoặc DOCX)"))

    def __init__(self, person, *args, **kwargs):
        super().__init__(*args, **kwargs)
        people = visible_to(Person, person).filter(is_active=True)
        self.fields["signer"].queryset = people.filter(
            roles__code__in=[RoleCode.LEADER, RoleCode.DEPUTY_LEADER]).distinct()
        self.fields["recipient_units"].queryset = visible_to(Unit, person).filter(is_active=True)
        self.fields["consult_units"].queryset = visible_to(Unit, person).filter(is_active=True)
        self.fields["recipient_people"].queryset = people
        self.fields["recipient_agencies"].queryset = visible_to(Agency, person).filter(is_active=True).exclude(
            pk=person.agency_id)

    def external_recipients(self) -> list[services.ExternalRecipient]:
        found = []
        for line in self.cleaned_data.get("external", "").splitlines():
            if line.strip():
                code, _sep, name = line.partition(";")
                found.append(services.ExternalRecipient(code.strip(), name.strip() or code.strip()))
        return found
