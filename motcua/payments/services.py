"""Fee payments: the only place a payment's state changes.

State machine (every transition writes one `PaymentEvent` row with the raw gateway parameters and one audit
record, in the transaction that changes the payment; see docs/payments.md):

    created ──redirect──> pending ──> paid | failed | expired
    failed, expired ──late confirmation of money──> paid (fee still owed) | refunding (already paid otherwise)
    pending ──double payment / wrong amount──> refunding ──gateway confirms──> refunded
    paid ──refund (official)──> refunding ──> refunded
    (desk payments are recorded directly as paid)

Money is never lost: a payment is marked paid only on a verified gateway message (signed IPN, or our own signed
query of the gateway), never on the browser's word; a payment is expired only after a final query says it was
not paid; money the gateway took that we cannot count (a second payment, a wrong amount) is refunded. Nobody pays
twice: at most one payment per dossier is open and at most one is paid (the services check it under the dossier's
row lock, and two partial unique indexes make the database refuse anything else).
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from motcua.accounts.models import Role, User
from motcua.accounts.services import has_role, hit_rate_limit, is_official, is_system_admin
from motcua.analytics import services as analytics
from motcua.audit import services as audit
from motcua.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from motcua.core.links import public_url
from motcua.documents import pdf
from motcua.dossiers.models import Channel, Dossier, Status
from motcua.worktime.calc import TZ

from . import conf, fees, receipt
from .gateways import FAILED, NOT_FOUND, PAID, PENDING, BadSignature, GatewayError, GatewayReport, get_gateway
from .gateways import ipn_answer as _ipn
from .models import MONEY_RECEIVED, OPEN_STATUSES, Method, Payment, PaymentEvent, PaymentStatus, ReceiptCounter

log = logging.getLogger("motcua.payments")
S = PaymentStatus
PAYABLE_DOSSIER_STATUSES = (Status.SUBMITTED, Status.SUPPLEMENT_REQUESTED, Status.PROCESSING, Status.RESULT_READY)
ALLOWED = {
    S.CREATED: {S.PENDING},
    S.PENDING: {S.PAID, S.FAILED, S.EXPIRED, S.REFUNDING},
    S.FAILED: {S.PAID, S.REFUNDING},
    S.EXPIRED: {S.PAID, S.REFUNDING},
    S.PAID: {S.REFUNDING},
    S.REFUNDING: {S.REFUNDED},
    S.REFUNDED: set(),
}
_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_MAX_PARAMS = 60
_FORGED_AUDITS_PER_MINUTE = 60


# --- what a dossier owes ----------------------------------------------------------------------------------------


def fee_for(dossier: Dossier) -> fees.Fee:
    """The fee the dossier's pinned version sets for its declaration and channel. A part of a linked request owes
    nothing itself: the linked request's own rule covers the whole group."""
    if dossier.parent_id:
        return fees.Fee(0, "linked", reason="Phí, lệ phí được tính theo yêu cầu liên thông.")
    return fees.compute(dossier.version.fee_rule, dossier.data, dossier.channel)


def desk_payment_allowed(dossier: Dossier, fee: fees.Fee | None = None) -> bool:
    """The desk may collect the fee itself: the procedure allows it, the dossier came in at the desk or by post,
    or no gateway is configured."""
    fee = fee or fee_for(dossier)
    return fee.pay_at_desk or dossier.channel != Channel.ONLINE or not conf.online_enabled()


@dataclass
class Obligation:
    """What a dossier's page shows about its fee."""

    fee: fees.Fee
    paid: Payment | None
    open: Payment | None
    payments: list[Payment]
    desk_allowed: bool
    online_available: bool

    @property
    def owed(self) -> bool:
        return self.fee.payable_online and self.paid is None


def obligation(dossier: Dossier) -> Obligation:
    fee = fee_for(dossier)
    rows = list(dossier.payments.order_by("-created_at", "-pk")) if dossier.pk else []
    paid = next((p for p in rows if p.status == S.PAID), None)
    open_ = next((p for p in rows if p.status in OPEN_STATUSES), None)
    online = bool(
        fee.payable_online
        and paid is None
        and conf.online_enabled()
        and dossier.status in PAYABLE_DOSSIER_STATUSES
        and not dossier.parent_id
    )
    return Obligation(fee, paid, open_, rows, desk_payment_allowed(dossier, fee), online)


# --- the log ----------------------------------------------------------------------------------------------------


def _clean(params: dict | None) -> dict:
    """What we keep of parameters someone sent us: strings, bounded, so a forged message cannot bloat the log."""
    out: dict[str, Any] = {}
    for key, value in list((params or {}).items())[:_MAX_PARAMS]:
        if isinstance(value, dict | list | int | bool) or value is None:
            out[str(key)[:64]] = value
        else:
            out[str(key)[:64]] = str(value)[:512]
    return out


