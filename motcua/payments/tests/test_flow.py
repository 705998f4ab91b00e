"""Paying a fee end to end over real HTTP: our API and pages on a live server, the simulated gateway, its IPN back
to the live server, reconciliation by transaction query. Nobody pays twice; no payment is lost."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from motcua.payments.models import Payment, PaymentEvent, PaymentStatus
from simulators.tests.conftest import request

from .conftest import SECRET, follow, start, status_of, submitted, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _api(server: str, token: str, method: str, path: str, key: str | None = None, body=None):
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = key
    return request(method, f"{server}{path}", json_body=body if method == "POST" else None, headers=headers)


def test_happy_path_through_the_api(server, gateway, fee_world):
    from motcua.store.models import StoredDocument

    world = fee_world
    token = world.tokens["citizen"]
    # given Bích's online dossier, which owes 10.000 đồng
    dossier = submitted(world)
    path = f"/api/v1/dossiers/{dossier.code}/payments"
    before = _api(server, token, "GET", path).json()
    assert before["owed"] is True and before["fee"]["amount_vnd"] == 10000 and before["online_available"] is True
    assert before["payments"] == []

    # when she starts paying (twice, the same Idempotency-Key: a double click)
    first = _api(server, token, "POST", path, key="nop-1", body={})
    again = _api(server, token, "POST", path, key="nop-1", body={})
    # then one payment, pending, and the same gateway URL
    assert first.status == 201 and again.status == 200, first.text
    assert first.json()["txn_ref"] == again.json()["txn_ref"]
    assert first.json()["redirect_url"] == again.json()["redirect_url"]
    assert first.json()["status"] == "pending" and first.json()["amount_vnd"] == 10000
    # and another key while that payment waits gets the same one too (one open payment per dossier)
    third = _api(server, token, "POST", path, key="nop-2", body={})
    assert third.status == 200 and third.json()["txn_ref"] == first.json()["txn_ref"]
    url = first.json()["redirect_url"]
    assert url.startswith(gateway.base + "/paymentv2/vpcpay.html?") and "vnp_Amount=1000000" in url

    # when she pays at the gateway and her browser comes back
    location = gateway.pay(url)
    page = follow(location)
    # then the return page shows the payment, and the IPN makes it paid (whichever came first)
    assert page.status == 200 and "payment-result" in page.text
    payment = Payment.objects.get(txn_ref=first.json()["txn_ref"])
    wait_for(lambda: status_of(payment) == "paid")
    wait_for(lambda: Payment.objects.get(pk=payment.pk).receipt_deposited)
    payment.refresh_from_db()
    assert payment.paid_at and payment.gateway_txn_no and payment.bank_code == "NCB"
    assert [e.to_status for e in payment.events.filter(kind__in=["paid", "created", "redirected"])] == [
        "created", "pending", "paid",
    ]  # fmt: skip
    # the IPN was accepted ("02" when the return's query had confirmed it first)
    wait_for(lambda: any(x["rsp_code"] in ("00", "02") for x in gateway.ipns()))

    # and the e-receipt exists, its hash is the file's, regenerating it gives the same bytes
    from motcua.payments import services

    content = services.receipt_pdf(payment)
    assert hashlib.sha256(content).hexdigest() == payment.receipt_sha256
    assert payment.receipt_no.startswith("MC") and payment.receipt_no.endswith("-0000001")
    from motcua.payments import receipt

    assert receipt.render(payment) == content
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    for words in ("BIÊN LAI THU PHÍ, LỆ PHÍ ĐIỆN TỬ", "10.000 đồng", "Mười nghìn đồng", dossier.code, "Trần Thị Bích"):
        assert words in text, words
    # and the citizen's data store holds it
    stored = StoredDocument.objects.get(source_ref=f"payments.Payment:{payment.pk}")
    assert (
        stored.owner_personal_id == "022192004567"
        and stored.kind == "receipt"
        and stored.sha256 == payment.receipt_sha256
    )

    # and the API says paid, with the receipt to download
    after = _api(server, token, "GET", path).json()
    assert after["paid"] is True and after["owed"] is False and after["online_available"] is False
    assert after["payments"][0]["status"] == "paid" and after["payments"][0]["receipt_sha256"] == payment.receipt_sha256
    pdf = _api(server, token, "GET", after["payments"][0]["receipt_url"])
    assert pdf.status == 200 and pdf.header("Content-Type") == "application/pdf" and pdf.body == content
    # and a new attempt is refused: nothing is paid twice
    refused = _api(server, token, "POST", path, key="nop-3", body={})
    assert refused.status == 409 and refused.header("Content-Type").startswith("application/problem+json")


def test_forged_ipn_is_refused_audited_and_pays_nothing(server, gateway, fee_world):
    from motcua.audit.models import AuditRecord
    from motcua.payments.gateways import sign_params

    # given a pending payment, and a gateway whose IPN is signed with the wrong secret
    gateway.faults(forge_ipn=True)
    dossier = submitted(fee_world)
    started = start(server, dossier)
    gateway.pay(started.redirect_url)  # the browser's return is not followed here
    # then our IPN endpoint answers 97 and nothing is paid
    wait_for(lambda: any(x["rsp_code"] for x in gateway.ipns()))
    answered = [x for x in gateway.ipns() if x["rsp_code"]]
    assert answered[0]["rsp_code"] == "97" and answered[0]["forged"]
    assert status_of(started.payment) == "pending"
    assert AuditRecord.objects.filter(action="payment.ipn_bad_signature", object_id=started.payment.txn_ref).exists()

    # when someone crafts a "paid" IPN for it with a guessed secret
    params = {
        "vnp_Amount": "1000000",
        "vnp_ResponseCode": "00",
        "vnp_TransactionStatus": "00",
        "vnp_TmnCode": "MOTCUA01",
        "vnp_TxnRef": started.payment.txn_ref,
        "vnp_TransactionNo": "1",
    }
    forged = {**params, "vnp_SecureHash": sign_params(params, "doan-bua")}
    answer = request("GET", f"{server}/api/v1/payments/ipn?" + "&".join(f"{k}={v}" for k, v in forged.items()))
    # then the gateway's JSON says 97 (never problem+json), and still nothing is paid
    assert answer.status == 200 and answer.json() == {"RspCode": "97", "Message": "Invalid signature"}
    assert status_of(started.payment) == "pending"
    assert not PaymentEvent.objects.filter(payment=started.payment, to_status="paid").exists()
    # and an IPN for an order we never made answers 01
    unknown = {**params, "vnp_TxnRef": "KHONG-CO"}
    unknown["vnp_SecureHash"] = sign_params(unknown, SECRET)
    answer = request("GET", f"{server}/api/v1/payments/ipn?" + "&".join(f"{k}={v}" for k, v in unknown.items()))
    assert answer.json()["RspCode"] == "01"


def test_wrong_amount_is_refused_then_reconciliation_counts_the_real_one(server, gateway, fee_world):
    # given a gateway whose return and IPN state 1.000 đồng too much
    gateway.faults(wrong_amount=True)
    dossier = submitted(fee_world)
    started = start(server, dossier)
    gateway.pay(started.redirect_url)
    # then the IPN is answered 04 and the payment stays pending, the mismatch logged
    wait_for(lambda: gateway.ipns() and gateway.ipns()[-1]["rsp_code"] == "04")
    assert status_of(started.payment) == "pending"
    assert PaymentEvent.objects.filter(payment=started.payment, kind="ipn_wrong_amount").count() >= 1
    # when reconciliation asks the gateway (which reports what it really charged)
    from motcua.payments import services

    counts = services.reconcile(timezone.now() + timedelta(minutes=6))
    # then the payment is paid, for the right amount
    assert counts.get("paid") == 1
    assert status_of(started.payment) == "paid" and started.payment.confirmed_by == "query"
    assert started.payment.gateway_amount_vnd == 10000


def test_a_duplicate_ipn_answers_02_and_changes_nothing(server, gateway, fee_world):
    gateway.faults(ipn_twice=True)
    dossier = submitted(fee_world)
    started = start(server, dossier)
    gateway.pay(started.redirect_url)
    wait_for(lambda: len([x for x in gateway.ipns() if x["rsp_code"]]) == 2)
    assert [x["rsp_code"] for x in gateway.ipns() if x["rsp_code"]] == ["00", "02"]
    assert status_of(started.payment) == "paid"
    assert PaymentEvent.objects.filter(payment=started.payment, to_status="paid", from_status="pending").count() == 1
    assert PaymentEvent.objects.filter(payment=started.payment, kind="ipn_duplicate").count() == 1
    from motcua.payments.models import ReceiptCounter

    assert sum(ReceiptCounter.objects.values_list("last", flat=True)) == 1


def test_ipn_before_the_return_the_return_page_shows_paid(server, gateway, fee_world):
    gateway.faults(ipn_first=True)
    dossier = submitted(fee_world)
    started = start(server, dossier)
    location = gateway.pay(started.redirect_url)
    # the IPN was answered before the browser was sent back
    assert status_of(started.payment) == "paid"
    page = follow(location)
    assert 'data-state="paid"' in page.text and "Đã nộp phí, lệ phí thành công" in page.text
    assert list(started.payment.events.values_list("kind", flat=True)) == ["created", "redirected", "paid", "returned"]


def test_the_return_alone_is_confirmed_by_a_query_never_trusted(server, gateway, fee_world):
    # given a lost IPN: only the browser comes back
    gateway.faults(lose_ipn=True)
    dossier = submitted(fee_world)
    started = start(server, dossier)
    location = gateway.pay(started.redirect_url)
    page = follow(location)
    # then the return asked the gateway itself before showing "paid"
    assert 'data-state="paid"' in page.text
    started.payment.refresh_from_db()
    assert started.payment.confirmed_by == "return+query"
    # and a return whose signature is wrong shows nothing and changes nothing
    bad = follow(location.replace("vnp_ResponseCode=00", "vnp_ResponseCode=24"))
    assert bad.status == 400 and 'data-state="invalid"' in bad.text


def test_a_lost_ipn_is_found_by_reconciliation(server, gateway, fee_world):
    from motcua.payments import services

    gateway.faults(lose_ipn=True)
    dossier = submitted(fee_world)
    started = start(server, dossier)
    gateway.pay(started.redirect_url)  # neither IPN nor return reaches us
    assert status_of(started.payment) == "pending"
    # when reconciliation runs before N minutes: nothing is asked yet
    assert services.reconcile(timezone.now()) == {}
    # when it runs after N minutes
    counts = services.reconcile(timezone.now() + timedelta(minutes=6))
    assert counts.get("paid") == 1
    assert status_of(started.payment) == "paid" and started.payment.confirmed_by == "query"
    # and again: idempotent
    assert services.reconcile(timezone.now() + timedelta(minutes=8)).get("paid") is None
    assert PaymentEvent.objects.filter(payment=started.payment, to_status="paid").count() == 1


def test_the_gateway_down_leaves_payments_pending_never_expired_blind(server, gateway, fee_world):
    from motcua.payments import services

    dossier = submitted(fee_world)
    started = start(server, dossier)
    gateway.faults(api_fail_next=10)
    later = timezone.now() + timedelta(minutes=30)
    assert services.reconcile(later).get("unavailable") == 1
    assert services.expire(later).get("unavailable") == 1
    assert status_of(started.payment) == "pending"
    # and the citizen cannot start another one while it is unsettled
    from motcua.core.errors import Conflict

    with pytest.raises(Conflict):
        services.create_payment(
            dossier.applicant, dossier, "k-2", return_url=f"{server}/thanh-toan/ket-qua/", now=later
        )


def test_a_gateway_that_is_down_costs_one_question_per_round_not_one_per_payment(server, gateway, fee_world):
    from motcua.payments import services

    # given two payments left pending, and a gateway whose query API fails
    first = start(server, submitted(fee_world), key="k-a")
    second = start(server, submitted(fee_world), key="k-b")
    gateway.faults(api_fail_next=10)
    later = timezone.now() + timedelta(minutes=30)
    # when the reconciliation runs
    counts = services.reconcile(later)
    # then it stops after the first failure: one payment asked, the other left for the next round
    assert counts.get("unavailable") == 1
    asked = [p for p in (first.payment, second.payment) if (p.refresh_from_db() or p.last_queried_at)]
    assert len(asked) == 1
    # and the next round asks the other one (the first was asked less than a minute ago)
    assert services.reconcile(later + timedelta(seconds=5)).get("unavailable") == 1
    for p in (first.payment, second.payment):
        p.refresh_from_db()
        assert p.last_queried_at is not None and p.status == "pending"


def test_declined_payment_fails_and_a_new_one_can_be_made(server, gateway, fee_world):
    gateway.faults(decline=True)
    dossier = submitted(fee_world)
    started = start(server, dossier)
    page = follow(gateway.pay(started.redirect_url))
    assert 'data-state="failed"' in page.text
    assert status_of(started.payment) == "failed" and started.payment.transaction_status == "02"
    wait_for(lambda: gateway.ipns() and gateway.ipns()[-1]["rsp_code"])
    assert gateway.ipns()[-1]["rsp_code"] in ("00", "02")
    gateway.faults(reset=True)
    second = start(server, dossier, key="k-2")
    assert second.payment.pk != started.payment.pk and not second.replayed
    gateway.pay(second.redirect_url)
    wait_for(lambda: status_of(second.payment) == "paid")


def test_an_unpaid_payment_expires_after_a_final_query(server, gateway, fee_world):
    from motcua.payments import services

    dossier = submitted(fee_world)
    started = start(server, dossier)
    gateway.open_page(started.redirect_url)  # opened, never paid
    assert services.expire(timezone.now() + timedelta(minutes=16)) == {}  # within the grace: not yet
    assert services.expire(timezone.now() + timedelta(minutes=18)) == {"expired": 1}
    assert status_of(started.payment) == "expired"
    assert services.expire(timezone.now() + timedelta(minutes=20)) == {}  # idempotent


def test_late_money_for_an_expired_payment_is_accepted_while_the_fee_is_owed(server, gateway, fee_world):
    from motcua.payments import services

    # given a payment we expired (our clock ran ahead) although its page at the gateway is still open
    dossier = submitted(fee_world)
    started = start(server, dossier)
    gateway.open_page(started.redirect_url)
    services.expire(timezone.now() + timedelta(minutes=18))
    assert status_of(started.payment) == "expired"
    # when the citizen pays there anyway: the gateway took the money, and says so by IPN
    gateway.pay(started.redirect_url)
    wait_for(lambda: status_of(started.payment) == "paid")
    # then the money is counted (the fee was still owed): accepted, logged as a late payment
    wait_for(lambda: gateway.ipns() and gateway.ipns()[-1]["rsp_code"])
    assert gateway.ipns()[-1]["rsp_code"] == "00"
    assert started.payment.events.filter(kind="paid_late", from_status="expired").count() == 1


def test_late_money_after_the_fee_was_paid_otherwise_is_refunded(server, gateway, fee_world):
    from motcua.payments import services

    # given payment A expired with its gateway page still open, and payment B made and paid afterwards
    dossier = submitted(fee_world)
    first = start(server, dossier, key="a")
    gateway.open_page(first.redirect_url)
    services.expire(timezone.now() + timedelta(minutes=18))
    second = start(server, dossier, key="b")
    assert second.payment.pk != first.payment.pk
    gateway.pay(second.redirect_url)
    wait_for(lambda: status_of(second.payment) == "paid")
    # when the citizen also completes A at the gateway
    gateway.pay(first.redirect_url)
    # then A's money goes back through the gateway's refund API; B stays the one paid payment
    wait_for(lambda: status_of(first.payment) == "refunded")
    assert status_of(second.payment) == "paid"
    assert Payment.objects.filter(dossier=dossier, status=PaymentStatus.PAID).count() == 1
    assert gateway.transaction(first.payment.txn_ref)["refunded"] == 1000000
    kinds = list(first.payment.events.values_list("kind", flat=True))
    assert kinds[-2:] == ["double_payment", "refunded"]


def test_an_official_refunds_a_paid_fee_through_the_gateway(server, gateway, fee_world):
    from motcua.payments import services

    dossier = submitted(fee_world)
    started = start(server, dossier)
    gateway.pay(started.redirect_url)
    wait_for(lambda: status_of(started.payment) == "paid")
    # a citizen may not refund; the desk may, with a reason
    from motcua.core.errors import PermissionDenied, ValidationFailed

    with pytest.raises(PermissionDenied):
        services.refund(started.payment, actor=fee_world.citizen, reason="x")
    with pytest.raises(ValidationFailed):
        services.refund(started.payment, actor=fee_world.desk, reason=" ")
    path = f"/api/v1/dossiers/{dossier.code}/payments/{started.payment.txn_ref}/refund"
    answer = _api(server, fee_world.tokens["desk"], "POST", path, body={"reason": "Thu nhầm: được miễn phí."})
    assert answer.status == 200, answer.text
    assert answer.json()["status"] == "refunded" and answer.json()["refunded_at"]
    again = _api(server, fee_world.tokens["desk"], "POST", path, body={"reason": "Lần nữa"})
    assert again.status == 409  # only a paid payment is refunded, once
    assert gateway.transaction(started.payment.txn_ref)["refunded"] == 1000000


def test_receipts_left_unfinished_are_finished_by_the_periodic_job(server, gateway, fee_world, monkeypatch):
    from motcua.payments import services

    gateway.faults(lose_ipn=True)
    dossier = submitted(fee_world)
    started = start(server, dossier)
    gateway.pay(started.redirect_url)
    # given the receipt could not be made when the payment was confirmed (e.g. the process died)
    monkeypatch.setattr(services, "_after_paid", lambda pk: None)
    monkeypatch.setattr(services, "finish_receipts", lambda: {})
    services.reconcile(timezone.now() + timedelta(minutes=6))
    started.payment.refresh_from_db()
    assert started.payment.status == "paid" and started.payment.receipt_no and not started.payment.receipt
    monkeypatch.undo()
    # when the periodic job runs / then the receipt is issued and deposited
    counts = services.run_periodic(timezone.now() + timedelta(minutes=7))
    assert counts.get("receipts") == 1
    started.payment.refresh_from_db()
    assert started.payment.receipt and started.payment.receipt_deposited


def test_the_same_ipn_arriving_at_once_is_accepted_once(server, gateway, fee_world):
    from concurrent.futures import ThreadPoolExecutor
    from urllib.parse import urlencode

    from motcua.payments.gateways import sign_params

    # given a pending payment, and the gateway's genuine "paid" IPN for it delivered five times at the same moment
    gateway.faults(lose_ipn=True)
    dossier = submitted(fee_world)
    started = start(server, dossier)
    params = {
        "vnp_Amount": "1000000",
        "vnp_BankCode": "NCB",
        "vnp_OrderInfo": "x",
        "vnp_PayDate": "20261128120000",
        "vnp_ResponseCode": "00",
        "vnp_TmnCode": "MOTCUA01",
        "vnp_TransactionNo": "14000001",
        "vnp_TransactionStatus": "00",
        "vnp_TxnRef": started.payment.txn_ref,
    }
    url = f"{server}/api/v1/payments/ipn?{urlencode(params)}&vnp_SecureHash={sign_params(params, SECRET)}"
    with ThreadPoolExecutor(max_workers=5) as pool:
        answers = list(pool.map(lambda _: request("GET", url).json()["RspCode"], range(5)))
    # then exactly one is accepted, the others are told it is already confirmed, and one paid event exists
    assert sorted(answers) == ["00", "02", "02", "02", "02"]
    assert status_of(started.payment) == "paid"
    assert PaymentEvent.objects.filter(payment=started.payment, to_status="paid", from_status="pending").count() == 1
    assert Payment.objects.filter(dossier=dossier, status="paid").count() == 1
