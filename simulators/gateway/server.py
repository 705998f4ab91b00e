"""Payment gateway simulator speaking VNPay 2.1.0 (the merchant side is motcua/payments/gateways.py).

- `GET /paymentv2/vpcpay.html?vnp_…&vnp_SecureHash=…`: checks the signed payment request and shows a payment
  page (merchant, amount, order) with a real HTML form: "Thanh toán" or "Hủy" (`POST /paymentv2/pay`).
- After the choice: the browser is redirected (302) to `vnp_ReturnUrl` with the signed result, and the signed IPN
  is sent server to server (`GET <ipn_url>?vnp_…`), retried a few times when the merchant does not answer with a
  RspCode that settles it (00, 01, 02, 04, 97).
- `POST /merchant_webapi/api/transaction`: the merchant API, `vnp_Command` "querydr" (transaction query, for
  reconciliation) or "refund", JSON in and out, signed with HMAC-SHA512 over the documented fields joined by '|'.

The signature is computed here independently of motcua's code (a contract test of both): hex HMAC-SHA512 with the
shared secret over the `vnp_*` parameters except the hash fields, sorted by name, `name=quote_plus(value)`
joined by '&'.

Test hooks: `POST /__admin/faults` with any of `Faults` (`{"reset": true}` clears them), `GET /__admin/faults`,
`GET /__admin/transactions`, `GET /__admin/ipns` (every IPN attempt and the merchant's answer), `GET /healthz`.
"""

from __future__ import annotations

import argparse
import hmac
import html
import json
import threading
import urllib.error
import urllib.request
import uuid
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from motcua.payments.vnpay import QUERY_ANSWER_FIELDS as QUERY_ANSWER
from motcua.payments.vnpay import QUERY_FIELDS, REFUND_FIELDS
from motcua.payments.vnpay import REFUND_ANSWER_FIELDS as REFUND_ANSWER
from motcua.payments.vnpay import pipe_hash as pipe_sign
from motcua.payments.vnpay import sign_params as sign
from simulators import _faults as faults
from simulators._faults import FaultSet
from simulators._http import BaseHandler, SimulatorServer, serve, serve_until_interrupted

GMT7 = timezone(timedelta(hours=7))
TIME_FORMAT = "%Y%m%d%H%M%S"
PAY_PATH = "/paymentv2/vpcpay.html"
API_PATH = "/merchant_webapi/api/transaction"
REQUIRED = (
    "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_Amount", "vnp_CurrCode", "vnp_TxnRef", "vnp_OrderInfo",
    "vnp_ReturnUrl", "vnp_IpAddr", "vnp_CreateDate",
)  # fmt: skip
SETTLING_ANSWERS = {"00", "01", "02", "04", "97"}  # an IPN answered with one of these is not sent again


def now_gmt7() -> datetime:
    return datetime.now(GMT7)


@dataclass
class Faults(FaultSet):
    """Injected faults, settable at start and at run time (POST /__admin/faults). They last until reset."""

    ipn_first: bool = False  # the IPN is sent (and answered) before the browser is redirected back
    lose_ipn: bool = False  # no IPN at all: only reconciliation (querydr) can find the payment
    ipn_twice: bool = False  # the same IPN is sent twice
    forge_ipn: bool = False  # the IPN is signed with a wrong secret
    wrong_amount: bool = False  # the return and the IPN state 1.000 đồng more than was charged
    ipn_delay: float = 0.05  # seconds between the redirect and the IPN
    decline: bool = False  # the bank declines: "Thanh toán" ends with response code 51
    api_fail_next: int = 0  # the next n merchant API calls (querydr, refund) answer HTTP 503

    PARSERS = {
        "ipn_first": faults.flag,
        "lose_ipn": faults.flag,
        "ipn_twice": faults.flag,
        "forge_ipn": faults.flag,
        "wrong_amount": faults.flag,
        "ipn_delay": faults.seconds,
        "decline": faults.flag,
        "api_fail_next": faults.count,
    }


@dataclass
class Transaction:
    txn_ref: str
    amount: int  # VND × 100, as requested
    order_info: str
    return_url: str
    create_date: str
    expire_date: str
    request: dict[str, str]
    status: str = "01"  # vnp_TransactionStatus: 01 not completed, 00 paid, 02 failed
    response_code: str = ""
    transaction_no: str = ""
    bank_code: str = ""
    pay_date: str = ""
    refunded: int = 0  # VND × 100
    refund_no: str = ""

    def view(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("request")
        return data


@dataclass
class GatewayState:
    secret: str
    tmn_code: str = "MOTCUA01"
    merchant_name: str = "Hệ thống một cửa điện tử motcua"
    ipn_url: str | None = None
    faults: Faults = field(default_factory=Faults)
    transactions: dict[str, Transaction] = field(default_factory=dict)
    ipns: list[dict] = field(default_factory=list)
    counter: int = 14_000_000
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)

    def next_no(self) -> str:
        with self.lock:
            self.counter += 1
            return str(self.counter)