def _log(
    payment: Payment,
    kind: str,
    *,
    source: str,
    from_status: str,
    params: dict | None = None,
    note: str = "",
    actor: User | None = None,
) -> PaymentEvent:
    """Append one event (and its audit record) for a payment the caller holds locked."""
    payment.event_count += 1
    payment.save()
    analytics.record("payment", payment.dossier_id)  # the facts: fee paid (online), refunded
    event = PaymentEvent.objects.create(
        payment=payment,
        seq=payment.event_count,
        at=timezone.now(),
        kind=kind,
        source=source,
        from_status=from_status,
        to_status=payment.status,
        actor=actor,
        params=_clean(params),
        note=note[:255],
    )
    audit.record(
        actor=actor,
        action=f"payment.{kind}",
        obj_type="dossier",
        obj_id=payment.dossier.code or str(payment.dossier_id),
        reason=note[:255],
        data={
            "payment": payment.txn_ref,
            "from": from_status,
            "to": payment.status,
            "amount_vnd": payment.amount_vnd,
            "source": source,
        },
    )
    return event


def _transition(
    payment: Payment,
    to: str,
    *,
    kind: str,
    source: str,
    params: dict | None = None,
    note: str = "",
    actor: User | None = None,
    **fields: Any,
) -> PaymentEvent:
    frm = payment.status
    if to not in ALLOWED[frm]:
        raise Conflict(f"Khoản nộp {payment.txn_ref} không thể chuyển từ '{frm}' sang '{to}'.")
    payment.status = to
    for name, value in fields.items():
        setattr(payment, name, value)
    return _log(payment, kind, source=source, from_status=frm, params=params, note=note, actor=actor)


def _lock_dossier(dossier_id: int) -> Dossier:
    # Only the dossier's row is locked (PostgreSQL would lock every joined row otherwise).
    return (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("procedure", "agency", "version")
        .get(pk=dossier_id)
    )


def _locked(payment_id: int) -> Payment:
    """The payment under lock, its dossier locked first (the order every payment change and the dossier engine
    use, so no two of them deadlock)."""
    dossier_id = Payment.objects.filter(pk=payment_id).values_list("dossier_id", flat=True).get()
    dossier = _lock_dossier(dossier_id)
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    payment.dossier = dossier
    return payment


def _gateway_facts(report: GatewayReport) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "response_code": report.response_code[:8],
        "transaction_status": report.transaction_status[:8],
    }
    for name, value in (
        ("gateway_txn_no", report.transaction_no[:32]),
        ("bank_code", report.bank_code[:32]),
        ("bank_txn_no", report.bank_txn_no[:64]),
        ("card_type", report.card_type[:32]),
        ("gateway_paid_at", report.pay_date),
        ("gateway_amount_vnd", report.amount_vnd),
    ):
        if value:
            facts[name] = value
    return facts


# --- starting a payment -----------------------------------------------------------------------------------------


@dataclass
class PaymentStart:
    payment: Payment
    redirect_url: str
    replayed: bool = False


def _new_txn_ref(now: datetime) -> str:
    while True:
        ref = f"{now.astimezone(TZ):%y%m%d}{secrets.token_hex(6).upper()}"
        if not Payment.objects.filter(txn_ref=ref).exists():
            return ref


def _purpose(dossier: Dossier) -> str:
    return f"Phí, lệ phí hồ sơ {dossier.code}: {dossier.procedure.name}"[:255]


def _may_pay(user: User, dossier: Dossier) -> None:
    from motcua.dossiers.selectors import visible_dossiers

    if not user.is_authenticated or not visible_dossiers(user).filter(pk=dossier.pk).exists():
        raise NotFound(f"Không tìm thấy hồ sơ {dossier.code}.")
    if dossier.applicant_id != user.id and (is_official(user) or not user.is_citizen):
        raise PermissionDenied(
            "Phí, lệ phí trực tuyến do người nộp hồ sơ tự nộp; bộ phận một cửa ghi nhận khoản thu tại quầy."
        )


