"""``eoffice.core`` as a Django app: only to connect the NFC normaliser of stored text (no models)."""

from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import pre_save

#: apps whose stored text is evidence and must stay byte for byte as it came (hash chain, signed messages)
VERBATIM_APPS = frozenset({"audit", "interchange"})


def compose_text_fields(sender, instance, raw=False, **kwargs) -> None:
    """Every CharField/TextField of the project's models is stored in NFC (see :mod:`eoffice.core.text`)."""
    from django.db import models

    from eoffice.core.text import nfc

    meta = sender._meta
    if raw or not sender.__module__.startswith("eoffice.") or meta.app_label in VERBATIM_APPS:
        return
    for field in meta.concrete_fields:
        if isinstance(field, models.CharField | models.TextField):
            value = getattr(instance, field.attname, None)
            if isinstance(value, str) and not value.isascii():
                setattr(instance, field.attname, nfc(value))


class CoreConfig(AppConfig):
    name = "eoffice.core"
    label = "eoffice_core"

    def ready(self) -> None:
        pre_save.connect(compose_text_fields, dispatch_uid="eoffice.core.compose_text_fields")
