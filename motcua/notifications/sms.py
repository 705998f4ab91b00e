"""SMS through a provider adapter: `send(phone, text, message_id) -> provider_id` and delivery reports.

Configured by `settings.MOTCUA_SMS` (a dict, like CACHES): BACKEND (the adapter class), URL (empty: SMS off),
API_KEY, BRANDNAME, UNICODE (False: the provider takes no diacritics, texts are sent without them), TIMEOUT,
DLR_URL (our delivery-report URL, sent with every message). `HttpSmsProvider` speaks the JSON API of the
brandname gateway that `simulators/sms` models; another gateway is another class with the same two methods.
"""

from __future__ import annotations

import hmac
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from django.conf import settings
from django.utils.dateparse import parse_datetime
from django.utils.module_loading import import_string

from .errors import PermanentError, TransientError
from .smstext import segments, sign_body, strip_diacritics

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
        request = urllib.request.Request(  # noqa: S310 - the configured gateway URL
            f"{self.url}/v1/sms/send",
            data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", "X-Api-Key": self.api_key},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise TransientError(f"Không kết nối được cổng SMS: {exc}") from exc
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {}
        code = str(data.get("code", "")) if isinstance(data, dict) else ""
        if status == 200 and code == "00" and data.get("message_id"):
            return str(data["message_id"])
        detail = f"HTTP {status} {code}: {data.get('error', '') if isinstance(data, dict) else ''}".strip()
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
        except (ValueError, KeyError, TypeError) as exc:
            raise ReportRefused("Báo cáo trạng thái không đúng định dạng.") from exc
        if status.upper() not in ("DELIVERED", "FAILED"):
            raise ReportRefused(f"Trạng thái không rõ: {status}.")
        return DeliveryReport(
            provider_id=provider_id,
            ref=ref,
            delivered=status.upper() == "DELIVERED",
            error=str(data.get("error_code") or ""),
            at=parse_datetime(str(data.get("done_at") or "")),
        )


def options() -> dict[str, Any]:
    return dict(getattr(settings, "MOTCUA_SMS", {}) or {})


def configured() -> bool:
    return bool(options().get("URL"))


def provider() -> SmsProvider:
    opts = options()
    backend = import_string(opts.get("BACKEND") or "motcua.notifications.sms.HttpSmsProvider")
    return backend(opts)


def prepare(text: str, unicode: bool | None = None) -> tuple[str, int]:
    """The text as the provider will take it (without diacritics when it takes no Unicode) and its segments."""
    if unicode is None:
        unicode = bool(options().get("UNICODE", True))
    text = " ".join(text.split())  # one line: templates may wrap
    if not unicode:
        text = strip_diacritics(text)
    return text, segments(text)
