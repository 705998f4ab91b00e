"""The transactional outbox (enqueue, deliver_due, replay) and the idempotent inbox (receive).

`enqueue` writes the message in the caller's transaction, so it exists exactly when the state change that
caused it commits. `deliver_due` claims due messages in a short transaction (skip-locked on PostgreSQL; the
IMMEDIATE transaction serialises on SQLite), sends each OUTSIDE any transaction (no lock held over the network),
then records the outcome. Failures back off exponentially with jitter; after MOTCUA_EXCHANGE_MAX_ATTEMPTS the
message is dead (the dead-letter queue) until an operator replays it. A claimed message carries a lease in
`next_attempt_at`: if the worker dies mid-send, the message becomes due again when the lease expires.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from motcua.analytics import services as analytics
from motcua.audit.services import record
from motcua.core.errors import Conflict, NotFound, PermissionDenied, ProblemError, ValidationFailed
from motcua.core.queue import claim_due

from . import signing
from .adapters import Accepted, AcceptedLater, Rejected, TransientError, adapter_for
from .models import ExchangePartner, InboxMessage, OutboxMessage

log = logging.getLogger("motcua.exchange")
S = OutboxMessage.Status
RESULT_KIND = "exchange.result"  # a partner's signed callback carrying an "accepted later" result


class TransactionRequired(RuntimeError):
    """enqueue() outside transaction.atomic(): the message would not commit together with its state change."""


def enqueue(
    *,
    partner_code: str = "",
    partner: ExchangePartner | None = None,
    kind: str,
    payload: dict,
    dossier_code: str = "",
    acting_citizen_id: str = "",
    sender_agency_code: str,
) -> OutboxMessage:
    if not transaction.get_connection().in_atomic_block:
        raise TransactionRequired("enqueue() phải được gọi trong transaction.atomic() cùng với thay đổi trạng thái.")
    if acting_citizen_id and not (len(acting_citizen_id) == 12 and acting_citizen_id.isdigit()):
        raise ValidationFailed("Số định danh cá nhân gồm 12 chữ số.")
    if partner is None:
        try:
            partner = ExchangePartner.objects.get(code=partner_code, active=True)
        except ExchangePartner.DoesNotExist:
            raise NotFound(f"Không có cơ quan liên thông đang hoạt động mang mã '{partner_code}'.") from None
    payload = json.loads(signing.canonical_json(payload))  # JSON-only, as it will travel
    return OutboxMessage.objects.create(
        partner=partner,
        kind=kind,
        payload=payload,
        dossier_code=dossier_code,
        acting_citizen_id=acting_citizen_id,
        sender_agency_code=sender_agency_code,
        request_hash=signing.request_hash(payload),
        next_attempt_at=timezone.now(),
    )


# --- what the sender does when a message settles -----------------------------------------------------------
SettledHandler = Callable[[OutboxMessage], None]
_settled_handlers: dict[str, SettledHandler] = {}


def register_settled(kind: str) -> Callable[[SettledHandler], SettledHandler]:
    """Decorator: call fn(message) in the same transaction whenever a message of `kind` changes to accepted,
    accepted_later, rejected or dead. The owner of the kind (e.g. the linked-services chain) reacts there, so the
    outcome and its consequences commit together. An explicit registry, not a signal: one handler per kind."""

    def decorate(fn: SettledHandler) -> SettledHandler:
        _settled_handlers[kind] = fn
        return fn

    return decorate


def _settled(message: OutboxMessage) -> None:
    analytics.message_settled(message)  # the facts: portal acknowledgements, sub-dossiers opened by a delivery
    handler = _settled_handlers.get(message.kind)
    if handler is not None:
        handler(message)


PORTAL_STATUS_KIND = "portal.dossier_status"


PORTAL_CACHE_SECONDS = 30
_portal: dict[str, Any] = {}


def portal_partner() -> ExchangePartner | None:
    """The National Public Service Portal's partner when it is configured and active, else None.

    Asked on every dossier transition: kept for PORTAL_CACHE_SECONDS per process (a partner saved or deleted in
    this process clears it at once, see ExchangePartner.save) rather than one more SELECT per transition."""
    code = getattr(settings, "MOTCUA_PORTAL_PARTNER", "")
    now = time.monotonic()
    if _portal.get("setting") != code or now - _portal.get("at", float("-inf")) > PORTAL_CACHE_SECONDS:
        found = ExchangePartner.objects.filter(code=code, active=True).first() if code else None
        _portal.update(setting=code, at=now, partner=found)
    return _portal["partner"]


def forget_portal_partner() -> None:
    _portal.clear()


def sync_to_portal(*, dossier_code: str, payload: dict, citizen_id: str, sender: str) -> None:
    """Queue a dossier's status change for the National Public Service Portal, in the caller's transaction,
    when the portal is configured; otherwise nothing."""
    partner = portal_partner()
    if partner is None:
        return
    enqueue(
        partner=partner,
        kind=PORTAL_STATUS_KIND,
        payload=payload,
        dossier_code=dossier_code,
        acting_citizen_id=citizen_id if len(citizen_id) == 12 and citizen_id.isdigit() else "",
        sender_agency_code=sender,
    )


def backoff(attempts: int) -> timedelta:
    """Exponential back-off with 'equal jitter': between half and all of min(cap, base * 2^(attempts-1))."""
    base = float(settings.MOTCUA_EXCHANGE_BACKOFF_BASE_SECONDS)
    cap = float(settings.MOTCUA_EXCHANGE_BACKOFF_CAP_SECONDS)
    ceiling = min(cap, base * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=ceiling / 2 + random.uniform(0, ceiling / 2))


def deliver_due(now: datetime | None = None, limit: int = 100) -> dict[str, int]:
    """Send every due message once; returns counts per outcome (accepted, accepted_later, rejected, retry, dead)."""
    now = now or timezone.now()
    counts = {"accepted": 0, "accepted_later": 0, "rejected": 0, "retry": 0, "dead": 0}
    claimed = claim_due(
        OutboxMessage,
        waiting=S.PENDING,
        in_flight=S.IN_FLIGHT,
        now=now,
        limit=limit,
        related=("partner",),
        updated_at=now,
    )
    for message in claimed:
        try:
            outcome = adapter_for(message.partner).send(message)
        except TransientError as exc:
            outcome, error = None, str(exc)
        except Exception as exc:  # a handler bug must not stop the batch; the message retries, then dead-letters
            log.exception("exchange: sending %s failed", message.message_id)
            outcome, error = None, f"{type(exc).__name__}: {exc}"
        counts[_record_outcome(message, outcome, error if outcome is None else "", now)] += 1
    return counts


def _record_outcome(message: OutboxMessage, outcome: Any, error: str, now: datetime) -> str:
    """Store what happened; back-off counts from the round's clock `now` (the worker's, or a test's)."""
    with transaction.atomic():
        fresh = OutboxMessage.objects.select_for_update().get(pk=message.pk)
        if fresh.status != S.IN_FLIGHT:  # e.g. a callback completed it while we waited: keep the later truth
            return {S.PENDING: "retry"}.get(fresh.status, str(fresh.status))
        if isinstance(outcome, Accepted):
            fresh.status, fresh.response, fresh.delivered_at = S.ACCEPTED, {"result": outcome.result}, now
        elif isinstance(outcome, AcceptedLater):
            fresh.status, fresh.response, fresh.delivered_at = S.ACCEPTED_LATER, {"ticket": outcome.ticket}, now
        elif isinstance(outcome, Rejected):
            fresh.status, fresh.response, fresh.delivered_at = S.REJECTED, {"reasons": outcome.reasons}, now
        elif fresh.attempts >= settings.MOTCUA_EXCHANGE_MAX_ATTEMPTS:
            fresh.status, fresh.last_error = S.DEAD, error[:2000]
            record(
                actor=None,
                action="exchange.dead_letter",
                obj_type="exchange.outbox",
                obj_id=str(fresh.message_id),
                reason=error,
                data={"partner": fresh.partner_id, "kind": fresh.kind, "attempts": fresh.attempts},
            )
        else:
            fresh.status, fresh.last_error = S.PENDING, error[:2000]
            fresh.next_attempt_at = now + backoff(fresh.attempts)
        if outcome is not None:
            fresh.last_error = ""
        fresh.save()
        if fresh.status != S.PENDING:
            _settled(fresh)
    return {S.PENDING: "retry"}.get(fresh.status, str(fresh.status))


