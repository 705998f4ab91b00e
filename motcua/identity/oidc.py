"""OpenID Connect relying party for the national eID (VNeID): authorization code flow with PKCE (S256).

Authlib's Django client needs the `requests` package, which this project does not ship; so the protocol pieces
come from Authlib and joserfc (PKCE challenge, token generation, ID-token claims classes, JWS/JWT) and the
three HTTP calls (discovery, JWKS, token) go through `urllib.request`, like the registry client.

What is checked, and why each matters:
- `state` ties the callback to a login this browser started (CSRF on the login); pending logins are kept in the
  Django session under our own key, each usable once.
- The ID token's signature is checked against the provider's JWKS; an unknown `kid` makes us refetch the JWKS
  once (key rotation), then refuse.
- `iss`, `aud` (and `azp`), `exp` and `iat` (with MOTCUA_OIDC_CLOCK_SKEW_SECONDS of tolerance), and `nonce`
  equal to the one sent; an accepted nonce is stored until the token expires, so a replayed token is refused
  even if a session snapshot was replayed with it.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from authlib.common.security import generate_token
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from joserfc import jwt
from joserfc.errors import BadSignatureError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from motcua.core.identifiers import is_valid_personal_id

from .models import Assurance, UsedNonce

log = logging.getLogger("motcua.identity.oidc")

ACR_LEVELS = {"urn:vn:eid:loa1": Assurance.LOA1, "urn:vn:eid:loa2": Assurance.LOA2}
ACR_OF_LEVEL = {level: acr for acr, level in ACR_LEVELS.items()}
SCOPE = "openid profile"
SAFE_ALGORITHMS = ("RS256", "PS256", "ES256")

# Session keys: one namespace, apart from Django's own keys.
PENDING_KEY = "identity.oidc.pending"
ID_TOKEN_KEY = "identity.id_token"  # noqa: S105 - a session key, not a secret
ASSURANCE_KEY = "identity.assurance"
ENTERPRISE_KEY = "identity.enterprise"
PENDING_TTL_SECONDS = 600  # a login must finish within 10 minutes of starting
MAX_PENDING = 5  # logins started in other tabs and never finished
METADATA_TTL_SECONDS = 3600
HTTP_TIMEOUT_SECONDS = 10


class OidcError(Exception):
    """A refused login. `message` is Vietnamese and safe to show; `reason` is the technical cause for the log."""

    def __init__(self, message: str, *, reason: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or message


@dataclass(frozen=True)
class EidIdentity:
    """The citizen as the validated ID token describes them."""

    sub: str
    personal_id: str
    name: str
    birth_date: date | None
    gender: str
    acr: str
    assurance: str
    tax_code: str
    organisation_name: str
    id_token: str
    expires_at: datetime
    claims: dict[str, Any]


def enabled() -> bool:
    return bool(settings.MOTCUA_OIDC_ISSUER)


def _issuer() -> str:
    return settings.MOTCUA_OIDC_ISSUER.rstrip("/")


# --- HTTP ------------------------------------------------------------------------------------------------------


def _request_json(url: str, *, data: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> dict:
    body = urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET")  # noqa: S310
    request.add_header("Accept", "application/json")
    if body is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    if not url.startswith(("https://", "http://")):
        raise OidcError(_("Địa chỉ cổng định danh điện tử không hợp lệ."), reason=f"bad scheme: {url}")
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310
            raw = response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:2000].decode("utf-8", "replace")
        try:
            said = str(json.loads(detail).get("error_description") or "")[:300]
        except (ValueError, AttributeError):
            said = ""
        message = _("Cổng định danh điện tử từ chối yêu cầu (mã %(status)s).") % {"status": exc.code}
        if said:
            message += " " + said
        raise OidcError(
            message + " " + _("Vui lòng đăng nhập lại."), reason=f"HTTP {exc.code} from {url}: {detail}"
        ) from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise OidcError(
            _("Không kết nối được cổng định danh điện tử. Vui lòng thử lại sau ít phút."),
            reason=f"{url}: {exc}",
        ) from exc
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise OidcError(
            _("Cổng định danh điện tử trả lời không đúng định dạng."), reason=f"non-JSON from {url}"
        ) from exc
    if not isinstance(value, dict):
        raise OidcError(_("Cổng định danh điện tử trả lời không đúng định dạng."), reason=f"non-object from {url}")
    return value


# --- discovery and keys, cached per process --------------------------------------------------------------------

_lock = threading.Lock()
_metadata: dict[str, tuple[float, dict]] = {}
_jwks: dict[str, KeySet] = {}


def forget_cached_metadata() -> None:
    """Drop discovery documents and JWKS (tests switch providers; operators after a provider change)."""
    with _lock:
        _metadata.clear()
        _jwks.clear()


def metadata() -> dict:
    """The provider's discovery document; its `issuer` must be exactly the configured one (OIDC Discovery §4.3)."""
    issuer = _issuer()
    with _lock:
        cached = _metadata.get(issuer)
    if cached and time.monotonic() - cached[0] < METADATA_TTL_SECONDS:
        return cached[1]
    doc = _request_json(f"{issuer}/.well-known/openid-configuration")
    if str(doc.get("issuer", "")).rstrip("/") != issuer:
        raise OidcError(
            _("Cấu hình cổng định danh điện tử không khớp (issuer)."), reason=f"issuer {doc.get('issuer')!r}"
        )
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not doc.get(key):
            raise OidcError(_("Cấu hình cổng định danh điện tử thiếu thông tin."), reason=f"missing {key}")
    with _lock:
        _metadata[issuer] = (time.monotonic(), doc)
    return doc


