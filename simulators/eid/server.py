"""National eID simulator: a standard OpenID Connect provider (authorization code + PKCE S256, RS256 ID tokens).

It behaves like the national identity platform would towards a relying party: discovery, JWKS with key
rotation, a login page, one-time codes, single-use code exchange with client authentication and PKCE, userinfo
and RP-initiated logout. A fault hook makes the next ID token wrong in one precise way, so the relying party's
tests can prove it refuses each kind of bad token. Everything is kept in memory.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import unquote_plus, urlencode, urlsplit

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

from motcua.core.identifiers import validate_personal_id
from simulators import population as pop_mod
from simulators._http import BaseHandler, SimulatorServer, serve, serve_until_interrupted

ACR_LEVEL = {"1": "urn:vn:eid:loa1", "2": "urn:vn:eid:loa2"}
FAULTS = ("tamper", "wrong_aud", "expired", "unknown_key", "no_nonce")
CODE_TTL = 60
TOKEN_TTL = 300
ID_TOKEN_TTL = 300
SESSION_COOKIE = "eid_sim_session"
MIN_AGE = 14  # VNeID accounts are for citizens aged 14 and over
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_CHALLENGE = re.compile(r"^[A-Za-z0-9\-_]{43}$")
CLAIMS_SUPPORTED = [
    "iss", "aud", "sub", "exp", "iat", "auth_time", "nonce", "acr", "at_hash",
    "personal_id", "name", "birthdate", "gender", "tax_code", "organisation_name",
]  # fmt: skip


@dataclass(slots=True)
class SigningKey:
    key: RSAKey
    retired_at: float | None = None

    @property
    def kid(self) -> str:
        return self.key.kid  # RFC 7638 thumbprint

    def public_jwk(self) -> dict:
        return dict(self.key.as_dict(private=False, use="sig", alg="RS256"))


@dataclass
class EidState:
    """Configuration plus everything the provider remembers (codes, tokens, sessions, keys, faults)."""

    issuer: str
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    population: pop_mod.Population
    allow_faults: bool = False
    key_grace_seconds: int = 3600
    sub_salt: str = "motcua-eid-simulator"
    post_logout_redirect_uris: list[str] = field(default_factory=list)
    keys: list[SigningKey] = field(default_factory=list)
    codes: dict[str, dict] = field(default_factory=dict)
    used_codes: dict[str, str | None] = field(default_factory=dict)  # code -> access token it gave
    tokens: dict[str, dict] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)  # session id -> personal id
    next_fault: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if not self.keys:
            self.keys.append(SigningKey(RSAKey.generate_key(2048, auto_kid=True)))
        if not self.post_logout_redirect_uris:
            self.post_logout_redirect_uris = sorted({_origin(u) + "/" for u in self.redirect_uris})

    @property
    def signing_key(self) -> SigningKey:
        return self.keys[-1]

    def jwks(self) -> dict:
        now = time.time()
        return {
            "keys": [
                k.public_jwk() for k in self.keys if k.retired_at is None or now - k.retired_at < self.key_grace_seconds
            ]
        }

    def rotate(self, drop_old: bool) -> SigningKey:
        new = SigningKey(RSAKey.generate_key(2048, auto_kid=True))
        with self.lock:
            now = time.time()
            for k in self.keys:
                k.retired_at = k.retired_at or now
            self.keys = [new] if drop_old else [*self.keys, new]
        return new

    def subject(self, personal_id: str) -> str:
        """Pairwise subject: stable for (salt, client, person), reveals nothing by itself."""
        mac = hmac.new(self.sub_salt.encode(), f"{self.client_id}:{personal_id}".encode(), hashlib.sha256).digest()
        return base64.b32encode(mac).decode().rstrip("=").lower()[:26]

    def demo_people(self) -> list[pop_mod.Person]:
        """The four demo citizens first, then a few living adults from other households of the population."""
        people = [p for pid in pop_mod.DEMO_CITIZEN_IDS if (p := self.population.by_id(pid))]
        seen = {p.household_id for p in people}
        for p in self.population.people:
            if len(people) >= 10:
                break
            if p.household_id in seen or p.deceased or not 18 <= p.age_on(date.today()) <= 80:
                continue
            seen.add(p.household_id)
            people.append(p)
        return people


def _origin(url: str) -> str:
    s = urlsplit(url)
    return f"{s.scheme}://{s.netloc}"


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _with_query(url: str, params: dict[str, str]) -> str:
    return url + ("&" if urlsplit(url).query else "?") + urlencode(params)


class OidcError(Exception):
    """An error the OIDC spec says goes back to the client: by redirect (authorize) or as JSON (token)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