def replay(message_id: Any, actor: Any, reason: str = "") -> OutboxMessage:
    """Operator action: put a dead-lettered message back in the queue, due now, with a fresh attempt budget."""
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().filter(message_id=message_id).first()
        if message is None:
            raise NotFound("Không tìm thấy thông điệp.")
        if message.status != S.DEAD:
            raise Conflict("Chỉ gửi lại được thông điệp đang nằm trong hàng đợi lỗi.")
        previous = {"attempts": message.attempts, "last_error": message.last_error}
        message.status, message.attempts, message.next_attempt_at = S.PENDING, 0, timezone.now()
        message.save()
        record(
            actor=actor,
            action="exchange.replay",
            obj_type="exchange.outbox",
            obj_id=str(message.message_id),
            reason=reason or "Gửi lại thông điệp từ hàng đợi lỗi",
            data=previous,
        )
    return message


# --- receiving: the inbox ---------------------------------------------------------------------------------------
class InboxRefused(ProblemError):
    status = 401
    title = "Thông điệp không được chấp nhận"


InboxHandler = Callable[[ExchangePartner, dict[str, str], dict], dict]
_inbox_handlers: dict[str, InboxHandler] = {}


def register_inbox(kind: str) -> Callable[[InboxHandler], InboxHandler]:
    """Decorator: handle incoming messages of `kind`: fn(partner, headers, payload) -> outcome dict.
    It runs in the receipt's transaction; defer side effects outside the database with transaction.on_commit."""

    def decorate(fn: InboxHandler) -> InboxHandler:
        _inbox_handlers[kind] = fn
        return fn

    return decorate


