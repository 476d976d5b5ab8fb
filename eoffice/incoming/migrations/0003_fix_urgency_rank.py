"""Recompute ``WorkItem.urgency_rank``: earlier code ranked the levels backwards (ordinary first)."""

from django.db import migrations
from django.db.models import Case, Value, When

# Frozen copy of eoffice.documents.models.URGENCY_RANK at the time of this migration.
RANK = {"thuong": 0, "khan": 1, "thuong_khan": 2, "hoa_toc": 3, "hoa_toc_hen_gio": 4}


def forwards(apps, schema_editor):
    WorkItem = apps.get_model("incoming", "WorkItem")
    WorkItem.objects.update(urgency_rank=Case(*[When(urgency=k, then=Value(v)) for k, v in RANK.items()],
                                              default=Value(0)))


class Migration(migrations.Migration):
    dependencies = [("incoming", "0002_duplicate_lookup_index")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
