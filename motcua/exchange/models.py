"""Partners, the outbox (messages we owe other agencies) and the inbox (messages we have already taken in)."""

from __future__ import annotations

import uuid

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

citizen_id_validator = RegexValidator(r"^([0-9]{12})?$", "Số định danh cá nhân gồm 12 chữ số.")


class ExchangePartner(models.Model):
    """Another agency's system. 'internal' partners are processed inside motcua by a registered handler."""

    class Kind(models.TextChoices):
        HTTP = "http", _("Hệ thống ngoài (HTTP)")
        INTERNAL = "internal", _("Xử lý trong motcua")

    code = models.SlugField(_("mã cơ quan"), max_length=64, unique=True)
    name = models.CharField(_("tên cơ quan"), max_length=255)
    kind = models.CharField(_("cách kết nối"), max_length=16, choices=Kind.choices, default=Kind.HTTP)
    base_url = models.URLField(_("địa chỉ API"), blank=True)
    public_jwk = models.JSONField(
        _("khóa công khai (JWK hoặc JWKS)"), default=dict, blank=True, help_text=_("Dùng để kiểm chữ ký của đối tác.")
    )
    active = models.BooleanField(_("đang hoạt động"), default=True)

    class Meta:
        verbose_name = _("cơ quan liên thông")
        verbose_name_plural = _("cơ quan liên thông")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        _forget_cached_partners()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        _forget_cached_partners()
        return result


def _forget_cached_partners() -> None:
    from .services import forget_portal_partner

    forget_portal_partner()


class OutboxMessage(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Chờ gửi")
        IN_FLIGHT = "in_flight", _("Đang gửi")
        ACCEPTED = "accepted", _("Đã tiếp nhận, có kết quả")
        ACCEPTED_LATER = "accepted_later", _("Đã tiếp nhận, chờ kết quả")
        REJECTED = "rejected", _("Bị từ chối")
        DEAD = "dead", _("Gửi thất bại (hàng đợi lỗi)")

    message_id = models.UUIDField(_("mã thông điệp"), default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey(
        ExchangePartner, on_delete=models.PROTECT, related_name="outbox", verbose_name=_("đối tác")
    )
    kind = models.CharField(_("loại thông điệp"), max_length=100)
    dossier_code = models.CharField(_("mã hồ sơ"), max_length=64, blank=True)
    acting_citizen_id = models.CharField(
        _("số định danh công dân"), max_length=12, blank=True, validators=[citizen_id_validator]
    )
    sender_agency_code = models.CharField(_("mã cơ quan gửi"), max_length=64)
    payload = models.JSONField(_("nội dung"), default=dict)
    request_hash = models.CharField(_("băm nội dung (SHA-256)"), max_length=64)
    status = models.CharField(_("trạng thái"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("số lần gửi"), default=0)
    next_attempt_at = models.DateTimeField(_("lần gửi tiếp theo"), default=timezone.now)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True)
    response = models.JSONField(_("phản hồi"), null=True, blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)
    delivered_at = models.DateTimeField(_("gửi thành công lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("thông điệp gửi đi")
        verbose_name_plural = _("thông điệp gửi đi")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="exchange_outbox_due"),
            models.Index(fields=["dossier_code", "kind"], name="exchange_outbox_dossier"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.partner_id} ({self.status})"


class InboxMessage(models.Model):
    """One row per message taken in: a duplicate (same message id) returns `outcome` and applies nothing."""

    message_id = models.CharField(_("mã thông điệp"), max_length=64, unique=True)
    sender = models.CharField(_("cơ quan gửi"), max_length=64)
    kind = models.CharField(_("loại thông điệp"), max_length=100)
    dossier_code = models.CharField(_("mã hồ sơ"), max_length=64, blank=True)
    received_at = models.DateTimeField(_("nhận lúc"), auto_now_add=True)
    outcome = models.JSONField(_("kết quả xử lý"), default=dict)

    class Meta:
        verbose_name = _("thông điệp nhận được")
        verbose_name_plural = _("thông điệp nhận được")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.kind} ← {self.sender} ({self.message_id})"
