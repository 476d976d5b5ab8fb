"""Database-level protection of the audit trail.

PostgreSQL refuses UPDATE and DELETE of audit records with a trigger (TRUNCATE, an administrator's deliberate act,
is not row-level and stays possible; the hash chain shows it). SQLite refuses UPDATE; DELETE stays possible there
because Django's test-database flush relies on it, and the hash chain still detects a removed record.
"""

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION audit_record_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_record_append_only BEFORE UPDATE OR DELETE ON audit_auditrecord
    FOR EACH ROW EXECUTE FUNCTION audit_record_append_only();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS audit_record_append_only ON audit_auditrecord;
DROP FUNCTION IF EXISTS audit_record_append_only();
"""
SQLITE_UP = """
CREATE TRIGGER IF NOT EXISTS audit_record_append_only BEFORE UPDATE ON audit_auditrecord
BEGIN
    SELECT RAISE(ABORT, 'audit records are append-only');
END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS audit_record_append_only;"


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_UP)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DOWN)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