def create_payment(
    user: User,
    dossier: Dossier,
    idempotency_key: str,
    *,
    return_url: str,
    client_ip: str = "",
    locale: str = "vn",
    now: datetime | None = None,
) -> PaymentStart:
    """Start paying the dossier's fee online: the amount comes from the fee rule, never from the caller.

    The same idempotency key gives back the same payment and URL; while a payment is waiting at the gateway, a new
    request gets that one (one open payment per dossier). Refused when nothing is owed online or it is paid."""
    if not isinstance(idempotency_key, str) or not _KEY.match(idempotency_key):
        raise ValidationFailed(
            "Khóa chống gửi lặp (Idempotency-Key) gồm 1–128 ký tự chữ, số, '.', '_', ':' hoặc '-'.",
            errors=[{"field": "idempotency_key", "message": "Không hợp lệ."}],
        )
    _may_pay(user, dossier)
    if not conf.online_enabled():
        raise Conflict("Chức năng nộp phí, lệ phí trực tuyến chưa được cấu hình; vui lòng nộp tại bộ phận một cửa.")
    gateway = get_gateway()
    now = now or timezone.now()
    previous = Payment.objects.filter(dossier=dossier, idempotency_key=idempotency_key, method=Method.ONLINE).first()
    if previous is not None:
        return PaymentStart(previous, gateway.redirect_url(previous.request_params), replayed=True)
    lapsed = Payment.objects.filter(dossier=dossier, status__in=OPEN_STATUSES, expires_at__lte=now).first()
    if lapsed is not None:  # its time at the gateway is over: settle it (one query) before starting another
        _final_check(lapsed, now)
    try:
        with transaction.atomic():
            return _start(user, dossier.pk, idempotency_key, gateway, return_url, client_ip, locale, now)
    except IntegrityError:
        # A concurrent request won the race (same key, or another open payment): answer with that payment.
        winner = (
            Payment.objects.filter(dossier=dossier, idempotency_key=idempotency_key).first()
            or Payment.objects.filter(dossier=dossier, status__in=OPEN_STATUSES).first()
        )
        if winner is None:
            raise
        return PaymentStart(winner, gateway.redirect_url(winner.request_params), replayed=True)


def _start(user, dossier_id, key, gateway, return_url, client_ip, locale, now) -> PaymentStart:
    dossier = _lock_dossier(dossier_id)
    if dossier.status not in PAYABLE_DOSSIER_STATUSES:
        raise Conflict(f"Hồ sơ ở trạng thái '{dossier.get_status_display()}' không nhận nộp phí, lệ phí.")
    fee = fee_for(dossier)
    if not fee.payable_online:
        raise Conflict("Hồ sơ này không có khoản phí, lệ phí phải nộp trực tuyến.")
    if dossier.payments.filter(status=S.PAID).exists():
        raise Conflict("Hồ sơ này đã nộp phí, lệ phí.")
    waiting = dossier.payments.filter(status__in=OPEN_STATUSES).first()
    if waiting is not None:
        if waiting.expires_at and waiting.expires_at > now:
            return PaymentStart(waiting, gateway.redirect_url(waiting.request_params), replayed=True)
        raise Conflict(
            "Giao dịch nộp phí trước đó đang chờ cổng thanh toán xác nhận. Vui lòng thử lại sau ít phút.",
            code="payment_unsettled",
        )
    payment = Payment.objects.create(
        dossier=dossier,
        method=Method.ONLINE,
        gateway=gateway.code,
        status=S.CREATED,
        amount_vnd=fee.amount_vnd,
        purpose=_purpose(dossier),
        fee=fee.as_dict(),
        txn_ref=_new_txn_ref(now),
        idempotency_key=key,
        payer=user,
        created_at=now,
        expires_at=now + timedelta(minutes=conf.get("MOTCUA_PAYMENT_EXPIRY_MINUTES")),
    )
    payment.dossier = dossier
    _log(payment, "created", source="citizen", from_status="", params=fee.as_dict(), actor=user)
    params = gateway.redirect_params(payment, return_url, client_ip=client_ip, locale=locale)
    _transition(
        payment,
        S.PENDING,
        kind="redirected",
        source="citizen",
        params=params,
        actor=user,
        note="Chuyển người nộp sang cổng thanh toán.",
        request_params=params,
    )
    return PaymentStart(payment, gateway.redirect_url(params))


# --- settling on what the gateway says --------------------------------------------------------------------------


def _next_receipt_no(when: datetime) -> str:
    series = f"{conf.get('MOTCUA_RECEIPT_SERIES')}{when.astimezone(TZ):%y}E"
    year = when.astimezone(TZ).year
    row, _ = ReceiptCounter.objects.select_for_update().get_or_create(series=series, year=year)
    row.last += 1
    row.save(update_fields=["last"])
    return f"{series}-{row.last:07d}"


def _mark_paid(payment: Payment, *, kind: str, source: str, params: dict, now: datetime, **facts: Any) -> None:
    _transition(
        payment,
        S.PAID,
        kind=kind,
        source=source,
        params=params,
        paid_at=now,
        closed_at=now,
        confirmed_by=source,
        receipt_no=_next_receipt_no(now),
        **facts,
    )
    pk = payment.pk
    transaction.on_commit(lambda: _after_paid(pk))


