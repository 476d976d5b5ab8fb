"""Bounds on every value a serializer reads, derived once: no request stores more than its column holds.

:class:`BoundedFieldsMixin` (and :class:`InputSerializer`, the base of every plain input serializer) walks the
serializer's writable fields when they are built and bounds what the declaration left open:

- a text field gets the ``max_length`` of the model field of the same name (``Meta.bound_models``, or the
  ModelSerializer's model), else ``EOFFICE_MAX_SUMMARY`` for summaries, else ``EOFFICE_MAX_TEXT`` (reasons,
  comments, instructions): validated before the view stores any file;
- an integer field (ids, alone or in lists) is bounded to what the database holds (64 bits, :data:`MAX_ID`);
- a list gets at most :data:`~eoffice.core.params.MAX_IDS` items.

A field that needs more (a base64 signature, a certificate chain) declares its own ``max_length``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from rest_framework import serializers

from eoffice.core.params import MAX_ID, MAX_IDS

SUMMARY_NAMES = {"summary"}


def _model_max_length(models, name: str) -> int | None:
    for model in models:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if getattr(field, "max_length", None):
            return field.max_length
    return None


def text_limit(name: str, models=()) -> int:
    """The length a text input named ``name`` may have: its column's, or the project's free-text bound."""
    return (_model_max_length(models, name)
            or (settings.EOFFICE_MAX_SUMMARY if name in SUMMARY_NAMES else settings.EOFFICE_MAX_TEXT))


def bound_field(field, name: str, models=()) -> None:
    """Give ``field`` (writable) the bounds its declaration left open; see the module docstring."""
    if getattr(field, "read_only", False):
        return
    if isinstance(field, serializers.ListField):
        if field.max_length is None:
            field.max_length = MAX_IDS
            field.validators.append(MaxLengthValidator(
                MAX_IDS, message=field.error_messages["max_length"].format(max_length=MAX_IDS)))
        bound_field(field.child, name, models)
    elif isinstance(field, serializers.CharField) and not isinstance(field, serializers.ChoiceField):
        if field.max_length is None:
            limit = text_limit(field.source or name, models)
            field.max_length = limit
            field.validators.append(MaxLengthValidator(
                limit, message=field.error_messages["max_length"].format(max_length=limit)))
    elif isinstance(field, serializers.IntegerField):
        if field.max_value is None:
            field.max_value = MAX_ID
            field.validators.append(MaxValueValidator(
                MAX_ID, message=field.error_messages["max_value"].format(max_value=MAX_ID)))
        if field.min_value is None:
            field.min_value = -MAX_ID
            field.validators.append(MinValueValidator(
                -MAX_ID, message=field.error_messages["min_value"].format(min_value=-MAX_ID)))


class BoundedFieldsMixin:
    """Bounds every writable field of a serializer (see the module docstring)."""

    def get_fields(self):
        fields = super().get_fields()
        meta = getattr(self, "Meta", None)
        models = tuple(getattr(meta, "bound_models", ()))
        if getattr(meta, "model", None) is not None:
            models = (meta.model, *models)
        for name, field in fields.items():
            bound_field(field, name, models)
        return fields


class InputSerializer(BoundedFieldsMixin, serializers.Serializer):
    """The base of every plain serializer that reads a request: lengths and ids bounded."""
