"""The audit trail is tamper-evident end to end: a keyed chain (HMAC, key outside the database), checkpoints
outside the database, and DELETE refused by the database on SQLite as on PostgreSQL."""

import hashlib
import json
import sqlite3

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from eoffice.audit.anchor import anchor_path, read_anchors
from eoffice.audit.models import GENESIS_HASH, AuditChain, AuditRecord
from eoffice.audit.services import record, verify_and_anchor, verify_chain
from eoffice.orgs.models import RoleCode
from tests.factories import make_agency, make_person

from .test_audit_chain import tamper

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def actor():
    return make_person(make_agency(), RoleCode.CLERK)


def write(actor, n):
    return [record("test.event", actor=actor, data={"i": i}) for i in range(n)]


def move_head(chain: str, seq: int, last_hash: str) -> None:
    AuditChain.objects.filter(key=chain).update(last_seq=seq, last_hash=last_hash)


def test_deleting_the_tail_and_moving_the_head_back_is_detected_by_the_checkpoint(actor):
    records = write(actor, 4)
    assert verify_and_anchor() == []
    chain = records[0].chain
    tamper("DELETE FROM audit_auditrecord WHERE seq > %s AND chain = %s", [2, chain])
    move_head(chain, 2, records[1].hash)
    problems = verify_chain()
    assert [p.reason for p in problems if p.chain == chain and p.reason.startswith("truncated")], problems
    with pytest.raises(CommandError):
        call_command("audit_verify")


def test_a_cut_tail_with_new_records_appended_after_it_is_detected_at_the_checkpoints_head(actor):
    records = write(actor, 3)
    assert verify_and_anchor() == []
    chain = records[0].chain
    tamper("DELETE FROM audit_auditrecord WHERE seq = %s AND chain = %s", [3, chain])
    move_head(chain, 2, records[1].hash)
    write(actor, 2)  # the chain grows again past the checkpoint, with another record at #3
    assert "the record at the checkpoint's head has another hash (chain rewritten)" in {
        p.reason for p in verify_chain()}


def test_editing_a_record_and_recomputing_the_chain_with_plain_sha256_is_detected(actor):
    records = write(actor, 3)
    chain = records[0].chain
    # Someone with database access but without the key edits #2 and recomputes #2, #3 and the head (unkeyed).
    prev = records[0].hash
    for rec in AuditRecord.objects.filter(chain=chain).order_by("seq"):
        if rec.seq == 1:
            continue
        if rec.seq == 2:
            rec.action = "test.innocent"
        rec.prev_hash = prev
        rec.hash = hashlib.sha256(rec.canonical()).hexdigest()
        tamper("UPDATE audit_auditrecord SET action = %s, prev_hash = %s, hash = %s WHERE id = %s",
               [rec.action, rec.prev_hash, rec.hash, rec.pk])
        prev = rec.hash
    move_head(chain, 3, prev)
    problems = verify_chain()
    assert {(p.seq, p.reason) for p in problems} == {(2, "record was modified after it was written"),
                                                      (3, "record was modified after it was written")}


def test_moving_the_keyed_marker_to_pass_records_off_as_unkeyed_is_detected_by_the_checkpoint(actor):
    records = write(actor, 2)
    assert verify_and_anchor() == []
    chain = records[0].chain
    AuditChain.objects.filter(key=chain).update(keyed_from=100)
    assert any("in the checkpoint" in p.reason for p in verify_chain())


def test_the_records_are_keyed_a_chain_verified_with_another_key_fails(actor, settings):
    write(actor, 2)
    assert verify_chain() == []
    settings.AUDIT_HMAC_KEY = "another key than the one the records were written with"
    assert {p.reason for p in verify_chain()} == {"record was modified after it was written"}


