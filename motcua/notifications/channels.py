"""Sending one notification on its channel; returns the provider's id or raises TransientError/PermanentError.

Called by the worker outside any transaction (no lock is held over the network)."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from . import push, sms
from .errors import PermanentError, TransientError
from .models import Channel, Notification


def send(notification: Notification) -> str:
    if notification.channel == Channel.EMAIL:
        return send_email(notification)
    if notification.channel == Channel.SMS:
        if not sms.configured():
            raise TransientError("Chưa cấu hình nhà cung cấp SMS (MOTCUA_SMS).")
        return sms.provider().send(notification.recipient, notification.body, str(notification.message_id))
    if notification.channel == Channel.PUSH:
        if not push.configured():
            raise TransientError("Chưa cấu hình kênh thông báo đẩy (MOTCUA_PUSH).")
        link = notification.dossier.code if notification.dossier_id else ""
        return push.provider().send(
            notification.recipient, notification.subject, notification.body, str(notification.message_id), link
        )
    raise PermanentError(f"Kênh {notification.channel} không gửi qua hàng đợi.")


def email_domain() -> str:
    sender = str(settings.DEFAULT_FROM_EMAIL)
    return sender.rsplit("@", 1)[-1].strip(" >") or "motcua.local"


def send_email(notification: Notification) -> str:
    # Our message id in Message-ID: a resend after a lost answer can be recognised downstream as the same mail.
    message_id = f"<{notification.message_id}@{email_domain()}>"
    message = EmailMessage(
        subject=notification.subject,
        body=notification.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        headers={"Message-ID": message_id, "X-Motcua-Notification": str(notification.message_id)},
        connection=get_connection(fail_silently=False),
    )
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentError(f"Máy chủ thư từ chối địa chỉ nhận: {exc}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise TransientError(f"Không gửi được thư: {exc}") from exc
    return message_id