def unregister_inbox(kind: str) -> None:
    _inbox_handlers.pop(kind, None)


def receive(headers: Mapping[str, str], body: bytes) -> dict:
    """Take in one signed message. A duplicate (same message id) returns the stored outcome, applying nothing."""
    sender = signing._get(headers, "X-Motcua-Sender").strip()
    message_id = signing._get(headers, "X-Motcua-Message-Id").strip()
    if not sender or not message_id or len(message_id) > 64:
        raise ValidationFailed("Thiếu tiêu đề X-Motcua-Sender hoặc X-Motcua-Message-Id.")
    partner = ExchangePartner.objects.filter(code=sender, active=True).first()
    if partner is None:
        _audit_refusal("exchange.inbox_unknown_sender", headers, body, f"Cơ quan '{sender}' chưa được cấu hình.")
        raise PermissionDenied(f"Cơ quan '{sender}' chưa được cấu hình liên thông.")
    try:
        signing.verify(headers, body, partner.public_jwk)
    except signing.SignatureError as exc:
        _audit_refusal("exchange.inbox_bad_signature", headers, body, str(exc))
        raise InboxRefused(str(exc)) from exc
    try:
        envelope = json.loads(body)
        kind, payload = envelope["kind"], envelope["payload"]
        if not isinstance(kind, str) or not isinstance(payload, dict):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise ValidationFailed('Nội dung phải là JSON {"kind": "...", "payload": {...}}.') from None
    if signing.request_hash(payload) != signing._get(headers, "X-Motcua-Request-Hash").strip():
        raise ValidationFailed("X-Motcua-Request-Hash không khớp với nội dung.")
    handler = _inbox_handlers.get(kind)
    if handler is None:
        raise ValidationFailed(f"Không nhận loại thông điệp '{kind}'.")
    with transaction.atomic():
        try:
            with transaction.atomic():
                inbox = InboxMessage.objects.create(
                    message_id=message_id,
                    sender=sender,
                    kind=kind,
                    dossier_code=signing._get(headers, "X-Motcua-Dossier").strip(),
                )
        except IntegrityError:
            existing = InboxMessage.objects.get(message_id=message_id)
            return {**existing.outcome, "duplicate": True}
        outcome = handler(partner, dict(headers), payload)
        inbox.outcome = outcome
        inbox.save(update_fields=["outcome"])
    return {**outcome, "duplicate": False}


