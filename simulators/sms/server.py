"""SMS brandname gateway simulator, modelled on the Vietnamese brandname gateways (carrier-approved sender name,
JSON over HTTPS with an API key, a provider message id, a delivery report pushed later to the client's URL).

POST /v1/sms/send   header `X-Api-Key: <key>`, JSON {"phone", "text", "brandname", "ref", "callback_url"?}
  200 {"code": "00", "message_id": "SMS…", "segments": n, "duplicate": false}
  The client's `ref` is its idempotency key: the same ref again answers the same message id with
  "duplicate": true, and no second SMS leaves (and no second delivery report).
  401 {"code": "401"} wrong key · 400 {"code": "invalid_phone" | "empty_text" | "too_long" | "unicode_not_allowed"
  | "brandname_not_registered" | "missing_ref"} · 5xx when told to fail.
Delivery report (DLR), `dlr_delay` seconds after a message is accepted: POST to the request's `callback_url` (else
the server's `dlr_url`) JSON {"message_id", "ref", "phone", "status": "DELIVERED" | "FAILED", "error_code",
"done_at"}, header `X-Signature: hex(HMAC-SHA256(api_key, body))`.

Test hooks: GET/POST /__admin/faults (see `Faults`; {"reset": true} clears them), GET /__admin/messages (what was
sent, duplicates, the reports posted and how they were answered), GET /healthz.
"""

from __future__ import annotations

import argparse
import json
import threading
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from motcua.notifications.smstext import is_gsm7, normalise_phone, segments, sign_body
from simulators import _faults as faults
from simulators._faults import FaultSet
from simulators._http import BaseHandler, SimulatorServer, serve, serve_until_interrupted

DEFAULT_PORT = 9110
MAX_SEGMENTS = 8  # longer concatenated messages are refused, as gateways do


def dlr_signature(api_key: str, body: bytes) -> str:
    return sign_body(api_key, body)


@dataclass
class Faults(FaultSet):
    """Injected faults, settable at start and at run time (POST /__admin/faults)."""

    fail_next: int = 0  # the next n sends answer `status` (5xx) and send nothing
    status: int = 503
    timeout_next: int = 0  # the next n sends are accepted (the SMS leaves) but the answer comes after
    timeout_seconds: float = 30.0  # `timeout_seconds`, as 504: the client has given up (a lost answer)
    dlr_failed: bool = False  # delivery reports say FAILED (subscriber unreachable)
    dlr_duplicate: bool = False  # every delivery report is posted twice
    dlr: bool = True  # post delivery reports at all
    dlr_delay: float = 0.05  # seconds between acceptance and the report

    PARSERS = {
        "fail_next": faults.count,
        "status": faults.http_status(),
        "timeout_next": faults.count,
        "timeout_seconds": faults.seconds,
        "dlr_failed": faults.flag,
        "dlr_duplicate": faults.flag,
        "dlr": faults.flag,
        "dlr_delay": faults.seconds,
    }


@dataclass
class SmsState:
    api_key: str = "sim-sms-key"
    brandnames: tuple[str, ...] = ("MOTCUA",)
    ascii_only: bool = False  # a gateway (or route) that takes no Unicode: diacritics refused
    dlr_url: str | None = None
    faults: Faults = field(default_factory=Faults)
    messages: dict[str, dict] = field(default_factory=dict)  # by client ref
    order: list[str] = field(default_factory=list)
    duplicates: int = 0
    dlrs: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "messages": [dict(self.messages[ref]) for ref in self.order],
                "duplicates": self.duplicates,
                "dlrs": [dict(d) for d in self.dlrs],
            }


class SmsServer(SimulatorServer):
    state: SmsState

    def stop(self) -> None:
        self.state.stopping.set()  # wake hung answers and pending reports first
        super().stop()


