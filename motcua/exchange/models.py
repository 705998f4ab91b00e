"""Partners, the outbox (messages we owe other agencies) and the inbox (messages we have already taken in)."""

from __future__ import annotations

import uuid

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

citizen_id_validator = RegexValidator(r"^([0-9]{12})?$", "Số định danh cá nhân gồm 12 chữ số.")


class ExchangePartner(models.Model):
    """Another agency's system. 'internal' partners are processed inside motcua by a registered handler."""

    class Kind(models.TextChoices):
        HTTP = "http", "Hệ thống ngoài (HTTP)"
        INTERNAL = "internal", "Xử lý trong motcua"

    code = models.SlugField("mã cơ quan", max_length=64, unique=True)
    name = models.CharField("tên cơ quan", max_length=255)
    kind = models.CharField("cách kết nối", max_length=16, choices=Kind.choices, default=Kind.HTTP)
    base_url = models.URLField("địa chỉ API", blank=True)
    public_jwk = models.JSONField(
        "khóa công khai (JWK hoặc JWKS)", default=dict, blank=True, help_text="Dùng để kiểm chữ ký của đối tác."
    )
    active = models.BooleanField("đang hoạt động", default=True)

    class Meta:
        verbose_name = "cơ quan liên thông"
        verbose_name_plural = "cơ quan liên thông"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class OutboxMessage(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Chờ gửi"
        IN_FLIGHT = "in_flight", "Đang gửi"
        ACCEPTED = "accepted", "Đã tiếp nhận, có kết quả"
        ACCEPTED_LATER = "accepted_later", "Đã tiếp nhận, chờ kết quả"
        REJECTED = "rejected", "Bị từ chối"
        DEAD = "dead", "Gửi thất bại (hàng đợi lỗi)"

    message_id = models.UUIDField("mã thông điệp", default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey(
        ExchangePartner, on_delete=models.PROTECT, related_name="outbox", verbose_name="đối tác"
    )
    kind = models.CharField("loại thông điệp", max_length=100)
    dossier_code = models.CharField("mã hồ sơ", max_length=64, blank=True)
    acting_citizen_id = models.CharField(
        "số định danh công dân", max_length=12, blank=True, validators=[citizen_id_validator]
    )
    sender_agency_code = models.CharField("mã cơ quan gửi", max_length=64)
    payload = models.JSONField("nội dung", default=dict)
    request_hash = models.CharField("băm nội dung (SHA-256)", max_length=64)
    status = models.CharField("trạng thái", max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField("số lần gửi", default=0)
    next_attempt_at = models.DateTimeField("lần gửi tiếp theo", default=timezone.now)
    last_error = models.TextField("lỗi gần nhất", blank=True)
    response = models.JSONField("phản hồi", null=True, blank=True)
    created_at = models.DateTimeField("tạo lúc", auto_now_add=True)
    updated_at = models.DateTimeField("cập nhật lúc", auto_now=True)
    delivered_at = models.DateTimeField("gửi thành công lúc", null=True, blank=True)

    class Meta:
        verbose_name = "thông điệp gửi đi"
        verbose_name_plural = "thông điệp gửi đi"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="exchange_outbox_due")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.partner_id} ({self.status})"


class InboxMessage(models.Model):
    """One row per message taken in: a duplicate (same message id) returns `outcome` and applies nothing."""

    message_id = models.CharField("mã thông điệp", max_length=64, unique=True)
    sender = models.CharField("cơ quan gửi", max_length=64)
    kind = models.CharField("loại thông điệp", max_length=100)
    dossier_code = models.CharField("mã hồ sơ", max_length=64, blank=True)
    received_at = models.DateTimeField("nhận lúc", auto_now_add=True)
    outcome = models.JSONField("kết quả xử lý", default=dict)

    class Meta:
        verbose_name = "thông điệp nhận được"
        verbose_name_plural = "thông điệp nhận được"
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.kind} ← {self.sender} ({self.message_id})"