def _audit_refusal(action: str, headers: Mapping[str, str], body: bytes, reason: str) -> None:
    """A refused message is evidence (a forged or misconfigured sender): kept in the audit chain, nothing applied."""
    import hashlib

    with transaction.atomic():
        record(
            actor=None,
            action=action,
            obj_type="exchange.inbox",
            obj_id=signing._get(headers, "X-Motcua-Message-Id").strip()[:64] or "-",
            reason=reason,
            data={
                "sender": signing._get(headers, "X-Motcua-Sender").strip()[:64],
                "dossier": signing._get(headers, "X-Motcua-Dossier").strip()[:64],
                "body_sha256": hashlib.sha256(body).hexdigest(),
            },
        )


@register_inbox(RESULT_KIND)
def _complete_later(partner: ExchangePartner, headers: dict[str, str], payload: dict) -> dict:
    """A partner's callback: the result of a message it had 'accepted for later'."""
    in_reply_to = payload.get("in_reply_to")
    message = None
    if _is_uuid(in_reply_to):
        message = OutboxMessage.objects.select_for_update().filter(message_id=in_reply_to, partner=partner).first()
    if message is None:
        raise NotFound("Không có thông điệp gửi đi tương ứng với kết quả này.")
    ticket = (message.response or {}).get("ticket")
    if message.status == S.ACCEPTED_LATER and ticket and payload.get("ticket") != ticket:
        raise ValidationFailed("Mã phiếu (ticket) không khớp.")
    complete(message, payload.get("status"), result=payload.get("result"), reasons=payload.get("reasons"))
    return {"status": "applied", "message_id": str(message.message_id), "outbox_status": message.status}


def complete(message: OutboxMessage, status: Any, *, result: Any = None, reasons: Any = None) -> OutboxMessage:
    """Settle a message that was accepted for later: by a partner's signed callback, or by the officials of an
    'internal' agency finishing their sub-dossier. Call inside a transaction with the row locked."""
    if message.status not in (S.ACCEPTED_LATER, S.IN_FLIGHT, S.PENDING):
        raise Conflict(f"Thông điệp đang ở trạng thái '{message.status}', không nhận thêm kết quả.")
    ticket = (message.response or {}).get("ticket")
    if status == "accepted":
        message.status, message.response = S.ACCEPTED, {"ticket": ticket, "result": result or {}}
    elif status == "rejected":
        message.status, message.response = S.REJECTED, {"ticket": ticket, "reasons": reasons or []}
    else:
        raise ValidationFailed('Trạng thái kết quả phải là "accepted" hoặc "rejected".')
    message.delivered_at = message.delivered_at or timezone.now()
    message.last_error = ""
    message.save()
    _settled(message)
    return message


def _is_uuid(value: Any) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def sign_response(request_headers: Mapping[str, str], body: bytes, sender: str) -> dict[str, str]:
    """Headers for our signed answer: it echoes the message id, dossier, citizen and request hash it answers."""
    headers = {name: signing._get(request_headers, name).strip() for name in signing.SIGNED_HEADERS}
    headers["X-Motcua-Sender"] = sender
    headers[signing.SIGNATURE_HEADER] = signing.sign(headers, body)
    return headers
