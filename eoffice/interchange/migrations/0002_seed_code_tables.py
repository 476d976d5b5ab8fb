"""Seed the edXML code tables from the packaged defaults so the administrator sees (and can adjust) every code."""

from django.db import migrations

URGENCY_BY_PRIORITY = {"0": "thuong", "1": "khan", "2": "thuong_khan", "3": "hoa_toc", "4": "hoa_toc_hen_gio"}


def seed(apps, schema_editor):
    from eoffice.interchange.edxml.codes import TABLE_NAMES, load_code_table

    CodeRow = apps.get_model("interchange", "CodeRow")
    for table in TABLE_NAMES:
        if CodeRow.objects.filter(table=table).exists():
            continue
        for position, entry in enumerate(load_code_table(table)):
            local = URGENCY_BY_PRIORITY.get(entry.code, "") if table == "priorities" else ""
            CodeRow.objects.create(table=table, code=entry.code, name=entry.name, local_value=local,
                                   position=position)


def unseed(apps, schema_editor):
    apps.get_model("interchange", "CodeRow").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("interchange", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