class GatewayServer(SimulatorServer):
    state: GatewayState

    def stop(self) -> None:
        self.state.stopping.set()
        super().stop()


def _page(title: str, body: str, status: int = 200) -> tuple[str, int]:
    doc = f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem}}
dl{{display:grid;grid-template-columns:max-content 1fr;gap:.4rem 1rem}}dt{{font-weight:bold}}
button{{font-size:1.1rem;padding:.5rem 1.5rem;margin-right:1rem}}</style></head>
<body><p><strong>VNPAY</strong> — cổng thanh toán (mô phỏng)</p>{body}</body></html>"""
    return doc, status


def _money(amount_x100: int) -> str:
    return f"{amount_x100 // 100:,}".replace(",", ".") + " VND"


class GatewayHandler(BaseHandler):
    server: GatewayServer

    @property
    def state(self) -> GatewayState:
        return self.server.state

    def handle_request(self, method: str, path: str) -> None:
        st = self.state
        if (method, path) == ("GET", PAY_PATH):
            self.payment_page()
        elif (method, path) == ("POST", "/paymentv2/pay"):
            self.pay()
        elif (method, path) == ("POST", API_PATH):
            self.merchant_api()
        elif (method, path) == ("POST", "/__admin/faults"):
            self.admin_faults()
        elif (method, path) == ("GET", "/__admin/faults"):
            with st.lock:
                self.send_json(st.faults.as_dict())
        elif (method, path) == ("GET", "/__admin/transactions"):
            with st.lock:
                self.send_json({"transactions": [t.view() for t in st.transactions.values()]})
        elif (method, path) == ("GET", "/__admin/ipns"):
            with st.lock:
                self.send_json({"ipns": [dict(x) for x in st.ipns]})
        elif (method, path) == ("GET", "/healthz"):
            self.send_json({"status": "ok", "tmn_code": st.tmn_code})
        elif (method, path) == ("GET", "/favicon.ico"):
            self.send(204, b"", "image/x-icon")  # browsers ask for it on the payment page
        else:
            self.not_found()

    def error_page(self, code: str, message: str, status: int = 400) -> None:
        body = f'<h1>Giao dịch không thực hiện được</h1><p id="error" data-code="{code}">{html.escape(message)}</p>'
        self.send_html(*_page("Lỗi giao dịch", body, status))

    # --- the payment page ---------------------------------------------------------------------------------------
    def payment_page(self) -> None:
        st = self.state
        params = dict(self.query)
        missing = [name for name in REQUIRED if not params.get(name)]
        if missing:
            self.error_page("03", f"Thiếu tham số: {', '.join(missing)}.")
            return
        if params["vnp_TmnCode"] != st.tmn_code:
            self.error_page("02", "Mã website (vnp_TmnCode) không tồn tại.")
            return
        if not hmac.compare_digest(params.get("vnp_SecureHash", "").lower(), sign(params, st.secret)):
            self.error_page("70", "Sai chữ ký.")
            return
        if params["vnp_Version"] != "2.1.0" or params["vnp_Command"] != "pay" or params["vnp_CurrCode"] != "VND":
            self.error_page("03", "Phiên bản, lệnh hoặc loại tiền không được hỗ trợ.")
            return
        if not params["vnp_Amount"].isdigit() or int(params["vnp_Amount"]) <= 0:
            self.error_page("03", "Số tiền không hợp lệ.")
            return
        expire = params.get("vnp_ExpireDate", "")
        if expire and expire < now_gmt7().strftime(TIME_FORMAT):
            self.error_page("11", "Đã hết hạn chờ thanh toán.")
            return
        ref = params["vnp_TxnRef"]
        signed = {k: v for k, v in params.items() if k != "vnp_SecureHash"}
        with st.lock:
            txn = st.transactions.get(ref)
            if txn is None:
                txn = Transaction(
                    txn_ref=ref,
                    amount=int(params["vnp_Amount"]),
                    order_info=params["vnp_OrderInfo"],
                    return_url=params["vnp_ReturnUrl"],
                    create_date=params["vnp_CreateDate"],
                    expire_date=expire,
                    request=signed,
                )
                st.transactions[ref] = txn
            same = txn.request == signed
            done = txn.status != "01"
        if not same:
            self.error_page("02", "Mã giao dịch (vnp_TxnRef) đã được dùng cho một giao dịch khác.")
            return
        if done:
            self.error_page("02", "Giao dịch này đã được xử lý.")
            return
        body = f"""<h1>Thanh toán trực tuyến</h1>
