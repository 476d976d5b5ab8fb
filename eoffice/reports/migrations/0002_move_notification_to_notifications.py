"""The Notification model now belongs to ``eoffice.notifications`` (its ``0001_initial``): remove it from this
app's state only; the table ``reports_notification`` stays, owned by the new app."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0001_initial"),
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Notification")],
            database_operations=[],
        ),
    ]
