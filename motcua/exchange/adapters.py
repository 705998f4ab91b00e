"""The one contract every agency adapter keeps: accepted now, accepted for later, or rejected with reasons.

`HttpAdapter` talks to another agency's system over signed HTTP; `InternalAdapter` runs a Python handler inside
motcua for agencies whose step is processed here. The outbox (services.deliver_due) does not care which.
Anything that may succeed on a later try (connection refused, timeout, 5xx, 429, a bad or missing response
signature) raises `TransientError`, which the outbox turns into a retry with back-off.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings

from . import signing

if TYPE_CHECKING:
    from .models import ExchangePartner, OutboxMessage


@dataclass(frozen=True)
class Accepted:
    result: dict = field(default_factory=dict)


@dataclass(frozen=True)
class AcceptedLater:
    ticket: str = ""


@dataclass(frozen=True)
class Rejected:
    reasons: list = field(default_factory=list)


Outcome = Accepted | AcceptedLater | Rejected


class TransientError(Exception):
    """The partner could not be reached or its answer cannot be trusted yet: try again later."""


def envelope(kind: str, payload: Any) -> bytes:
    """The exact body bytes of a message (canonical JSON, so the receiver can recompute the request hash)."""
    return signing.canonical_json({"kind": kind, "payload": payload})


def message_headers(
    *, sender: str, message_id: str, citizen: str = "", dossier: str = "", payload_hash: str
) -> dict[str, str]:
    return {
        "X-Motcua-Sender": sender,
        "X-Motcua-Message-Id": str(message_id),
        "X-Motcua-Citizen": citizen or "",
        "X-Motcua-Dossier": dossier or "",
        "X-Motcua-Request-Hash": payload_hash,
    }


def outcome_from_response(status: int, data: Any) -> Outcome:
    """Read a partner's (already verified) answer: 200 accepted, 202 accepted later, 4xx rejected with reasons."""
    if not isinstance(data, dict):
        raise TransientError(f"Phản hồi của đối tác không đúng định dạng (HTTP {status}).")
    if status == 200 and data.get("status", "accepted") == "accepted":
        return Accepted(result=data.get("result") or {})
    if status == 202 or data.get("status") == "accepted_later":
        ticket = str(data.get("ticket") or "")
        if not ticket:
            raise TransientError("Đối tác hẹn trả kết quả sau nhưng không cấp mã phiếu (ticket).")
        return AcceptedLater(ticket=ticket)
    if 400 <= status < 500 or data.get("status") == "rejected":
        reasons = data.get("reasons") or [{"code": str(status), "message": str(data.get("detail") or "")}]
        return Rejected(reasons=list(reasons))
    raise TransientError(f"Phản hồi ngoài dự kiến của đối tác (HTTP {status}).")


class HttpAdapter:
    """POST the signed message to `<partner.base_url>/messages`; verify the partner's signed answer."""

    def __init__(self, partner: ExchangePartner) -> None:
        self.partner = partner

    def send(self, message: OutboxMessage) -> Outcome:
        body = envelope(message.kind, message.payload)
        headers = message_headers(
            sender=message.sender_agency_code,
            message_id=str(message.message_id),
            citizen=message.acting_citizen_id,
            dossier=message.dossier_code,
            payload_hash=message.request_hash,
        )
        headers[signing.SIGNATURE_HEADER] = signing.sign(headers, body)
        url = self.partner.base_url.rstrip("/") + "/messages"
        request = urllib.request.Request(  # noqa: S310 - the URL is an operator-configured partner endpoint
            url, data=body, method="POST", headers={**headers, "Content-Type": "application/json; charset=utf-8"}
        )
        try:
            with urllib.request.urlopen(request, timeout=settings.MOTCUA_EXCHANGE_TIMEOUT_SECONDS) as response:  # noqa: S310
                status, raw, rheaders = response.status, response.read(), dict(response.headers.items())
        except urllib.error.HTTPError as exc:
            status, raw, rheaders = exc.code, exc.read(), dict(exc.headers.items())
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise TransientError(f"Không kết nối được {self.partner.code}: {exc}") from exc
        if status >= 500 or status == 429:
            raise TransientError(f"{self.partner.code} trả lời HTTP {status}.")
        try:
            signing.verify(rheaders, raw, self.partner.public_jwk)
        except signing.SignatureError as exc:
            raise TransientError(f"Phản hồi của {self.partner.code} không có chữ ký hợp lệ: {exc}") from exc
        if signing._get(rheaders, "X-Motcua-Message-Id") != str(message.message_id):
            raise TransientError("Phản hồi của đối tác không khớp mã thông điệp đã gửi.")
        try:
            data = json.loads(raw or b"{}")
        except ValueError as exc:
            raise TransientError("Phản hồi của đối tác không phải JSON.") from exc
        return outcome_from_response(status, data)


# --- agencies processed inside motcua ------------------------------------------------------------------------
InternalHandler = Callable[["OutboxMessage"], Outcome]
_internal_handlers: dict[str, InternalHandler] = {}


def register_internal(kind: str) -> Callable[[InternalHandler], InternalHandler]:
    """Decorator: `@register_internal("residence.register")` handles that kind for 'internal' partners."""

    def decorate(fn: InternalHandler) -> InternalHandler:
        _internal_handlers[kind] = fn
        return fn

    return decorate


def unregister_internal(kind: str) -> None:
    _internal_handlers.pop(kind, None)


class InternalAdapter:
    """Runs the registered handler for the message's kind, in-process; a missing handler is a rejection."""

    def __init__(self, partner: ExchangePartner) -> None:
        self.partner = partner

    def send(self, message: OutboxMessage) -> Outcome:
        handler = _internal_handlers.get(message.kind)
        if handler is None:
            return Rejected(
                reasons=[{"code": "khong_ho_tro", "message": f"Chưa có bộ xử lý nội bộ cho loại '{message.kind}'."}]
            )
        return handler(message)


def adapter_for(partner: ExchangePartner) -> HttpAdapter | InternalAdapter:
    return InternalAdapter(partner) if partner.kind == "internal" else HttpAdapter(partner)
