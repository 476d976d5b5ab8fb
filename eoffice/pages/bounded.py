"""The base of every page form: text bounded and composed (NFC) before any view stores anything.

A text field its declaration left without ``max_length`` gets ``EOFFICE_MAX_SUMMARY`` (summaries) or
``EOFFICE_MAX_TEXT`` (reasons, comments, instructions, notes), the same bounds as the API's serializers
(:mod:`eoffice.api.fields`); every cleaned string is in NFC (:mod:`eoffice.core.text`).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator

from eoffice.core.params import ParameterError, parse_id
from eoffice.core.text import nfc

SUMMARY_NAMES = {"summary"}


class BoundedForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field, forms.CharField) and field.max_length is None:
                limit = settings.EOFFICE_MAX_SUMMARY if name in SUMMARY_NAMES else settings.EOFFICE_MAX_TEXT
                field.max_length = limit
                field.validators.append(MaxLengthValidator(limit))
                field.widget.attrs.setdefault("maxlength", str(limit))
            elif isinstance(field, forms.ModelMultipleChoiceField) and field.to_field_name is None:
                field.clean = _ids_first(field)  # Django filters pk__in with them: beyond 64 bits is a 500

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            cleaned[name] = nfc(value)
        return cleaned


def _ids_first(field):
    """``field.clean`` refusing, as an invalid choice, any id that is not one the database can hold."""
    original = field.clean

    def clean(value):
        if value not in field.empty_values:
            for item in value if isinstance(value, list | tuple) else [value]:
                try:
                    parse_id(item)
                except ParameterError:
                    raise ValidationError(field.error_messages["invalid_pk_value"], code="invalid_pk_value",
                                          params={"pk": str(item)[:20]}) from None
        return original(value)

    return clean