<dl>
<dt>Đơn vị nhận</dt><dd id="merchant">{html.escape(st.merchant_name)}</dd>
<dt>Số tiền</dt><dd id="amount">{_money(txn.amount)}</dd>
<dt>Nội dung</dt><dd id="order-info">{html.escape(txn.order_info)}</dd>
<dt>Mã giao dịch</dt><dd id="txn-ref">{html.escape(ref)}</dd>
</dl>
<form method="post" action="/paymentv2/pay">
<input type="hidden" name="vnp_TxnRef" value="{html.escape(ref)}">
<p><label for="bank">Ngân hàng</label>
<select id="bank" name="bank_code"><option value="NCB">NCB</option><option value="VCB">Vietcombank</option>
<option value="BIDV">BIDV</option></select></p>
<p><button type="submit" name="action" value="pay">Thanh toán</button>
<button type="submit" name="action" value="cancel">Hủy</button></p>
</form>"""
        self.send_html(*_page("Thanh toán", body))

    # --- the choice -----------------------------------------------------------------------------------------------
    def pay(self) -> None:
        st = self.state
        form = self.form()
        ref, action = form.get("vnp_TxnRef", ""), form.get("action", "")
        bank = form.get("bank_code") or "NCB"
        with st.lock:
            txn = st.transactions.get(ref)
            faults = replace(st.faults)
        if txn is None or action not in ("pay", "cancel"):
            self.error_page("01", "Không tìm thấy giao dịch.")
            return
        now = now_gmt7()
        with st.lock:
            if txn.status != "01":
                done = True
            else:
                done = False
                if txn.expire_date and txn.expire_date < now.strftime(TIME_FORMAT):
                    txn.status, txn.response_code = "02", "11"
                elif action == "cancel":
                    txn.status, txn.response_code = "02", "24"
                elif faults.decline:
                    txn.status, txn.response_code = "02", "51"
                else:
                    txn.status, txn.response_code = "00", "00"
                    txn.transaction_no = str(st.counter + 1)
                    st.counter += 1
                txn.bank_code, txn.pay_date = bank, now.strftime(TIME_FORMAT)
        if done:
            self.error_page("02", "Giao dịch này đã được xử lý.")
            return
        result = self.result_params(txn, faults)
        location = txn.return_url + ("&" if "?" in txn.return_url else "?") + urlencode(result)
        location += f"&vnp_SecureHash={sign(result, st.secret)}"
        ipn_secret = "khoa-gia-mao-" + st.secret if faults.forge_ipn else st.secret
        if st.ipn_url and not faults.lose_ipn:
            copies = 2 if faults.ipn_twice else 1
            if faults.ipn_first:
                send_ipn(st, result, ipn_secret, copies=copies, delay=0)
            else:
                args = (st, result, ipn_secret)
                options = {"copies": copies, "delay": faults.ipn_delay}
                threading.Thread(target=send_ipn, args=args, kwargs=options, daemon=True).start()
        self.redirect(location)

    def result_params(self, txn: Transaction, faults: Faults) -> dict[str, str]:
        amount = txn.amount + (100_000 if faults.wrong_amount else 0)
        params = {
            "vnp_Amount": str(amount),
            "vnp_BankCode": txn.bank_code,
            "vnp_BankTranNo": f"VNP{txn.transaction_no}" if txn.transaction_no else "",
            "vnp_CardType": "ATM",
            "vnp_OrderInfo": txn.order_info,
            "vnp_PayDate": txn.pay_date,
            "vnp_ResponseCode": txn.response_code,
            "vnp_TmnCode": self.state.tmn_code,
            "vnp_TransactionNo": txn.transaction_no or "0",
            "vnp_TransactionStatus": txn.status,
            "vnp_TxnRef": txn.txn_ref,
        }
        return {k: v for k, v in params.items() if v}  # empty values are left out, as the gateway does

    # --- the merchant API -----------------------------------------------------------------------------------------
    def merchant_api(self) -> None:
        st = self.state
        with st.lock:
            failing = st.faults.api_fail_next > 0
            if failing:
                st.faults.api_fail_next -= 1
        if failing:
            self.send_json({"error": "unavailable"}, 503)
            return
        try:
            body = self.json_body()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            self.send_json({"vnp_ResponseCode": "03", "vnp_Message": "Dữ liệu không đúng định dạng"}, 400)
            return
        command = body.get("vnp_Command")
        if command == "querydr":
            self.querydr(body)
        elif command == "refund":
            self.refund(body)
        else:
            self.send_json({"vnp_ResponseCode": "03", "vnp_Message": "Lệnh không hợp lệ"}, 400)

    def answer(self, data: dict[str, Any], names: tuple[str, ...]) -> None:
        st = self.state
        full = {"vnp_ResponseId": uuid.uuid4().hex, "vnp_TmnCode": st.tmn_code, **data}
        for name in names:
            full.setdefault(name, "")
        full["vnp_SecureHash"] = pipe_sign(full, names, st.secret)
        self.send_json(full)

    def refused(self, body: dict, code: str, message: str, names: tuple[str, ...]) -> None:
        base = {"vnp_Command": body.get("vnp_Command", ""), "vnp_TxnRef": str(body.get("vnp_TxnRef", ""))}
        self.answer({**base, "vnp_ResponseCode": code, "vnp_Message": message}, names)

    def check(self, body: dict, names: tuple[str, ...], answer: tuple[str, ...]) -> Transaction | None:
        st = self.state
        if body.get("vnp_TmnCode") != st.tmn_code:
            self.refused(body, "02", "Mã định danh kết nối không hợp lệ", answer)
            return None
        given = str(body.get("vnp_SecureHash", "")).lower()
        if not hmac.compare_digest(given, pipe_sign(body, names, st.secret)):
            self.refused(body, "97", "Chữ ký không hợp lệ", answer)
            return None
        with st.lock:
            txn = st.transactions.get(str(body.get("vnp_TxnRef", "")))
        if txn is None:
            self.refused(body, "91", "Không tìm thấy giao dịch yêu cầu", answer)
        return txn

    def querydr(self, body: dict) -> None:
        txn = self.check(body, QUERY_FIELDS, QUERY_ANSWER)
        if txn is None:
            return
        with self.state.lock:
            data = {
                "vnp_Command": "querydr",
                "vnp_ResponseCode": "00",
                "vnp_Message": "QueryDR Success",
                "vnp_TxnRef": txn.txn_ref,
                "vnp_Amount": str(txn.amount),
                "vnp_BankCode": txn.bank_code,
                "vnp_PayDate": txn.pay_date,
                "vnp_TransactionNo": txn.transaction_no or "0",
                "vnp_TransactionType": "02" if txn.refunded >= txn.amount else "01",
                "vnp_TransactionStatus": txn.status,
                "vnp_OrderInfo": txn.order_info,
            }
        self.answer(data, QUERY_ANSWER)

    def refund(self, body: dict) -> None:
        txn = self.check(body, REFUND_FIELDS, REFUND_ANSWER)
        if txn is None:
            return
        raw = str(body.get("vnp_Amount", ""))
        with self.state.lock:
            if txn.status != "00":
                code, message = "95", "Giao dịch không thành công nên không thể hoàn tiền"
            elif txn.refunded >= txn.amount:
                code, message = "94", "Giao dịch đã được hoàn tiền"
            elif not raw.isdigit() or not 0 < int(raw) <= txn.amount - txn.refunded:
                code, message = "03", "Số tiền hoàn không hợp lệ"
            else:
                txn.refunded += int(raw)
                self.state.counter += 1
                txn.refund_no = str(self.state.counter)
                code, message = "00", "Refund success"
            data = {
                "vnp_Command": "refund",
                "vnp_ResponseCode": code,
                "vnp_Message": message,
                "vnp_TxnRef": txn.txn_ref,
                "vnp_Amount": raw,
                "vnp_BankCode": txn.bank_code,
                "vnp_PayDate": txn.pay_date,
                "vnp_TransactionNo": txn.refund_no or txn.transaction_no,
                "vnp_TransactionType": str(body.get("vnp_TransactionType", "")),
                "vnp_TransactionStatus": "05" if code == "00" else txn.status,
                "vnp_OrderInfo": str(body.get("vnp_OrderInfo", "")),
            }
        self.answer(data, REFUND_ANSWER)

    # --- test hooks -----------------------------------------------------------------------------------------------
    def admin_faults(self) -> None:
        faults.admin_update(self, self.state.faults)


def _get(url: str, timeout: float = 5) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}").get("RspCode", "")
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except (OSError, ValueError):
        return -1, ""


def send_ipn(st: GatewayState, result: dict[str, str], secret: str, *, copies: int = 1, delay: float = 0.0) -> None:
    """GET the signed IPN to the merchant (each copy retried up to 3 times until an answer settles it)."""
    if delay and st.stopping.wait(delay):
        return
    query = urlencode(result) + f"&vnp_SecureHash={sign(result, secret)}"
    url = (st.ipn_url or "") + ("&" if "?" in (st.ipn_url or "") else "?") + query
    for copy in range(1, copies + 1):
        for attempt in range(1, 4):
            if st.stopping.is_set():
                return
            status, code = _get(url)
            entry = {
                "txn_ref": result["vnp_TxnRef"],
                "copy": copy,
                "attempt": attempt,
                "status": status,
                "rsp_code": code,
                "forged": secret != st.secret,
                "response_code": result["vnp_ResponseCode"],
            }
            with st.lock:
                st.ipns.append(entry)
            if status == 200 and code in SETTLING_ANSWERS:
                break
            if st.stopping.wait(0.2 * attempt):
                return


def start_gateway_server(
    port: int = 0,
    *,
    hash_secret: str,
    ipn_url: str | None = None,
    tmn_code: str = "MOTCUA01",
    merchant_name: str = "Hệ thống một cửa điện tử motcua",
    host: str = "127.0.0.1",
    **faults: Any,
) -> tuple[GatewayServer, threading.Thread, str]:
    """Start on a free port (port=0); return (server, thread, base URL). Stop with server.stop().

    The keyword faults are the initial `Faults` (ipn_first, lose_ipn, ipn_twice, forge_ipn, wrong_amount,
    ipn_delay, decline, api_fail_next)."""
    if not hash_secret:
        raise ValueError("hash_secret is required")
    state = GatewayState(
        secret=hash_secret,
        tmn_code=tmn_code,
        merchant_name=merchant_name,
        ipn_url=ipn_url,
        faults=Faults().updated(faults),
    )
    server = serve(GatewayHandler, state, host, port, server_class=GatewayServer)
    assert isinstance(server, GatewayServer) and server.thread is not None
    return server, server.thread, server.base_url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Cổng thanh toán (mô phỏng) theo giao thức VNPay 2.1.0.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9110, help="cổng (0 = cổng trống bất kỳ; mặc định 9110)")
    secret = parser.add_mutually_exclusive_group(required=True)
    secret.add_argument("--hash-secret-file", type=Path, help="tệp chứa khóa bí mật chung (HMAC-SHA512)")
    secret.add_argument("--hash-secret", help="khóa bí mật chung (chỉ dùng khi thử nghiệm)")
    parser.add_argument("--ipn-url", help="địa chỉ nhận IPN của motcua (…/api/v1/payments/ipn)")
    parser.add_argument("--tmn-code", default="MOTCUA01", help="mã website của đơn vị (vnp_TmnCode)")
    parser.add_argument("--merchant-name", default="Hệ thống một cửa điện tử motcua")
    faults = parser.add_argument_group("lỗi giả lập (đổi được lúc chạy bằng POST /__admin/faults)")
    for name in ("ipn_first", "lose_ipn", "ipn_twice", "forge_ipn", "wrong_amount", "decline"):
        faults.add_argument(f"--{name.replace('_', '-')}", action="store_true")
    faults.add_argument("--ipn-delay", type=float, default=0.05, metavar="GIÂY", help="chờ trước khi gửi IPN")
    args = parser.parse_args(argv)
    hash_secret = args.hash_secret or (args.hash_secret_file.read_text().strip() if args.hash_secret_file else "")
    if not hash_secret:
        parser.error("khóa bí mật rỗng")
    chosen = {name: getattr(args, name) for name in ("ipn_first", "lose_ipn", "ipn_twice", "forge_ipn",
                                                     "wrong_amount", "decline")}  # fmt: skip
    server, thread, base_url = start_gateway_server(
        args.port,
        hash_secret=hash_secret,
        ipn_url=args.ipn_url,
        tmn_code=args.tmn_code,
        merchant_name=args.merchant_name,
        host=args.host,
        ipn_delay=args.ipn_delay,
        **chosen,
    )
    print(f"Cổng thanh toán (mô phỏng, VNPay 2.1.0) [{args.tmn_code}] tại {base_url}{PAY_PATH}", flush=True)
    return serve_until_interrupted(server, thread)