def _key_set(*, force: bool = False) -> KeySet:
    uri = metadata()["jwks_uri"]
    with _lock:
        cached = None if force else _jwks.get(uri)
    if cached is not None:
        return cached
    try:
        keys = KeySet.import_key_set(_request_json(uri))  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise OidcError(_("Danh sách khoá công khai của cổng định danh không hợp lệ."), reason=str(exc)) from exc
    with _lock:
        _jwks[uri] = keys
    return keys


def _algorithms() -> list[str]:
    offered = metadata().get("id_token_signing_alg_values_supported") or ["RS256"]
    allowed = [a for a in offered if a in SAFE_ALGORITHMS]
    return allowed or ["RS256"]


# --- starting a login --------------------------------------------------------------------------------------------


def _pending(session: SessionBase) -> dict[str, dict]:
    """Pending logins of this browser, without the expired ones."""
    now = time.time()
    pending = session.get(PENDING_KEY) or {}
    return {s: p for s, p in pending.items() if isinstance(p, dict) and p.get("exp", 0) > now}


def begin(session: SessionBase, *, redirect_uri: str, next_url: str, assurance: str = "") -> str:
    """Remember a new login (state, nonce, PKCE verifier) in the session; return the provider's authorize URL."""
    meta = metadata()
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    params = {
        "response_type": "code",
        "client_id": settings.MOTCUA_OIDC_CLIENT_ID,
        "redirect_uri": redirect_uri,
        "scope": SCOPE,
        "state": state,
        "nonce": nonce,
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
        "ui_locales": "vi",
    }
    if assurance in ACR_OF_LEVEL:
        params["acr_values"] = ACR_OF_LEVEL[assurance]
    pending = _pending(session)
    while len(pending) >= MAX_PENDING:
        pending.pop(min(pending, key=lambda s: pending[s]["exp"]))
    pending[state] = {
        "nonce": nonce,
        "verifier": verifier,
        "redirect_uri": redirect_uri,
        "next": next_url,
        "assurance": assurance,
        "exp": time.time() + PENDING_TTL_SECONDS,
    }
    session[PENDING_KEY] = pending
    return add_params_to_uri(meta["authorization_endpoint"], params)


def take_pending(session: SessionBase, state: str) -> dict | None:
    """The pending login this state belongs to, removed from the session: a state is good for one callback."""
    pending = _pending(session)
    entry = pending.pop(state, None) if state else None
    session[PENDING_KEY] = pending
    return entry


# --- finishing it ------------------------------------------------------------------------------------------------


