"""SMS through a provider adapter: `send(phone, text, message_id) -> provider_id` and delivery reports.

Configured by `settings.MOTCUA_SMS` (a dict, like CACHES): BACKEND (the adapter class), URL (empty: SMS off),
API_KEY, BRANDNAME, UNICODE (False: the provider takes no diacritics, texts are sent without them), TIMEOUT,
DLR_URL (our delivery-report URL, sent with every message). `HttpSmsProvider` speaks the JSON API of the
brandname gateway that `simulators/sms` models; another gateway is another class with the same two methods.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from django.utils.dateparse import parse_datetime

from motcua.core.text import strip_diacritics

from .errors import PermanentError, TransientError
from .providers import ProviderSetting, post_json
from .smstext import segments, sign_body

# Gateway refusals that will never succeed on a retry (the message is failed at once).
PERMANENT_CODES = {"invalid_phone", "empty_text", "too_long", "unicode_not_allowed", "brandname_not_registered"}


class ReportRefused(Exception):
    """A delivery report that cannot be trusted (bad signature) or read."""


@dataclass(frozen=True)
class DeliveryReport:
    provider_id: str
    ref: str  # our message id, echoed by the provider
    delivered: bool
    error: str = ""
    at: datetime | None = None


class SmsProvider(Protocol):
    unicode: bool

    def send(self, phone: str, text: str, message_id: str) -> str: ...

    def parse_report(self, headers: dict[str, str], body: bytes) -> DeliveryReport: ...


class HttpSmsProvider:
    """POST {phone, text, brandname, ref, callback_url} with `X-Api-Key`; answer {"code": "00", "message_id"}.
    Our message id travels as `ref`, the gateway's idempotency key: a retry after a lost answer sends nothing
    twice. Delivery reports are signed `X-Signature: hex(HMAC-SHA256(API_KEY, body))`."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.url = str(options.get("URL") or "").rstrip("/")
        self.api_key = str(options.get("API_KEY") or "")
        self.brandname = str(options.get("BRANDNAME") or "")
        self.unicode = bool(options.get("UNICODE", True))
        self.timeout = float(options.get("TIMEOUT") or 10)
        self.dlr_url = str(options.get("DLR_URL") or "")

    def send(self, phone: str, text: str, message_id: str) -> str:
        payload = {"phone": phone, "text": text, "brandname": self.brandname, "ref": message_id}
        if self.dlr_url:
            payload["callback_url"] = self.dlr_url
        status, data = post_json(
            f"{self.url}/v1/sms/send",
            payload,
            {"X-Api-Key": self.api_key},
            self.timeout,
            unreachable="Không kết nối được cổng SMS",
        )
        code = str(data.get("code", ""))
        if status == 200 and code == "00" and data.get("message_id"):
            return str(data["message_id"])
        detail = f"HTTP {status} {code}: {data.get('error', '')}".strip()
        if 400 <= status < 500 and code in PERMANENT_CODES:
            raise PermanentError(f"Cổng SMS từ chối tin nhắn ({detail}).")
        raise TransientError(f"Cổng SMS chưa nhận tin nhắn ({detail}).")

    def parse_report(self, headers: dict[str, str], body: bytes) -> DeliveryReport:
        given = next((v for k, v in headers.items() if k.lower() == "x-signature"), "")
        if not self.api_key or not hmac.compare_digest(given.strip(), sign_body(self.api_key, body)):
            raise ReportRefused("Chữ ký báo cáo trạng thái không hợp lệ.")
        try:
            data = json.loads(body)
            provider_id, ref, status = str(data["message_id"]), str(data.get("ref") or ""), str(data["status"])
            at = parse_datetime(str(data.get("done_at") or ""))  # ValueError: a well-formed impossible date
        except (ValueError, KeyError, TypeError) as exc:
            raise ReportRefused("Báo cáo trạng thái không đúng định dạng.") from exc
        if status.upper() not in ("DELIVERED", "FAILED"):
            raise ReportRefused(f"Trạng thái không rõ: {status}.")
        return DeliveryReport(
            provider_id=provider_id,
            ref=ref,
            delivered=status.upper() == "DELIVERED",
            error=str(data.get("error_code") or ""),
            at=at,
        )


SETTING = ProviderSetting("MOTCUA_SMS", "motcua.notifications.sms.HttpSmsProvider")
options, configured = SETTING.options, SETTING.configured


def provider() -> SmsProvider:
    return SETTING.provider()


def prepare(text: str, unicode: bool | None = None) -> tuple[str, int]:
    """The text as the provider will take it (without diacritics when it takes no Unicode) and its segments."""
    if unicode is None:
        unicode = bool(options().get("UNICODE", True))
    text = " ".join(text.split())  # one line: templates may wrap
    if not unicode:
        text = strip_diacritics(text)
    return text, segments(text)
