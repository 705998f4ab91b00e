"""Payments API. The IPN endpoint answers the gateway in its own JSON (never problem+json); the rest is ours.

Mounted at /api/v1/: `GET payments/ipn`, `GET|POST dossiers/{code}/payments`,
`GET dossiers/{code}/payments/{txn_ref}/receipt`, `POST dossiers/{code}/payments/{txn_ref}/refund`.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from ninja import Header, Router, Schema, Status

from motcua.core.api_support import session_or_token
from motcua.dossiers import selectors

from . import services
from .models import Payment

router = Router(tags=["payments"])


class PaymentOut(Schema):
    txn_ref: str
    status: str
    status_label: str
    method: str
    amount_vnd: int
    purpose: str
    gateway: str
    created_at: datetime
    expires_at: datetime | None
    paid_at: datetime | None
    refunded_at: datetime | None
    gateway_txn_no: str
    bank_code: str
    receipt_no: str
    receipt_sha256: str
    receipt_url: str | None


class PaymentsOut(Schema):
    dossier: str
    fee: dict
    owed: bool
    paid: bool
    online_available: bool
    desk_allowed: bool
    payments: list[PaymentOut]


class PaymentStarted(PaymentOut):
    redirect_url: str


class RefundIn(Schema):
    reason: str


def _out(payment: Payment, code: str) -> dict:
    return {
        "txn_ref": payment.txn_ref,
        "status": payment.status,
        "status_label": payment.get_status_display(),
        "method": payment.method,
        "amount_vnd": payment.amount_vnd,
        "purpose": payment.purpose,
        "gateway": payment.gateway,
        "created_at": payment.created_at,
        "expires_at": payment.expires_at,
        "paid_at": payment.paid_at,
        "refunded_at": payment.refunded_at,
        "gateway_txn_no": payment.gateway_txn_no,
        "bank_code": payment.bank_code,
        "receipt_no": payment.receipt_no,
        "receipt_sha256": payment.receipt_sha256,
        "receipt_url": f"/api/v1/dossiers/{code}/payments/{payment.txn_ref}/receipt" if payment.receipt_no else None,
    }


@router.get("/payments/ipn", auth=None, summary="IPN: cổng thanh toán báo kết quả giao dịch (VNPay 2.1.0)")
def payments_ipn(request: HttpRequest) -> HttpResponse:
    return JsonResponse(services.handle_ipn(request.GET.dict(), client_ip=request.META.get("REMOTE_ADDR", "")))


@router.get("/dossiers/{code}/payments", auth=session_or_token(), response=PaymentsOut, summary="Phí, lệ phí của hồ sơ")
def list_payments(request: HttpRequest, code: str):
    dossier = selectors.dossier_for(request.user, code, reason="xem phí, lệ phí")
    ob = services.obligation(dossier)
    return {
        "dossier": dossier.code,
        "fee": ob.fee.as_dict(),
        "owed": ob.owed,
        "paid": ob.paid is not None,
        "online_available": ob.online_available,
        "desk_allowed": ob.desk_allowed,
        "payments": [_out(p, dossier.code) for p in ob.payments],
    }


@router.post(
    "/dossiers/{code}/payments",
    auth=session_or_token(),
    response={200: PaymentStarted, 201: PaymentStarted},
    summary="Bắt đầu nộp phí, lệ phí trực tuyến (Idempotency-Key bắt buộc)",
)
def start_payment(request: HttpRequest, code: str, idempotency_key: str = Header(...)):
    dossier = selectors.dossier_for(request.user, code, audit_read=False)
    started = services.create_payment(
        request.user,
        dossier,
        idempotency_key,
        return_url=request.build_absolute_uri(reverse("payments:return")),
        client_ip=request.META.get("REMOTE_ADDR", ""),
    )
    body = {**_out(started.payment, dossier.code), "redirect_url": started.redirect_url}
    return Status(200 if started.replayed else 201, body)


@router.get("/dossiers/{code}/payments/{txn_ref}/receipt", auth=session_or_token(), summary="Biên lai điện tử (PDF)")
def payment_receipt(request: HttpRequest, code: str, txn_ref: str) -> HttpResponse:
    dossier = selectors.dossier_for(request.user, code, reason="tải biên lai")
    payment = services.payment_of(dossier, txn_ref)
    content = services.receipt_pdf(payment)  # Conflict (409) while it is not paid
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="bien-lai-{payment.receipt_no}.pdf"'
    return response


@router.post(
    "/dossiers/{code}/payments/{txn_ref}/refund",
    auth=session_or_token(),
    response=PaymentOut,
    summary="Hoàn phí, lệ phí đã nộp (lãnh đạo, bộ phận một cửa)",
)
def payment_refund(request: HttpRequest, code: str, txn_ref: str, payload: RefundIn):
    dossier = selectors.dossier_for(request.user, code, audit_read=False)
    payment = services.refund(services.payment_of(dossier, txn_ref), actor=request.user, reason=payload.reason)
    return _out(payment, dossier.code)
