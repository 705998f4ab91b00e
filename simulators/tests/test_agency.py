"""The agency simulator over real HTTP: it verifies motcua's signature, signs its answers, is idempotent, calls back."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from joserfc.jwk import ECKey

from motcua.exchange import signing
from simulators._http import BaseHandler, serve
from simulators.agency import start_agency_server
from simulators.tests.conftest import request

MOTCUA_KEY = ECKey.generate_key("P-256", auto_kid=True)


def _message(payload: dict | None = None, key: ECKey = MOTCUA_KEY, message_id: str | None = None):
    payload = payload if payload is not None else {"dia_chi": "5 Tràng Tiền"}
    body = signing.canonical_json({"kind": "residence.register", "payload": payload})
    headers = {
        "X-Motcua-Sender": "ubnd-hoan-kiem",
        "X-Motcua-Message-Id": message_id or str(uuid.uuid4()),
        "X-Motcua-Citizen": "001092001234",
        "X-Motcua-Dossier": "H01-0001",
        "X-Motcua-Request-Hash": signing.request_hash(payload),
    }
    headers[signing.SIGNATURE_HEADER] = signing.sign_with_key(key, headers, body)
    return headers, body


def _post(base_url: str, headers: dict, body: bytes):
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        conn.request("POST", "/messages", body=body, headers={**headers, "Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


@pytest.fixture
def agency_factory() -> Iterator:
    servers = []

    def start(**kwargs):
        server, _thread, base_url = start_agency_server(motcua_jwk=signing.public_jwk(MOTCUA_KEY), **kwargs)
        servers.append(server)
        return server, base_url

    yield start
    for server in servers:
        server.stop()


def test_now_answers_signed_and_a_duplicate_is_not_applied_twice(agency_factory):
    _server, base_url = agency_factory(mode="now")
    jwks = request("GET", base_url + "/jwks").json()
    headers, body = _message()
    status, answer_headers, raw = _post(base_url, headers, body)
    assert status == 200 and json.loads(raw)["status"] == "accepted"
    signing.verify(answer_headers, raw, jwks)
    assert answer_headers["X-Motcua-Message-Id"] == headers["X-Motcua-Message-Id"]
    # the same message again: same answer, counted as duplicate, applied once
    status2, _, raw2 = _post(base_url, headers, body)
    assert (status2, raw2) == (status, raw)
    received = request("GET", base_url + "/__admin/received").json()
    assert received["received"] == [headers["X-Motcua-Message-Id"]] and received["duplicates"] == 1


def test_refuses_a_tampered_body_or_a_foreign_key(agency_factory):
    _, base_url = agency_factory(mode="now")
    headers, body = _message()
    assert _post(base_url, headers, body.replace("Tràng".encode(), b"Hang"))[0] == 401
    headers2, body2 = _message(key=ECKey.generate_key("P-256", auto_kid=True))
    assert _post(base_url, headers2, body2)[0] == 401
    assert request("GET", base_url + "/__admin/received").json()["received"] == []


def test_reject_mode_and_fault_injection(agency_factory):
    _, base_url = agency_factory(mode="reject")
    assert request("POST", base_url + "/__admin/faults", json_body={"fail_next": 1, "status": 503}).status == 200
    headers, body = _message()
    assert _post(base_url, headers, body)[0] == 503
    status, _, raw = _post(base_url, headers, body)
    assert status == 422 and json.loads(raw)["reasons"][0]["code"] == "dia_chi_khong_hop_le"


class _Capture(BaseHandler):
    def handle_request(self, method: str, path: str) -> None:
        with self.server.state["lock"]:
            self.server.state["got"].append((dict(self.headers.items()), self.body()))
        self.send_json({"ok": True})


def test_later_answers_202_then_posts_a_signed_callback(agency_factory):
    capture = serve(_Capture, {"got": [], "lock": threading.Lock()})
    try:
        server, base_url = agency_factory(mode="later", callback_url=capture.base_url + "/inbox")
        headers, body = _message()
        status, _, raw = _post(base_url, headers, body)
        ticket = json.loads(raw)["ticket"]
        assert status == 202 and ticket.startswith("CA-")
        deadline = time.monotonic() + 5
        while not capture.state["got"] and time.monotonic() < deadline:
            time.sleep(0.01)
        [(cb_headers, cb_body)] = capture.state["got"]
        signing.verify(cb_headers, cb_body, server.state.jwks())
        envelope = json.loads(cb_body)
        assert envelope["kind"] == "exchange.result"
        assert envelope["payload"]["in_reply_to"] == headers["X-Motcua-Message-Id"]
        assert envelope["payload"]["ticket"] == ticket and envelope["payload"]["status"] == "accepted"
        assert cb_headers["X-Motcua-Dossier"] == "H01-0001"
    finally:
        capture.stop()
