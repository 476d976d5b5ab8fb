"""The Notification model moves here from ``eoffice.reports`` without touching the database.

State only: the model keeps its table ``reports_notification`` (``Meta.db_table``), which ``reports.0001_initial``
created; ``reports.0002_move_notification_to_notifications`` removes the model from the reports app's state. The
content type row follows the model, so permissions and admin log entries stay attached to it.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    if not content_type.objects.filter(app_label="notifications", model="notification").exists():
        content_type.objects.filter(app_label="reports", model="notification").update(app_label="notifications")


def move_content_type_back(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    if not content_type.objects.filter(app_label="reports", model="notification").exists():
        content_type.objects.filter(app_label="notifications", model="notification").update(app_label="reports")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
        ("reports", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Notification',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('text', models.TextField(verbose_name='nội dung')),
                        ('link', models.CharField(blank=True, max_length=500, verbose_name='đường dẫn')),
                        ('key', models.CharField(max_length=200, verbose_name='khóa chống trùng')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='thời điểm tạo')),
                        ('read_at', models.DateTimeField(blank=True, null=True, verbose_name='thời điểm đọc')),
                        ('emailed_at', models.DateTimeField(blank=True, null=True, verbose_name='thời điểm gửi thư')),
                        ('recipient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL, verbose_name='người nhận')),
                    ],
                    options={
                        'verbose_name': 'thông báo',
                        'verbose_name_plural': 'thông báo',
                        'db_table': 'reports_notification',
                        'ordering': ['-created_at', '-pk'],
                        'indexes': [models.Index(fields=['recipient', 'read_at', 'created_at'], name='reports_not_recipie_8446f0_idx')],
                        'constraints': [models.UniqueConstraint(fields=('recipient', 'key'), name='notification_unique_key')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back, elidable=True),
    ]