def _settle(payment: Payment, report: GatewayReport, *, source: str, now: datetime) -> str:
    """Apply a verified gateway report to a locked payment whose amount matched. Returns what happened."""
    facts = _gateway_facts(report)
    if report.paid:
        if payment.status in MONEY_RECEIVED:
            return "already"
        other = payment.dossier.payments.filter(status=S.PAID).exclude(pk=payment.pk).exists()
        if other:  # the fee is already paid: this money goes back
            return _refund_after_commit(
                payment,
                kind="double_payment",
                source=source,
                params=report.params,
                note="Hồ sơ đã có khoản nộp khác: hoàn lại khoản này.",
                reason="Nộp trùng phí, lệ phí của hồ sơ",
                now=now,
                facts=facts,
            )
        late = payment.status in (S.FAILED, S.EXPIRED)
        _mark_paid(payment, kind="paid_late" if late else "paid", source=source, params=report.params, now=now, **facts)
        return "paid"
    if report.outcome == FAILED and payment.status in OPEN_STATUSES:
        note = f"Cổng thanh toán báo không thành công (mã {report.response_code or report.transaction_status})."
        _transition(
            payment, S.FAILED, kind="failed", source=source, params=report.params, note=note, closed_at=now, **facts
        )
        return "failed"
    return "unchanged"


def handle_ipn(params: dict[str, Any], *, now: datetime | None = None, client_ip: str = "") -> dict[str, str]:
    """The gateway's server-to-server notification. Always answers the gateway's JSON, never raises:
    97 bad signature (audited), 01 unknown order, 04 wrong amount, 02 already confirmed, 00 accepted, 99 error.
    Accepted once: a duplicate changes nothing."""
    try:
        return _handle_ipn({str(k): str(v) for k, v in params.items()}, now or timezone.now(), client_ip)
    except Exception:
        log.exception("IPN failed")
        return _ipn("99")


def _audit_forged(action: str, params: dict[str, str], client_ip: str, reason: str) -> None:
    """A gateway message without our secret's signature (an IPN, a browser's return) is evidence: one audit record
    each, until one address sends more than a minute's share (still refused, no longer one record each: anybody can
    send these, and the audit chain must not be flooded)."""
    if hit_rate_limit(action, client_ip or "-", _FORGED_AUDITS_PER_MINUTE):
        return
    audit.record(
        actor=None,
        action=action,
        obj_type="payment",
        obj_id=params.get("vnp_TxnRef", "")[:64] or "-",
        reason=reason,
        data={"params": _clean(params), "client_ip": client_ip},
    )


def _handle_ipn(params: dict[str, str], now: datetime, client_ip: str) -> dict[str, str]:
    if not conf.online_enabled():
        return _ipn("99")
    gateway = get_gateway()
    ref = params.get("vnp_TxnRef", "")[:64]
    try:
        report = gateway.verify_ipn(params)
    except BadSignature:
        _audit_forged("payment.ipn_bad_signature", params, client_ip, "IPN sai chữ ký: bị từ chối, không thay đổi gì.")
        return _ipn("97")
    found = Payment.objects.filter(txn_ref=report.txn_ref, method=Method.ONLINE).values_list("pk", flat=True).first()
    if found is None or report.tmn_code != gateway.tmn_code:
        audit.record(
            actor=None,
            action="payment.ipn_unknown_order",
            obj_type="payment",
            obj_id=ref or "-",
            reason="IPN cho giao dịch không có.",
            data={"params": _clean(params)},
        )
        return _ipn("01")
    with transaction.atomic():
        payment = _locked(found)
        if report.amount_vnd != payment.amount_vnd:
            _log(
                payment,
                "ipn_wrong_amount",
                source="ipn",
                from_status=payment.status,
                params=params,
                note=f"IPN báo số tiền {report.amount_vnd} khác {payment.amount_vnd} đồng: không ghi nhận.",
            )
            return _ipn("04")
        confirmed = payment.status in MONEY_RECEIVED or (payment.status in (S.FAILED, S.EXPIRED) and not report.paid)
        if confirmed:
            _log(payment, "ipn_duplicate", source="ipn", from_status=payment.status, params=params)
            return _ipn("02")
        outcome = _settle(payment, report, source="ipn", now=now)
        if outcome == "unchanged":
            _log(payment, "ipn_pending", source="ipn", from_status=payment.status, params=params)
    return _ipn("00")


@dataclass
class ReturnView:
    """What the return page shows. `state` is the payment's status, or "invalid" (bad signature) / "unknown"."""

    state: str
    payment: Payment | None = None


