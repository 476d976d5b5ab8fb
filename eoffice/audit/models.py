"""The audit trail: append-only records, one keyed hash chain per agency.

Each record carries the HMAC-SHA256 (key outside the database, :mod:`eoffice.audit.keys`) of its content and of
the previous record's hash, and a sequence number, so that an edited record (MAC mismatch, even when the rest of
the chain was recomputed without the key), a deleted one (sequence gap or broken link) or a cut tail (chain head
mismatch, or fewer records than the last checkpoint written outside the database, :mod:`eoffice.audit.anchor`)
shows when the chain is verified (``manage.py audit_verify``). Records written before the chain was keyed (seq
below ``AuditChain.keyed_from``) keep their plain SHA-256 hashes and are verified as such. The application never
updates or deletes a record; PostgreSQL and SQLite triggers also refuse UPDATE and DELETE at the database level.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class AppendOnlyError(RuntimeError):
    pass


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):  # noqa: D102
        raise AppendOnlyError("audit records are append-only")

    def delete(self):  # noqa: D102
        raise AppendOnlyError("audit records are append-only")


class AuditChain(models.Model):
    """The head of one hash chain (one per agency, plus the ``global`` chain for events without an agency).

    Locked with ``select_for_update`` while a record is appended, so that records of one chain are written one at a
    time and each links to its true predecessor.
    """

    key = models.CharField(max_length=40, unique=True)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    #: The first sequence number whose hash is keyed (HMAC); records before it were written unkeyed (SHA-256) by
    #: an earlier version. The checkpoint file holds it too, so that moving it in the database shows.
    keyed_from = models.BigIntegerField(default=1)

    class Meta:
        verbose_name = _("chuỗi nhật ký")
        verbose_name_plural = _("chuỗi nhật ký")

    def __str__(self) -> str:
        return f"{self.key} #{self.last_seq}"


class AuditRecord(models.Model):
    """Who did what, to which object, in which agency, when and from where."""

    chain = models.CharField(_("chuỗi"), max_length=40, db_index=True)
    seq = models.BigIntegerField(_("số thứ tự"))
    at = models.DateTimeField(_("thời điểm"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thực hiện"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_repr = models.CharField(_("tài khoản"), max_length=150, blank=True)
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("thực hiện thay"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("hành động"), max_length=100, db_index=True)
    object_type = models.CharField(_("loại đối tượng"), max_length=100, blank=True)
    object_id = models.CharField(_("mã đối tượng"), max_length=64, blank=True)
    object_repr = models.CharField(_("đối tượng"), max_length=255, blank=True)
    agency = models.ForeignKey(
        "orgs.Agency",
        verbose_name=_("cơ quan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ip = models.GenericIPAddressField(_("địa chỉ IP"), null=True, blank=True)
    data = models.JSONField(_("chi tiết"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("bản ghi nhật ký")
        verbose_name_plural = _("nhật ký hệ thống")
        ordering = ["-at", "-id"]
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_unique_seq_per_chain")]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_repr} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyError("audit records are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit records are append-only")

    def canonical(self) -> bytes:
        """The bytes the hash covers: every field but the id and the hash itself."""
        payload = {
            "chain": self.chain,
            "seq": self.seq,
            "at": self.at.isoformat(),
            "actor": self.actor_id,
            "actor_repr": self.actor_repr,
            "on_behalf_of": self.on_behalf_of_id,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "agency": self.agency_id,
            "ip": self.ip,
            "data": self.data,
            "prev_hash": self.prev_hash,
        }
        return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()

    def compute_hash(self, key: bytes | None = None) -> str:
        """HMAC-SHA256 with ``key``; without a key, the plain SHA-256 of records written before keying."""
        if key is None:
            return hashlib.sha256(self.canonical()).hexdigest()
        return hmac.new(key, self.canonical(), hashlib.sha256).hexdigest()
