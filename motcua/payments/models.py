"""Fee payments of dossiers: the current state of each payment and the append-only log of how it got there."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PaymentStatus(models.TextChoices):
    CREATED = "created", _("Đã tạo")
    PENDING = "pending", _("Chờ thanh toán")
    PAID = "paid", _("Đã nộp phí")
    FAILED = "failed", _("Không thành công")
    EXPIRED = "expired", _("Hết thời hạn thanh toán")
    REFUNDING = "refunding", _("Đang hoàn tiền")
    REFUNDED = "refunded", _("Đã hoàn tiền")


OPEN_STATUSES = (PaymentStatus.CREATED, PaymentStatus.PENDING)
# The gateway took the money for these (a refund is money that was received).
MONEY_RECEIVED = (PaymentStatus.PAID, PaymentStatus.REFUNDING, PaymentStatus.REFUNDED)


class Method(models.TextChoices):
    ONLINE = "online", _("Trực tuyến qua cổng thanh toán")
    DESK = "desk", _("Tại bộ phận một cửa")


class Payment(models.Model):
    """One attempt to pay a dossier's fee. At most one is open and at most one is paid per dossier (enforced by
    the database as well as by the services)."""

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(_("hình thức"), max_length=10, choices=Method.choices, default=Method.ONLINE)
    gateway = models.CharField(_("cổng thanh toán"), max_length=32, blank=True)
    status = models.CharField(
        _("trạng thái"), max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.CREATED
    )
    amount_vnd = models.PositiveBigIntegerField(_("số tiền (đồng)"))
    purpose = models.CharField(_("nội dung thu"), max_length=255)
    fee = models.JSONField(_("cách tính phí"), default=dict, blank=True)
    # The merchant's order reference sent to the gateway (vnp_TxnRef): the key every gateway message carries.
    txn_ref = models.CharField(_("mã giao dịch"), max_length=34, unique=True)
    idempotency_key = models.CharField(max_length=128)
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)
    expires_at = models.DateTimeField(_("hết hạn lúc"), null=True, blank=True)
    paid_at = models.DateTimeField(_("nộp lúc"), null=True, blank=True)
    closed_at = models.DateTimeField(_("kết thúc lúc"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # What we asked the gateway (the signed redirect's parameters, without the hash): the same URL is rebuilt
    # for a replayed request.
    request_params = models.JSONField(default=dict, blank=True)
    # What the gateway said, from the message that settled the payment.
    confirmed_by = models.CharField(_("xác nhận qua"), max_length=16, blank=True)
    gateway_txn_no = models.CharField(_("mã giao dịch tại cổng"), max_length=32, blank=True)
    bank_code = models.CharField(_("ngân hàng"), max_length=32, blank=True)
    bank_txn_no = models.CharField(_("mã giao dịch ngân hàng"), max_length=64, blank=True)
    card_type = models.CharField(max_length=32, blank=True)
    response_code = models.CharField(max_length=8, blank=True)
    transaction_status = models.CharField(max_length=8, blank=True)
    gateway_paid_at = models.DateTimeField(_("thời điểm thanh toán tại cổng"), null=True, blank=True)
    gateway_amount_vnd = models.PositiveBigIntegerField(null=True, blank=True)
    note = models.CharField(_("ghi chú"), max_length=255, blank=True)
    # Refunds: a payment in `refunding` is retried by the reconciliation job until the gateway confirms.
    refund_reason = models.CharField(_("lý do hoàn tiền"), max_length=255, blank=True)
    refund_attempts = models.PositiveSmallIntegerField(default=0)
    refund_txn_no = models.CharField(max_length=32, blank=True)
    refunded_at = models.DateTimeField(_("hoàn tiền lúc"), null=True, blank=True)
    # The e-receipt (biên lai điện tử), issued once the payment is paid.
    receipt = models.FileField(upload_to="payments/receipts/%Y/%m/", blank=True)
    receipt_no = models.CharField(_("số biên lai"), max_length=32, blank=True)
    receipt_sha256 = models.CharField(max_length=64, blank=True)
    receipt_issued_at = models.DateTimeField(null=True, blank=True)
    receipt_deposited = models.BooleanField(_("đã lưu vào kho dữ liệu"), default=False)
    last_queried_at = models.DateTimeField(null=True, blank=True)
    event_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("khoản nộp phí, lệ phí")
        verbose_name_plural = _("khoản nộp phí, lệ phí")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "idempotency_key"], name="payment_idempotency_per_dossier"),
            models.UniqueConstraint(
                fields=["dossier"], condition=Q(status="paid"), name="payment_one_paid_per_dossier"
            ),
            models.UniqueConstraint(
                fields=["dossier"], condition=Q(status__in=["created", "pending"]), name="payment_one_open_per_dossier"
            ),
            models.CheckConstraint(condition=Q(amount_vnd__gt=0), name="payment_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="payment_status_created"),
            models.Index(fields=["status", "expires_at"], name="payment_status_expires"),
        ]

    def __str__(self) -> str:
        return f"{self.txn_ref} · {self.amount_vnd} đồng · {self.get_status_display()}"


class AppendOnly(Exception):
    pass


class PaymentEvent(models.Model):
    """One row per transition (and per gateway message worth keeping), with the raw parameters as received.
    Rows are never changed or deleted."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(_("sự kiện"), max_length=24)
    source = models.CharField(_("nguồn"), max_length=16)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    params = models.JSONField(_("tham số nhận được"), default=dict, blank=True)
    note = models.CharField(_("ghi chú"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("nhật ký thanh toán")
        verbose_name_plural = _("nhật ký thanh toán")
        ordering = ["payment_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["payment", "seq"], name="payment_event_seq")]

    def __str__(self) -> str:
        return f"{self.payment_id}#{self.seq} {self.kind} {self.from_status}→{self.to_status}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnly("PaymentEvent rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("PaymentEvent rows are append-only.")


class ReceiptCounter(models.Model):
    """Receipt numbers run per series and year without gaps (a row lock serialises issuers)."""

    series = models.CharField(max_length=16)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["series", "year"], name="receipt_counter_series_year")]

    def __str__(self) -> str:
        return f"{self.series}/{self.year}: {self.last}"
