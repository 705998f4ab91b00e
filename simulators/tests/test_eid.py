"""The eID simulator is a real OpenID Connect provider: code flow with PKCE against the running server."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from joserfc import jwt
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import KeySet

from simulators._http import SimulatorServer
from simulators.eid import start_eid_server
from simulators.population import Population
from simulators.tests.conftest import REPO, Response, request

CLIENT_ID = "motcua"
SECRET = "bi-mat-cua-motcua"
REDIRECT = "http://127.0.0.1:8000/dinh-danh/callback/"
BASIC = "Basic " + base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()


@pytest.fixture
def eid_server(small_population: Population) -> Iterator[SimulatorServer]:
    server, _thread, _base_url = start_eid_server(
        0, client_id=CLIENT_ID, client_secret=SECRET, redirect_uri=REDIRECT, population=small_population
    )
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def eid(eid_server: SimulatorServer) -> str:
    return eid_server.base_url


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class Login:
    code: str
    state: str
    nonce: str
    verifier: str


def authorize_url(base: str, **overrides: str | None) -> tuple[str, dict[str, str]]:
    verifier = _b64url(secrets.token_bytes(48))
    params = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": "openid profile",
        "state": secrets.token_urlsafe(12),
        "nonce": secrets.token_urlsafe(12),
        "code_challenge": _b64url(hashlib.sha256(verifier.encode()).digest()),
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    params = {k: v for k, v in params.items() if v is not None}
    return f"{base}/authorize?{urlencode(params)}", {**params, "verifier": verifier}


def login(base: str, personal_id: str = "022090001234", level: str = "2", **form: str) -> Login:
    url, params = authorize_url(base)
    page = request("GET", url)
    assert page.status == 200 and "Cổng định danh điện tử quốc gia (mô phỏng)" in page.text
    answer = request("POST", url, form={"personal_id": personal_id, "level": level, "action": "login", **form})
    assert answer.status == 302, answer.text
    location = answer.header("Location")
    assert location.startswith(REDIRECT)
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == [params["state"]]
    return Login(query["code"][0], params["state"], params["nonce"], params["verifier"])


def exchange(base: str, got: Login, *, verifier: str | None = None, redirect_uri: str = REDIRECT) -> Response:
    return request(
        "POST",
        f"{base}/token",
        form={
            "grant_type": "authorization_code",
            "code": got.code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier or got.verifier,
        },
        headers={"Authorization": BASIC},
    )


def keyset(base: str) -> KeySet:
    return KeySet.import_key_set(request("GET", f"{base}/jwks").json())


def test_discovery_document_describes_a_code_pkce_provider(eid: str):
    doc = request("GET", f"{eid}/.well-known/openid-configuration").json()
    assert doc["issuer"] == eid
    for name in ("authorization", "token", "userinfo"):
        assert doc[f"{name}_endpoint"] == f"{eid}/{name}" if name != "authorization" else f"{eid}/authorize"
    assert doc["jwks_uri"] == f"{eid}/jwks" and doc["end_session_endpoint"] == f"{eid}/logout"
    assert doc["response_types_supported"] == ["code"]
    assert doc["grant_types_supported"] == ["authorization_code"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert set(doc["scopes_supported"]) == {"openid", "profile"}
    assert {"personal_id", "name", "birthdate", "gender", "acr", "tax_code", "organisation_name"} <= set(
        doc["claims_supported"]
    )
    assert set(doc["token_endpoint_auth_methods_supported"]) == {"client_secret_basic", "client_secret_post"}


def test_full_code_flow_gives_an_id_token_that_verifies_against_the_jwks(eid: str):
    # given a citizen who logs in at level 2
    got = login(eid, "022090001234", "2")
    # when the relying party exchanges the code
    answer = exchange(eid, got)
    # then it receives a bearer token and a signed ID token with the citizen's identity
    assert answer.status == 200, answer.text
    assert answer.header("Cache-Control") == "no-store"
    tokens = answer.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] > 0
    token = jwt.decode(tokens["id_token"], keyset(eid), algorithms=["RS256"])
    assert token.header["kid"] in {k["kid"] for k in request("GET", f"{eid}/jwks").json()["keys"]}
    c = token.claims
    assert c["iss"] == eid and c["aud"] == CLIENT_ID
    assert c["nonce"] == got.nonce
    assert c["personal_id"] == "022090001234"
    assert c["name"] == "Nguyễn Văn An"
    assert c["birthdate"] == "1990-05-14"
    assert c["gender"] == "nam"
    assert c["acr"] == "urn:vn:eid:loa2"
    assert c["exp"] - c["iat"] == 300 and c["exp"] > time.time()
    assert c["auth_time"] <= c["iat"]
    assert c["sub"] and c["sub"] != c["personal_id"]
    assert "tax_code" not in c
    assert c["at_hash"] == _b64url(hashlib.sha256(tokens["access_token"].encode()).digest()[:16])
    # and userinfo answers with the access token
    info = request("GET", f"{eid}/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.status == 200
    assert info.json()["personal_id"] == "022090001234" and info.json()["sub"] == c["sub"]


def test_subject_is_stable_for_the_same_citizen(eid: str):
    subs = set()
    for _ in range(2):
        tokens = exchange(eid, login(eid, "022192004567")).json()
        subs.add(jwt.decode(tokens["id_token"], keyset(eid)).claims["sub"])
    assert len(subs) == 1


def test_client_secret_post_is_accepted_and_a_wrong_secret_is_refused(eid: str):
    got = login(eid)
    form = {"grant_type": "authorization_code", "code": got.code, "redirect_uri": REDIRECT}
    wrong = request("POST", f"{eid}/token", form={**form, "client_id": CLIENT_ID, "client_secret": "sai"})
    assert wrong.status == 401 and wrong.json()["error"] == "invalid_client"
    got = login(eid)
    form = {**form, "code": got.code, "code_verifier": got.verifier}
    right = request("POST", f"{eid}/token", form={**form, "client_id": CLIENT_ID, "client_secret": SECRET})
    assert right.status == 200, right.text


def test_a_code_is_single_use_and_a_replay_revokes_its_token(eid: str):
    got = login(eid)
    first = exchange(eid, got)
    assert first.status == 200
    second = exchange(eid, got)
    assert second.status == 400 and second.json()["error"] == "invalid_grant"
    info = request("GET", f"{eid}/userinfo", headers={"Authorization": f"Bearer {first.json()['access_token']}"})
    assert info.status == 401


def test_wrong_pkce_verifier_is_refused_and_burns_the_code(eid: str):
    got = login(eid)
    wrong = exchange(eid, got, verifier=_b64url(secrets.token_bytes(48)))
    assert wrong.status == 400 and wrong.json()["error"] == "invalid_grant"
    assert exchange(eid, got).status == 400


def test_an_expired_code_is_refused(eid_server: SimulatorServer):
    eid = eid_server.base_url
    got = login(eid)
    eid_server.state.codes[got.code]["expires_at"] = time.time() - 1  # age it rather than wait 60 s
    answer = exchange(eid, got)
    assert answer.status == 400 and answer.json()["error"] == "invalid_grant"


def test_wrong_redirect_uri_is_refused_at_authorize_and_at_token(eid: str):
    url, _ = authorize_url(eid, redirect_uri="http://evil.example/cb")
    page = request("GET", url)
    assert page.status == 400 and "Location" not in page.headers
    got = login(eid)
    answer = exchange(eid, got, redirect_uri="http://127.0.0.1:8000/khac/")
    assert answer.status == 400 and answer.json()["error"] == "invalid_grant"


def test_unknown_client_gets_an_error_page_not_a_redirect(eid: str):
    url, _ = authorize_url(eid, client_id="la")
    assert request("GET", url).status == 400


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"nonce": None}, "invalid_request"),
        ({"scope": "profile"}, "invalid_scope"),
        ({"response_type": "token"}, "unsupported_response_type"),
    ],
)
def test_bad_authorization_requests_go_back_to_the_client_with_an_error(eid: str, overrides, error):
    url, params = authorize_url(eid, **overrides)
    answer = request("GET", url)
    assert answer.status == 302
    query = parse_qs(urlsplit(answer.header("Location")).query)
    assert query["error"] == [error]
    assert query["state"] == [params["state"]]


def test_level_one_login_has_the_level_one_acr(eid: str):
    tokens = exchange(eid, login(eid, "022085007890", "1")).json()
    assert jwt.decode(tokens["id_token"], keyset(eid)).claims["acr"] == "urn:vn:eid:loa1"


def test_acting_for_an_enterprise_adds_the_business_claims(eid: str, small_population: Population):
    enterprise = small_population.enterprises_of("022090001234")[0]
    tokens = exchange(eid, login(eid, "022090001234", tax_code=enterprise.tax_code)).json()
    claims = jwt.decode(tokens["id_token"], keyset(eid)).claims
    assert claims["tax_code"] == enterprise.tax_code
    assert claims["organisation_name"] == enterprise.name


def test_only_the_legal_representative_may_act_for_an_enterprise(eid: str, small_population: Population):
    enterprise = small_population.enterprises_of("022090001234")[0]
    url, _ = authorize_url(eid)
    answer = request("POST", url, form={"personal_id": "022192004567", "tax_code": enterprise.tax_code})
    assert answer.status == 400 and "đại diện" in answer.text


@pytest.mark.parametrize(
    ("personal_id", "message"),
    [
        ("099999999999", "không tồn tại"),  # unknown province code
        ("022090999999", "Không tìm thấy"),
        ("022040000123", "đã mất"),  # Lê Văn Thành died on 2026-11-25
        ("022222003141", "14 tuổi"),  # a child
    ],
)
def test_who_cannot_log_in_is_told_why(eid: str, personal_id: str, message: str):
    url, _ = authorize_url(eid)
    answer = request("POST", url, form={"personal_id": personal_id, "level": "2"})
    assert answer.status == 400 and message in answer.text


def test_cancel_returns_access_denied(eid: str):
    url, params = authorize_url(eid)
    answer = request("POST", url, form={"action": "cancel"})
    query = parse_qs(urlsplit(answer.header("Location")).query)
    assert query["error"] == ["access_denied"] and query["state"] == [params["state"]]


def test_rotation_publishes_the_new_key_signs_with_it_and_keeps_the_old_one_for_a_while(eid: str):
    old_kids = {k["kid"] for k in request("GET", f"{eid}/jwks").json()["keys"]}
    rotated = request("POST", f"{eid}/__admin/rotate").json()
    kids = {k["kid"] for k in request("GET", f"{eid}/jwks").json()["keys"]}
    assert rotated["kid"] not in old_kids and kids == old_kids | {rotated["kid"]}
    tokens = exchange(eid, login(eid)).json()
    token = jwt.decode(tokens["id_token"], keyset(eid))
    assert token.header["kid"] == rotated["kid"]
    dropped = request("POST", f"{eid}/__admin/rotate?drop_old=1").json()
    assert {k["kid"] for k in request("GET", f"{eid}/jwks").json()["keys"]} == {dropped["kid"]}


@pytest.mark.parametrize("fault", ["tamper", "wrong_aud", "expired", "unknown_key", "no_nonce"])
def test_each_fault_makes_the_next_id_token_faulty_once(eid: str, fault: str):
    # given a fault armed for the next ID token
    armed = request("POST", f"{eid}/__admin/faults", json_body={"next_id_token": fault})
    assert armed.status == 200 and armed.json() == {"next_id_token": fault}
    # when a citizen logs in
    got = login(eid)
    raw = exchange(eid, got).json()["id_token"]
    keys = keyset(eid)
    # then the token is faulty in exactly that way
    if fault == "tamper":
        with pytest.raises(BadSignatureError):
            jwt.decode(raw, keys)
    elif fault == "unknown_key":
        assert _header(raw)["kid"] not in {k["kid"] for k in request("GET", f"{eid}/jwks").json()["keys"]}
        with pytest.raises(JoseError):
            jwt.decode(raw, keys)
    else:
        claims = jwt.decode(raw, keys).claims
        if fault == "wrong_aud":
            assert claims["aud"] != CLIENT_ID
        elif fault == "expired":
            assert claims["exp"] < time.time() - 60
        elif fault == "no_nonce":
            assert "nonce" not in claims
    # and the fault was one-shot: the following token is sound
    assert request("GET", f"{eid}/__admin/faults").json() == {"next_id_token": None}
    sound = jwt.decode(exchange(eid, login(eid)).json()["id_token"], keyset(eid)).claims
    assert sound["aud"] == CLIENT_ID and "nonce" in sound and sound["exp"] > time.time()


def _header(raw: str) -> dict:
    part = raw.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_an_unknown_fault_is_refused(eid: str):
    answer = request("POST", f"{eid}/__admin/faults", json_body={"next_id_token": "chay"})
    assert answer.status == 400


def test_faults_are_off_unless_allowed(small_population: Population):
    server, _t, base = start_eid_server(0, client_secret=SECRET, population=small_population, allow_faults=False)
    try:
        assert request("POST", f"{base}/__admin/faults", json_body={"next_id_token": "tamper"}).status == 404
    finally:
        server.stop()


def test_logout_clears_the_session_and_returns_to_a_registered_address(eid: str):
    url, _ = authorize_url(eid)
    answer = request("POST", url, form={"personal_id": "022090001234", "level": "2"})
    cookie = answer.header("Set-Cookie").split(";")[0]
    # the session remembers the citizen: the login page preselects them
    url2, _ = authorize_url(eid)
    page = request("GET", url2, headers={"Cookie": cookie})
    assert re.search(r'value="022090001234" checked', page.text)
    id_token = exchange(eid, login(eid)).json()["id_token"]
    out = request(
        "GET",
        f"{eid}/logout?"
        + urlencode({"id_token_hint": id_token, "post_logout_redirect_uri": "http://127.0.0.1:8000/", "state": "s1"}),
        headers={"Cookie": cookie},
    )
    assert out.status == 302 and out.header("Location") == "http://127.0.0.1:8000/?state=s1"
    assert "Max-Age=0" in out.header("Set-Cookie")
    page = request("GET", url2, headers={"Cookie": cookie})
    assert 'value="022090001234" checked' not in page.text


def test_logout_refuses_an_unregistered_return_address(eid: str):
    out = request("GET", f"{eid}/logout?" + urlencode({"post_logout_redirect_uri": "http://evil.example/"}))
    assert out.status == 400


def test_command_line_starts_a_server_on_a_free_port():
    command = [sys.executable, "-m", "simulators.eid", "--port", "0", "--n", "300"]
    proc = subprocess.Popen(
        [*command, "--client-secret", SECRET, "--redirect-uri", REDIRECT],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        line = proc.stdout.readline()
        base = re.search(r"http://127\.0\.0\.1:\d+", line).group(0)
        assert request("GET", f"{base}/.well-known/openid-configuration").json()["issuer"] == base
        assert request("POST", f"{base}/__admin/faults", json_body={"next_id_token": "tamper"}).status == 404
    finally:
        proc.terminate()
        proc.wait(timeout=10)
