import importlib

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client

from eoffice.audit.models import AppendOnlyError, AuditRecord
from eoffice.audit.services import record, verify_chain
from eoffice.orgs.models import RoleCode
from tests.factories import make_agency, make_person

pytestmark = pytest.mark.django_db(transaction=True)

SQLITE_TRIGGER = importlib.import_module("eoffice.audit.migrations.0002_append_only_triggers").SQLITE_UP
SQLITE_DELETE_TRIGGER = importlib.import_module("eoffice.audit.migrations.0003_keyed_chain_sqlite_delete").SQLITE_DELETE_UP


@pytest.fixture
def actor():
    return make_person(make_agency(), RoleCode.CLERK)


def write_records(actor, n=3):
    return [record("test.event", actor=actor, data={"i": i, "tên": "văn bản"}) for i in range(n)]


def tamper(sql: str, params) -> None:
    """Change the table behind the application's back, as someone with database access could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditrecord DISABLE TRIGGER audit_record_append_only")
            cursor.execute(sql, params)
            cursor.execute("ALTER TABLE audit_auditrecord ENABLE TRIGGER audit_record_append_only")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_record_append_only")
            cursor.execute("DROP TRIGGER IF EXISTS audit_record_no_delete")
            cursor.execute(sql, params)
            cursor.execute(SQLITE_TRIGGER)
            cursor.execute(SQLITE_DELETE_TRIGGER)


def test_each_record_links_to_the_previous_one_of_its_agency(actor):
    first, second, third = write_records(actor)
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    assert [r.seq for r in (first, second, third)] == [1, 2, 3]
    assert first.chain == f"agency:{actor.agency_id}"
    assert verify_chain() == []


def test_verify_detects_an_edited_record(actor):
    records = write_records(actor)
    tamper("UPDATE audit_auditrecord SET action = %s WHERE id = %s", ["test.innocent", records[1].pk])
    problems = verify_chain()
    assert [(p.seq, p.reason) for p in problems] == [(2, "record was modified after it was written")]


def test_verify_detects_a_removed_record(actor):
    records = write_records(actor)
    tamper("DELETE FROM audit_auditrecord WHERE id = %s", [records[1].pk])
    reasons = {p.reason for p in verify_chain()}
    assert "missing records before #3" in reasons
    assert "link to the previous record is broken" in reasons


def test_verify_detects_a_cut_tail(actor):
    records = write_records(actor)
    tamper("DELETE FROM audit_auditrecord WHERE id = %s", [records[-1].pk])
    assert [p.reason for p in verify_chain()] == ["records at the end of the chain are missing"]


def test_application_cannot_update_or_delete_records(actor):
    rec = write_records(actor, 1)[0]
    rec.action = "changed"
    with pytest.raises(AppendOnlyError):
        rec.save()
    with pytest.raises(AppendOnlyError):
        rec.delete()
    with pytest.raises(AppendOnlyError):
        AuditRecord.objects.filter(pk=rec.pk).update(action="changed")
    with pytest.raises(AppendOnlyError):
        AuditRecord.objects.all().delete()


def test_database_refuses_an_update_of_a_record(actor):
    rec = write_records(actor, 1)[0]
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditrecord SET action = %s WHERE id = %s", ["changed", rec.pk])
    assert AuditRecord.objects.get(pk=rec.pk).action == "test.event"


def test_a_rolled_back_operation_leaves_no_record(actor):
    with pytest.raises(RuntimeError), transaction.atomic():
        record("test.event", actor=actor)
        raise RuntimeError("the operation failed")
    assert not AuditRecord.objects.filter(action="test.event").exists()
    assert verify_chain() == []


def test_login_and_failed_login_are_recorded_with_who_and_from_where(actor):
    client = Client(REMOTE_ADDR="127.0.0.9")
    assert client.post("/dang-nhap/", {"username": actor.username, "password": "wrong"}).status_code == 200
    assert client.post("/dang-nhap/", {"username": actor.username, "password": "pw"}).status_code == 302
    failed = AuditRecord.objects.get(action="auth.login_failed")
    assert failed.data == {"username": actor.username} and failed.ip == "127.0.0.9"
    login = AuditRecord.objects.get(action="auth.login")
    assert login.actor == actor and login.agency_id == actor.agency_id and login.ip == "127.0.0.9"
