"""Client of the national population registry (Cơ sở dữ liệu quốc gia về dân cư).

Every request names the dossier it serves and why (the registry logs both, and so do we: each look-up of a
citizen's data writes an audit record with who asked, about whom, for which dossier and why). Every answer is
checked against the registry's signature (a detached JWS over the exact body bytes, `X-Registry-Signature`,
keys at `/jwks`) before it is believed. Anything that stops us from getting a signed answer (connection error,
timeout, 5xx, a bad signature) is `RegistryUnavailable`: callers degrade (dossier flagged "to verify", form not
pre-filled) rather than trust unsigned data or block the citizen.

Uses urllib.request: the project ships no HTTP client library.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import threading
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from joserfc import jws
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from motcua.audit import services as audit

log = logging.getLogger("motcua.identity.registry")

SIGNATURE_HEADER = "X-Registry-Signature"
ALGORITHMS = ["ES256"]
NO_CODE_PREFIX = "chua-co-ma-"  # a look-up made before the dossier has its code (pre-fill, checks at submission)


class RegistryUnavailable(Exception):
    """No trustworthy answer from the registry (down, slow, 5xx, unsigned or badly signed)."""


def configured() -> bool:
    return bool(settings.MOTCUA_REGISTRY_URL)


def pending_ref(hint: str = "") -> str:
    """The `dossier` parameter for a look-up made before a dossier code exists: "chua-co-ma-" + a short reference."""
    suffix = secrets.token_hex(4)
    return f"{NO_CODE_PREFIX}{hint}-{suffix}" if hint else f"{NO_CODE_PREFIX}{suffix}"


def _base() -> str:
    return settings.MOTCUA_REGISTRY_URL.rstrip("/")


# --- keys ------------------------------------------------------------------------------------------------------

_lock = threading.Lock()
_keys: dict[str, KeySet] = {}


def forget_cached_keys() -> None:
    with _lock:
        _keys.clear()


def _key_set(*, force: bool = False) -> KeySet:
    base = _base()
    with _lock:
        cached = None if force else _keys.get(base)
    if cached is not None:
        return cached
    status, body, _headers = _get(f"{base}/jwks")
    if status != 200:
        raise RegistryUnavailable(f"JWKS: HTTP {status}")
    try:
        keys = KeySet.import_key_set(json.loads(body))
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise RegistryUnavailable(f"JWKS unreadable: {exc}") from exc
    with _lock:
        _keys[base] = keys
    return keys


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def verify_signature(body: bytes, signature: str) -> None:
    """Check a detached compact JWS (`header..signature`, RFC 7515 Appendix F) over the exact body bytes."""
    parts = (signature or "").strip().split(".")
    if len(parts) != 3 or parts[1] != "" or not parts[0] or not parts[2]:
        raise RegistryUnavailable("missing or malformed signature")
    compact = f"{parts[0]}.{_b64url(body)}.{parts[2]}"
    try:
        try:
            jws.deserialize_compact(compact, _key_set(), algorithms=ALGORITHMS)
        except InvalidKeyIdError:
            jws.deserialize_compact(compact, _key_set(force=True), algorithms=ALGORITHMS)  # key rotation
    except JoseError as exc:
        raise RegistryUnavailable(f"bad signature: {exc.__class__.__name__}") from exc


# --- HTTP ------------------------------------------------------------------------------------------------------


def _get(url: str) -> tuple[int, bytes, Any]:
    """(status, body, headers); connection errors and timeouts become RegistryUnavailable."""
    if not url.startswith(("http://", "https://")):
        raise RegistryUnavailable(f"bad registry URL: {url}")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=settings.MOTCUA_REGISTRY_TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise RegistryUnavailable(f"{url}: {exc}") from exc


def _lookup(kind: str, pid: str, *, dossier_ref: str, purpose: str, actor: Any) -> dict | None:
    """GET /v1/<kind>/<pid>; the signed document, None when the registry has no such record."""
    if not configured():
        raise RegistryUnavailable("registry not configured")
    if not dossier_ref or not purpose:
        raise ValueError("Mỗi lần tra cứu CSDL dân cư phải nêu hồ sơ và mục đích.")
    query = urlencode({"dossier": dossier_ref, "purpose": purpose})
    url = f"{_base()}/v1/{kind}/{quote(pid, safe='')}?{query}"
    outcome = "ok"
    try:
        status, body, headers = _get(url)
        if status in (400, 404):
            outcome = "not_found"
            return None
        if status != 200:
            raise RegistryUnavailable(f"HTTP {status}")
        verify_signature(body, headers.get(SIGNATURE_HEADER, ""))
        try:
            document = json.loads(body)
        except ValueError as exc:
            raise RegistryUnavailable("signed body is not JSON") from exc
        if not isinstance(document, dict):
            raise RegistryUnavailable("signed body is not an object")
        return document
    except RegistryUnavailable as exc:
        outcome = "unavailable"
        log.warning("Population registry unavailable (%s %s, dossier %s): %s", kind, pid, dossier_ref, exc)
        raise
    finally:
        audit.record(
            actor=actor,
            action=f"registry.{kind}.lookup",
            obj_type="citizen",
            obj_id=pid,
            reason=purpose,
            data={"dossier": dossier_ref, "purpose": purpose, "outcome": outcome},
        )


def person(pid: str, *, dossier_ref: str, purpose: str, actor: Any) -> dict | None:
    """The registry's record of one person (signed), or None if the number is unknown."""
    return _lookup("persons", pid, dossier_ref=dossier_ref, purpose=purpose, actor=actor)


def household(pid: str, *, dossier_ref: str, purpose: str, actor: Any) -> dict | None:
    """The household the person is registered in (signed), or None if the number is unknown."""
    return _lookup("households", pid, dossier_ref=dossier_ref, purpose=purpose, actor=actor)
