"""What the SMS and push adapters share: their settings (a dict like CACHES, naming the adapter class) and the one
JSON POST they make, where a network failure is always a `TransientError` (retried by the worker)."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from .errors import TransientError


@dataclass(frozen=True)
class ProviderSetting:
    """`settings.<name>`: BACKEND (the adapter class, else `default_backend`), URL (empty: the channel is off), and
    the adapter's own options; the adapter is built with the whole dict."""

    name: str
    default_backend: str

    def options(self) -> dict[str, Any]:
        return dict(getattr(settings, self.name, {}) or {})

    def configured(self) -> bool:
        return bool(self.options().get("URL"))

    def provider(self) -> Any:
        opts = self.options()
        return import_string(opts.get("BACKEND") or self.default_backend)(opts)


def post_json(
    url: str, payload: dict, headers: dict[str, str], timeout: float, *, unreachable: str
) -> tuple[int, dict]:
    """POST `payload` as UTF-8 JSON; returns (HTTP status, the answer's JSON object, or {} when it is none). Not
    reaching the provider raises TransientError("<unreachable>: <why>")."""
    request = urllib.request.Request(  # noqa: S310 - the provider URL from the settings
        url,
        data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except (OSError, http.client.HTTPException) as exc:  # refused, timed out, cut off mid-answer
        raise TransientError(f"{unreachable}: {exc}") from exc
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        data = {}
    return status, data if isinstance(data, dict) else {}
