"""Writing and verifying the audit trail. Service functions call :func:`record`; nothing else writes records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from .models import GENESIS_HASH, AuditChain, AuditRecord


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address; behind a trusted reverse proxy, the first X-Forwarded-For entry."""
    if request is None:
        return None
    if settings.EOFFICE_TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


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
            object_repr=str(obj)[:255] if obj is not None else "",
            agency_id=agency_id,
            ip=client_ip(request),
            data=data or {},
            prev_hash=head.last_hash,
        )
        rec.hash = rec.compute_hash()
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
    """Check every record of one chain (or of all chains); an empty list means the trail is intact."""
    keys = [key] if key else list(AuditChain.objects.values_list("key", flat=True))
    problems: list[ChainProblem] = []
    for chain in keys:
        expected_prev = GENESIS_HASH
        expected_seq = 1
        last = None
        for rec in AuditRecord.objects.filter(chain=chain).order_by("seq").iterator(chunk_size=2000):
            if rec.seq != expected_seq:
                problems.append(ChainProblem(chain, rec.seq, rec.pk, f"missing records before #{rec.seq}"))
            if rec.prev_hash != expected_prev:
                problems.append(ChainProblem(chain, rec.seq, rec.pk, "link to the previous record is broken"))
            if rec.compute_hash() != rec.hash:
                problems.append(ChainProblem(chain, rec.seq, rec.pk, "record was modified after it was written"))
            expected_prev = rec.hash
            expected_seq = rec.seq + 1
            last = rec
        head = AuditChain.objects.filter(key=chain).first()
        if head is not None and (head.last_seq != (last.seq if last else 0) or head.last_hash != expected_prev):
            problems.append(ChainProblem(chain, head.last_seq, None, "records at the end of the chain are missing"))
    return problems
