"""Notifications: one row per message owed to one recipient on one channel, and the templates they are made from.

A row is written in the transaction of the change it tells about (a rolled-back transition leaves none) and sent
by the worker after commit. `key` makes it exactly once: `<dossier>:<event>:<channel>:<action seq>` for a dossier
event (`digest:<user>:<day>:email` for an official's digest), inserted with ON CONFLICT DO NOTHING.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Event(models.TextChoices):
    ACCEPTED = "accepted", _("Tiếp nhận hồ sơ, hẹn ngày trả kết quả")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("Yêu cầu bổ sung hồ sơ")
    REFUSED = "refused", _("Từ chối hồ sơ")
    REAPPOINTED = "reappointed", _("Xin lỗi và hẹn lại ngày trả kết quả")
    PAYMENT_DUE = "payment_due", _("Đề nghị nộp phí, lệ phí")
    RESULT_READY = "result_ready", _("Đã có kết quả giải quyết")
    RESULT_RETURNED = "result_returned", _("Đã trả kết quả điện tử")
    DIGEST = "digest", _("Tổng hợp hằng ngày cho cán bộ")


class Channel(models.TextChoices):
    IN_APP = "in_app", _("Hộp thư trên Cổng")
    EMAIL = "email", _("Thư điện tử")
    SMS = "sms", _("Tin nhắn SMS")
    PUSH = "push", _("Thông báo đẩy (ứng dụng định danh)")


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", _("Chờ gửi")
    SENDING = "sending", _("Đang gửi")
    SENT = "sent", _("Đã gửi")
    DELIVERED = "delivered", _("Đã đến người nhận")
    FAILED = "failed", _("Gửi thất bại")
    CANCELLED = "cancelled", _("Không gửi (đã có thông báo mới hơn)")


class Notification(models.Model):
    message_id = models.UUIDField(_("mã thông báo"), default=uuid.uuid4, unique=True, editable=False)
    key = models.CharField(_("khóa chống trùng"), max_length=160, unique=True)
    dossier = models.ForeignKey(
        "dossiers.Dossier",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
        verbose_name=_("hồ sơ"),
    )
    seq = models.PositiveIntegerField(_("thứ tự thao tác"), default=0)
    event = models.CharField(_("sự kiện"), max_length=32, choices=Event.choices)
    channel = models.CharField(_("kênh"), max_length=12, choices=Channel.choices)
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("người nhận (tài khoản)"),
    )
    # The address used: phone number, e-mail address, personal ID (push); empty for the in-app inbox.
    recipient = models.CharField(_("địa chỉ nhận"), max_length=254, blank=True)
    subject = models.CharField(_("tiêu đề"), max_length=255, blank=True)
    body = models.TextField(_("nội dung"))
    status = models.CharField(
        _("trạng thái"), max_length=12, choices=NotificationStatus.choices, default=NotificationStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(_("số lần gửi"), default=0)
    next_attempt_at = models.DateTimeField(_("lần gửi tiếp theo"), default=timezone.now)
    provider_id = models.CharField(_("mã của nhà cung cấp"), max_length=100, blank=True)
    segments = models.PositiveSmallIntegerField(_("số phần tin SMS"), default=0)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)
    sent_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("đến người nhận lúc"), null=True, blank=True)
    # When the provider's delivery report came (SMS): a second report for the same message changes nothing.
    reported_at = models.DateTimeField(_("nhận báo cáo trạng thái lúc"), null=True, blank=True)
    read_at = models.DateTimeField(_("đã đọc lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("thông báo")
        verbose_name_plural = _("thông báo")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notif_due"),
            models.Index(fields=["recipient_user", "channel", "-created_at"], name="notif_inbox"),
            models.Index(fields=["provider_id"], name="notif_provider_id"),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_display()} · {self.get_channel_display()} ({self.status})"


def validate_template_syntax(value: str) -> None:
    from .render import compile_template

    try:
        compile_template(value)
    except Exception as exc:  # TemplateSyntaxError and friends: shown in the admin form
        raise ValidationError(_("Mẫu không hợp lệ: %(error)s"), params={"error": exc}) from exc


class NotificationTemplate(models.Model):
    """A message text in Django template syntax, for one event and channel; for one procedure or for all.

    Looked up most specific first: this procedure's, then the default (blank procedure), then the file shipped
    in `motcua/notifications/defaults/`. The push channel uses the in-app text unless it has its own."""

    event = models.CharField(_("sự kiện"), max_length=32, choices=Event.choices)
    procedure_code = models.CharField(
        _("mã thủ tục"), max_length=32, blank=True, help_text=_("Để trống: dùng cho mọi thủ tục.")
    )
    channel = models.CharField(_("kênh"), max_length=12, choices=Channel.choices)
    subject = models.CharField(
        _("tiêu đề"),
        max_length=255,
        blank=True,
        validators=[validate_template_syntax],
        help_text=_("Không dùng cho SMS."),
    )
    body = models.TextField(_("nội dung"), validators=[validate_template_syntax])
    active = models.BooleanField(_("đang dùng"), default=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        verbose_name = _("mẫu thông báo")
        verbose_name_plural = _("mẫu thông báo")
        ordering = ["event", "procedure_code", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["event", "procedure_code", "channel"], name="uniq_notification_template")
        ]

    def __str__(self) -> str:
        where = self.procedure_code or str(_("mọi thủ tục"))
        return f"{self.get_event_display()} · {self.get_channel_display()} · {where}"


class DigestRun(models.Model):
    """The worker's mark that the officials' digest of a local day has been queued (once a day)."""

    day = models.DateField(_("ngày"), unique=True)
    at = models.DateTimeField(_("lúc"), default=timezone.now)
    officials = models.PositiveIntegerField(_("số cán bộ nhận"), default=0)

    class Meta:
        verbose_name = _("lượt gửi tổng hợp hằng ngày")
        verbose_name_plural = _("lượt gửi tổng hợp hằng ngày")

    def __str__(self) -> str:
        return str(self.day)
