"""A "VNeID-style" push channel: a notification to the citizen's national identity app, addressed by personal ID.

Off by default. Switched on by `settings.MOTCUA_PUSH["URL"]` (env MOTCUA_PUSH_URL); the adapter class is
`MOTCUA_PUSH["BACKEND"]`. `HttpPushProvider` POSTs JSON to `<URL>/v1/notifications` with a bearer key and takes
the platform's id from the answer; the national platform's real API is agreed with its operator, so this is the
shape an adapter for it must keep: `send(personal_id, title, body, message_id, link) -> provider_id`.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from .errors import PermanentError, TransientError


class PushProvider(Protocol):
    def send(self, personal_id: str, title: str, body: str, message_id: str, link: str = "") -> str: ...


class HttpPushProvider:
    def __init__(self, options: dict[str, Any]) -> None:
        self.url = str(options.get("URL") or "").rstrip("/")
        self.api_key = str(options.get("API_KEY") or "")
        self.timeout = float(options.get("TIMEOUT") or 10)

    def send(self, personal_id: str, title: str, body: str, message_id: str, link: str = "") -> str:
        payload = {"personal_id": personal_id, "title": title, "body": body, "message_id": message_id, "link": link}
        request = urllib.request.Request(  # noqa: S310 - the configured platform URL
            f"{self.url}/v1/notifications",
            data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {self.api_key}",
                "Idempotency-Key": message_id,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise TransientError(f"Không kết nối được nền tảng thông báo: {exc}") from exc
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {}
        if 200 <= status < 300 and isinstance(data, dict) and data.get("id"):
            return str(data["id"])
        if status in (400, 404, 410, 422):  # malformed, or no app account for this person: never on a retry
            raise PermanentError(f"Nền tảng thông báo từ chối (HTTP {status}).")
        raise TransientError(f"Nền tảng thông báo chưa nhận (HTTP {status}).")


def options() -> dict[str, Any]:
    return dict(getattr(settings, "MOTCUA_PUSH", {}) or {})


def configured() -> bool:
    return bool(options().get("URL"))


def provider() -> PushProvider:
    opts = options()
    backend = import_string(opts.get("BACKEND") or "motcua.notifications.push.HttpPushProvider")
    return backend(opts)
