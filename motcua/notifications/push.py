"""A "VNeID-style" push channel: a notification to the citizen's national identity app, addressed by personal ID.

Off by default. Switched on by `settings.MOTCUA_PUSH["URL"]` (env MOTCUA_PUSH_URL); the adapter class is
`MOTCUA_PUSH["BACKEND"]`. `HttpPushProvider` POSTs JSON to `<URL>/v1/notifications` with a bearer key and takes
the platform's id from the answer; the national platform's real API is agreed with its operator, so this is the
shape an adapter for it must keep: `send(personal_id, title, body, message_id, link) -> provider_id`.
"""

from __future__ import annotations

from typing import Any, Protocol

from .errors import PermanentError, TransientError
from .providers import ProviderSetting, post_json


class PushProvider(Protocol):
    def send(self, personal_id: str, title: str, body: str, message_id: str, link: str = "") -> str: ...


class HttpPushProvider:
    def __init__(self, options: dict[str, Any]) -> None:
        self.url = str(options.get("URL") or "").rstrip("/")
        self.api_key = str(options.get("API_KEY") or "")
        self.timeout = float(options.get("TIMEOUT") or 10)

    def send(self, personal_id: str, title: str, body: str, message_id: str, link: str = "") -> str:
        status, data = post_json(
            f"{self.url}/v1/notifications",
            {"personal_id": personal_id, "title": title, "body": body, "message_id": message_id, "link": link},
            {"Authorization": f"Bearer {self.api_key}", "Idempotency-Key": message_id},
            self.timeout,
            unreachable="Không kết nối được nền tảng thông báo",
        )
        if 200 <= status < 300 and data.get("id"):
            return str(data["id"])
        if status in (400, 404, 410, 422):  # malformed, or no app account for this person: never on a retry
            raise PermanentError(f"Nền tảng thông báo từ chối (HTTP {status}).")
        raise TransientError(f"Nền tảng thông báo chưa nhận (HTTP {status}).")


SETTING = ProviderSetting("MOTCUA_PUSH", "motcua.notifications.push.HttpPushProvider")
options, configured = SETTING.options, SETTING.configured


def provider() -> PushProvider:
    return SETTING.provider()