def _token_request(code: str, entry: dict) -> dict:
    meta = metadata()
    client_id, secret = settings.MOTCUA_OIDC_CLIENT_ID, settings.MOTCUA_OIDC_CLIENT_SECRET
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": entry["redirect_uri"],
        "code_verifier": entry["verifier"],
    }
    headers: dict[str, str] = {}
    methods = meta.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if secret and "client_secret_basic" in methods:
        pair = f"{quote(client_id, safe='')}:{quote(secret, safe='')}"  # RFC 6749 §2.3.1: form-encode, then Basic
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    else:
        data["client_id"] = client_id
        if secret:
            data["client_secret"] = secret
    token = _request_json(meta["token_endpoint"], data=data, headers=headers)
    if not isinstance(token.get("id_token"), str):
        raise OidcError(_("Cổng định danh điện tử không trả về thẻ định danh (ID token)."), reason="no id_token")
    return token


def _decode(id_token: str) -> Any:
    algorithms = _algorithms()
    try:
        try:
            return jwt.decode(id_token, _key_set(), algorithms=algorithms)
        except InvalidKeyIdError:
            log.info("eID: unknown signing key, refetching the JWKS (key rotation?)")
            return jwt.decode(id_token, _key_set(force=True), algorithms=algorithms)
    except InvalidKeyIdError as exc:
        raise OidcError(
            _("Thẻ định danh được ký bằng một khoá không có trong danh sách khoá công khai của cổng định danh."),
            reason=f"unknown kid: {exc}",
        ) from exc
    except BadSignatureError as exc:
        raise OidcError(_("Chữ ký của thẻ định danh (ID token) không hợp lệ."), reason="bad signature") from exc
    except (JoseError, ValueError, TypeError) as exc:
        raise OidcError(_("Thẻ định danh (ID token) không đọc được."), reason=f"undecodable: {exc}") from exc


def _check_claims(claims: dict, header: dict, *, nonce: str, access_token: str | None) -> None:
    """The checks of OIDC Core §3.1.3.7, each with its own message so a refusal says what was wrong."""
    client_id = settings.MOTCUA_OIDC_CLIENT_ID
    skew = settings.MOTCUA_OIDC_CLOCK_SKEW_SECONDS
    now = time.time()
    if str(claims.get("iss", "")).rstrip("/") != _issuer():
        raise OidcError(
            _("Thẻ định danh không do cổng định danh điện tử đã cấu hình phát hành (iss)."),
            reason=f"iss {claims.get('iss')!r}",
        )
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if client_id not in audiences:
        raise OidcError(
            _("Thẻ định danh không được cấp cho hệ thống này (sai đối tượng nhận – aud)."), reason=f"aud {aud!r}"
        )
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise OidcError(_("Thẻ định danh không được cấp cho hệ thống này (azp)."), reason=f"azp {claims.get('azp')!r}")
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, (int, float)) or not isinstance(iat, (int, float)):
        raise OidcError(_("Thẻ định danh thiếu thời hạn hiệu lực."), reason="exp/iat missing")
    if exp + skew < now:
        raise OidcError(_("Thẻ định danh đã hết hạn. Vui lòng đăng nhập lại."), reason=f"expired at {exp}")
    if iat - skew > now:
        raise OidcError(_("Thẻ định danh có thời điểm phát hành ở tương lai."), reason=f"iat {iat} > now {now}")
    if "nonce" not in claims:
        raise OidcError(_("Thẻ định danh thiếu mã chống phát lại (nonce)."), reason="nonce missing")
    if claims.get("nonce") != nonce:
        raise OidcError(
            _("Mã chống phát lại (nonce) của thẻ định danh không khớp với lần đăng nhập này."), reason="nonce mismatch"
        )
    id_claims = CodeIDToken(
        claims,
        header,
        {"iss": {"essential": True, "value": claims["iss"]}},
        {"nonce": nonce, "client_id": client_id, **({"access_token": access_token} if access_token else {})},
    )
    try:
        id_claims.validate(leeway=skew)
    except JoseError as exc:
        raise OidcError(_("Thẻ định danh (ID token) không hợp lệ."), reason=f"claims: {exc}") from exc


