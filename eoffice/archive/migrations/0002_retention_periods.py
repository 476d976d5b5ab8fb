from django.db import migrations

PERIODS = (
    ("vinh-vien", "Vĩnh viễn", None),
    ("70-nam", "70 năm", 70),
    ("50-nam", "50 năm", 50),
    ("20-nam", "20 năm", 20),
    ("10-nam", "10 năm", 10),
    ("5-nam", "5 năm", 5),
)


def seed(apps, schema_editor):
    RetentionPeriod = apps.get_model("archive", "RetentionPeriod")
    for order, (code, name, years) in enumerate(PERIODS, start=1):
        RetentionPeriod.objects.get_or_create(code=code, defaults={"name": name, "years": years, "ordering": order})


class Migration(migrations.Migration):
    dependencies = [("archive", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
