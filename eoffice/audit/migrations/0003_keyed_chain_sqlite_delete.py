"""The keyed chain, and DELETE refused on SQLite too.

- ``AuditChain.keyed_from``: records already written keep their unkeyed SHA-256 hashes and stay verifiable; each
  existing chain is keyed from its next record (``last_seq + 1``), a new chain from its first. ``audit_verify``
  verifies both parts; run ``audit_verify --anchor`` after migrating, so that the checkpoint outside the database
  holds the marker from then on.
- SQLite refuses DELETE of audit records (as PostgreSQL does), except during a whole-database flush by this
  program (``eoffice.audit.sqlite_guard``: the trigger asks a function only Django's connections have).
"""

from django.db import migrations, models

SQLITE_DELETE_UP = """
CREATE TRIGGER IF NOT EXISTS audit_record_no_delete BEFORE DELETE ON audit_auditrecord
WHEN eoffice_audit_flushing() = 0
BEGIN
    SELECT RAISE(ABORT, 'audit records are append-only');
END;
"""
SQLITE_DELETE_DOWN = "DROP TRIGGER IF EXISTS audit_record_no_delete;"


def mark_existing(apps, schema_editor):
    AuditChain = apps.get_model("audit", "AuditChain")
    for chain in AuditChain.objects.all():
        AuditChain.objects.filter(pk=chain.pk).update(keyed_from=chain.last_seq + 1)


def sqlite_delete_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_DELETE_UP)


def drop_sqlite_delete_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_DELETE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]
    operations = [
        migrations.AddField(model_name="auditchain", name="keyed_from", field=models.BigIntegerField(default=1)),
        migrations.RunPython(mark_existing, migrations.RunPython.noop),
        migrations.RunPython(sqlite_delete_trigger, drop_sqlite_delete_trigger),
    ]