def handle_return(params: dict[str, Any], *, now: datetime | None = None, client_ip: str = "") -> ReturnView:
    """The citizen's browser coming back from the gateway. Shows the status; the browser's word alone never marks
    a payment paid: if the payment is still waiting, our own signed query of the gateway decides."""
    now = now or timezone.now()
    params = {str(k): str(v) for k, v in params.items()}
    if not conf.online_enabled():
        return ReturnView("unknown")
    gateway = get_gateway()
    try:
        report = gateway.verify_return(params)
    except BadSignature:
        _audit_forged("payment.return_bad_signature", params, client_ip, "Kết quả trả về sai chữ ký.")
        return ReturnView("invalid")
    payment = Payment.objects.filter(txn_ref=report.txn_ref, method=Method.ONLINE).first()
    if payment is None:
        return ReturnView("unknown")
    with transaction.atomic():
        locked = _locked(payment.pk)
        _log(locked, "returned", source="return", from_status=locked.status, params=params)
    if locked.status in OPEN_STATUSES and report.outcome in (PAID, FAILED):
        _query_and_apply(locked, now, final=False, source="return+query")
    payment.refresh_from_db()
    return ReturnView(payment.status, payment)


# --- reconciliation and expiry ----------------------------------------------------------------------------------


def _query_and_apply(payment: Payment, now: datetime, *, final: bool, source: str = "query") -> str:
    """Ask the gateway (outside any transaction), then apply its answer under lock. Idempotent."""
    try:
        report = get_gateway().query(payment)
    except GatewayError as exc:
        log.warning("payment %s: query failed: %s", payment.txn_ref, exc)
        Payment.objects.filter(pk=payment.pk).update(last_queried_at=now)
        return "unavailable"
    with transaction.atomic():
        locked = _locked(payment.pk)
        locked.last_queried_at = now
        late_money = locked.status in (S.FAILED, S.EXPIRED) and report.paid
        if locked.status not in OPEN_STATUSES and not late_money:
            locked.save(update_fields=["last_queried_at"])
            return "unchanged"
        if report.paid and report.amount_vnd != locked.amount_vnd:
            if not final:
                _log(
                    locked,
                    "query_wrong_amount",
                    source=source,
                    from_status=locked.status,
                    params=report.params,
                    note=f"Cổng báo đã thu {report.amount_vnd} đồng, khác {locked.amount_vnd} đồng.",
                )
                return "wrong_amount"
            return _refund_after_commit(
                locked,
                kind="wrong_amount",
                source=source,
                params=report.params,
                note="Số tiền đã thu khác số phải nộp: hoàn lại toàn bộ.",
                reason="Số tiền thanh toán không đúng số phải nộp",
                now=now,
                facts=_gateway_facts(report),
            )
        outcome = _settle(locked, report, source=source, now=now)
        if outcome == "unchanged" and final and report.outcome in (PENDING, NOT_FOUND):
            _transition(
                locked,
                S.EXPIRED,
                kind="expired",
                source=source,
                params=report.params,
                note="Hết thời hạn thanh toán; cổng thanh toán xác nhận chưa thu tiền.",
                closed_at=now,
            )
            return "expired"
        if outcome == "unchanged":
            locked.save(update_fields=["last_queried_at"])
        return outcome


def _final_check(payment: Payment, now: datetime) -> str:
    return _query_and_apply(payment, now, final=True)


def reconcile(now: datetime | None = None) -> dict[str, int]:
    """Ask the gateway about payments still pending after N minutes (a lost IPN is found here), retry refunds
    and finish receipts. Idempotent; safe to run any time and from several workers."""
    now = now or timezone.now()
    counts: Counter[str] = Counter()
    if conf.online_enabled():
        older = now - timedelta(minutes=conf.get("MOTCUA_PAYMENT_RECONCILE_AFTER_MINUTES"))
        again = now - timedelta(seconds=60)
        due = (
            Payment.objects.filter(status=S.PENDING, method=Method.ONLINE, created_at__lte=older)
            .exclude(last_queried_at__gt=again)
            .order_by("created_at")[:500]
        )
        for payment in due:
            outcome = _query_and_apply(payment, now, final=False)
            counts[outcome] += 1
            if outcome == "unavailable":  # the gateway is down: don't wait out a timeout per payment, next round
                break
        for pk in Payment.objects.filter(
            status=S.REFUNDING, refund_attempts__lt=conf.get("MOTCUA_PAYMENT_MAX_REFUND_ATTEMPTS")
        ).values_list("pk", flat=True)[:100]:
            counts[f"refund_{_try_refund(pk)}"] += 1
    counts.update(finish_receipts())
    return {k: v for k, v in counts.items() if k not in ("unchanged",)}


