"""Notification use cases: what a dossier change tells the applicant, the delivery outbox, delivery reports,
the portal inbox, and the officials' daily digest.

The same outbox pattern as the inter-agency exchange (docs/exchange.md): rows are written in the transaction of
the change (`on_dossier_transition` is a configured transition hook; `notify_payment_due` joins the caller's
transaction), so a rolled-back transition notifies nobody. `deliver_notifications` claims due rows in a short
transaction (skip-locked on PostgreSQL), sends each outside any transaction, records the outcome, and retries with
back-off until MOTCUA_NOTIFY_MAX_ATTEMPTS. The unique `key` (dossier, event, channel, action seq) makes every
message exactly once; the SMS gateway gets our message id as its idempotency key, so a retry after a lost answer
does not send twice either.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, time
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from motcua.audit.services import record as audit
from motcua.core.errors import NotFound
from motcua.core.links import public_url
from motcua.core.queue import claim_due
from motcua.dossiers.models import Dossier, DossierAction, Status
from motcua.exchange.services import backoff
from motcua.worktime.calc import TZ

from . import channels, push, render, sms
from .errors import PermanentError, TransientError
from .models import Channel, DigestRun, Event, Notification, NotificationStatus
from .smstext import normalise_phone

log = logging.getLogger("motcua.notifications")
S = NotificationStatus
OUTBOUND = (Channel.EMAIL, Channel.SMS, Channel.PUSH)
SITE_NAME = "Cổng dịch vụ công – motcua"

# Transitions that always concern the applicant, by action. `result_ready` is read from the status (a workflow
# action, or the linked-services engine's system action, can reach it); `result_returned` from the method.
ACTION_EVENTS = {
    "accept": Event.ACCEPTED,
    "request_supplement": Event.SUPPLEMENT_REQUESTED,
    "refuse": Event.REFUSED,
    "reappoint": Event.REAPPOINTED,
}


# --- what a dossier change tells the applicant ------------------------------------------------------------------


def on_dossier_transition(dossier: Dossier, action: str, payload: dict, row: DossierAction | None = None) -> None:
    """Transition hook (MOTCUA_TRANSITION_HOOKS), in the transition's transaction: queue the applicant's messages.

    A linked request's sub-dossiers say nothing to the citizen: the umbrella dossier does."""
    if dossier.parent_id or not dossier.code:
        return
    maybe_ready = dossier.status == Status.RESULT_READY
    if action not in ACTION_EVENTS and action != "return_result" and not maybe_ready:
        return  # most workflow steps: no query at all
    if row is None:  # called outside the engine (tests, a replay): read the log row the transition wrote
        row = (
            DossierAction.objects.filter(dossier_id=dossier.pk, seq=dossier.action_count)
            .only("seq", "action", "from_status", "note", "payload")
            .first()
        )
    if row is None or row.action != action:
        return
    row_payload = row.payload or {}
    events = []
    if action in ACTION_EVENTS:
        events.append(ACTION_EVENTS[action])
    if action == "return_result" and row_payload.get("method") == "electronic":
        events.append(Event.RESULT_RETURNED)
    if maybe_ready and row.from_status != Status.RESULT_READY:
        events.append(Event.RESULT_READY)
    if not events:
        return
    context = {
        **dossier_context(dossier),
        "note": row.note,
        "missing": [str(m) for m in row_payload.get("missing") or []],
        "reasons": [str(r) for r in row_payload.get("reasons") or []],
        "old_due_at": parse_datetime(str(row_payload.get("old_due_at") or "")),
    }
    for event in events:
        queue(dossier, event, seq=row.seq, context=context)


def notify_payment_due(dossier: Dossier, amount_vnd: int, pay_url: str, *, reference: str = "") -> int:
    """Tell the applicant a fee is due (for the payments app). Joins the caller's transaction if there is one.

    Once per dossier state (its last action) or per `reference` (e.g. the payment's id) when given. A linked
    request's sub-dossier is announced on its umbrella dossier. Returns the number of messages written."""
    target = dossier.parent if dossier.parent_id else dossier
    tag = (reference or f"{dossier.pk}.{dossier.action_count}")[:64]
    context = {**dossier_context(target), "amount_vnd": int(amount_vnd), "pay_url": pay_url}
    with transaction.atomic():
        return queue(target, Event.PAYMENT_DUE, seq=dossier.action_count, context=context, tag=tag)


def dossier_context(dossier: Dossier) -> dict[str, Any]:
    """What every template may use (docs/notifications.md lists it)."""
    return {
        "code": dossier.code,
        "procedure": dossier.procedure.name,
        "procedure_code": dossier.procedure.code,
        "agency": dossier.agency.name,
        "applicant": dossier.applicant_name,
        "due_at": dossier.due_at,
        "supplement_due_at": dossier.supplement_due_at,
        "url": public_url(reverse("portal:dossier", args=[dossier.code])),
        "inbox_url": public_url(reverse("notifications:inbox")),
        "site": SITE_NAME,
    }


