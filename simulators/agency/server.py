"""Agency simulator: another agency's system (police, social insurance, …) behind motcua's exchange contract.

POST /messages takes a signed message (X-Motcua-* headers, X-Motcua-Signature: detached ES256 JWS, see
motcua/exchange/signing.py), verifies it against motcua's key (a given JWK, or fetched from motcua's JWKS URL),
and answers per mode, signed with its own key (GET /jwks):

- "now":    200 {"status": "accepted", "result": {...}}
- "later":  202 {"status": "accepted_later", "ticket": "..."}, then POSTs a signed `exchange.result` callback
            to callback_url
- "reject": 422 {"status": "rejected", "reasons": [...]}

A profile (`simulators/agency/profiles.py`: police, social_insurance, social_assistance, civil_status, portal)
supplies the agency's code and name, the kinds it takes, the required fields and the domain result: an unknown
kind is 422 `loai_khong_ho_tro`, missing fields 422 `thieu_thong_tin`, malformed values 422 `sai_dinh_dang`.

It is idempotent: a message id it has already applied is answered with the stored answer and counted as a
duplicate. Test hooks: GET/POST /__admin/faults (see `Faults`; {"reset": true} clears them), GET
/__admin/received (message ids applied, their kinds, duplicates, callbacks sent and how motcua answered them),
GET /__admin/dossiers (the portal's kept statuses).
"""

from __future__ import annotations

import argparse
import json
import threading
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from joserfc.jwk import ECKey

from motcua.exchange import signing
from simulators import _faults as faults
from simulators._faults import FaultSet
from simulators._http import BaseHandler, SimulatorServer, serve, serve_until_interrupted
from simulators.agency.profiles import PROFILES, Books, Profile, Refused, get_profile

MODES = ("now", "later", "reject")
RESULT_KIND = "exchange.result"


def _signature_scope(value: Any) -> bool | str:
    """False, True (answers and callbacks), "answers" or "callbacks" ("all" / "none" are True / False)."""
    if isinstance(value, bool):
        return value
    scopes = {"all": True, "none": False, "answers": "answers", "callbacks": "callbacks"}
    if value not in scopes:
        raise ValueError('phải là true, false, "answers" hoặc "callbacks"')
    return scopes[value]


@dataclass
class Faults(FaultSet):
    """Injected faults. Each is settable at start (kwargs, CLI flags) and at run time (POST /__admin/faults)."""

    fail_next: int = 0  # the next n messages answer `status` before being applied
    status: int = 503
    delay: float = 0.0  # sleep AFTER applying, before answering (a lost answer when the sender times out)
    timeout_next: int = 0  # the next n messages hang `timeout_seconds` BEFORE applying, then answer 504
    timeout_seconds: float = 30.0
    callback_twice: bool = False  # "later": the same signed callback (same message id) is sent twice
    callback_delay: float = 0.05  # "later": seconds before the callback is sent
    callback_reject: bool = False  # "later": the callback says "rejected" with reasons
    # answers and callbacks are signed with an unpublished key (or only "answers" / only "callbacks")
    bad_signature: bool | str = False

    PARSERS = {
        "fail_next": faults.count,
        "status": faults.http_status(400),
        "delay": faults.seconds,
        "timeout_next": faults.count,
        "timeout_seconds": faults.seconds,
        "callback_twice": faults.flag,
        "callback_delay": faults.seconds,
        "callback_reject": faults.flag,
        "bad_signature": _signature_scope,
    }


def _take_mode(data: dict, reset: bool) -> str | None:
    mode = data.pop("mode", None)
    if mode is not None and mode not in MODES:
        raise ValueError(f"Chế độ phải là một trong {', '.join(MODES)}.")
    return mode


