"""Agency simulator: a police residence-registration system that speaks motcua's exchange contract.

POST /messages takes a signed message (X-Motcua-* headers, X-Motcua-Signature: detached ES256 JWS, see
motcua/exchange/signing.py), verifies it against motcua's key (a given JWK, or fetched from motcua's JWKS URL),
and answers per mode, signed with its own key (GET /jwks):

- "now":    200 {"status": "accepted", "result": {...}}
- "later":  202 {"status": "accepted_later", "ticket": "..."}, then POSTs a signed `exchange.result` callback
            to callback_url
- "reject": 422 {"status": "rejected", "reasons": [...]}

It is idempotent: a message id it has already applied is answered with the stored answer and counted as a
duplicate. Test hooks: POST /__admin/faults {"fail_next": n, "status": 503} fails the next n messages before
applying them; {"delay": s} sleeps AFTER applying (a lost answer); {"mode": "now"|"later"|"reject"} switches mode;
GET /__admin/received lists the message ids applied, duplicates and callbacks sent.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field

from joserfc.jwk import ECKey

from motcua.exchange import signing
from simulators._http import BaseHandler, SimulatorServer, serve, serve_until_interrupted

MODES = ("now", "later", "reject")


@dataclass
class AgencyState:
    mode: str = "now"
    code: str = "cong-an"
    name: str = "Công an (mô phỏng) — đăng ký cư trú"
    callback_url: str | None = None
    motcua_jwks_url: str | None = None
    motcua_jwk: dict | None = None
    key: ECKey = field(default_factory=lambda: ECKey.generate_key("P-256", auto_kid=True))
    fail_next: int = 0
    fail_status: int = 503
    delay: float = 0.0
    received: list[str] = field(default_factory=list)
    duplicates: int = 0
    answers: dict[str, tuple[int, bytes, dict]] = field(default_factory=dict)
    callbacks: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def jwks(self) -> dict:
        return {"keys": [signing.public_jwk(self.key)]}

    def verifying_key(self) -> dict:
        if self.motcua_jwk:
            return self.motcua_jwk
        if not self.motcua_jwks_url:
            raise signing.SignatureError("Chưa biết khóa công khai của motcua.")
        with urllib.request.urlopen(self.motcua_jwks_url, timeout=5) as response:
            return json.loads(response.read())

    def signed_headers(self, answering: dict[str, str], body: bytes) -> dict[str, str]:
        headers = {name: answering.get(name, "") for name in signing.SIGNED_HEADERS}
        headers["X-Motcua-Sender"] = self.code
        headers[signing.SIGNATURE_HEADER] = signing.sign_with_key(self.key, headers, body)
        return headers


class AgencyHandler(BaseHandler):
    server: SimulatorServer

    @property
    def state(self) -> AgencyState:
        return self.server.state

    def handle_request(self, method: str, path: str) -> None:
        if (method, path) == ("POST", "/messages"):
            self.message()
        elif (method, path) == ("GET", "/jwks"):
            self.send_json(self.state.jwks())
        elif (method, path) == ("POST", "/__admin/faults"):
            self.admin_faults()
        elif (method, path) == ("GET", "/__admin/received"):
            st = self.state
            with st.lock:
                self.send_json(
                    {"received": list(st.received), "duplicates": st.duplicates, "callbacks": list(st.callbacks)}
                )
        elif (method, path) == ("GET", "/healthz"):
            self.send_json({"status": "ok"})
        else:
            self.not_found()

    def admin_faults(self) -> None:
        st = self.state
        data = self.json_body()
        with st.lock:
            if "fail_next" in data:
                st.fail_next = int(data["fail_next"])
            if "status" in data:
                st.fail_status = int(data["status"])
            if "delay" in data:
                st.delay = float(data["delay"])
            if data.get("mode") in MODES:
                st.mode = data["mode"]
            answer = {"fail_next": st.fail_next, "status": st.fail_status, "delay": st.delay, "mode": st.mode}
        self.send_json(answer)

    def message(self) -> None:
        st = self.state
        body = self.body()
        headers = {name: self.headers.get(name, "") for name in (*signing.SIGNED_HEADERS, signing.SIGNATURE_HEADER)}
        try:
            signing.verify(headers, body, self.state.verifying_key())
        except signing.SignatureError as exc:
            self.send_json({"error": "invalid_signature", "error_description": str(exc)}, 401)
            return
        message_id = headers["X-Motcua-Message-Id"]
        with st.lock:
            if st.fail_next > 0:
                st.fail_next -= 1
                failing = st.fail_status
            else:
                failing = 0
            stored = st.answers.get(message_id)
            if stored is not None and not failing:
                st.duplicates += 1
        if failing:
            self.send_json({"error": "unavailable", "error_description": "Hệ thống tạm ngừng."}, failing)
            return
        if stored is None:
            stored = self.apply(headers, body)
        status, raw, answer_headers = stored
        if st.delay:
            time.sleep(st.delay)  # applied, but the answer may arrive after the sender gave up
        self.send(status, raw, "application/json; charset=utf-8", answer_headers)

    def apply(self, headers: dict[str, str], body: bytes) -> tuple[int, bytes, dict]:
        st = self.state
        message_id = headers["X-Motcua-Message-Id"]
        envelope = json.loads(body)
        payload = envelope.get("payload") or {}
        if signing.request_hash(payload) != headers["X-Motcua-Request-Hash"]:
            status, data = 422, {"status": "rejected", "reasons": [{"code": "sai_bam", "message": "Sai mã băm."}]}
        elif st.mode == "reject":
            reasons = [{"code": "dia_chi_khong_hop_le", "message": "Địa chỉ đăng ký không có trong dữ liệu cư trú."}]
            status, data = 422, {"status": "rejected", "reasons": reasons}
        elif st.mode == "later":
            status, data = 202, {"status": "accepted_later", "ticket": f"CA-{uuid.uuid4().hex[:10].upper()}"}
        else:
            status, data = 200, {"status": "accepted", "result": self.result(message_id, payload)}
        raw = json.dumps(data, ensure_ascii=False).encode("utf-8")
        stored = (status, raw, st.signed_headers(headers, raw))
        with st.lock:
            if message_id in st.answers:  # a concurrent duplicate got there first: answer as it did
                st.duplicates += 1
                return st.answers[message_id]
            st.answers[message_id] = stored
            st.received.append(message_id)
        if status == 202 and st.callback_url:
            result = self.result(message_id, payload)
            args = (st, headers, message_id, data["ticket"], result)
            threading.Thread(target=send_callback, args=args, daemon=True).start()
        return stored

    @staticmethod
    def result(message_id: str, payload: dict) -> dict:
        return {
            "so_xac_nhan": f"XN-{message_id[:8].upper()}",
            "noi_dung": "Đã đăng ký cư trú",
            "dia_chi": payload.get("dia_chi", ""),
        }


def send_callback(st: AgencyState, original: dict[str, str], in_reply_to: str, ticket: str, result: dict) -> None:
    """POST the signed `exchange.result` for a message accepted for later (a few tries, then give up)."""
    time.sleep(0.05)
    payload = {"in_reply_to": in_reply_to, "ticket": ticket, "status": "accepted", "result": result}
    body = signing.canonical_json({"kind": "exchange.result", "payload": payload})
    headers = {
        "X-Motcua-Sender": st.code,
        "X-Motcua-Message-Id": str(uuid.uuid4()),
        "X-Motcua-Citizen": original.get("X-Motcua-Citizen", ""),
        "X-Motcua-Dossier": original.get("X-Motcua-Dossier", ""),
        "X-Motcua-Request-Hash": signing.request_hash(payload),
    }
    headers[signing.SIGNATURE_HEADER] = signing.sign_with_key(st.key, headers, body)
    entry = {"in_reply_to": in_reply_to, "message_id": headers["X-Motcua-Message-Id"], "status": 0}
    for attempt in range(3):
        request = urllib.request.Request(
            st.callback_url or "", data=body, method="POST", headers={**headers, "Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                entry["status"] = response.status
                break
        except urllib.error.HTTPError as exc:
            entry["status"] = exc.code
            if exc.code < 500:
                break
        except OSError:
            entry["status"] = -1
        time.sleep(0.2 * (attempt + 1))
    with st.lock:
        st.callbacks.append(entry)


def start_agency_server(
    port: int = 0,
    *,
    mode: str = "now",
    callback_url: str | None = None,
    motcua_jwks_url: str | None = None,
    motcua_jwk: dict | None = None,
    code: str = "cong-an",
    host: str = "127.0.0.1",
) -> tuple[SimulatorServer, threading.Thread, str]:
    """Start on a free port (port=0); return (server, thread, base URL). Stop with server.stop()."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    state = AgencyState(
        mode=mode, code=code, callback_url=callback_url, motcua_jwks_url=motcua_jwks_url, motcua_jwk=motcua_jwk
    )
    server = serve(AgencyHandler, state, host, port)
    assert server.thread is not None
    return server, server.thread, server.base_url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Hệ thống của cơ quan khác (mô phỏng): đăng ký cư trú.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9103)
    parser.add_argument("--mode", choices=MODES, default="now")
    parser.add_argument("--callback-url", help="địa chỉ hộp thư của motcua (…/api/v1/exchange/inbox)")
    parser.add_argument("--motcua-jwks-url", help="khóa công khai của motcua (…/api/v1/exchange/.well-known/jwks)")
    args = parser.parse_args(argv)
    server, thread, base_url = start_agency_server(
        args.port,
        mode=args.mode,
        callback_url=args.callback_url,
        motcua_jwks_url=args.motcua_jwks_url,
        host=args.host,
    )
    print(f"Cơ quan liên thông (mô phỏng) tại {base_url}, chế độ {args.mode}; khóa tại {base_url}/jwks", flush=True)
    return serve_until_interrupted(server, thread)
