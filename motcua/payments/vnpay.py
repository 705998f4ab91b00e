"""The VNPay 2.1.0 protocol as both ends speak it: the signed text, the HMAC-SHA512 signatures, and the field
orders of the merchant API's pipe-joined hashes. Pure (no Django): the gateway simulator signs with the same
code the platform verifies with, so the two can only disagree about behaviour, never about the wire format."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from urllib.parse import quote_plus

HASH_FIELDS = ("vnp_SecureHash", "vnp_SecureHashType")
QUERY_FIELDS = (
    "vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_TxnRef", "vnp_TransactionDate",
    "vnp_CreateDate", "vnp_IpAddr", "vnp_OrderInfo",
)  # fmt: skip
QUERY_ANSWER_FIELDS = (
    "vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message", "vnp_TmnCode", "vnp_TxnRef", "vnp_Amount",
    "vnp_BankCode", "vnp_PayDate", "vnp_TransactionNo", "vnp_TransactionType", "vnp_TransactionStatus",
    "vnp_OrderInfo", "vnp_PromotionCode", "vnp_PromotionAmount",
)  # fmt: skip
REFUND_FIELDS = (
    "vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_TransactionType", "vnp_TxnRef",
    "vnp_Amount", "vnp_TransactionNo", "vnp_TransactionDate", "vnp_CreateBy", "vnp_CreateDate", "vnp_IpAddr",
    "vnp_OrderInfo",
)  # fmt: skip
REFUND_ANSWER_FIELDS = (
    "vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message", "vnp_TmnCode", "vnp_TxnRef", "vnp_Amount",
    "vnp_BankCode", "vnp_PayDate", "vnp_TransactionNo", "vnp_TransactionType", "vnp_TransactionStatus",
    "vnp_OrderInfo",
)  # fmt: skip


def canonical_query(params: dict[str, Any]) -> str:
    """The signed text: every `vnp_*` parameter but the hash fields, sorted, `name=quote_plus(value)`, `&`."""
    items = sorted((k, str(v)) for k, v in params.items() if k.startswith("vnp_") and k not in HASH_FIELDS)
    return "&".join(f"{k}={quote_plus(v)}" for k, v in items)


def hmac_sha512(secret: str, text: str) -> str:
    return hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha512).hexdigest()


def sign_params(params: dict[str, Any], secret: str) -> str:
    return hmac_sha512(secret, canonical_query(params))


def pipe_hash(values: dict[str, Any], names: tuple[str, ...], secret: str) -> str:
    """The merchant API's hash: the named fields' values joined by '|' in the documented order."""
    return hmac_sha512(secret, "|".join(str(values.get(n, "")) for n in names))
