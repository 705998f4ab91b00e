"""Payment settings: a value in Django settings wins, else the environment, else the default.

| setting | default | meaning |
|---|---|---|
| MOTCUA_PAYMENT_GATEWAY_URL | "" | the gateway's payment page (…/paymentv2/vpcpay.html); empty = payment off |
| MOTCUA_PAYMENT_API_URL | "" | the gateway's merchant API (querydr, refund: …/merchant_webapi/api/transaction) |
| MOTCUA_PAYMENT_TMN_CODE | "MOTCUA01" | our merchant (terminal) code at the gateway |
| MOTCUA_PAYMENT_HASH_SECRET | "" | the shared HMAC-SHA512 secret; from the environment, never in the repository |
| MOTCUA_PAYMENT_EXPIRY_MINUTES | 15 | how long the gateway accepts a payment after it is created |
| MOTCUA_PAYMENT_RECONCILE_AFTER_MINUTES | 5 | a pending payment older than this is queried at the gateway |
| MOTCUA_PAYMENT_EXPIRY_GRACE_MINUTES | 2 | wait this long after `expires_at` (clock skew) before the final query |
| MOTCUA_PAYMENT_TIMEOUT_SECONDS | 10 | HTTP timeout towards the gateway's API |
| MOTCUA_PAYMENT_MAX_REFUND_ATTEMPTS | 10 | refunds still unconfirmed after this many tries wait for an operator |
| MOTCUA_RECEIPT_SERIES | "MC" | e-receipt series symbol (the one registered with the tax authority) |
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings

_DEFAULTS: dict[str, tuple[type, Any]] = {
    "MOTCUA_PAYMENT_GATEWAY_URL": (str, ""),
    "MOTCUA_PAYMENT_API_URL": (str, ""),
    "MOTCUA_PAYMENT_TMN_CODE": (str, "MOTCUA01"),
    "MOTCUA_PAYMENT_HASH_SECRET": (str, ""),
    "MOTCUA_PAYMENT_EXPIRY_MINUTES": (int, 15),
    "MOTCUA_PAYMENT_RECONCILE_AFTER_MINUTES": (int, 5),
    "MOTCUA_PAYMENT_EXPIRY_GRACE_MINUTES": (int, 2),
    "MOTCUA_PAYMENT_TIMEOUT_SECONDS": (float, 10.0),
    "MOTCUA_PAYMENT_MAX_REFUND_ATTEMPTS": (int, 10),
    "MOTCUA_RECEIPT_SERIES": (str, "MC"),
}


def get(name: str) -> Any:
    kind, default = _DEFAULTS[name]
    if hasattr(settings, name):
        return getattr(settings, name)
    raw = os.environ.get(name)
    return default if raw in (None, "") else kind(raw)


def online_enabled() -> bool:
    """Online payment is offered only when a gateway is configured with its secret."""
    return bool(get("MOTCUA_PAYMENT_GATEWAY_URL") and get("MOTCUA_PAYMENT_HASH_SECRET"))
