"""Reference verifier for registry answers — for the platform's authors, not used by the platform itself.

An answer is trusted only if X-Registry-Signature is a compact JWS with a detached payload (RFC 7515
Appendix F: `BASE64URL(header)..BASE64URL(signature)`), alg ES256, whose `kid` is in the registry's JWKS and
whose signature covers the exact body bytes received. Parse the JSON only after that.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

SIGNATURE_HEADER = "X-Registry-Signature"
ALGORITHMS = ["ES256"]


def verify(body_bytes: bytes, headers: Mapping[str, str], jwks: Mapping[str, Any]) -> dict:
    """Return the parsed body if its signature is valid; raise ValueError otherwise."""
    signature = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER.lower()), None)
    if not signature:
        raise ValueError("Câu trả lời của CSDL dân cư không có chữ ký.")
    parts = signature.split(".")
    if len(parts) != 3 or parts[1] != "":
        raise ValueError("Chữ ký phải là JWS dạng compact với nội dung tách rời (phần giữa rỗng).")
    try:
        jws.deserialize_compact(signature, KeySet.import_key_set(dict(jwks)), algorithms=ALGORITHMS, payload=body_bytes)
    except (JoseError, ValueError, KeyError) as e:
        raise ValueError(f"Chữ ký của CSDL dân cư không hợp lệ: {e}") from e
    return json.loads(body_bytes)