def _spend_nonce(nonce: str, exp: float) -> None:
    """Record the nonce as used until the token expires; a second use is a replay."""
    now = timezone.now()
    expires = datetime.fromtimestamp(exp, tz=UTC) + timedelta(seconds=settings.MOTCUA_OIDC_CLOCK_SKEW_SECONDS)
    UsedNonce.objects.filter(expires_at__lt=now).delete()
    try:
        with transaction.atomic():
            UsedNonce.objects.create(nonce=nonce, expires_at=max(expires, now))
    except IntegrityError as exc:
        raise OidcError(
            _("Thẻ định danh này đã được dùng để đăng nhập (phát lại). Vui lòng đăng nhập lại."),
            reason="nonce replayed",
        ) from exc


def _identity(claims: dict, id_token: str) -> EidIdentity:
    # Claim names are configuration, so a deployment can point the platform at another standard provider
    # (e.g. Keycloak with a mapper that puts the personal ID number in its own claim).
    pid = str(claims.get(settings.MOTCUA_OIDC_PERSONAL_ID_CLAIM) or "")
    if not is_valid_personal_id(pid):
        raise OidcError(_("Thẻ định danh không có số định danh cá nhân hợp lệ."), reason=f"personal_id {pid!r}")
    acr = str(claims.get("acr") or "")
    levels = {**ACR_LEVELS, **settings.MOTCUA_OIDC_EXTRA_ACR_LEVELS}
    if acr not in levels:
        raise OidcError(_("Mức định danh điện tử của tài khoản không được hỗ trợ."), reason=f"acr {acr!r}")
    try:
        born = date.fromisoformat(str(claims["birthdate"])) if claims.get("birthdate") else None
    except ValueError:
        born = None
    gender = str(claims.get("gender") or "")
    return EidIdentity(
        sub=str(claims.get("sub") or ""),
        personal_id=pid,
        name=str(claims.get("name") or "").strip()[:200],
        birth_date=born,
        gender=gender if gender in ("nam", "nu") else "",
        acr=acr,
        assurance=levels[acr],
        tax_code=str(claims.get("tax_code") or "").strip(),
        organisation_name=str(claims.get("organisation_name") or "").strip()[:255],
        id_token=id_token,
        expires_at=datetime.fromtimestamp(claims["exp"], tz=UTC),
        claims=dict(claims),
    )


def complete(session: SessionBase, params: dict[str, str]) -> tuple[EidIdentity, dict]:
    """Finish a login from the callback's query parameters: (the validated identity, the pending login entry).

    Raises OidcError, with nothing written to the session but the removal of the pending login.
    """
    state = params.get("state") or ""
    entry = take_pending(session, state)
    if entry is None:
        raise OidcError(
            _("Phiên đăng nhập không hợp lệ hoặc đã hết hạn (mã state không khớp). Vui lòng đăng nhập lại."),
            reason="unknown state",
        )
    if params.get("error"):
        raise OidcError(
            _("Cổng định danh điện tử không xác thực được: %(why)s")
            % {"why": params.get("error_description") or params["error"]},
            reason=f"provider error {params['error']}",
        )
    code = params.get("code") or ""
    if not code:
        raise OidcError(_("Thiếu mã xác thực từ cổng định danh điện tử."), reason="no code")
    token = _token_request(code, entry)
    decoded = _decode(token["id_token"])
    claims, header = dict(decoded.claims), dict(decoded.header)
    _check_claims(claims, header, nonce=entry["nonce"], access_token=token.get("access_token"))
    identity = _identity(claims, token["id_token"])
    _spend_nonce(entry["nonce"], float(claims["exp"]))
    return identity, entry


def logout_url(id_token: str, post_logout_redirect_uri: str) -> str | None:
    """The provider's end-session URL (RP-initiated logout), or None when the provider offers none."""
    try:
        endpoint = metadata().get("end_session_endpoint")
    except OidcError as exc:
        log.warning("eID logout: provider unavailable: %s", exc.reason)
        return None
    if not endpoint:
        return None
    params = {"post_logout_redirect_uri": post_logout_redirect_uri, "client_id": settings.MOTCUA_OIDC_CLIENT_ID}
    if id_token:
        params["id_token_hint"] = id_token
    return add_params_to_uri(endpoint, params)
