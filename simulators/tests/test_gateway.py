"""The payment gateway simulator over real HTTP: signed payment page, return and IPN, querydr, refund, every fault."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from motcua.payments.vnpay import QUERY_ANSWER_FIELDS as QUERY_ANSWER
from motcua.payments.vnpay import QUERY_FIELDS, REFUND_FIELDS
from motcua.payments.vnpay import REFUND_ANSWER_FIELDS as REFUND_ANSWER
from motcua.payments.vnpay import hmac_sha512 as hmac512
from motcua.payments.vnpay import pipe_hash as pipe_sign
from motcua.payments.vnpay import sign_params as sign
from simulators._http import BaseHandler, serve
from simulators.gateway import start_gateway_server
from simulators.gateway.server import GMT7
from simulators.tests.conftest import REPO, request

SECRET = "bi-mat-chung-thu-nghiem"
TMN = "MOTCUA01"


# --- a merchant that records the IPNs it gets -------------------------------------------------------------------
class Merchant:
    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.answers: list[tuple[int, str]] = []  # queued (HTTP status, RspCode); default 200 / "00"
        self.lock = threading.Lock()


class MerchantHandler(BaseHandler):
    def handle_request(self, method: str, path: str) -> None:
        merchant: Merchant = self.server.state
        with merchant.lock:
            merchant.calls.append({"at": time.monotonic(), **self.query})
            status, code = merchant.answers.pop(0) if merchant.answers else (200, "00")
        self.send_json({"RspCode": code, "Message": "ok"}, status)


@pytest.fixture
def merchant() -> Iterator[tuple[Merchant, str]]:
    state = Merchant()
    server = serve(MerchantHandler, state)
    try:
        yield state, f"{server.base_url}/ipn"
    finally:
        server.stop()


@pytest.fixture
def gateway(merchant) -> Iterator[Callable[..., str]]:
    servers = []

    def start(**faults) -> str:
        server, _thread, base = start_gateway_server(0, hash_secret=SECRET, ipn_url=merchant[1], **faults)
        servers.append(server)
        return base

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


def _wait(predicate: Callable[[], bool], timeout: float = 3) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def _request_params(ref: str = "261128ABCDEF", amount: int = 10000, minutes: int = 15, **extra) -> dict:
    now = datetime.now(GMT7)
    params = {
        "vnp_Version": "2.1.0",
        "vnp_Command": "pay",
        "vnp_TmnCode": TMN,
        "vnp_Amount": str(amount * 100),
        "vnp_CurrCode": "VND",
        "vnp_TxnRef": ref,
        "vnp_OrderInfo": "Phi le phi ho so 000.31.10.H49-261128-0001",
        "vnp_OrderType": "other",
        "vnp_Locale": "vn",
        "vnp_ReturnUrl": "http://127.0.0.1:8000/thanh-toan/ket-qua/",
        "vnp_IpAddr": "127.0.0.1",
        "vnp_CreateDate": now.strftime("%Y%m%d%H%M%S"),
        "vnp_ExpireDate": (now + timedelta(minutes=minutes)).strftime("%Y%m%d%H%M%S"),
    }
    params.update(extra)
    return params


def _url(base: str, params: dict, secret: str = SECRET) -> str:
    return f"{base}/paymentv2/vpcpay.html?{urlencode(params)}&vnp_SecureHash={sign(params, secret)}"


def _pay(base: str, ref: str = "261128ABCDEF", action: str = "pay", amount: int = 10000) -> dict:
    """Open the payment page, press a button; the signed result the browser is sent back with."""
    page = request("GET", _url(base, _request_params(ref, amount)))
    assert page.status == 200, page.text
    assert 'name="action" value="pay"' in page.text and 'value="cancel"' in page.text
    answer = request("POST", f"{base}/paymentv2/pay", form={"vnp_TxnRef": ref, "action": action, "bank_code": "NCB"})
    assert answer.status == 302, answer.text
    location = answer.header("Location")
    assert location.startswith("http://127.0.0.1:8000/thanh-toan/ket-qua/?")
    return dict(parse_qsl(urlsplit(location).query))


def _ipn_log(base: str) -> list[dict]:
    return request("GET", f"{base}/__admin/ipns").json()["ipns"]


def _verified(params: dict, secret: str = SECRET) -> bool:
    return params.get("vnp_SecureHash") == sign(params, secret)


def _api(base: str, body: dict, names: tuple[str, ...], secret: str = SECRET):
    body = {**body, "vnp_SecureHash": pipe_sign(body, names, secret)}
    return request("POST", f"{base}/merchant_webapi/api/transaction", json_body=body)


def _query(base: str, ref: str, secret: str = SECRET):
    now = datetime.now(GMT7).strftime("%Y%m%d%H%M%S")
    body = {
        "vnp_RequestId": f"q{time.monotonic_ns()}",
        "vnp_Version": "2.1.0",
        "vnp_Command": "querydr",
        "vnp_TmnCode": TMN,
        "vnp_TxnRef": ref,
        "vnp_OrderInfo": "truy van",
        "vnp_TransactionDate": now,
        "vnp_CreateDate": now,
        "vnp_IpAddr": "127.0.0.1",
    }
    return _api(base, body, QUERY_FIELDS, secret)


def _refund(base: str, ref: str, amount: int = 10000, transaction_no: str = "0"):
    now = datetime.now(GMT7).strftime("%Y%m%d%H%M%S")
    body = {
        "vnp_RequestId": f"r{time.monotonic_ns()}",
        "vnp_Version": "2.1.0",
        "vnp_Command": "refund",
        "vnp_TmnCode": TMN,
        "vnp_TransactionType": "02",
        "vnp_TxnRef": ref,
        "vnp_Amount": str(amount * 100),
        "vnp_TransactionNo": transaction_no,
        "vnp_TransactionDate": now,
        "vnp_CreateBy": "desk",
        "vnp_CreateDate": now,
        "vnp_IpAddr": "127.0.0.1",
        "vnp_OrderInfo": "hoan tien",
    }
    return _api(base, body, REFUND_FIELDS)


# --- the signature ----------------------------------------------------------------------------------------------
def test_signature_is_hmac_sha512_over_the_sorted_url_encoded_params():
    # given params with spaces, Vietnamese and reserved characters / then the signed text is sorted and quote_plus'd
    params = {"vnp_TxnRef": "A1", "vnp_Amount": "1000000", "vnp_OrderInfo": "Phí hồ sơ: a&b", "other": "x"}
    text = "vnp_Amount=1000000&vnp_OrderInfo=Ph%C3%AD+h%E1%BB%93+s%C6%A1%3A+a%26b&vnp_TxnRef=A1"
    assert sign(params, SECRET) == hmac512(SECRET, text)
    assert sign({**params, "vnp_SecureHash": "x", "vnp_SecureHashType": "SHA512"}, SECRET) == sign(params, SECRET)
    assert len(sign(params, SECRET)) == 128


def test_motcua_builds_a_payment_url_the_gateway_accepts(gateway):
    # given motcua's own VNPay adapter (the merchant side) and the simulator (written independently)
    from motcua.payments.gateways import VnpayGateway

    base = gateway()
    adapter = VnpayGateway(payment_url=f"{base}/paymentv2/vpcpay.html", api_url="", tmn_code=TMN, secret=SECRET)
    now = datetime.now(GMT7)
    payment = SimpleNamespace(
        amount_vnd=10000,
        txn_ref="261128XYZ",
        purpose="Phí, lệ phí hồ sơ 000.31.10.H49-261128-0001: Đăng ký thường trú",
        created_at=now,
        expires_at=now + timedelta(minutes=15),
    )
    # when the browser opens the URL motcua made / then the gateway shows the amount and the merchant
    page = request("GET", adapter.create_redirect(payment, "http://127.0.0.1:8000/thanh-toan/ket-qua/"))
    assert page.status == 200, page.text
    assert "10.000 VND" in page.text and "Hệ thống một cửa điện tử motcua" in page.text
    assert "Phi le phi ho so 000.31.10.H49-261128-0001: Dang ky thuong tru" in page.text
    # and what the gateway sends back verifies with motcua's adapter
    answer = request("POST", f"{base}/paymentv2/pay", form={"vnp_TxnRef": "261128XYZ", "action": "pay"})
    report = adapter.verify_return(dict(parse_qsl(urlsplit(answer.header("Location")).query)))
    assert report.paid and report.amount_vnd == 10000 and report.txn_ref == "261128XYZ"


@pytest.mark.parametrize(
    ("change", "secret", "code"),
    [
        ({}, "khoa-khac", "70"),
        ({"vnp_TmnCode": "KHAC"}, SECRET, "02"),
        ({"vnp_Amount": "abc"}, SECRET, "03"),
        ({"vnp_Version": "2.0.0"}, SECRET, "03"),
        ({"vnp_ExpireDate": "20200101000000"}, SECRET, "11"),
    ],
)
def test_the_payment_page_refuses_a_bad_request(gateway, change, secret, code):
    base = gateway()
    page = request("GET", _url(base, {**_request_params(), **change}, secret))
    assert page.status == 400
    assert f'data-code="{code}"' in page.text


def test_a_reference_cannot_be_reused_for_another_order(gateway):
    base = gateway()
    assert request("GET", _url(base, _request_params("R1", 10000))).status == 200
    assert request("GET", _url(base, _request_params("R1", 10000))).status in (200,)  # same request: same page
    assert request("GET", _url(base, _request_params("R1", 20000))).status == 400


# --- paying -----------------------------------------------------------------------------------------------------
def test_pay_redirects_back_signed_and_sends_the_ipn(gateway, merchant):
    calls, _ = merchant
    base = gateway()
    result = _pay(base, "R-OK")
    assert _verified(result)
    assert (result["vnp_ResponseCode"], result["vnp_TransactionStatus"], result["vnp_Amount"]) == (
        "00",
        "00",
        "1000000",
    )
    assert result["vnp_TransactionNo"] != "0" and result["vnp_BankCode"] == "NCB"
    assert _wait(lambda: len(calls.calls) == 1)
    ipn = calls.calls[0]
    assert _verified(ipn) and ipn["vnp_TxnRef"] == "R-OK" and ipn["vnp_ResponseCode"] == "00"
    assert _wait(lambda: len(_ipn_log(base)) == 1)  # logged once the merchant's answer is read
    log = _ipn_log(base)
    assert log == [
        {"txn_ref": "R-OK", "copy": 1, "attempt": 1, "status": 200, "rsp_code": "00", "forged": False,
         "response_code": "00"}
    ]  # fmt: skip
    # and the same transaction cannot be paid again
    again = request("POST", f"{base}/paymentv2/pay", form={"vnp_TxnRef": "R-OK", "action": "pay"})
    assert again.status == 400


@pytest.mark.parametrize(("faults", "action", "code"), [({}, "cancel", "24"), ({"decline": True}, "pay", "51")])
def test_cancel_and_decline_end_in_failure(gateway, merchant, faults, action, code):
    base = gateway(**faults)
    result = _pay(base, "R-NO", action=action)
    assert _verified(result) and result["vnp_ResponseCode"] == code and result["vnp_TransactionStatus"] == "02"
    assert _wait(lambda: len(merchant[0].calls) == 1)
    assert merchant[0].calls[0]["vnp_ResponseCode"] == code


def test_ipn_first_is_answered_before_the_browser_is_sent_back(gateway, merchant):
    base = gateway(ipn_first=True, ipn_delay=1.0)
    _pay(base, "R-FIRST")
    assert len(merchant[0].calls) == 1  # already there when the redirect came


def test_ipn_delay_sends_it_after_the_redirect(gateway, merchant):
    base = gateway(ipn_delay=0.3)
    started = time.monotonic()
    _pay(base, "R-LATE")
    assert merchant[0].calls == []
    assert _wait(lambda: len(merchant[0].calls) == 1)
    assert merchant[0].calls[0]["at"] - started >= 0.3


def test_lose_ipn_sends_nothing(gateway, merchant):
    base = gateway(lose_ipn=True)
    _pay(base, "R-LOST")
    time.sleep(0.3)
    assert merchant[0].calls == []


def test_ipn_twice_sends_the_same_notification_twice(gateway, merchant):
    base = gateway(ipn_twice=True)
    _pay(base, "R-TWICE")
    assert _wait(lambda: len(merchant[0].calls) == 2)
    first, second = merchant[0].calls
    assert {k: v for k, v in first.items() if k != "at"} == {k: v for k, v in second.items() if k != "at"}


def test_forge_ipn_signs_the_notification_with_another_secret(gateway, merchant):
    base = gateway(forge_ipn=True)
    result = _pay(base, "R-FORGED")
    assert _verified(result)  # the browser's return is still genuine
    assert _wait(lambda: len(merchant[0].calls) == 1)
    assert not _verified(merchant[0].calls[0])
    assert _wait(lambda: len(_ipn_log(base)) == 1)
    assert _ipn_log(base)[0]["forged"] is True


def test_wrong_amount_states_more_than_was_charged(gateway, merchant):
    base = gateway(wrong_amount=True)
    result = _pay(base, "R-AMOUNT")
    assert _verified(result) and result["vnp_Amount"] == "1100000"
    assert _wait(lambda: len(merchant[0].calls) == 1)
    assert merchant[0].calls[0]["vnp_Amount"] == "1100000"
    # the transaction query tells the truth
    assert _query(base, "R-AMOUNT").json()["vnp_Amount"] == "1000000"


def test_an_ipn_not_settled_by_the_merchant_is_retried(gateway, merchant):
    calls, _ = merchant
    calls.answers = [(500, ""), (200, "99")]  # then 200 / 00
    base = gateway()
    _pay(base, "R-RETRY")
    assert _wait(lambda: len(_ipn_log(base)) == 3, timeout=5)
    log = _ipn_log(base)
    assert len(calls.calls) == 3
    assert [(x["attempt"], x["status"], x["rsp_code"]) for x in log] == [(1, 500, ""), (2, 200, "99"), (3, 200, "00")]


def test_faults_are_set_and_reset_at_run_time(gateway):
    base = gateway()
    answer = request("POST", f"{base}/__admin/faults", json_body={"lose_ipn": True, "ipn_delay": 0.5})
    assert answer.status == 200 and answer.json()["lose_ipn"] is True and answer.json()["ipn_delay"] == 0.5
    assert request("POST", f"{base}/__admin/faults", json_body={"nope": True}).status == 400
    assert request("POST", f"{base}/__admin/faults", json_body={"decline": "yes"}).status == 400
    assert request("POST", f"{base}/__admin/faults", json_body={"reset": True}).json()["lose_ipn"] is False


# --- the merchant API -------------------------------------------------------------------------------------------
def test_querydr_reports_each_stage_signed(gateway):
    base = gateway(lose_ipn=True)
    unknown = _query(base, "R-Q").json()
    assert unknown["vnp_ResponseCode"] == "91"
    assert unknown["vnp_SecureHash"] == pipe_sign(unknown, QUERY_ANSWER, SECRET)
    assert request("GET", _url(base, _request_params("R-Q"))).status == 200
    opened = _query(base, "R-Q").json()
    assert (opened["vnp_ResponseCode"], opened["vnp_TransactionStatus"]) == ("00", "01")
    request("POST", f"{base}/paymentv2/pay", form={"vnp_TxnRef": "R-Q", "action": "pay"})
    paid = _query(base, "R-Q").json()
    assert (paid["vnp_ResponseCode"], paid["vnp_TransactionStatus"], paid["vnp_Amount"]) == ("00", "00", "1000000")
    assert paid["vnp_SecureHash"] == pipe_sign(paid, QUERY_ANSWER, SECRET)


def test_the_merchant_api_refuses_a_bad_checksum_and_can_be_down(gateway):
    base = gateway()
    assert _query(base, "R-X", secret="sai").json()["vnp_ResponseCode"] == "97"
    request("POST", f"{base}/__admin/faults", json_body={"api_fail_next": 1})
    assert _query(base, "R-X").status == 503
    assert _query(base, "R-X").json()["vnp_ResponseCode"] == "91"


def test_refund_once_then_duplicate_and_never_for_an_unpaid_transaction(gateway):
    base = gateway(lose_ipn=True)
    assert request("GET", _url(base, _request_params("R-UNPAID"))).status == 200
    assert _refund(base, "R-UNPAID").json()["vnp_ResponseCode"] == "95"
    result = _pay(base, "R-REFUND")
    first = _refund(base, "R-REFUND", transaction_no=result["vnp_TransactionNo"]).json()
    assert first["vnp_ResponseCode"] == "00"
    assert first["vnp_SecureHash"] == pipe_sign(first, REFUND_ANSWER, SECRET)
    assert _refund(base, "R-REFUND").json()["vnp_ResponseCode"] == "94"
    assert _refund(base, "R-NONE").json()["vnp_ResponseCode"] == "91"
    txn = next(
        t for t in request("GET", f"{base}/__admin/transactions").json()["transactions"] if t["txn_ref"] == "R-REFUND"
    )
    assert txn["refunded"] == 1000000


def test_the_command_line_starts_the_gateway(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET + "\n")
    command = [sys.executable, "-m", "simulators.gateway", "--port", "0", "--hash-secret-file", str(secret_file),
               "--decline"]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        line = proc.stdout.readline()
        base = re.search(r"http://127\.0\.0\.1:\d+", line).group(0)
        assert "/paymentv2/vpcpay.html" in line
        assert request("GET", f"{base}/healthz").json() == {"status": "ok", "tmn_code": TMN}
        assert request("GET", f"{base}/__admin/faults").json()["decline"] is True
        assert request("GET", _url(base, _request_params("R-CLI"))).status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
