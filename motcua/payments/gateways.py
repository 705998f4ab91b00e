"""Payment gateways behind one interface, and the one real protocol we speak: VNPay 2.1.0.

The interface (`Gateway`):

- `redirect_params(payment, return_url) -> params` (kept on the payment), `redirect_url(params) -> url`: where the
  citizen's browser goes to pay (the same URL again for a replayed request); `create_redirect` does both;
- `verify_return(params)` / `verify_ipn(params) -> GatewayReport`: check the signature of what the gateway sent
  (the browser's return, the server-to-server IPN) and read it; `BadSignature` when it does not verify;
- `query(payment) -> GatewayReport`: ask the gateway what it knows (reconciliation); `GatewayError` when it
  cannot answer now;
- `refund(payment, ...) -> RefundReport`.

VNPay 2.1.0, as implemented here (and by `simulators/gateway`):

- Payment URL: `<payment page>?<params>&vnp_SecureHash=<hex>`, params `vnp_Version=2.1.0, vnp_Command=pay,
  vnp_TmnCode, vnp_Amount` (VND × 100), `vnp_CurrCode=VND, vnp_TxnRef, vnp_OrderInfo` (ASCII),
  `vnp_OrderType, vnp_Locale, vnp_ReturnUrl, vnp_IpAddr, vnp_CreateDate, vnp_ExpireDate` (yyyyMMddHHmmss, GMT+7).
- `vnp_SecureHash` = hex HMAC-SHA512(secret, the `vnp_*` params except the hash fields, sorted by name, each
  `name=quote_plus(value)`, joined by `&`). The return and the IPN carry the same kind of signature.
- Return/IPN: `vnp_ResponseCode` and `vnp_TransactionStatus` "00" = paid.
- Merchant API (`querydr`, `refund`): JSON POST; the hash is HMAC-SHA512 over the documented fields joined by
  `|`, in the documented order, for the request and for the answer.
"""

from __future__ import annotations

import hmac
import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from motcua.core.text import strip_diacritics
from motcua.worktime.calc import TZ

from . import conf
from .vnpay import (
    QUERY_ANSWER_FIELDS,
    QUERY_FIELDS,
    REFUND_ANSWER_FIELDS,
    REFUND_FIELDS,
    canonical_query,
    pipe_hash,
    sign_params,
)

VERSION = "2.1.0"
TIME_FORMAT = "%Y%m%d%H%M%S"
# What the gateway's transaction status means for us.
PAID, PENDING, FAILED, NOT_FOUND = "paid", "pending", "failed", "not_found"
_UNSETTLED_STATUSES = {"01", "05", "06", "07"}  # not completed / refund in progress / suspected fraud: wait


class BadSignature(Exception):
    """What the gateway (or someone pretending to be it) sent does not carry our shared secret's signature."""


class GatewayError(Exception):
    """The gateway could not answer now (network, 5xx, unreadable or unsigned answer): try again later."""


@dataclass(frozen=True)
class GatewayReport:
    """What the gateway says about one transaction, from a return, an IPN or a query."""

    txn_ref: str
    outcome: str  # PAID, PENDING, FAILED or NOT_FOUND
    amount_vnd: int | None = None
    response_code: str = ""
    transaction_status: str = ""
    transaction_no: str = ""
    bank_code: str = ""
    bank_txn_no: str = ""
    card_type: str = ""
    pay_date: datetime | None = None
    tmn_code: str = ""
    params: dict = field(default_factory=dict)

    @property
    def paid(self) -> bool:
        return self.outcome == PAID


@dataclass(frozen=True)
class RefundReport:
    done: bool  # anything else is tried again by the periodic job (up to MOTCUA_PAYMENT_MAX_REFUND_ATTEMPTS)
    response_code: str
    message: str = ""
    transaction_no: str = ""
    params: dict = field(default_factory=dict)


class Gateway(Protocol):
    code: str
    tmn_code: str

    def redirect_params(self, payment: Any, return_url: str, *, client_ip: str = "", locale: str = "vn") -> dict: ...
    def redirect_url(self, params: dict) -> str: ...
    def create_redirect(self, payment: Any, return_url: str, *, client_ip: str = "", locale: str = "vn") -> str: ...
    def verify_return(self, params: dict[str, str]) -> GatewayReport: ...
    def verify_ipn(self, params: dict[str, str]) -> GatewayReport: ...
    def query(self, payment: Any) -> GatewayReport: ...
    def refund(self, payment: Any, *, amount_vnd: int, created_by: str, reason: str = "") -> RefundReport: ...


# --- VNPay 2.1.0 ------------------------------------------------------------------------------------------------


def vn_time(value: datetime) -> str:
    return value.astimezone(TZ).strftime(TIME_FORMAT)


def parse_vn_time(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, TIME_FORMAT).replace(tzinfo=TZ)
    except (TypeError, ValueError):
        return None


