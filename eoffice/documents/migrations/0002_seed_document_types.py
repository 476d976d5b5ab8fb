"""Seed the document types of Decree 30/2020/NĐ-CP (art. 7, appendix III) and their abbreviations."""

from django.db import migrations

from eoffice.documents.catalog import TYPES


def seed(apps, schema_editor):
    DocumentType = apps.get_model("documents", "DocumentType")
    for order, (code, name, abbreviation, legal, paperless, copy) in enumerate(TYPES, start=1):
        DocumentType.objects.update_or_create(
            code=code,
            defaults={"name": name, "abbreviation": abbreviation, "is_legal_normative": legal,
                      "paperless": paperless, "is_copy": copy, "ordering": order},
        )


def unseed(apps, schema_editor):
    apps.get_model("documents", "DocumentType").objects.filter(code__in=[t[0] for t in TYPES]).delete()


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