def expire(now: datetime | None = None) -> dict[str, int]:
    """Payments whose time at the gateway is over (plus a grace for clock skew): one final query each, then paid,
    failed or expired. A payment the gateway cannot be asked about stays pending (never expired blind)."""
    now = now or timezone.now()
    counts: Counter[str] = Counter()
    limit = now - timedelta(minutes=conf.get("MOTCUA_PAYMENT_EXPIRY_GRACE_MINUTES"))
    for payment in Payment.objects.filter(status__in=OPEN_STATUSES, expires_at__lte=limit).order_by("expires_at")[:500]:
        if payment.status == S.CREATED:  # never sent to the gateway (a crash between two statements)
            with transaction.atomic():
                locked = _locked(payment.pk)
                if locked.status == S.CREATED:
                    _transition(locked, S.PENDING, kind="redirected", source="system", note="Khôi phục trạng thái.")
        outcome = _final_check(payment, now) if conf.online_enabled() else "unavailable"
        counts[outcome] += 1
        if outcome == "unavailable":  # nobody to ask: the rest stay pending until the next round
            break
    return dict(counts)


def run_periodic(now: datetime | None = None) -> dict[str, int]:
    """One round of the worker: expire, then reconcile. In this order a lapsed payment is asked once per round:
    its final query settles it or marks it asked, and reconciliation skips what was asked in the last minute."""
    now = now or timezone.now()
    expired = expire(now)
    done = reconcile(now)
    for key, value in expired.items():
        done[f"expire_{key}"] = value
    return {k: v for k, v in done.items() if v}


# --- refunds ----------------------------------------------------------------------------------------------------