def order_info(text: str) -> str:
    """VNPay wants the order description in plain ASCII without special characters (case kept: codes)."""
    kept = "".join(ch for ch in strip_diacritics(text) if (ch.isascii() and ch.isalnum()) or ch in " .-_:")
    return " ".join(kept.split())[:255]


def _amount(raw: Any) -> int | None:
    """vnp_Amount is VND × 100 as digits; anything else (or a fraction of a đồng) is no amount."""
    text = str(raw or "")
    if not text.isdigit():
        return None
    value = int(text)
    return value // 100 if value % 100 == 0 else None


def _outcome(response_code: str, status: str) -> str:
    if status == "00" and response_code in ("00", ""):
        return PAID
    if status in _UNSETTLED_STATUSES:
        return PENDING
    return FAILED


class VnpayGateway:
    code = "vnpay"

    def __init__(
        self,
        *,
        payment_url: str,
        api_url: str,
        tmn_code: str,
        secret: str,
        timeout: float = 10.0,
    ) -> None:
        if not secret:
            raise ValueError("The VNPay hash secret is not configured.")
        self.payment_url = payment_url
        self.api_url = api_url
        self.tmn_code = tmn_code
        self.secret = secret
        self.timeout = timeout

    # --- the browser's way to the gateway ----------------------------------------------------------------------
    def redirect_params(self, payment: Any, return_url: str, *, client_ip: str = "", locale: str = "vn") -> dict:
        """The payment request, without its hash (kept on the payment so a replay builds the same URL)."""
        expires = payment.expires_at or payment.created_at + timedelta(minutes=15)
        return {
            "vnp_Version": VERSION,
            "vnp_Command": "pay",
            "vnp_TmnCode": self.tmn_code,
            "vnp_Amount": str(int(payment.amount_vnd) * 100),
            "vnp_CurrCode": "VND",
            "vnp_TxnRef": payment.txn_ref,
            "vnp_OrderInfo": order_info(payment.purpose),
            "vnp_OrderType": "other",
            "vnp_Locale": "en" if locale == "en" else "vn",
            "vnp_ReturnUrl": return_url,
            "vnp_IpAddr": client_ip or "127.0.0.1",
            "vnp_CreateDate": vn_time(payment.created_at),
            "vnp_ExpireDate": vn_time(expires),
        }

    def redirect_url(self, params: dict) -> str:
        return f"{self.payment_url}?{canonical_query(params)}&vnp_SecureHash={sign_params(params, self.secret)}"

    def create_redirect(self, payment: Any, return_url: str, *, client_ip: str = "", locale: str = "vn") -> str:
        return self.redirect_url(self.redirect_params(payment, return_url, client_ip=client_ip, locale=locale))

    # --- what comes back ---------------------------------------------------------------------------------------
    def _verify(self, params: dict[str, str]) -> GatewayReport:
        given = str(params.get("vnp_SecureHash") or "").lower()
        expected = sign_params(params, self.secret)
        if not given or not hmac.compare_digest(given, expected):
            raise BadSignature("Chữ ký (vnp_SecureHash) không đúng.")
        code, status = str(params.get("vnp_ResponseCode", "")), str(params.get("vnp_TransactionStatus", ""))
        return GatewayReport(
            txn_ref=str(params.get("vnp_TxnRef", "")),
            outcome=_outcome(code or "-", status),
            amount_vnd=_amount(params.get("vnp_Amount")),
            response_code=code,
            transaction_status=status,
            transaction_no=str(params.get("vnp_TransactionNo", "")),
            bank_code=str(params.get("vnp_BankCode", "")),
            bank_txn_no=str(params.get("vnp_BankTranNo", "")),
            card_type=str(params.get("vnp_CardType", "")),
            pay_date=parse_vn_time(str(params.get("vnp_PayDate", ""))),
            tmn_code=str(params.get("vnp_TmnCode", "")),
            params=dict(params),
        )

    def verify_return(self, params: dict[str, str]) -> GatewayReport:
        return self._verify(params)

    def verify_ipn(self, params: dict[str, str]) -> GatewayReport:
        return self._verify(params)

    # --- the merchant API --------------------------------------------------------------------------------------
    def _post(self, body: dict, answer_fields: tuple[str, ...]) -> dict:
        if not self.api_url:
            raise GatewayError("Chưa cấu hình địa chỉ API của cổng thanh toán.")
        request = urllib.request.Request(  # noqa: S310 - the configured https URL of the gateway
            self.api_url,
            data=json.dumps(body).encode("utf-8"),
            method="POST",
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - configured URL
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise GatewayError(f"Cổng thanh toán trả lỗi HTTP {exc.code}.") from None
        except (OSError, ValueError) as exc:
            raise GatewayError(f"Không kết nối được cổng thanh toán ({exc}).") from None
        try:
            answer = json.loads(raw)
        except ValueError:
            raise GatewayError("Câu trả lời của cổng thanh toán không phải JSON.") from None
        if not isinstance(answer, dict):
            raise GatewayError("Câu trả lời của cổng thanh toán không hợp lệ.")
        given = str(answer.get("vnp_SecureHash") or "").lower()
        if not given or not hmac.compare_digest(given, pipe_hash(answer, answer_fields, self.secret)):
            raise GatewayError("Câu trả lời của cổng thanh toán sai chữ ký.")
        return answer

    def _request_base(self, command: str, payment: Any, now: datetime) -> dict:
        return {
            "vnp_RequestId": uuid.uuid4().hex[:32],
            "vnp_Version": VERSION,
            "vnp_Command": command,
            "vnp_TmnCode": self.tmn_code,
            "vnp_TxnRef": payment.txn_ref,
            "vnp_OrderInfo": order_info(f"{command} {payment.txn_ref}"),
            "vnp_TransactionDate": (payment.request_params or {}).get("vnp_CreateDate") or vn_time(payment.created_at),
            "vnp_CreateDate": vn_time(now),
            "vnp_IpAddr": "127.0.0.1",
        }

    def query(self, payment: Any) -> GatewayReport:
        from django.utils import timezone

        body = self._request_base("querydr", payment, timezone.now())
        body["vnp_SecureHash"] = pipe_hash(body, QUERY_FIELDS, self.secret)
        answer = self._post(body, QUERY_ANSWER_FIELDS)
        code = str(answer.get("vnp_ResponseCode", ""))
        if code == "91":
            return GatewayReport(txn_ref=payment.txn_ref, outcome=NOT_FOUND, response_code=code, params=answer)
        if code != "00":
            raise GatewayError(f"Cổng thanh toán không tra được giao dịch (mã {code}: {answer.get('vnp_Message')}).")
        status = str(answer.get("vnp_TransactionStatus", ""))
        if str(answer.get("vnp_TxnRef", "")) != payment.txn_ref:
            raise GatewayError("Cổng thanh toán trả lời về một giao dịch khác.")
        return GatewayReport(
            txn_ref=payment.txn_ref,
            outcome=_outcome("", status),
            amount_vnd=_amount(answer.get("vnp_Amount")),
            response_code="",  # the query's own code ("00") says nothing about the payment: see the status
            transaction_status=status,
            transaction_no=str(answer.get("vnp_TransactionNo", "")),
            bank_code=str(answer.get("vnp_BankCode", "")),
            pay_date=parse_vn_time(str(answer.get("vnp_PayDate", ""))),
            tmn_code=str(answer.get("vnp_TmnCode", "")),
            params=answer,
        )

    def refund(self, payment: Any, *, amount_vnd: int, created_by: str, reason: str = "") -> RefundReport:
        from django.utils import timezone

        body = self._request_base("refund", payment, timezone.now())
        full = int(amount_vnd) >= int(payment.gateway_amount_vnd or payment.amount_vnd)
        body.update(
            {
                "vnp_TransactionType": "02" if full else "03",
                "vnp_Amount": str(int(amount_vnd) * 100),
                "vnp_TransactionNo": payment.gateway_txn_no or "0",
                "vnp_CreateBy": order_info(created_by)[:64] or "motcua",
                "vnp_OrderInfo": order_info(reason or f"Hoan tien {payment.txn_ref}"),
            }
        )
        body["vnp_SecureHash"] = pipe_hash(body, REFUND_FIELDS, self.secret)
        answer = self._post(body, REFUND_ANSWER_FIELDS)
        code = str(answer.get("vnp_ResponseCode", ""))
        return RefundReport(
            # "94": a refund of this transaction was already made (our refunds are one per payment, in full)
            done=code in ("00", "94"),
            response_code=code,
            message=str(answer.get("vnp_Message", "")),
            transaction_no=str(answer.get("vnp_TransactionNo", "")),
            params=answer,
        )


def get_gateway() -> VnpayGateway:
    return VnpayGateway(
        payment_url=conf.get("MOTCUA_PAYMENT_GATEWAY_URL"),
        api_url=conf.get("MOTCUA_PAYMENT_API_URL"),
        tmn_code=conf.get("MOTCUA_PAYMENT_TMN_CODE"),
        secret=conf.get("MOTCUA_PAYMENT_HASH_SECRET"),
        timeout=conf.get("MOTCUA_PAYMENT_TIMEOUT_SECONDS"),
    )


def ipn_answer(code: str) -> dict[str, str]:
    """The merchant's answer to an IPN, as VNPay expects it."""
    return {"RspCode": code, "Message": IPN_MESSAGES[code]}


IPN_MESSAGES = {
    "00": "Confirm Success",
    "01": "Order not found",
    "02": "Order already confirmed",
    "04": "Invalid amount",
    "97": "Invalid signature",
    "99": "Unknown error",
}

__all__ = [
    "FAILED",
    "NOT_FOUND",
    "PAID",
    "PENDING",
    "BadSignature",
    "Gateway",
    "GatewayError",
    "GatewayReport",
    "RefundReport",
    "VnpayGateway",
    "canonical_query",
    "get_gateway",
    "ipn_answer",
    "sign_params",
]
