"""The SMS brandname gateway simulator over real sockets: API key, idempotent refs, refusals, faults, signed
delivery reports."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from simulators._http import BaseHandler, serve
from simulators.sms import dlr_signature, start_sms_server

from .conftest import request

KEY = "khoa-sms"


@dataclass
class Reports:
    got: list[tuple[dict, bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, n: int, timeout: float = 5) -> list[tuple[dict, bytes]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.got) >= n:
                    return list(self.got)
            time.sleep(0.01)
        raise AssertionError(f"expected {n} report(s), got {len(self.got)}")


class ReportHandler(BaseHandler):
    def handle_request(self, method: str, path: str) -> None:
        with self.server.state.lock:
            self.server.state.got.append((dict(self.headers.items()), self.body()))
        self.send_json({"status": "ok"})


@pytest.fixture
def gateway() -> Iterator[tuple[str, Reports]]:
    reports = Reports()
    sink = serve(ReportHandler, reports)
    server, _thread, base_url = start_sms_server(api_key=KEY, dlr_url=sink.base_url + "/dlr")
    try:
        yield base_url, reports
    finally:
        server.stop()
        sink.stop()


def send(base_url: str, key: str = KEY, timeout: float = 10, **body):
    message = {"phone": "0912000002", "text": "Hồ sơ đã tiếp nhận", "brandname": "MOTCUA", "ref": "r-1", **body}
    return request("POST", base_url + "/v1/sms/send", json_body=message, headers={"X-Api-Key": key}, timeout=timeout)


def faults(base_url: str, **values):
    return request("POST", base_url + "/__admin/faults", json_body=values)


def sent(base_url: str) -> dict:
    return request("GET", base_url + "/__admin/messages").json()


def test_send_is_idempotent_by_ref_and_reports_are_signed(gateway):
    base_url, reports = gateway
    first = send(base_url)
    assert first.status == 200 and first.json()["code"] == "00" and first.json()["duplicate"] is False
    assert first.json()["segments"] == 1
    again = send(base_url)
    assert again.json() == {**first.json(), "duplicate": True}
    [(headers, body)] = reports.wait(1)
    report = json.loads(body)
    assert report["message_id"] == first.json()["message_id"] and report["ref"] == "r-1"
    assert report["status"] == "DELIVERED" and report["phone"] == "84912000002"
    assert headers["X-Signature"] == dlr_signature(KEY, body)
    time.sleep(0.2)
    state = sent(base_url)
    assert len(state["messages"]) == 1 and state["duplicates"] == 1 and len(state["dlrs"]) == 1
    assert state["dlrs"][0]["http_status"] == 200


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"phone": "0241234567"}, "invalid_phone"),
        ({"text": "  "}, "empty_text"),
        ({"brandname": "KHAC"}, "brandname_not_registered"),
        ({"ref": ""}, "missing_ref"),
        ({"text": "ă" * 600}, "too_long"),
    ],
)
def test_refusals(gateway, body, code):
    base_url, _ = gateway
    answer = send(base_url, **body)
    assert answer.status == 400 and answer.json()["code"] == code
    assert sent(base_url)["messages"] == []


def test_wrong_key_and_ascii_only_route(gateway):
    base_url, _ = gateway
    assert send(base_url, key="sai").status == 401
    server, _thread, url = start_sms_server(api_key=KEY, ascii_only=True)
    try:
        assert send(url).json()["code"] == "unicode_not_allowed"
        assert send(url, text="Ho so da tiep nhan").status == 200
    finally:
        server.stop()


def test_faults(gateway):
    base_url, reports = gateway
    assert faults(base_url, fail_next=1, status=502, dlr_failed=True, dlr_duplicate=True).status == 200
    assert send(base_url).status == 502
    assert sent(base_url)["messages"] == []
    assert send(base_url).status == 200
    got = reports.wait(2)
    assert [json.loads(b)["status"] for _h, b in got] == ["FAILED", "FAILED"]
    assert json.loads(got[0][1])["error_code"] == "UNDELIV"
    assert faults(base_url, nonsense=1).status == 400
    assert faults(base_url, status=404).status == 400
    assert faults(base_url, reset=True).json()["fail_next"] == 0


def test_timeout_sends_then_answers_late(gateway):
    base_url, _ = gateway
    faults(base_url, timeout_next=1, timeout_seconds=1.5)
    with pytest.raises(TimeoutError):
        send(base_url, timeout=0.3)
    assert len(sent(base_url)["messages"]) == 1  # it left: the answer was lost
    assert send(base_url).json()["duplicate"] is True