@dataclass
class AgencyState:
    profile: Profile = field(default_factory=lambda: PROFILES["police"])
    mode: str = "now"
    start_mode: str = "now"
    code: str = "cong-an"
    name: str = ""
    callback_url: str | None = None
    motcua_jwks_url: str | None = None
    motcua_jwk: dict | None = None
    key: ECKey = field(default_factory=lambda: ECKey.generate_key("P-256", auto_kid=True))
    rogue_key: ECKey = field(default_factory=lambda: ECKey.generate_key("P-256", auto_kid=True))  # never published
    faults: Faults = field(default_factory=Faults)
    books: Books = field(default_factory=Books)
    received: list[str] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)
    duplicates: int = 0
    answers: dict[str, tuple[int, bytes, dict]] = field(default_factory=dict)
    callbacks: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    apply_lock: threading.Lock = field(default_factory=threading.Lock)  # one message applied at a time
    stopping: threading.Event = field(default_factory=threading.Event)  # ends every sleep when the server stops

    def apply_admin(self, mode: str | None, reset: bool) -> dict:
        """After a fault update (lock held): the mode asked for, or back to the starting one on a reset."""
        self.mode = mode or (self.start_mode if reset else self.mode)
        return {"mode": self.mode}

    def jwks(self) -> dict:
        return {"keys": [signing.public_jwk(self.key)]}

    def verifying_key(self) -> dict:
        if self.motcua_jwk:
            return self.motcua_jwk
        if not self.motcua_jwks_url:
            raise signing.SignatureError("Chưa biết khóa công khai của motcua.")
        with urllib.request.urlopen(self.motcua_jwks_url, timeout=5) as response:
            return json.loads(response.read())

    def signing_key(self) -> ECKey:
        with self.lock:
            return self.rogue_key if self.faults.bad_signature in (True, "answers") else self.key

    def signed_headers(self, answering: dict[str, str], body: bytes, key: ECKey | None = None) -> dict[str, str]:
        headers = {name: answering.get(name, "") for name in signing.SIGNED_HEADERS}
        headers["X-Motcua-Sender"] = self.code
        headers[signing.SIGNATURE_HEADER] = signing.sign_with_key(key or self.signing_key(), headers, body)
        return headers

    def admin_view(self) -> dict[str, Any]:
        with self.lock:
            return {**self.faults.as_dict(), "mode": self.mode}


class AgencyServer(SimulatorServer):
    state: AgencyState

    def stop(self) -> None:
        """Wake every sleeping handler and callback first, so a hung message never holds the shutdown."""
        self.state.stopping.set()
        super().stop()