def refund(payment: Payment, *, actor: User, reason: str) -> Payment:
    """An official gives a paid fee back (e.g. collected by mistake). Online: through the gateway's refund API,
    retried by the reconciliation job until confirmed; at the desk: recorded as handed back."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Cần ghi rõ lý do hoàn tiền.", errors=[{"field": "reason", "message": "Nhập lý do."}])
    agency_id = payment.dossier.agency_id
    if not (is_system_admin(actor) or has_role(actor, Role.LEADER, agency_id) or has_role(actor, Role.DESK, agency_id)):
        raise PermissionDenied("Chỉ lãnh đạo hoặc bộ phận một cửa của cơ quan thu được hoàn phí, lệ phí.")
    now = timezone.now()
    with transaction.atomic():
        locked = _locked(payment.pk)
        if locked.status != S.PAID:
            raise Conflict(f"Chỉ hoàn được khoản đã nộp; khoản này đang '{locked.get_status_display()}'.")
        _transition(locked, S.REFUNDING, kind="refund_requested", source="official", actor=actor, note=reason,
                    refund_reason=reason[:255])  # fmt: skip
        if locked.method == Method.DESK:
            _transition(locked, S.REFUNDED, kind="refunded", source="desk", actor=actor, refunded_at=now,
                        note="Đã hoàn trả tại bộ phận một cửa.")  # fmt: skip
    if locked.method == Method.ONLINE:
        _try_refund(locked.pk, actor=actor)
    locked.refresh_from_db()
    return locked


def _refund_after_commit(
    payment: Payment, *, kind: str, source: str, params: dict, note: str, reason: str, now: datetime, facts: dict
) -> str:
    """Money the gateway took that we must not keep (a second payment, a wrong amount): mark it refunding now,
    ask the gateway to give it back once the transaction has committed."""
    _transition(
        payment,
        S.REFUNDING,
        kind=kind,
        source=source,
        params=params,
        note=note,
        refund_reason=reason,
        closed_at=now,
        **facts,
    )
    pk = payment.pk
    transaction.on_commit(lambda: _try_refund(pk))
    return "refunding"


def _try_refund(payment_id: int, *, actor: User | None = None) -> str:
    payment = Payment.objects.select_related("dossier").get(pk=payment_id)
    if payment.status != S.REFUNDING:
        return "skipped"
    if not conf.online_enabled():
        return "unavailable"
    amount = payment.gateway_amount_vnd or payment.amount_vnd
    try:
        answer = get_gateway().refund(
            payment, amount_vnd=amount, created_by=actor.username if actor else "motcua", reason=payment.refund_reason
        )
        error = ""
    except GatewayError as exc:
        answer, error = None, str(exc)
    with transaction.atomic():
        locked = _locked(payment_id)
        if locked.status != S.REFUNDING:
            return "skipped"
        locked.refund_attempts += 1
        if answer is not None and answer.done:
            _transition(
                locked,
                S.REFUNDED,
                kind="refunded",
                source="gateway",
                params=answer.params,
                actor=actor,
                refunded_at=timezone.now(),
                refund_txn_no=answer.transaction_no[:32],
                note=f"Cổng thanh toán xác nhận hoàn {amount} đồng.",
            )
            return "done"
        note = error or f"Cổng thanh toán chưa hoàn tiền (mã {answer.response_code}: {answer.message})."
        _log(locked, "refund_failed", source="gateway", from_status=locked.status,
             params=answer.params if answer else None, note=note, actor=actor)  # fmt: skip
        return "failed"


# --- the desk ---------------------------------------------------------------------------------------------------


def _record_desk(dossier: Dossier, fee: fees.Fee, *, actor: User | None, note: str) -> Payment:
    now = timezone.now()
    payment = Payment.objects.create(
        dossier=dossier,
        method=Method.DESK,
        status=S.PAID,
        amount_vnd=fee.amount_vnd,
        purpose=_purpose(dossier),
        fee=fee.as_dict(),
        txn_ref=f"QUAY{_new_txn_ref(now)}",
        idempotency_key=f"desk:{secrets.token_hex(8)}",
        created_at=now,
        paid_at=now,
        closed_at=now,
        confirmed_by="desk",
        note=note[:255],
        receipt_no=_next_receipt_no(now),
    )
    payment.dossier = dossier
    _log(payment, "paid_at_desk", source="desk", from_status="", actor=actor, note=note)
    pk = payment.pk
    transaction.on_commit(lambda: _after_paid(pk))
    return payment


def record_desk_payment(user: User, dossier: Dossier, *, note: str = "") -> Payment:
    """The desk officer says the fee was collected at the counter (where the procedure allows it)."""
    if not has_role(user, Role.DESK, dossier.agency_id):
        raise PermissionDenied("Chỉ bộ phận một cửa của cơ quan được ghi nhận khoản thu tại quầy.")
    with transaction.atomic():
        locked = _lock_dossier(dossier.pk)
        fee = fee_for(locked)
        if not fee.payable_online:
            raise Conflict("Hồ sơ không có khoản phí, lệ phí xác định để ghi nhận.")
        if locked.status not in PAYABLE_DOSSIER_STATUSES:
            raise Conflict(f"Hồ sơ ở trạng thái '{locked.get_status_display()}' không nhận nộp phí, lệ phí.")
        if locked.payments.filter(status=S.PAID).exists():
            raise Conflict("Hồ sơ này đã nộp phí, lệ phí.")
        if not desk_payment_allowed(locked, fee):
            raise Conflict("Thủ tục này yêu cầu nộp phí, lệ phí trực tuyến; bộ phận một cửa không thu tại quầy.")
        return _record_desk(locked, fee, actor=user, note=note.strip() or "Đã thu tại bộ phận một cửa.")


# --- telling the applicant a fee is due (MOTCUA_TRANSITION_HOOKS) -------------------------------------------------

# The moments an unpaid online fee is announced: on acceptance, and again when the result waits only on the fee.
_DUE_MOMENTS = {Status.PROCESSING: "accepted", Status.RESULT_READY: "result_ready"}


def on_dossier_transition(dossier: Dossier, action: str, payload: dict, row: Any = None) -> None:
    """Transition hook, in the transition's transaction: when a dossier that owes a fee online is accepted, or its
    result is ready while the fee is still unpaid, queue one "payment due" message with the amount and the link."""
    moment = _DUE_MOMENTS.get(dossier.status)
    if moment is None or (row is not None and row.from_status == row.to_status):
        return
    fee = fee_for(dossier)
    if not fee.payable_online or not conf.online_enabled():
        return
    if dossier.payments.filter(status=S.PAID).exists():
        return
    from motcua.notifications.services import notify_payment_due

    notify_payment_due(
        dossier,
        fee.amount_vnd,
        public_url(reverse("payments:start", args=[dossier.code])),
        reference=f"fee-due:{dossier.pk}:{moment}",
    )


# --- the obligation gate (MOTCUA_RETURN_GUARDS) -----------------------------------------------------------------


def guard_return(dossier: Dossier, payload: dict) -> None:
    """Called by the dossier engine before a result is returned, inside its transaction and under the dossier's
    lock. Raises Conflict while a fee owed online is unpaid. `{"paid_at_desk": true}` in the return's payload
    records a desk payment, where the procedure allows one."""
    fee = fee_for(dossier)
    if not fee.payable_online or dossier.payments.filter(status=S.PAID).exists():
        return
    amount = pdf.vnd(fee.amount_vnd)
    allowed = desk_payment_allowed(dossier, fee)
    if (payload or {}).get("paid_at_desk") is True:
        if not allowed:
            raise Conflict(
                f"Thủ tục này yêu cầu nộp phí, lệ phí ({amount}) trực tuyến; không ghi nhận thu tại bộ phận một cửa."
            )
        _record_desk(dossier, fee, actor=None, note="Đã thu tại bộ phận một cửa (ghi nhận khi trả kết quả).")
        return
    hint = (
        "Thu tại bộ phận một cửa rồi ghi nhận 'Đã thu tại bộ phận một cửa'."
        if allowed
        else "Người nộp cần nộp trực tuyến trên Cổng dịch vụ công."
    )
    raise Conflict(f"Hồ sơ chưa nộp phí, lệ phí ({amount}): chưa thể trả kết quả. {hint}", code="fee_unpaid")


# --- receipts ---------------------------------------------------------------------------------------------------


def receipt_pdf(payment: Payment) -> bytes:
    """The e-receipt of a paid payment: the stored file, or rendered (deterministically) if not stored yet."""
    if not payment.receipt_no:
        raise Conflict("Khoản này chưa được xác nhận đã nộp nên chưa có biên lai.")
    if payment.receipt:
        try:
            with payment.receipt.open("rb") as handle:
                return handle.read()
        except FileNotFoundError:  # the stored copy is gone: the same bytes are rendered again
            log.error("receipt file of payment %s is missing; rendering it again", payment.pk)
    fresh = Payment.objects.select_related("dossier__agency__parent", "dossier__procedure").get(pk=payment.pk)
    return receipt.render(fresh)


def _after_paid(payment_id: int) -> None:
    """After the paid transition commits: the receipt, then a copy in the citizen's data store."""
    try:
        issue_receipt(payment_id)
    except Exception:
        log.exception("receipt of payment %s not issued now; the reconciliation job retries", payment_id)