class EidHandler(BaseHandler):
    server: SimulatorServer

    @property
    def state(self) -> EidState:
        return self.server.state

    def handle_request(self, method: str, path: str) -> None:
        routes = {
            ("GET", "/.well-known/openid-configuration"): self.discovery,
            ("GET", "/jwks"): self.jwks,
            ("GET", "/authorize"): self.authorize_page,
            ("POST", "/authorize"): self.authorize_submit,
            ("POST", "/token"): self.token,
            ("GET", "/userinfo"): self.userinfo,
            ("POST", "/userinfo"): self.userinfo,
            ("GET", "/logout"): self.logout,
            ("POST", "/__admin/rotate"): self.admin_rotate,
            ("GET", "/__admin/faults"): self.admin_faults,
            ("POST", "/__admin/faults"): self.admin_faults,
            ("GET", "/healthz"): lambda: self.send_json({"status": "ok"}),
        }
        handler = routes.get((method, path))
        if handler is None:
            self.not_found()
        else:
            handler()

    # --- discovery and keys ---------------------------------------------------------------------------------
    def discovery(self) -> None:
        iss = self.state.issuer
        self.send_json(
            {
                "issuer": iss,
                "authorization_endpoint": f"{iss}/authorize",
                "token_endpoint": f"{iss}/token",
                "userinfo_endpoint": f"{iss}/userinfo",
                "jwks_uri": f"{iss}/jwks",
                "end_session_endpoint": f"{iss}/logout",
                "response_types_supported": ["code"],
                "response_modes_supported": ["query"],
                "grant_types_supported": ["authorization_code"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "scopes_supported": ["openid", "profile"],
                "claims_supported": CLAIMS_SUPPORTED,
                "acr_values_supported": list(ACR_LEVEL.values()),
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "ui_locales_supported": ["vi"],
            },
            headers={"Cache-Control": "public, max-age=300"},
        )

    def jwks(self) -> None:
        self.send_json(self.state.jwks(), headers={"Cache-Control": "public, max-age=300"})

    # --- authorization endpoint -----------------------------------------------------------------------------
    def _authorize_request(self) -> dict[str, str] | None:
        """Validate the authorization request in the query string; answer the error itself and return None."""
        q, st = self.query, self.state
        if q.get("client_id") != st.client_id:
            self.error_page("Ứng dụng yêu cầu đăng nhập (client_id) chưa được đăng ký với Cổng định danh.")
            return None
        redirect_uri = q.get("redirect_uri", "")
        if redirect_uri not in st.redirect_uris:
            self.error_page("Địa chỉ trả về (redirect_uri) không khớp với địa chỉ đã đăng ký của ứng dụng.")
            return None
        state_param = q.get("state", "")
        try:
            if q.get("response_type") != "code":
                raise OidcError("unsupported_response_type", "Chỉ hỗ trợ response_type=code.")
            if "openid" not in q.get("scope", "").split():
                raise OidcError("invalid_scope", "Phạm vi (scope) phải có openid.")
            if not state_param:
                raise OidcError("invalid_request", "Thiếu tham số state.")
            if not q.get("nonce"):
                raise OidcError("invalid_request", "Thiếu tham số nonce.")
            if not q.get("code_challenge"):
                raise OidcError("invalid_request", "PKCE là bắt buộc: thiếu code_challenge.")
            if q.get("code_challenge_method") != "S256":
                raise OidcError("invalid_request", "PKCE chỉ chấp nhận code_challenge_method=S256.")
            if not _CHALLENGE.match(q["code_challenge"]):
                raise OidcError("invalid_request", "code_challenge không đúng định dạng S256.")
        except OidcError as e:
            params = {"error": e.error, "error_description": e.description}
            if state_param:
                params["state"] = state_param
            self.redirect(_with_query(redirect_uri, params))
            return None
        return q

    def authorize_page(self) -> None:
        request = self._authorize_request()
        if request is not None:
            sid = self.cookie(SESSION_COOKIE)
            current = self.state.sessions.get(sid or "")
            self.send_html(self.login_page(request, preselect=request.get("login_hint") or current))

    def authorize_submit(self) -> None:
        request = self._authorize_request()
        if request is None:
            return
        form, st = self.form(), self.state
        if form.get("action") == "cancel":
            self.redirect(
                _with_query(
                    request["redirect_uri"],
                    {
                        "error": "access_denied",
                        "error_description": "Người dùng huỷ đăng nhập.",
                        "state": request["state"],
                    },
                )
            )
            return
        pid = (form.get("personal_id") or form.get("chosen") or "").strip()
        level = form.get("level", "2")
        tax_code = (form.get("tax_code_typed") or form.get("tax_code") or "").strip()
        try:
            person = self._person_who_may_log_in(pid)
            if level not in ACR_LEVEL:
                raise ValueError("Mức định danh phải là 1 hoặc 2.")
            enterprise = None
            if tax_code:
                enterprise = st.population.enterprise(tax_code)
                if enterprise is None or enterprise.representative_id != person.personal_id:
                    raise ValueError(
                        f"Công dân này không phải người đại diện theo pháp luật của mã số thuế {tax_code}."
                    )
                if level != "2":
                    raise ValueError("Đăng nhập với tư cách doanh nghiệp cần tài khoản định danh mức 2.")
        except ValueError as e:
            self.send_html(self.login_page(request, preselect=pid, error=str(e)), status=400)
            return
        code = secrets.token_urlsafe(32)
        sid = self.cookie(SESSION_COOKIE) or secrets.token_urlsafe(24)
        with st.lock:
            st.codes[code] = {
                "client_id": request["client_id"],
                "redirect_uri": request["redirect_uri"],
                "personal_id": person.personal_id,
                "nonce": request["nonce"],
                "code_challenge": request["code_challenge"],
                "acr": ACR_LEVEL[level],
                "auth_time": int(time.time()),
                "expires_at": time.time() + CODE_TTL,
                "scope": request.get("scope", "openid"),
                "tax_code": enterprise.tax_code if enterprise else None,
                "organisation_name": enterprise.name if enterprise else None,
            }
            st.sessions[sid] = person.personal_id
            self._prune()
        cookie = f"{SESSION_COOKIE}={sid}; Path=/; HttpOnly; SameSite=Lax"
        self.redirect(
            _with_query(request["redirect_uri"], {"code": code, "state": request["state"]}), {"Set-Cookie": cookie}
        )

    def _person_who_may_log_in(self, pid: str) -> pop_mod.Person:
        if not pid:
            raise ValueError("Hãy chọn một công dân hoặc nhập số định danh cá nhân.")
        validate_personal_id(pid)
        person = self.state.population.by_id(pid)
        if person is None:
            raise ValueError(f"Không tìm thấy số định danh cá nhân {pid} trong cơ sở dữ liệu dân cư (mô phỏng).")
        if person.deceased:
            raise ValueError("Số định danh cá nhân này thuộc về người đã mất; không thể đăng nhập.")
        if person.age_on(date.today()) < MIN_AGE:
            raise ValueError(f"Tài khoản định danh điện tử chỉ cấp cho công dân từ đủ {MIN_AGE} tuổi.")
        return person

    def _prune(self) -> None:
        now = time.time()
        st = self.state
        for code in [c for c, v in st.codes.items() if v["expires_at"] < now]:
            del st.codes[code]
        for tok in [t for t, v in st.tokens.items() if v["expires_at"] < now]:
            del st.tokens[tok]
        if len(st.used_codes) > 10_000:
            st.used_codes.clear()

    # --- token endpoint -------------------------------------------------------------------------------------
    def token(self) -> None:
        try:
            self.send_json(self._token(), headers={"Cache-Control": "no-store", "Pragma": "no-cache"})
        except OidcError as e:
            headers = {"Cache-Control": "no-store"}
            if e.status == 401:
                headers["WWW-Authenticate"] = 'Basic realm="eid-simulator"'
            self.send_json({"error": e.error, "error_description": e.description}, e.status, headers)

    def _client_credentials(self, form: dict[str, str]) -> tuple[str, str]:
        auth = self.headers.get("Authorization", "")
        if auth.lower().startswith("basic "):
            try:
                raw = base64.b64decode(auth[6:].strip(), validate=True).decode()
                client_id, _, secret = raw.partition(":")
            except (ValueError, binascii.Error, UnicodeDecodeError) as e:
                raise OidcError("invalid_client", "Thông tin xác thực ứng dụng không đọc được.", 401) from e
            return unquote_plus(client_id), unquote_plus(secret)
        return form.get("client_id", ""), form.get("client_secret", "")

    def _token(self) -> dict:
        st = self.state
        form = self.form()
        client_id, secret = self._client_credentials(form)
        if client_id != st.client_id or not hmac.compare_digest(secret.encode(), st.client_secret.encode()):
            raise OidcError("invalid_client", "Xác thực ứng dụng (client) thất bại.", 401)
        if form.get("grant_type") != "authorization_code":
            raise OidcError("unsupported_grant_type", "Chỉ hỗ trợ grant_type=authorization_code.")
        code = form.get("code", "")
        with st.lock:
            grant = st.codes.pop(code, None)  # one attempt per code, successful or not
            if grant is None:
                replayed = st.used_codes.get(code)
                if replayed:  # a code used twice: revoke what it gave (RFC 6749 §4.1.2)
                    st.tokens.pop(replayed, None)
                raise OidcError("invalid_grant", "Mã cấp quyền không hợp lệ, đã hết hạn hoặc đã được dùng.")
            st.used_codes[code] = None
        if grant["expires_at"] < time.time():
            raise OidcError("invalid_grant", "Mã cấp quyền đã hết hạn.")
        if grant["client_id"] != client_id:
            raise OidcError("invalid_grant", "Mã cấp quyền được cấp cho ứng dụng khác.")
        if form.get("redirect_uri") != grant["redirect_uri"]:
            raise OidcError("invalid_grant", "redirect_uri không khớp với yêu cầu cấp quyền.")
        verifier = form.get("code_verifier", "")
        if not _VERIFIER.match(verifier):
            raise OidcError("invalid_grant", "Thiếu code_verifier hoặc sai định dạng (PKCE).")
        if _b64url(hashlib.sha256(verifier.encode()).digest()) != grant["code_challenge"]:
            raise OidcError("invalid_grant", "code_verifier không khớp với code_challenge (PKCE).")

        person = st.population.by_id(grant["personal_id"])
        assert person is not None
        claims = self._identity_claims(person, grant)
        access_token = secrets.token_urlsafe(32)
        with st.lock:
            st.tokens[access_token] = {"claims": claims, "expires_at": time.time() + TOKEN_TTL}
            st.used_codes[code] = access_token
        id_token = self._id_token(claims, grant, access_token)
        return {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": TOKEN_TTL,
            "id_token": id_token,
            "scope": grant["scope"],
        }

    def _identity_claims(self, person: pop_mod.Person, grant: dict) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "sub": self.state.subject(person.personal_id),
            "personal_id": person.personal_id,
            "name": person.full_name,
            "birthdate": person.birth_date.isoformat(),
            "gender": person.gender,
            "acr": grant["acr"],
        }
        if grant.get("tax_code"):
            claims["tax_code"] = grant["tax_code"]
            claims["organisation_name"] = grant["organisation_name"]
        return claims

    def _id_token(self, identity: dict, grant: dict, access_token: str) -> str:
        st = self.state
        with st.lock:
            fault, st.next_fault = st.next_fault, None
            key = st.signing_key.key
        now = int(time.time())
        claims = {
            "iss": st.issuer,
            "aud": st.client_id,
            **identity,
            "nonce": grant["nonce"],
            "iat": now,
            "exp": now + ID_TOKEN_TTL,
            "auth_time": grant["auth_time"],
            "at_hash": _b64url(hashlib.sha256(access_token.encode()).digest()[:16]),
        }
        if fault == "wrong_aud":
            claims["aud"] = "ung-dung-khac"
        elif fault == "expired":
            claims["iat"], claims["exp"] = now - 2 * ID_TOKEN_TTL - 600, now - ID_TOKEN_TTL - 600
        elif fault == "no_nonce":
            del claims["nonce"]
        elif fault == "unknown_key":
            key = RSAKey.generate_key(2048, auto_kid=True)  # a key the JWKS never published
        token = jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key, algorithms=["RS256"])
        if fault == "tamper":  # change a claim after signing: the signature no longer matches
            header, _payload, signature = token.split(".")
            forged = {
                **claims,
                "personal_id": "022090001234" if identity["personal_id"] != "022090001234" else "022192004567",
            }
            token = ".".join([header, _b64url(json.dumps(forged, separators=(",", ":")).encode()), signature])
        return token

    # --- userinfo and logout --------------------------------------------------------------------------------
    def userinfo(self) -> None:
        auth = self.headers.get("Authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        entry = self.state.tokens.get(token)
        if entry is None or entry["expires_at"] < time.time():
            self.send_json(
                {"error": "invalid_token", "error_description": "Access token không hợp lệ hoặc đã hết hạn."},
                401,
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
            return
        claims = {k: v for k, v in entry["claims"].items() if k != "acr"}
        self.send_json(claims, headers={"Cache-Control": "no-store"})

    def logout(self) -> None:
        st, q = self.state, self.query
        target = q.get("post_logout_redirect_uri", "")
        if target and target not in st.post_logout_redirect_uris:
            self.error_page("Địa chỉ chuyển hướng sau đăng xuất (post_logout_redirect_uri) chưa được đăng ký.")
            return
        hint = q.get("id_token_hint", "")
        if hint:
            try:
                token = jwt.decode(hint, KeySet.import_key_set(st.jwks()), algorithms=["RS256"])
            except (JoseError, ValueError):
                self.error_page("id_token_hint không hợp lệ.")
                return
            if token.claims.get("aud") != st.client_id or token.claims.get("iss") != st.issuer:
                self.error_page("id_token_hint không do Cổng định danh cấp cho ứng dụng này.")
                return
        sid = self.cookie(SESSION_COOKIE)
        with st.lock:
            st.sessions.pop(sid or "", None)
        clear = f"{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"
        if target:
            params = {"state": q["state"]} if q.get("state") else {}
            self.redirect(_with_query(target, params) if params else target, {"Set-Cookie": clear})
        else:
            self.send_html(_page("Đã đăng xuất", "<p>Bạn đã đăng xuất khỏi Cổng định danh điện tử (mô phỏng).</p>"),
                           headers={"Set-Cookie": clear})  # fmt: skip

    # --- admin hooks ----------------------------------------------------------------------------------------
    def admin_rotate(self) -> None:
        new = self.state.rotate(drop_old=self.query.get("drop_old") in ("1", "true"))
        self.send_json({"kid": new.kid, "jwks_kids": [k["kid"] for k in self.state.jwks()["keys"]]})

    def admin_faults(self) -> None:
        st = self.state
        if not st.allow_faults:
            self.send_json({"error": "faults_disabled", "error_description": "Chưa bật chế độ tiêm lỗi."}, 404)
            return
        if self.command == "POST":
            try:
                fault = self.json_body().get("next_id_token")
            except (ValueError, AttributeError):
                fault = "?"
            if fault is not None and fault not in FAULTS:
                self.send_json(
                    {
                        "error": "invalid_fault",
                        "error_description": f"next_id_token phải là một trong {FAULTS} hoặc null.",
                    },
                    400,
                )
                return
            with st.lock:
                st.next_fault = fault
        self.send_json({"next_id_token": st.next_fault})

    # --- pages ----------------------------------------------------------------------------------------------
    def error_page(self, message: str) -> None:
        self.send_html(_page("Yêu cầu không hợp lệ", f'<p class="error">{html.escape(message)}</p>'), status=400)

    def login_page(self, request: dict[str, str], preselect: str | None = None, error: str | None = None) -> str:
        st = self.state
        e = html.escape
        wanted = request.get("acr_values", "").split()
        level = "1" if wanted == [ACR_LEVEL["1"]] else "2"
        rows = []
        for p in st.demo_people():
            checked = " checked" if p.personal_id == preselect else ""
            rows.append(
                f'<li><label><input type="radio" name="chosen" value="{p.personal_id}"{checked}> '
                f"<strong>{e(p.full_name)}</strong> — {p.personal_id} — sinh {p.birth_date:%d/%m/%Y}</label></li>"
            )
        options = ['<option value="">Cá nhân (không đại diện doanh nghiệp)</option>']
        for ent in st.population.enterprises[:12]:
            rep = st.population.by_id(ent.representative_id)
            options.append(
                f'<option value="{ent.tax_code}">{e(ent.name)} — MST {ent.tax_code}'
                f" (đại diện: {e(rep.full_name if rep else ent.representative_id)})</option>"
            )
        typed = e(preselect) if preselect and not any(p.personal_id == preselect for p in st.demo_people()) else ""
        body = f"""
<p class="note">Hệ thống mô phỏng dùng cho phát triển và kiểm thử. Không nhập dữ liệu thật.</p>
{f'<p class="error" role="alert">{e(error)}</p>' if error else ""}
<form method="post" action="/authorize?{e(self.raw_query)}">
  <fieldset><legend>Chọn công dân</legend><ul>{"".join(rows)}</ul>
    <label>Hoặc nhập số định danh cá nhân (12 chữ số):
      <input name="personal_id" inputmode="numeric" pattern="[0-9]{{12}}" maxlength="12" value="{typed}"></label>
  </fieldset>
  <fieldset><legend>Mức độ định danh</legend>
    <label><input type="radio" name="level" value="1"{" checked" if level == "1" else ""}> Mức 1</label>
    <label><input type="radio" name="level" value="2"{" checked" if level == "2" else ""}> Mức 2</label>
  </fieldset>
  <fieldset><legend>Đăng nhập với tư cách</legend>
    <select name="tax_code">{"".join(options)}</select>
    <label>hoặc mã số thuế doanh nghiệp: <input name="tax_code_typed" maxlength="14"></label>
  </fieldset>
  <button type="submit" name="action" value="login">Đăng nhập</button>
  <button type="submit" name="action" value="cancel" formnovalidate>Huỷ</button>
</form>"""
        return _page("Cổng định danh điện tử quốc gia (mô phỏng)", body)


def _page(title: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}}
h1{{color:#b3001b;font-size:1.4rem}} fieldset{{margin:1rem 0;border:1px solid #ccc}} ul{{list-style:none;padding:0}}
li{{margin:.3rem 0}} .error{{color:#b3001b;font-weight:bold}} .note{{color:#555;font-size:.9rem}}
button{{margin-right:.5rem;padding:.5rem 1rem}}</style></head>
<body><h1>{html.escape(title)}</h1>{body}</body></html>"""


def start_eid_server(
    port: int = 0,
    *,
    host: str = "127.0.0.1",
    issuer: str | None = None,
    client_id: str = "motcua",
    client_secret: str = "motcua-eid-secret",
    redirect_uri: str | None = None,
    redirect_uris: list[str] | None = None,
    post_logout_redirect_uris: list[str] | None = None,
    population: pop_mod.Population | str | None = None,
    n: int = 2_000,
    seed: int = 22,
    allow_faults: bool = True,
    key_grace_seconds: int = 3600,
    sub_salt: str = "motcua-eid-simulator",
) -> tuple[SimulatorServer, threading.Thread, str]:
    """Start the provider on a free port (port=0) and return (server, thread, base URL); stop with server.stop().

    The issuer defaults to the base URL. Without a population, a small deterministic one (with the demo
    citizens) is generated.
    """
    if not isinstance(population, pop_mod.Population):
        population = pop_mod.load(population, n=n, seed=seed)
    uris = list(redirect_uris or [])
    if redirect_uri:
        uris.insert(0, redirect_uri)
    if not uris:
        uris = ["http://127.0.0.1:8000/dinh-danh/callback/"]
    state = EidState(
        issuer="",
        client_id=client_id,
        client_secret=client_secret,
        redirect_uris=uris,
        population=population,
        allow_faults=allow_faults,
        key_grace_seconds=key_grace_seconds,
        sub_salt=sub_salt,
        post_logout_redirect_uris=list(post_logout_redirect_uris or []),
    )
    server = serve(EidHandler, state, host, port)
    state.issuer = (issuer or server.base_url).rstrip("/")
    assert server.thread is not None
    return server, server.thread, server.base_url


def stop(server: SimulatorServer) -> None:
    """Stop a server started by start_eid_server()."""
    server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Cổng định danh điện tử quốc gia (mô phỏng): nhà cung cấp OpenID Connect."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9101)
    parser.add_argument("--issuer", help="mặc định http://HOST:PORT")
    parser.add_argument("--client-id", default="motcua")
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--redirect-uri", action="append", required=True, help="có thể lặp lại")
    parser.add_argument("--post-logout-redirect-uri", action="append", default=[])
    parser.add_argument("--population", help="tệp JSONL(.gz) do simulators.population sinh ra")
    parser.add_argument("--n", type=int, default=100_000, help="số nhân khẩu sinh ra khi không có --population")
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument("--allow-faults", action="store_true", help="bật POST /__admin/faults")
    parser.add_argument("--sub-salt", default="motcua-eid-simulator")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    server, thread, base_url = start_eid_server(
        args.port,
        host=args.host,
        issuer=args.issuer or (f"http://{args.host}:{args.port}" if args.port else None),
        client_id=args.client_id,
        client_secret=args.client_secret,
        redirect_uris=args.redirect_uri,
        post_logout_redirect_uris=args.post_logout_redirect_uri,
        population=args.population,
        n=args.n,
        seed=args.seed,
        allow_faults=args.allow_faults,
        sub_salt=args.sub_salt,
    )
    state: EidState = server.state
    print(
        f"Cổng định danh (mô phỏng) tại {base_url} — issuer {state.issuer}, "
        f"{len(state.population):,} công dân, sẵn sàng sau {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return serve_until_interrupted(server, thread)