def _answer(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def _rejected(reasons: list[dict]) -> tuple[int, dict]:
    return 422, {"status": "rejected", "reasons": reasons}


class AgencyHandler(BaseHandler):
    server: AgencyServer

    @property
    def state(self) -> AgencyState:
        return self.server.state

    def handle_request(self, method: str, path: str) -> None:
        st = self.state
        if (method, path) == ("POST", "/messages"):
            self.message()
        elif (method, path) == ("GET", "/jwks"):
            self.send_json(st.jwks())
        elif (method, path) == ("POST", "/__admin/faults"):
            self.admin_faults()
        elif (method, path) == ("GET", "/__admin/faults"):
            self.send_json(st.admin_view())
        elif (method, path) == ("GET", "/__admin/received"):
            with st.lock:
                self.send_json(
                    {
                        "received": list(st.received),
                        "kinds": dict(st.kinds),
                        "duplicates": st.duplicates,
                        "callbacks": [dict(entry) for entry in st.callbacks],
                    }
                )
        elif (method, path) == ("GET", "/__admin/dossiers"):
            self.send_json(st.books.snapshot())
        elif (method, path) == ("GET", "/healthz"):
            self.send_json({"status": "ok", "profile": st.profile.key, "code": st.code, "name": st.name})
        else:
            self.not_found()

    def admin_faults(self) -> None:
        faults.admin_update(self, self.state.faults, extra=_take_mode)

    def message(self) -> None:
        st = self.state
        body = self.body()
        headers = {name: self.headers.get(name, "") for name in (*signing.SIGNED_HEADERS, signing.SIGNATURE_HEADER)}
        try:
            signing.verify(headers, body, st.verifying_key())
        except signing.SignatureError as exc:
            self.send_json({"error": "invalid_signature", "error_description": str(exc)}, 401)
            return
        except (OSError, ValueError) as exc:  # motcua's JWKS could not be fetched or read
            self.send_json({"error": "unavailable", "error_description": f"Không lấy được khóa ({exc})."}, 503)
            return
        message_id = headers["X-Motcua-Message-Id"]
        failing, hanging = 0, None
        with st.lock:
            if st.faults.fail_next > 0:
                st.faults.fail_next -= 1
                failing = st.faults.status
            elif st.faults.timeout_next > 0:
                st.faults.timeout_next -= 1
                hanging = st.faults.timeout_seconds
        if failing:
            self.send_json({"error": "unavailable", "error_description": "Hệ thống tạm ngừng."}, failing)
            return
        if hanging is not None:
            st.stopping.wait(hanging)  # hung before applying; the sender's own timeout fires first
            self.send_json({"error": "gateway_timeout", "error_description": "Hệ thống không trả lời kịp."}, 504)
            return
        with st.apply_lock:
            stored = st.answers.get(message_id)
            if stored is None:
                stored = self.apply(headers, body)
            else:
                with st.lock:
                    st.duplicates += 1
        status, raw, echoed = stored
        with st.lock:
            delay = st.faults.delay
        if delay:
            st.stopping.wait(delay)  # applied, but the answer may arrive after the sender gave up
        self.send(status, raw, "application/json; charset=utf-8", st.signed_headers(echoed, raw))

    def apply(self, headers: dict[str, str], body: bytes) -> tuple[int, bytes, dict]:
        """Decide and store the answer to a new message (called under apply_lock); start its callback if any."""
        st = self.state
        message_id = headers["X-Motcua-Message-Id"]
        with st.lock:
            mode, faults = st.mode, replace(st.faults)
        callback: dict | None = None
        try:
            envelope = json.loads(body)
        except ValueError:
            envelope = None
        kind = envelope.get("kind") if isinstance(envelope, dict) else None
        payload = envelope.get("payload") if isinstance(envelope, dict) else None
        if not isinstance(envelope, dict):
            message = "Thân thông điệp phải là JSON {kind, payload}."
            status, data = _rejected([{"code": "sai_dinh_dang", "message": message}])
        elif signing.request_hash(payload) != headers["X-Motcua-Request-Hash"]:
            status, data = _rejected([{"code": "sai_bam", "message": "Sai mã băm."}])
        elif mode == "reject":
            status, data = _rejected([dict(st.profile.reject_reason)])
        else:
            try:
                spec = st.profile.check(kind, payload)
                skip = mode == "later" and faults.callback_reject  # refused later: nothing is applied
                result = None if skip else spec.build(payload, st.books, date.today())
            except Refused as exc:
                status, data = _rejected(exc.reasons)
            else:
                if mode == "later":
                    ticket = f"{st.profile.ticket_prefix}-{uuid.uuid4().hex[:10].upper()}"
                    status, data = 202, {"status": "accepted_later", "ticket": ticket}
                    if result is None:
                        outcome = {"status": "rejected", "reasons": [dict(st.profile.reject_reason)]}
                    else:
                        outcome = {"status": "accepted", "result": result}
                    callback = {"ticket": ticket, **outcome}
                else:
                    status, data = 200, {"status": "accepted", "result": result}
        raw = _answer(data)
        stored = (status, raw, {name: headers.get(name, "") for name in signing.SIGNED_HEADERS})
        with st.lock:
            st.answers[message_id] = stored
            st.received.append(message_id)
            st.kinds[message_id] = kind if isinstance(kind, str) else ""
        if callback is not None and st.callback_url:
            key = st.rogue_key if faults.bad_signature in (True, "callbacks") else st.key
            args = (st, headers, message_id, callback)
            options = {"twice": faults.callback_twice, "delay": faults.callback_delay, "key": key}
            threading.Thread(target=send_callback, args=args, kwargs=options, daemon=True).start()
        return stored


def _post_callback(st: AgencyState, body: bytes, headers: dict[str, str]) -> tuple[int, bool]:
    """POST one callback, a few tries on 5xx or a network error; (HTTP status or -1, motcua said duplicate)."""
    status, duplicate = -1, False
    for attempt in range(3):
        request = urllib.request.Request(
            st.callback_url or "", data=body, method="POST", headers={**headers, "Content-Type": "application/json"}
        )
        raw = b""
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except OSError:
            status = -1
        try:
            answer = json.loads(raw) if raw else None
        except ValueError:
            answer = None
        duplicate = isinstance(answer, dict) and answer.get("duplicate") is True
        if 0 < status < 500 or st.stopping.wait(0.2 * (attempt + 1)):
            break
    return status, duplicate


def send_callback(
    st: AgencyState,
    original: dict[str, str],
    in_reply_to: str,
    outcome: dict,
    *,
    twice: bool = False,
    delay: float = 0.05,
    key: ECKey | None = None,
) -> None:
    """POST the signed `exchange.result` for a message accepted for later (twice with the same id if asked)."""
    if st.stopping.wait(delay):
        return
    payload = {"in_reply_to": in_reply_to, **outcome}
    body = signing.canonical_json({"kind": RESULT_KIND, "payload": payload})
    headers = {
        "X-Motcua-Sender": st.code,
        "X-Motcua-Message-Id": str(uuid.uuid4()),
        "X-Motcua-Citizen": original.get("X-Motcua-Citizen", ""),
        "X-Motcua-Dossier": original.get("X-Motcua-Dossier", ""),
        "X-Motcua-Request-Hash": signing.request_hash(payload),
    }
    headers[signing.SIGNATURE_HEADER] = signing.sign_with_key(key or st.key, headers, body)
    for _copy in range(2 if twice else 1):
        if st.stopping.is_set():
            return
        status, duplicate = _post_callback(st, body, headers)
        entry = {
            "in_reply_to": in_reply_to,
            "message_id": headers["X-Motcua-Message-Id"],
            "ticket": outcome.get("ticket", ""),
            "result_status": outcome["status"],
            "status": status,
            "duplicate": duplicate,
        }
        with st.lock:
            st.callbacks.append(entry)


def start_agency_server(
    port: int = 0,
    *,
    profile: str | None = None,
    mode: str = "now",
    callback_url: str | None = None,
    motcua_jwks_url: str | None = None,
    motcua_jwk: dict | None = None,
    code: str | None = None,
    name: str | None = None,
    host: str = "127.0.0.1",
    fail_next: int = 0,
    fail_status: int = 503,
    delay: float = 0.0,
    timeout_next: int = 0,
    timeout_seconds: float = 30.0,
    callback_twice: bool = False,
    callback_delay: float = 0.05,
    callback_reject: bool = False,
    bad_signature: bool | str = False,
) -> tuple[AgencyServer, threading.Thread, str]:
    """Start on a free port (port=0); return (server, thread, base URL). Stop with server.stop().

    `profile` is a key of PROFILES (or an agency code); without it, the profile whose code is `code`, else
    "police". `code` / `name` override the profile's. The fault keywords are the initial `Faults`
    (`fail_status` is the admin hook's `status`).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    if profile is None:
        profile = next((p.key for p in PROFILES.values() if p.code == code), "police")
    chosen = get_profile(profile)
    faults = Faults().updated(
        {
            "fail_next": fail_next,
            "status": fail_status,
            "delay": delay,
            "timeout_next": timeout_next,
            "timeout_seconds": timeout_seconds,
            "callback_twice": callback_twice,
            "callback_delay": callback_delay,
            "callback_reject": callback_reject,
            "bad_signature": bad_signature,
        }
    )
    state = AgencyState(
        profile=chosen,
        mode=mode,
        start_mode=mode,
        code=code or chosen.code,
        name=name or chosen.name,
        callback_url=callback_url,
        motcua_jwks_url=motcua_jwks_url,
        motcua_jwk=motcua_jwk,
        faults=faults,
    )
    server = serve(AgencyHandler, state, host, port, server_class=AgencyServer)
    assert isinstance(server, AgencyServer) and server.thread is not None
    return server, server.thread, server.base_url


def start_profile(profile: str, port: int = 0, **kwargs: Any) -> tuple[AgencyServer, threading.Thread, str]:
    """`start_agency_server` for one profile: start_profile("civil_status", callback_url=…, motcua_jwk=…)."""
    return start_agency_server(port, profile=profile, **kwargs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Hệ thống của cơ quan khác (mô phỏng) theo hợp đồng liên thông của motcua.",
        epilog="Hồ sơ cơ quan: "
        + "; ".join(f"{p.key} ({p.code}, cổng mặc định {p.default_port})" for p in PROFILES.values()),
    )
    parser.add_argument("--profile", choices=list(PROFILES), default="police", help="cơ quan được mô phỏng")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, help="cổng (0 = cổng trống bất kỳ; mặc định theo hồ sơ, 9103–9107)")
    parser.add_argument("--mode", choices=MODES, default="now", help="trả lời ngay, trả lời sau (gọi lại) hay từ chối")
    parser.add_argument("--code", help="mã cơ quan ký trong X-Motcua-Sender (mặc định theo hồ sơ)")
    parser.add_argument("--name", help="tên cơ quan (mặc định theo hồ sơ)")
    parser.add_argument("--callback-url", help="địa chỉ hộp thư của motcua (…/api/v1/exchange/inbox)")
    parser.add_argument("--motcua-jwks-url", help="khóa công khai của motcua (…/api/v1/exchange/.well-known/jwks)")
    faults = parser.add_argument_group("lỗi giả lập (đổi được lúc chạy bằng POST /__admin/faults)")
    faults.add_argument("--fail-next", type=int, default=0, metavar="N", help="N thông điệp tới bị trả lỗi ngay")
    faults.add_argument("--fail-status", type=int, default=503, help="mã lỗi cho --fail-next (mặc định 503)")
    faults.add_argument("--delay", type=float, default=0.0, metavar="GIÂY", help="ngủ SAU khi xử lý rồi mới trả lời")
    faults.add_argument(
        "--timeout-next", type=int, default=0, metavar="N", help="N thông điệp tới bị treo TRƯỚC khi xử lý, rồi trả 504"
    )
    faults.add_argument("--timeout-seconds", type=float, default=30.0, metavar="GIÂY", help="thời gian treo (30)")
    faults.add_argument("--callback-twice", action="store_true", help="gửi cùng một lời gọi lại hai lần")
    faults.add_argument(
        "--callback-delay", type=float, default=0.05, metavar="GIÂY", help="chờ trước khi gọi lại (0,05)"
    )
    faults.add_argument("--callback-reject", action="store_true", help="lời gọi lại báo từ chối kèm lý do")
    faults.add_argument(
        "--bad-signature",
        nargs="?",
        const="all",
        default="none",
        choices=("all", "answers", "callbacks", "none"),
        help="ký câu trả lời và lời gọi lại (hoặc chỉ answers / callbacks) bằng một khóa không công bố",
    )
    args = parser.parse_args(argv)
    profile = PROFILES[args.profile]
    try:
        server, thread, base_url = start_agency_server(
            profile.default_port if args.port is None else args.port,
            profile=args.profile,
            mode=args.mode,
            code=args.code,
            name=args.name,
            callback_url=args.callback_url,
            motcua_jwks_url=args.motcua_jwks_url,
            host=args.host,
            fail_next=args.fail_next,
            fail_status=args.fail_status,
            delay=args.delay,
            timeout_next=args.timeout_next,
            timeout_seconds=args.timeout_seconds,
            callback_twice=args.callback_twice,
            callback_delay=args.callback_delay,
            callback_reject=args.callback_reject,
            bad_signature=args.bad_signature,
        )
    except ValueError as exc:
        parser.error(str(exc))
    state = server.state
    print(
        f"{state.name} [{state.code}] tại {base_url}, chế độ {args.mode}; khóa tại {base_url}/jwks",
        flush=True,
    )
    return serve_until_interrupted(server, thread)