def recipients(dossier: Dossier) -> dict[str, str]:
    """Channel → address for the applicant, for the channels that are switched on and that they can receive."""
    enabled = set(getattr(settings, "MOTCUA_NOTIFY_CHANNELS", Channel.values))
    found: dict[str, str] = {}
    if Channel.IN_APP in enabled and dossier.applicant_id:
        found[Channel.IN_APP] = ""
    if Channel.EMAIL in enabled and dossier.applicant_email:
        found[Channel.EMAIL] = dossier.applicant_email
    if Channel.SMS in enabled and sms.configured():
        phone = normalise_phone(dossier.applicant_phone)
        if phone:
            found[Channel.SMS] = phone
    pid = dossier.applicant_personal_id or ""
    if Channel.PUSH in enabled and push.configured() and len(pid) == 12 and pid.isdigit():
        found[Channel.PUSH] = pid
    return found


def _render(text: render.Text, context: dict, event: str, channel: str) -> tuple[str, str]:
    """Subject and body; a broken edited template falls back to the shipped default (never breaks the change)."""
    try:
        return render.render_text(text.subject, context)[:255], render.render_text(text.body, context)
    except Exception:
        log.exception("notifications: template %s/%s failed, using the shipped default", event, channel)
        fallback = render.default_text(event, channel) or render.default_text(event, Channel.IN_APP)
        if fallback is None:
            raise
        return render.render_text(fallback.subject, context)[:255], render.render_text(fallback.body, context)


def queue(dossier: Dossier, event: str, *, seq: int, context: dict, tag: str | None = None) -> int:
    """Write the messages of one event for the applicant, at most once per (dossier, event, channel, tag/seq)."""
    to = recipients(dossier)
    if not to:
        return 0
    texts = render.resolve(event, dossier.procedure.code, list(to))
    now = timezone.now()
    if event == Event.RESULT_RETURNED:  # "result ready" still waiting to go out says less: send only this one
        Notification.objects.filter(
            dossier=dossier, event=Event.RESULT_READY, status=S.QUEUED, channel__in=[c for c in to if c in OUTBOUND]
        ).update(status=S.CANCELLED, last_error="Đã có thông báo trả kết quả điện tử.")
    rows = []
    for channel, address in to.items():
        text = texts.get(channel)
        if text is None:
            continue
        subject, body = _render(text, context, event, channel)
        row = Notification(
            key=f"{dossier.pk}:{event}:{channel}:{tag if tag is not None else seq}",
            dossier=dossier,
            seq=seq,
            event=event,
            channel=channel,
            recipient_user_id=dossier.applicant_id,
            recipient=address,
            subject=subject,
            body=body,
            created_at=now,
            next_attempt_at=now,
        )
        if channel == Channel.SMS:
            row.body, row.segments = sms.prepare(body)
        elif channel == Channel.IN_APP:  # it is in the inbox as soon as the change commits
            row.status, row.sent_at, row.delivered_at = S.DELIVERED, now, now
        rows.append(row)
    Notification.objects.bulk_create(rows, ignore_conflicts=True)  # the key: a re-run writes nothing twice
    return len(rows)


# --- delivery (the worker) -----------------------------------------------------------------------------------------


def deliver_notifications(now: datetime | None = None, limit: int = 100) -> dict[str, int]:
    """Send every due message once; counts per outcome (sent, retry, failed)."""
    now = now or timezone.now()
    counts = {"sent": 0, "retry": 0, "failed": 0}
    for notification in claim_due(
        Notification, waiting=S.QUEUED, in_flight=S.SENDING, now=now, limit=limit, related=("dossier",)
    ):
        provider_id, error, outcome = "", "", "sent"
        try:
            provider_id = channels.send(notification)
        except PermanentError as exc:
            outcome, error = "failed", str(exc)
        except TransientError as exc:
            outcome, error = "retry", str(exc)
        except Exception as exc:  # a bug must not stop the batch: the message retries, then fails
            log.exception("notifications: sending %s failed", notification.message_id)
            outcome, error = "retry", f"{type(exc).__name__}: {exc}"
        counts[_record_outcome(notification.pk, outcome, provider_id, error, now)] += 1
    return counts


def _record_outcome(pk: int, outcome: str, provider_id: str, error: str, now: datetime) -> str:
    with transaction.atomic():
        fresh = Notification.objects.select_for_update().get(pk=pk)
        if fresh.status != S.SENDING:  # a delivery report got here first: keep the later truth, fill the gaps
            if outcome == "sent":
                fresh.provider_id = fresh.provider_id or provider_id[:100]
                fresh.sent_at = fresh.sent_at or now
                fresh.save(update_fields=["provider_id", "sent_at"])
            return "sent" if outcome == "sent" else "failed" if fresh.status == S.FAILED else "retry"
        if outcome == "sent":
            fresh.status, fresh.provider_id, fresh.sent_at, fresh.last_error = S.SENT, provider_id[:100], now, ""
        elif outcome == "failed" or fresh.attempts >= settings.MOTCUA_NOTIFY_MAX_ATTEMPTS:
            fresh.status, fresh.last_error, outcome = S.FAILED, error[:2000], "failed"
        else:
            fresh.status, fresh.last_error = S.QUEUED, error[:2000]
            fresh.next_attempt_at = now + backoff(fresh.attempts)
        fresh.save()
    return outcome


