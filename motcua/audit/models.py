"""An append-only, hash-chained audit trail: editing or deleting any row breaks the chain."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditRecord(models.Model):
    """One audited event. Records form SHARDS independent chains (by object), so writers of different dossiers
    never wait on one global row; each chain is verified on its own."""

    shard = models.PositiveSmallIntegerField(_("chuỗi"), default=0)
    seq = models.BigIntegerField(_("số thứ tự trong chuỗi"))
    at = models.DateTimeField(_("thời điểm"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(_("người thực hiện"), max_length=150, blank=True)
    action = models.CharField(_("hành động"), max_length=64)
    object_type = models.CharField(_("loại đối tượng"), max_length=64)
    object_id = models.CharField(_("mã đối tượng"), max_length=64)
    reason = models.CharField(_("lý do"), max_length=255, blank=True)
    data = models.JSONField(_("dữ liệu"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("bản ghi kiểm toán")
        verbose_name_plural = _("nhật ký kiểm toán")
        ordering = ["at", "shard", "seq"]
        indexes = [models.Index(fields=["object_type", "object_id"]), models.Index(fields=["at"])]
        constraints = [models.UniqueConstraint(fields=["shard", "seq"], name="uniq_audit_shard_seq")]

    def __str__(self) -> str:
        return f"#{self.shard}.{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditHead(models.Model):
    """The tip of one chain (id = shard); writers lock it so each chain stays linear under concurrency."""

    id = models.PositiveSmallIntegerField(primary_key=True)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("đầu chuỗi kiểm toán")

    def __str__(self) -> str:
        return f"chuỗi {self.id}: #{self.seq}"