def issue_receipt(payment_id: int) -> Payment:
    """Render and keep the receipt (idempotent), then deposit it in the applicant's data store after commit."""
    payment = Payment.objects.select_related("dossier__agency__parent", "dossier__procedure").get(pk=payment_id)
    if not payment.receipt_no:
        raise Conflict("Khoản này chưa có số biên lai.")
    if not payment.receipt:
        content = receipt.render(payment)
        digest = hashlib.sha256(content).hexdigest()
        with transaction.atomic():
            locked = Payment.objects.select_for_update().get(pk=payment_id)
            if locked.receipt:
                return locked
            locked.receipt.save(f"{locked.receipt_no}.pdf", ContentFile(content), save=False)
            try:
                locked.receipt_sha256 = digest
                locked.receipt_issued_at = timezone.now()
                locked.save(update_fields=["receipt", "receipt_sha256", "receipt_issued_at", "updated_at"])
                audit.record(
                    actor=None,
                    action="payment.receipt_issued",
                    obj_type="dossier",
                    obj_id=payment.dossier.code or str(payment.dossier_id),
                    data={"payment": locked.txn_ref, "receipt_no": locked.receipt_no, "sha256": digest},
                )
            except Exception:
                locked.receipt.delete(save=False)  # no orphan file without its row
                raise
        payment.refresh_from_db()
    if not payment.receipt_deposited:
        transaction.on_commit(lambda: deposit_receipt(payment_id))
    return payment


def deposit_receipt(payment_id: int) -> bool:
    """Put the receipt in the applicant's data store (idempotent there on the source reference)."""
    from motcua.store import services as store

    payment = Payment.objects.select_related("dossier__agency", "dossier__procedure").get(pk=payment_id)
    owner = payment.dossier.applicant_personal_id
    if payment.receipt_deposited or not payment.receipt or not (len(owner) == 12 and owner.isdigit()):
        return False
    try:
        store.deposit(
            owner,
            kind="receipt",
            title=f"Biên lai thu phí, lệ phí điện tử số {payment.receipt_no} (hồ sơ {payment.dossier.code})",
            issuer=payment.dossier.agency.name,
            content=receipt_pdf(payment),
            content_type="application/pdf",
            source_ref=f"payments.Payment:{payment.pk}",
            valid_from=(payment.paid_at or timezone.now()).astimezone(TZ).date(),
            dossier=payment.dossier,
        )
    except Exception:
        log.exception("receipt of payment %s not deposited in the data store; retried later", payment_id)
        return False
    Payment.objects.filter(pk=payment_id).update(receipt_deposited=True)
    return True


def finish_receipts() -> dict[str, int]:
    """Receipts not issued or not deposited (a crash, the store down): do it now. Idempotent."""
    counts: Counter[str] = Counter()
    for pk in (
        Payment.objects.filter(status__in=MONEY_RECEIVED, receipt="")
        .exclude(receipt_no="")
        .values_list("pk", flat=True)[:100]
    ):
        try:
            issue_receipt(pk)
            counts["receipts"] += 1
        except Exception:
            log.exception("receipt of payment %s failed", pk)
    for pk in (
        Payment.objects.filter(status__in=MONEY_RECEIVED, receipt_deposited=False)
        .exclude(receipt="")
        .values_list("pk", flat=True)[:100]
    ):
        counts["deposited"] += int(deposit_receipt(pk))
    return {k: v for k, v in counts.items() if v}


# --- reads ------------------------------------------------------------------------------------------------------


def payment_of(dossier: Dossier, txn_ref: str) -> Payment:
    payment = dossier.payments.filter(txn_ref=txn_ref).first()
    if payment is None:
        raise NotFound("Không tìm thấy khoản nộp.")
    return payment
