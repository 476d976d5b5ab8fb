from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eoffice.archive.models import RetentionPeriod
from eoffice.archive.services import manages_all_files
from eoffice.orgs.models import Unit
from eoffice.pages.bounded import BoundedForm


class OpenFileForm(BoundedForm):
    unit = forms.ModelChoiceField(label=_("Đơn vị"), queryset=Unit.objects.none())
    year = forms.IntegerField(label=_("Năm"), min_value=1900, max_value=2200)
    code = forms.CharField(label=_("Số, ký hiệu hồ sơ"), max_length=50)
    title = forms.CharField(label=_("Tiêu đề hồ sơ"), max_length=500)
    retention = forms.ModelChoiceField(label=_("Thời hạn bảo quản"), queryset=RetentionPeriod.objects.all())

    def __init__(self, *args, person=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year
        if person is not None and person.agency_id:
            units = Unit.objects.filter(agency_id=person.agency_id)
            if not manages_all_files(person):
                units = units.filter(pk=person.unit_id)
            self.fields["unit"].queryset = units
            self.fields["unit"].initial = person.unit_id
