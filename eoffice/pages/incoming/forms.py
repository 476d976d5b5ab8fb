"""Forms of the incoming pages; they only collect input, the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from eoffice.documents.models import Channel, Confidentiality, DocumentType, Urgency
from eoffice.orgs.models import Person, RoleCode, Unit
from eoffice.pages.bounded import BoundedForm

DATE = forms.DateInput(attrs={"type": "date"})


class RegisterForm(BoundedForm):
    files = forms.FileField(label=_("Tệp văn bản (PDF)"), widget=forms.ClearableFileInput(attrs={"accept": ".pdf"}))
    channel = forms.ChoiceField(label=_("Phương thức nhận"), choices=[
        (Channel.PAPER, Channel.PAPER.label), (Channel.EMAIL, Channel.EMAIL.label)])
    scanned_paper = forms.BooleanField(label=_("Bản giấy đã quét (tạo bản sao y có chữ ký số của cơ quan)"),
                                       required=False)
    issuer_name = forms.CharField(label=_("Cơ quan ban hành"), max_length=255)
    number_notation = forms.CharField(label=_("Số, ký hiệu"), max_length=100)
    issued_on = forms.DateField(label=_("Ngày ban hành"), widget=DATE)
    document_type = forms.ModelChoiceField(label=_("Loại văn bản"), queryset=DocumentType.objects.filter(
        is_active=True), required=False)
    summary = forms.CharField(label=_("Trích yếu"), widget=forms.Textarea(attrs={"rows": 3}))
    signer_name = forms.CharField(label=_("Người ký"), max_length=150, required=False)
    signer_position = forms.CharField(label=_("Chức vụ người ký"), max_length=150, required=False)
    urgency = forms.ChoiceField(label=_("Độ khẩn"), choices=Urgency.choices, initial=Urgency.NORMAL)
    confidentiality = forms.ChoiceField(label=_("Độ mật"), choices=Confidentiality.choices,
                                        initial=Confidentiality.NORMAL)
    deadline = forms.DateField(label=_("Hạn xử lý"), widget=DATE, required=False)
    leader = forms.ModelChoiceField(label=_("Trình lãnh đạo"), queryset=Person.objects.none())
    proposer = forms.ModelChoiceField(label=_("Chánh văn phòng đề xuất trước (không bắt buộc)"),
                                      queryset=Person.objects.none(), required=False)
    notes = forms.CharField(label=_("Ghi chú"), required=False)

    def __init__(self, *args, agency=None, **kwargs):
        super().__init__(*args, **kwargs)
        people = Person.objects.filter(agency=agency, is_active=True)
        self.fields["leader"].queryset = people.filter(
            roles__code__in=[RoleCode.LEADER, RoleCode.DEPUTY_LEADER]).distinct()
        self.fields["proposer"].queryset = people.filter(roles__code=RoleCode.UNIT_HEAD).distinct()


class ReceiptRegisterForm(BoundedForm):
    leader = forms.ModelChoiceField(label=_("Trình lãnh đạo"), queryset=Person.objects.none())
    proposer = forms.ModelChoiceField(label=_("Chánh văn phòng đề xuất trước (không bắt buộc)"),
                                      queryset=Person.objects.none(), required=False)

    def __init__(self, *args, agency=None, **kwargs):
        super().__init__(*args, **kwargs)
        people = Person.objects.filter(agency=agency, is_active=True)
        self.fields["leader"].queryset = people.filter(
            roles__code__in=[RoleCode.LEADER, RoleCode.DEPUTY_LEADER]).distinct()
        self.fields["proposer"].queryset = people.filter(roles__code=RoleCode.UNIT_HEAD).distinct()


class ReasonForm(BoundedForm):
    reason = forms.CharField(label=_("Lý do trả lại"), widget=forms.Textarea(attrs={"rows": 2}))


class InstructForm(BoundedForm):
    text = forms.CharField(label=_("Ý kiến chỉ đạo"), widget=forms.Textarea(attrs={"rows": 3}))
    lead_unit = forms.ModelChoiceField(label=_("Đơn vị xử lý chính"), queryset=Unit.objects.none())
    supporting_units = forms.ModelMultipleChoiceField(label=_("Đơn vị phối hợp"), queryset=Unit.objects.none(),
                                                      required=False)
    info_units = forms.ModelMultipleChoiceField(label=_("Đơn vị để biết"), queryset=Unit.objects.none(),
                                                required=False)
    info_people = forms.ModelMultipleChoiceField(label=_("Người nhận để biết"), queryset=Person.objects.none(),
                                                 required=False)
    deadline = forms.DateField(label=_("Hạn xử lý"), widget=DATE, required=False)

    def __init__(self, *args, agency=None, **kwargs):
        super().__init__(*args, **kwargs)
        units = Unit.objects.filter(agency=agency, is_active=True)
        for name in ("lead_unit", "supporting_units", "info_units"):
            self.fields[name].queryset = units
        self.fields["info_people"].queryset = Person.objects.filter(agency=agency, is_active=True)

    def clean(self):
        data = super().clean()
        lead = data.get("lead_unit")
        if lead is not None and lead in (data.get("supporting_units") or []):
            self.add_error("supporting_units", _("Đơn vị xử lý chính không đồng thời là đơn vị phối hợp."))
        return data


class ProposeForm(BoundedForm):
    text = forms.CharField(label=_("Nội dung đề xuất"), widget=forms.Textarea(attrs={"rows": 3}))
    lead_unit = forms.ModelChoiceField(label=_("Đề xuất đơn vị xử lý chính"), queryset=Unit.objects.none(),
                                       required=False)

    def __init__(self, *args, agency=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_unit"].queryset = Unit.objects.filter(agency=agency, is_active=True)


class AssignForm(BoundedForm):
    main_handler = forms.ModelChoiceField(label=_("Chuyên viên xử lý chính"), queryset=Person.objects.none())
    co_handlers = forms.ModelMultipleChoiceField(label=_("Cùng xử lý"), queryset=Person.objects.none(),
                                                 required=False)
    note = forms.CharField(label=_("Ghi chú giao việc"), required=False)

    def __init__(self, *args, agency=None, unit=None, **kwargs):
        super().__init__(*args, **kwargs)
        people = Person.objects.filter(agency=agency, is_active=True)
        if unit is not None:
            people = people.filter(unit=unit)
        self.fields["main_handler"].queryset = people
        self.fields["co_handlers"].queryset = people


class HandleForm(BoundedForm):
    text = forms.CharField(label=_("Kết quả xử lý"), widget=forms.Textarea(attrs={"rows": 3}))
    draft_reply = forms.BooleanField(label=_("Dự thảo văn bản trả lời"), required=False)
    case_file = forms.ModelChoiceField(label=_("Đưa vào hồ sơ"), queryset=None, required=False,
                                       empty_label=_("— Không đưa vào hồ sơ —"))

    def __init__(self, *args, case_files=None, **kwargs):
        """``case_files``: the open files the person may file the document into (none: no filing field)."""
        super().__init__(*args, **kwargs)
        if case_files is None:
            del self.fields["case_file"]
        else:
            self.fields["case_file"].queryset = case_files
            self.fields["case_file"].label_from_instance = lambda f: f"{f.year} · {f.code} — {f.title}"


class InputForm(BoundedForm):
    text = forms.CharField(label=_("Ý kiến"), widget=forms.Textarea(attrs={"rows": 3}))


class ReadForm(BoundedForm):
    """Marking a document read for information needs no input."""


class SendBackForm(BoundedForm):
    reason = forms.CharField(label=_("Lý do trả lại văn thư"), widget=forms.Textarea(attrs={"rows": 2}))


class ReassignForm(BoundedForm):
    to = forms.ModelChoiceField(label=_("Chuyển cho"), queryset=Person.objects.none())
    reason = forms.CharField(label=_("Lý do"), required=False)

    def __init__(self, *args, agency=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = Person.objects.filter(agency=agency, is_active=True)


class ExtendForm(BoundedForm):
    new_deadline = forms.DateField(label=_("Hạn xử lý mới"), widget=DATE)
    reason = forms.CharField(label=_("Lý do gia hạn"))


class RegisterFilterForm(BoundedForm):
    """Filters of the incoming register (list and print-outs): the series, arrival dates and the rest.

    The field names are the query parameters the list page and the PDF/XLSX links share."""

    nam = forms.IntegerField(label=_("Năm"), min_value=1901, max_value=2999, required=False)
    so = forms.ChoiceField(label=_("Sổ"), required=False, choices=[
        ("den", _("Sổ văn bản đến")), ("den-mat", _("Sổ văn bản mật đến"))])
    # Arrival date (ngày đến), both ends included.
    tu_ngay = forms.DateField(label=_("Từ ngày"), widget=DATE, required=False)
    den_ngay = forms.DateField(label=_("Đến ngày"), widget=DATE, required=False)
    do_khan = forms.ChoiceField(label=_("Độ khẩn"), required=False,
                                choices=[("", _("Tất cả")), *Urgency.choices])
    kenh = forms.ChoiceField(label=_("Phương thức nhận"), required=False,
                             choices=[("", _("Tất cả")), *Channel.choices])
    trang_thai = forms.ChoiceField(label=_("Tình trạng"), required=False, choices=[("", _("Tất cả"))])
    q = forms.CharField(label=_("Tìm"), required=False, max_length=200)

    def __init__(self, *args, secret_register: bool = False, **kwargs):
        from eoffice.incoming.models import DocumentStatus

        super().__init__(*args, **kwargs)
        self.fields["trang_thai"].choices = [("", _("Tất cả")), *DocumentStatus.choices]
        if not secret_register:  # the secret register is offered only to those who may see secret documents
            self.fields["so"].choices = self.fields["so"].choices[:1]

    def clean(self):
        data = super().clean()
        start, end = data.get("tu_ngay"), data.get("den_ngay")
        if start and end and start > end:
            self.add_error("den_ngay", _("Ngày kết thúc không được trước ngày bắt đầu."))
        return data
