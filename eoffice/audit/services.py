"""Writing and verifying the audit trail. Service functions call :func:`record`; nothing else writes records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from .keys import hmac_key
from .models import GENESIS_HASH, AuditChain, AuditRecord


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address; behind a trusted reverse proxy, the last X-Forwarded-For entry: the one the proxy added
    (the entries before it are whatever the client sent, and would let it pick its address, e.g. to escape a rate
    limit or to blame another)."""
    if request is None:
        return None
    if settings.EOFFICE_TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def object_repr(obj: models.Model | None) -> str:
    """How a record names its object. A secret document (``is_secret``) is named by kind and id only: its number
    and summary never enter the trail, which the agency's administrators read without being named on it."""
    if obj is None:
        return ""
    if getattr(obj, "is_secret", False):
        return f"{obj._meta.verbose_name} (mật) #{obj.pk}"[:255]
    return str(obj)[:255]


def chain_key(agency_id: int | None) -> str:
    return f"agency:{agency_id}" if agency_id else "global"


def record(
    action: str,
    *,
    actor=None,
    obj: models.Model | None = None,
    agency=None,
    request: HttpRequest | None = None,
    data: dict | None = None,
    on_behalf_of=None,
    at: datetime | None = None,
) -> AuditRecord:
    """Append one record to the chain of its agency.

    ``agency`` defaults to the object's agency, then the actor's. Runs in the caller's transaction (so a rolled-back
    operation leaves no record) or in its own.
    """
    if agency is None:
        agency = getattr(obj, "agency", None) if obj is not None else None
        if agency is None and actor is not None:
            agency = getattr(actor, "agency", None)
    agency_id = getattr(agency, "pk", agency)
    key = chain_key(agency_id)
    actor_id = getattr(actor, "pk", None)
    # No savepoint of its own inside the caller's transaction: the record is part of the operation, and the audit
    # trail is written several times per document, so every query counts (steady state: lock, insert, update).
    with transaction.atomic(savepoint=False):
        head = AuditChain.objects.select_for_update().filter(key=key).first()
        if head is None:
            try:
                with transaction.atomic():  # the first record of a chain; another process may create it too
                    AuditChain.objects.create(key=key)
            except IntegrityError:
                pass
            head = AuditChain.objects.select_for_update().get(key=key)
        rec = AuditRecord(
            chain=key,
            seq=head.last_seq + 1,
            # Hashed in UTC, the form the database gives back, so the hash verifies after a reload.
            at=(at or timezone.now()).astimezone(UTC),
            actor_id=actor_id,
            actor_repr=getattr(actor, "username", "") or "",
            on_behalf_of_id=getattr(on_behalf_of, "pk", None),
            action=action,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
            object_repr=object_repr(obj),
            agency_id=agency_id,
            ip=client_ip(request),
            data=data or {},
            prev_hash=head.last_hash,
        )
        rec.hash = rec.compute_hash(hmac_key() if rec.seq >= head.keyed_from else None)
        rec.save(force_insert=True)
        AuditChain.objects.filter(pk=head.pk).update(last_seq=rec.seq, last_hash=rec.hash)
    return rec


@dataclass(frozen=True)
class ChainProblem:
    chain: str
    seq: int | None
    record_id: int | None
    reason: str

    def __str__(self) -> str:
        return f"{self.chain} #{self.seq} (id {self.record_id}): {self.reason}"


def verify_chain(key: str | None = None) -> list[ChainProblem]:
    """Check every record of one chain (or of all chains) against the key and the last checkpoint written outside
    the database (:mod:`eoffice.audit.anchor`); an empty list means the trail is intact.

    Records from ``keyed_from`` on must carry the HMAC under the audit key (a chain recomputed with plain SHA-256,
    or with another key, fails); earlier ones, written before the chain was keyed, their SHA-256. Against the last
    checkpoint: each chain it names must still hold at least as many records, the record at its head the same hash,
    and the same ``keyed_from``.
    """
    from .anchor import read_anchors

    secret = hmac_key()
    anchors = read_anchors()
    problems: list[ChainProblem] = [
        ChainProblem("anchor", None, None, f"checkpoint line {line} does not verify (edited or forged)")
        for line in anchors.bad_lines
    ]
    anchored = anchors.latest.chains if anchors.latest else {}
    heads = {chain.key: chain for chain in AuditChain.objects.all()}
    keys = [key] if key else sorted(set(heads) | set(anchored))
    for chain in keys:
        head = heads.get(chain)
        keyed_from = head.keyed_from if head is not None else 1
        mark = anchored.get(chain)
        if mark is not None and int(mark.get("keyed_from", 1)) != keyed_from:
            problems.append(ChainProblem(chain, None, None, f"keyed from #{keyed_from} in the database but from "
                                                            f"#{mark.get('keyed_from')} in the checkpoint"))
            keyed_from = min(keyed_from, int(mark.get("keyed_from", 1)))
        expected_prev = GENESIS_HASH
        expected_seq = 1
        last = None
        hash_at_mark = None
        for rec in AuditRecord.objects.filter(chain=chain).order_by("seq").iterator(chunk_size=2000):
            if rec.seq != expected_seq:
                problems.append(ChainProblem(chain, rec.seq, rec.pk, f"missing records before #{rec.seq}"))
            if rec.prev_hash != expected_prev:
                problems.append(ChainProblem(chain, rec.seq, rec.pk, "link to the previous record is broken"))
            if rec.compute_hash(secret if rec.seq >= keyed_from else None) != rec.hash:
                problems.append(ChainProblem(chain, rec.seq, rec.pk, "record was modified after it was written"))
            if mark is not None and rec.seq == int(mark["seq"]):
                hash_at_mark = rec.hash
            expected_prev = rec.hash
            expected_seq = rec.seq + 1
            last = rec
        if head is None and mark is not None:
            problems.append(ChainProblem(chain, None, None, "the chain's head is missing from the database"))
        if head is not None and (head.last_seq != (last.seq if last else 0) or head.last_hash != expected_prev):
            problems.append(ChainProblem(chain, head.last_seq, None, "records at the end of the chain are missing"))
        if mark is not None:
            count = last.seq if last else 0
            if count < int(mark["seq"]):
                problems.append(ChainProblem(chain, count, None, f"truncated: the checkpoint of {anchors.latest.written_at} "
                                                                 f"holds #{mark['seq']}, the database ends at #{count}"))
            elif int(mark["seq"]) > 0 and hash_at_mark != mark["hash"]:
                problems.append(ChainProblem(chain, int(mark["seq"]), None, "the record at the checkpoint's head has "
                                                                            "another hash (chain rewritten)"))
    return problems


def verify_and_anchor() -> list[ChainProblem]:
    """Verify the whole trail and, when it is intact, append a checkpoint outside the database."""
    from .anchor import write_anchor

    problems = verify_chain()
    if not problems:
        write_anchor()
    return problems
