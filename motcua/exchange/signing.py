"""Signing and verifying exchange messages: compact JWS (ES256, detached payload) over the X-Road-like headers.

The signed payload is a canonical text, one `name:value` line per header in SIGNED_HEADERS order, then the
SHA-256 of the exact body bytes:

    motcua-exchange-v1
    x-motcua-sender:<agency code>
    x-motcua-message-id:<uuid>
    x-motcua-citizen:<12 digits or empty>
    x-motcua-dossier:<dossier code or empty>
    x-motcua-request-hash:<sha256 hex of the canonical JSON payload>
    body-sha256:<sha256 hex of the body bytes>

The JWS travels detached (`header..signature`, RFC 7515 Appendix F) in `X-Motcua-Signature`. The same format
signs requests, responses and callbacks, so every hop can be kept as evidence. This module is pure protocol
(usable by the simulators); only `agency_key()` and `sign()` read Django settings.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

ALG = "ES256"
VERSION = "motcua-exchange-v1"
SIGNATURE_HEADER = "X-Motcua-Signature"
SIGNED_HEADERS = (
    "X-Motcua-Sender",
    "X-Motcua-Message-Id",
    "X-Motcua-Citizen",
    "X-Motcua-Dossier",
    "X-Motcua-Request-Hash",
)


class SignatureError(ValueError):
    """The message's signature is missing, malformed, from an unknown key, or does not match the message."""


def canonical_json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def request_hash(payload: Any) -> str:
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def _get(headers: Mapping[str, str], name: str) -> str:
    lower = name.lower()
    for key, value in headers.items():
        if key.lower() == lower:
            return str(value)
    return ""


def canonical_string(headers: Mapping[str, str], body: bytes) -> bytes:
    lines = [VERSION]
    for name in SIGNED_HEADERS:
        value = _get(headers, name).strip()
        if "\n" in value or "\r" in value:
            raise SignatureError(f"Tiêu đề {name} không được chứa ký tự xuống dòng.")
        lines.append(f"{name.lower()}:{value}")
    lines.append(f"body-sha256:{hashlib.sha256(body).hexdigest()}")
    return "\n".join(lines).encode("utf-8")


def sign_with_key(key: ECKey, headers: Mapping[str, str], body: bytes) -> str:
    kid = key.kid or key.thumbprint()
    full = jws.serialize_compact({"alg": ALG, "kid": kid}, canonical_string(headers, body), key, [ALG])
    return jws.detach_content(full)


def public_jwk(key: ECKey) -> dict:
    return dict(key.as_dict(private=False, use="sig", alg=ALG, kid=key.kid or key.thumbprint()))


def verify(headers: Mapping[str, str], body: bytes, jwk: Mapping[str, Any]) -> None:
    """Check the `X-Motcua-Signature` of a message against a JWK or a JWKS; raise SignatureError if it fails."""
    token = _get(headers, SIGNATURE_HEADER).strip()
    if not token:
        raise SignatureError("Thiếu chữ ký (tiêu đề X-Motcua-Signature).")
    if not jwk:
        raise SignatureError("Chưa cấu hình khóa công khai của bên gửi.")
    try:
        keys = KeySet.import_key_set(dict(jwk)) if "keys" in jwk else KeySet.import_key_set({"keys": [dict(jwk)]})
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise SignatureError(f"Khóa công khai của bên gửi không hợp lệ: {exc}") from exc
    try:
        jws.deserialize_compact(token, keys, payload=canonical_string(headers, body), algorithms=[ALG])
    except SignatureError:
        raise
    except (JoseError, ValueError, TypeError) as exc:
        raise SignatureError(f"Chữ ký không hợp lệ hoặc không khớp với nội dung thông điệp ({exc}).") from exc


# --- our own agency key ----------------------------------------------------------------------------------------
_keys: dict[Path, ECKey] = {}
_lock = threading.Lock()


def load_or_create_key(path: Path) -> ECKey:
    """The EC P-256 key in `path` (PEM), created with mode 0600 on first use. Never stored in the database."""
    path = Path(path)
    with _lock:
        if path in _keys:
            return _keys[path]
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fresh = ECKey.generate_key("P-256", auto_kid=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process won the race: use its key
                pass
            else:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(fresh.as_pem(private=True))
        pem = path.read_bytes()
        probe = ECKey.import_key(pem)
        key = ECKey.import_key(pem, {"kid": probe.thumbprint()})
        _keys[path] = key
        return key


def agency_key() -> ECKey:
    from django.conf import settings

    return load_or_create_key(Path(settings.MOTCUA_EXCHANGE_KEY_PATH))


def sign(headers: Mapping[str, str], body: bytes) -> str:
    """Our signature over a message (compact detached JWS) for the `X-Motcua-Signature` header."""
    return sign_with_key(agency_key(), headers, body)


def jwks() -> dict:
    return {"keys": [public_jwk(agency_key())]}
