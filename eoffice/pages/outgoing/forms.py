"""Forms of the outgoing pages; they only collect input, the services decide.

The draft form offers what :mod:`eoffice.outgoing.policy` lets the drafter pick and hands the raw ids to
:meth:`eoffice.outgoing.services.DraftInput.from_ids`, the same resolution the API uses: the page and the API
accept and refuse the same input, with the same error code.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _l

from eoffice.core.params import ParameterError, parse_ids
from eoffice.documents.models import Confidentiality, Urgency
from eoffice.outgoing import policy, services
from eoffice.outgoing.models import Capacity
from eoffice.pages.bounded import BoundedForm


class _PickOne(forms.ModelChoiceField):
    """A select rendered from the policy's choices whose value is the raw key: the policy resolves it
    (:meth:`DraftForm.to_input`), so a value outside the choices gets the same coded error as through the API."""

    def clean(self, value):
        value = self.prepare_value(value)
        if value in self.empty_values:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return None
        return str(value)


class _PickMany(forms.ModelMultipleChoiceField):
    """Several ids from the policy's choices, resolved by the policy (see :class:`_PickOne`)."""

    def clean(self, value):
        try:
            return parse_ids([str(v) for v in (value or [])])
        except (TypeError, ValueError, ParameterError) as exc:
            raise ValidationError(self.error_messages["invalid_pk_value"] % {"pk": value},
                                  code="invalid_pk_value") from exc


class _NamedPeople(_PickMany):
    def label_from_instance(self, obj):
        return f"{obj.get_full_name()} ({obj.agency.abbreviation or obj.agency.name})" if obj.agency_id else str(obj)


class DraftForm(BoundedForm):
    document_type = _PickOne(policy.document_type_choices(), label=_l("Loại văn bản"), to_field_name="code")
    summary = forms.CharField(label=_l("Trích yếu"), widget=forms.Textarea(attrs={"rows": 2}))
    signer = _PickOne(None, label=_l("Người ký"))
    signer_capacity = forms.ChoiceField(choices=Capacity.choices, required=False, label=_l("Thẩm quyền ký"))
    signer_position = forms.CharField(required=False, label=_l("Chức vụ in ở khối chữ ký"))
    urgency = forms.ChoiceField(choices=Urgency.choices, label=_l("Độ khẩn"))
    confidentiality = forms.ChoiceField(choices=Confidentiality.choices, label=_l("Độ mật"))
    recipient_agencies = _PickMany(None, required=False, label=_l("Cơ quan nhận (trong hệ thống)"))
    recipient_units = _PickMany(None, required=False, label=_l("Đơn vị nhận trong cơ quan"))
    recipient_people = _NamedPeople(None, required=False, label=_l(
        "Cá nhân nhận (văn bản thường: người trong cơ quan; văn bản mật: chỉ người có tên, có thể ở cơ quan khác)"))
    external = forms.CharField(required=False, label=_l("Cơ quan ngoài hệ thống (mỗi dòng: mã định danh; tên)"),
                               widget=forms.Textarea(attrs={"rows": 2}))
    consult_units = _PickMany(None, required=False, label=_l("Lấy ý kiến các đơn vị"))
    deadline = forms.DateField(required=False, label=_l("Hạn trả lời"), widget=forms.DateInput(attrs={"type": "date"}))
    file = forms.FileField(label=_l("Tệp dự thảo (PDF hoặc DOCX)"))

    def __init__(self, person, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.person = person
        self.fields["signer"].queryset = policy.signer_choices(person)
        self.fields["recipient_units"].queryset = policy.recipient_unit_choices(person)
        self.fields["consult_units"].queryset = policy.consult_unit_choices(person)
        self.fields["recipient_people"].queryset = policy.nameable_people(person)
        self.fields["recipient_agencies"].queryset = policy.recipient_agency_choices(person)

    def external_recipients(self) -> list[services.ExternalRecipient]:
        found = []
        for line in self.cleaned_data.get("external", "").splitlines():
            if line.strip():
                code, _sep, name = line.partition(";")
                found.append(services.ExternalRecipient(code.strip(), name.strip() or code.strip()))
        return found

    def to_input(self) -> services.DraftInput:
        """The draft this (valid) form describes; raises the policy's DomainError for a pick it refuses."""
        data = self.cleaned_data
        upload = data["file"]
        return services.DraftInput.from_ids(
            self.person, document_type=data["document_type"], summary=data["summary"], signer=data["signer"],
            signer_capacity=data["signer_capacity"] or "", signer_position=data["signer_position"],
            urgency=data["urgency"], confidentiality=data["confidentiality"],
            recipient_units=data["recipient_units"], recipient_people=data["recipient_people"],
            recipient_agencies=data["recipient_agencies"], external_recipients=self.external_recipients(),
            consult_units=data["consult_units"], deadline=data["deadline"], file=(upload.name, upload.read()),
        )