def test_records_written_before_keying_stay_verifiable_and_later_ones_are_keyed(actor):
    # A chain from the earlier version: unkeyed SHA-256 records, then the migration marks it keyed from #3.
    old = write(actor, 2)
    chain = old[0].chain
    prev = GENESIS_HASH
    for rec in AuditRecord.objects.filter(chain=chain).order_by("seq"):
        rec.prev_hash = prev
        rec.hash = hashlib.sha256(rec.canonical()).hexdigest()
        tamper("UPDATE audit_auditrecord SET prev_hash = %s, hash = %s WHERE id = %s", [rec.prev_hash, rec.hash, rec.pk])
        prev = rec.hash
    AuditChain.objects.filter(key=chain).update(last_hash=prev, keyed_from=3)
    new = write(actor, 2)
    assert new[0].hash != hashlib.sha256(AuditRecord.objects.get(pk=new[0].pk).canonical()).hexdigest()
    assert verify_chain() == []


def test_a_forged_checkpoint_line_is_reported_and_not_trusted(actor):
    write(actor, 2)
    assert verify_and_anchor() == []
    line = json.loads(anchor_path().read_text().splitlines()[-1])
    for chain in line["chains"].values():
        chain["seq"] = 0
    with anchor_path().open("a") as handle:
        handle.write(json.dumps(line) + "\n")
    assert read_anchors().bad_lines == [2]
    assert any(p.chain == "anchor" for p in verify_chain())


def test_audit_verify_anchor_writes_a_checkpoint_only_over_an_intact_trail(actor):
    records = write(actor, 2)
    call_command("audit_verify", "--anchor")
    assert read_anchors().latest.chains[records[0].chain]["seq"] == 2
    tamper("UPDATE audit_auditrecord SET action = %s WHERE id = %s", ["test.innocent", records[0].pk])
    with pytest.raises(CommandError):
        call_command("audit_verify", "--anchor")
    assert len(anchor_path().read_text().splitlines()) == 1


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own trigger and shell; both databases: test_the_database_refuses_a_delete_of_a_record")
def test_sqlite_refuses_a_delete_of_a_record_from_django_and_from_any_other_program(actor):
    rec = write(actor, 1)[0]
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditrecord WHERE id = %s", [rec.pk])
    assert AuditRecord.objects.filter(pk=rec.pk).exists()
    # Another program on the same file (the sqlite3 shell) cannot delete either.
    other = sqlite3.connect(connection.settings_dict["NAME"])
    try:
        with pytest.raises(sqlite3.Error):
            other.execute("DELETE FROM audit_auditrecord")
            other.commit()
    finally:
        other.close()
    assert AuditRecord.objects.filter(pk=rec.pk).exists()


def test_the_database_refuses_a_delete_of_a_record(actor):
    rec = write(actor, 1)[0]
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditrecord WHERE id = %s", [rec.pk])
    assert AuditRecord.objects.filter(pk=rec.pk).exists()


def test_check_deploy_requires_the_audit_key(settings):
    from eoffice.audit.checks import audit_key_configured

    settings.AUDIT_HMAC_KEY = ""
    assert [e.id for e in audit_key_configured(None)] == ["audit.E001"]
    settings.AUDIT_HMAC_KEY = "k" * 40
    assert audit_key_configured(None) == []


def test_a_required_key_that_is_missing_stops_the_trail_instead_of_a_generated_one(actor, settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.AUDIT_HMAC_KEY = ""
    settings.AUDIT_HMAC_KEY_REQUIRED = True
    with pytest.raises(ImproperlyConfigured):
        record("test.event", actor=actor)


def test_the_beat_task_writes_a_checkpoint_regularly_and_none_over_a_broken_trail(actor, settings):
    from eoffice.audit import tasks
    from eoffice.audit.apps import ANCHOR_SCHEDULE_NAME

    entry = settings.CELERY_BEAT_SCHEDULE[ANCHOR_SCHEDULE_NAME]
    assert entry["task"] == "audit.anchor" and entry["schedule"] == settings.AUDIT_ANCHOR_INTERVAL_MINUTES * 60
    records = write(actor, 2)
    assert tasks.anchor() == 0
    assert read_anchors().latest.chains[records[0].chain]["seq"] == 2
    tamper("UPDATE audit_auditrecord SET action = %s WHERE id = %s", ["test.innocent", records[1].pk])
    assert tasks.anchor() == 1
    assert len(anchor_path().read_text().splitlines()) == 1