def handle_delivery_report(headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """The SMS provider's delivery report (the DLR callback). Raises sms.ReportRefused or NotFound."""
    report = sms.provider().parse_report(headers, body)
    return record_delivery(report)


def record_delivery(report: sms.DeliveryReport) -> dict[str, Any]:
    """Delivered or failed, once: a second report for the same message changes nothing."""
    with transaction.atomic():
        rows = Notification.objects.select_for_update().filter(channel=Channel.SMS)
        notification = rows.filter(message_id=report.ref).first() if _is_uuid(report.ref) else None
        if notification is None and report.provider_id:
            notification = rows.filter(provider_id=report.provider_id).first()
        if notification is None:
            raise NotFound("Không có tin nhắn tương ứng với báo cáo này.")
        if notification.reported_at is not None:
            return {"status": notification.status, "duplicate": True}
        now = timezone.now()
        notification.reported_at = now
        notification.provider_id = notification.provider_id or report.provider_id[:100]
        notification.sent_at = notification.sent_at or now
        if report.delivered:
            notification.status, notification.delivered_at, notification.last_error = S.DELIVERED, report.at or now, ""
        else:
            notification.status = S.FAILED
            notification.last_error = f"Nhà mạng báo tin không đến được thuê bao ({report.error or 'không rõ'})."
        notification.save()
    return {"status": notification.status, "duplicate": False}


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def resend(notification: Notification, actor: Any, reason: str = "") -> Notification:
    """Operator action: a failed message back in the queue, due now, with a fresh attempt budget. One the provider
    had taken (it has a provider id) gets a new message id, since the provider would take the old one as a copy."""
    with transaction.atomic():
        fresh = Notification.objects.select_for_update().get(pk=notification.pk)
        if fresh.status != S.FAILED or fresh.channel not in OUTBOUND:
            raise NotFound("Chỉ gửi lại được thông báo gửi thất bại.")
        previous = {"attempts": fresh.attempts, "last_error": fresh.last_error, "message_id": str(fresh.message_id)}
        if fresh.provider_id:
            fresh.message_id, fresh.provider_id = uuid.uuid4(), ""
        fresh.status, fresh.attempts, fresh.next_attempt_at = S.QUEUED, 0, timezone.now()
        fresh.reported_at, fresh.delivered_at, fresh.last_error = None, None, ""
        fresh.save()
        audit(
            actor=actor,
            action="notification.resend",
            obj_type="notification",
            obj_id=str(fresh.pk),
            reason=reason or "Gửi lại thông báo thất bại",
            data=previous,
        )
    return fresh


# --- the portal inbox ------------------------------------------------------------------------------------------


def inbox(user: Any) -> QuerySet[Notification]:
    """The user's in-app messages, newest first (nobody else's)."""
    if not user.is_authenticated:
        return Notification.objects.none()
    return (
        Notification.objects.filter(recipient_user=user, channel=Channel.IN_APP)
        .select_related("dossier")
        .order_by("-created_at", "-id")
    )


def unread_count(user: Any) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient_user=user, channel=Channel.IN_APP, read_at__isnull=True).count()


def mark_read(user: Any, notification_id: int | None = None) -> int:
    """Mark one of the user's messages (or all of them) read. Another person's message is not found."""
    mine = Notification.objects.filter(recipient_user=user, channel=Channel.IN_APP)
    if notification_id is not None:
        mine = mine.filter(pk=notification_id)
        if not mine.exists():
            raise NotFound("Không tìm thấy thông báo.")
    return mine.filter(read_at__isnull=True).update(read_at=timezone.now())


# --- the worker's round ------------------------------------------------------------------------------------------


def digest_if_due(now: datetime | None = None) -> int | None:
    """Queue the officials' digest once per local working day, after MOTCUA_DIGEST_HOUR (07:00). None when it is
    not time, or when today's is already done (by this worker or another)."""
    from motcua.worktime.services import calendar_for

    from .digest import queue_digests

    now = now or timezone.now()
    local = now.astimezone(TZ)
    if local.time() < time(int(settings.MOTCUA_DIGEST_HOUR)):
        return None
    if DigestRun.objects.filter(day=local.date()).exists() or not calendar_for().is_working_day(local.date()):
        return None
    try:
        with transaction.atomic():
            run = DigestRun.objects.create(day=local.date(), at=now)
            run.officials = queue_digests(now)
            run.save(update_fields=["officials"])
    except IntegrityError:  # another worker did it
        return None
    return run.officials


def worker_round(now: datetime | None = None) -> dict[str, int]:
    """One round of `run_worker`: today's digest when due, then every due message."""
    digests = digest_if_due(now)
    counts = deliver_notifications(now)
    if digests:
        counts["digests"] = digests
    return counts