class SmsHandler(BaseHandler):
    server: SmsServer

    @property
    def state(self) -> SmsState:
        return self.server.state

    def handle_request(self, method: str, path: str) -> None:
        st = self.state
        if (method, path) == ("POST", "/v1/sms/send"):
            self.send_sms()
        elif (method, path) == ("POST", "/__admin/faults"):
            self.admin_faults()
        elif (method, path) == ("GET", "/__admin/faults"):
            with st.lock:
                self.send_json(st.faults.as_dict())
        elif (method, path) == ("GET", "/__admin/messages"):
            self.send_json(st.snapshot())
        elif (method, path) == ("GET", "/healthz"):
            self.send_json({"status": "ok", "brandnames": list(st.brandnames), "ascii_only": st.ascii_only})
        else:
            self.not_found()

    def admin_faults(self) -> None:
        faults.admin_update(self, self.state.faults)

    def refuse(self, code: str, message: str, status: int = 400) -> None:
        self.send_json({"code": code, "error": message}, status)

    def send_sms(self) -> None:
        st = self.state
        if self.headers.get("X-Api-Key", "") != st.api_key:
            self.refuse("401", "Sai khóa API.", 401)
            return
        try:
            data = self.json_body()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            self.refuse("invalid_request", "Cần một đối tượng JSON.")
            return
        text, ref = str(data.get("text") or ""), str(data.get("ref") or "").strip()
        phone = normalise_phone(str(data.get("phone") or ""))
        if not ref or len(ref) > 64:
            self.refuse("missing_ref", "Thiếu mã tham chiếu (ref) của bên gửi.")
            return
        if phone is None:
            self.refuse("invalid_phone", "Số điện thoại không phải số di động Việt Nam.")
            return
        if not text.strip():
            self.refuse("empty_text", "Nội dung tin nhắn trống.")
            return
        if str(data.get("brandname") or "") not in st.brandnames:
            self.refuse("brandname_not_registered", "Tên định danh (brandname) chưa được đăng ký.")
            return
        if st.ascii_only and not is_gsm7(text):
            self.refuse("unicode_not_allowed", "Tuyến này chỉ nhận tin không dấu.")
            return
        parts = segments(text)
        if parts > MAX_SEGMENTS:
            self.refuse("too_long", f"Tin nhắn dài {parts} phần, tối đa {MAX_SEGMENTS}.")
            return
        with st.lock:
            faults = st.faults
            if faults.fail_next > 0:
                faults.fail_next -= 1
                failing, hang = faults.status, None
            else:
                failing = 0
                hang = None
                if faults.timeout_next > 0:
                    faults.timeout_next -= 1
                    hang = faults.timeout_seconds
            if failing:
                record, duplicate = None, False
            else:
                record = st.messages.get(ref)
                duplicate = record is not None
                if duplicate:
                    st.duplicates += 1
                else:
                    record = {
                        "message_id": f"SMS{uuid.uuid4().hex[:16].upper()}",
                        "ref": ref,
                        "phone": phone,
                        "text": text,
                        "brandname": data.get("brandname"),
                        "segments": parts,
                        "accepted_at": datetime.now(UTC).isoformat(),
                        "dlr_status": None,
                    }
                    st.messages[ref] = record
                    st.order.append(ref)
                record = dict(record)
            options = replace(faults)
        if failing:
            self.refuse("99", "Hệ thống tạm ngừng.", failing)
            return
        if not duplicate and options.dlr:
            callback = str(data.get("callback_url") or "") or st.dlr_url
            if callback:
                threading.Thread(target=self.deliver_report, args=(record, callback, options), daemon=True).start()
        if hang is not None:
            st.stopping.wait(hang)  # sent, but the answer arrives after the client's timeout
            self.refuse("504", "Cổng tin nhắn không trả lời kịp.", 504)
            return
        self.send_json(
            {"code": "00", "message_id": record["message_id"], "segments": record["segments"], "duplicate": duplicate}
        )

    def deliver_report(self, record: dict, url: str, options: Faults) -> None:
        st = self.state
        if st.stopping.wait(options.dlr_delay):
            return
        status = "FAILED" if options.dlr_failed else "DELIVERED"
        report = {
            "message_id": record["message_id"],
            "ref": record["ref"],
            "phone": record["phone"],
            "status": status,
            "error_code": "UNDELIV" if options.dlr_failed else "",
            "done_at": datetime.now(UTC).isoformat(),
        }
        body = json.dumps(report, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json", "X-Signature": dlr_signature(st.api_key, body)}
        with st.lock:
            if record["ref"] in st.messages:
                st.messages[record["ref"]]["dlr_status"] = status
        for _copy in range(2 if options.dlr_duplicate else 1):
            answer = _post(url, body, headers, st)
            with st.lock:
                st.dlrs.append({"message_id": record["message_id"], "ref": record["ref"], "status": status, **answer})


def _post(url: str, body: bytes, headers: dict[str, str], st: SmsState) -> dict[str, Any]:
    """POST one report, a few tries on a network error or 5xx; how the client answered."""
    status, raw = -1, b""
    for attempt in range(3):
        request = urllib.request.Request(url, data=body, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except OSError:
            status = -1
        if 0 < status < 500 or st.stopping.wait(0.2 * (attempt + 1)):
            break
    try:
        answer = json.loads(raw) if raw else None
    except ValueError:
        answer = None
    return {"http_status": status, "answer": answer}


def start_sms_server(
    port: int = 0,
    *,
    host: str = "127.0.0.1",
    api_key: str = "sim-sms-key",
    brandnames: tuple[str, ...] | list[str] = ("MOTCUA",),
    ascii_only: bool = False,
    dlr_url: str | None = None,
    **faults: Any,
) -> tuple[SmsServer, threading.Thread, str]:
    """Start on a free port (port=0); return (server, thread, base URL). Stop with server.stop().
    Fault keywords are the initial `Faults` (fail_next, status, timeout_next, dlr_failed, dlr_duplicate, …)."""
    state = SmsState(
        api_key=api_key,
        brandnames=tuple(brandnames),
        ascii_only=ascii_only,
        dlr_url=dlr_url,
        faults=Faults().updated(faults),
    )
    server = serve(SmsHandler, state, host, port, server_class=SmsServer)
    assert isinstance(server, SmsServer) and server.thread is not None
    return server, server.thread, server.base_url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Cổng tin nhắn thương hiệu (SMS brandname) mô phỏng.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"cổng (mặc định {DEFAULT_PORT}; 0 = bất kỳ)")
    parser.add_argument("--api-key", default="sim-sms-key", help="khóa API (tiêu đề X-Api-Key), cũng ký báo cáo")
    parser.add_argument("--brandname", action="append", help="tên định danh đã đăng ký (lặp lại được; mặc định MOTCUA)")
    parser.add_argument("--ascii-only", action="store_true", help="chỉ nhận tin không dấu (GSM-7)")
    parser.add_argument("--dlr-url", help="địa chỉ nhận báo cáo trạng thái khi yêu cầu không ghi callback_url")
    faults = parser.add_argument_group("lỗi giả lập (đổi được lúc chạy bằng POST /__admin/faults)")
    faults.add_argument("--fail-next", type=int, default=0, metavar="N", help="N tin tới bị trả lỗi 5xx")
    faults.add_argument("--fail-status", type=int, default=503)
    faults.add_argument(
        "--timeout-next", type=int, default=0, metavar="N", help="N tin tới được gửi nhưng trả lời muộn"
    )
    faults.add_argument("--timeout-seconds", type=float, default=30.0)
    faults.add_argument("--dlr-failed", action="store_true", help="báo cáo trạng thái: không đến được thuê bao")
    faults.add_argument("--dlr-duplicate", action="store_true", help="gửi mỗi báo cáo trạng thái hai lần")
    faults.add_argument("--dlr-delay", type=float, default=1.0, metavar="GIÂY", help="chờ trước khi báo cáo (1)")
    args = parser.parse_args(argv)
    try:
        server, thread, base_url = start_sms_server(
            args.port,
            host=args.host,
            api_key=args.api_key,
            brandnames=args.brandname or ["MOTCUA"],
            ascii_only=args.ascii_only,
            dlr_url=args.dlr_url,
            fail_next=args.fail_next,
            status=args.fail_status,
            timeout_next=args.timeout_next,
            timeout_seconds=args.timeout_seconds,
            dlr_failed=args.dlr_failed,
            dlr_duplicate=args.dlr_duplicate,
            dlr_delay=args.dlr_delay,
        )
    except ValueError as exc:
        parser.error(str(exc))
    print(f"Cổng SMS brandname (mô phỏng) tại {base_url}/v1/sms/send", flush=True)
    return serve_until_interrupted(server, thread)
