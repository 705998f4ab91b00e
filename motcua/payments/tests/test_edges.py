"""What a stranger, a bad link or a switched-off gateway meets: a clear answer, never a 500, and nothing of anybody
else's. Also what the admin list and the worker's round cost. No gateway traffic here."""

from __future__ import annotations

import pytest
from django.test import Client

from motcua.accounts.testing import signed_in_client
from motcua.audit.models import AuditRecord
from motcua.dossiers.tests.helpers import Api, assert_problem
from motcua.payments import services
from motcua.payments.models import Payment, PaymentStatus
from motcua.payments.vnpay import sign_params

from .conftest import FEE, SECRET, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def online(settings, media):
    """A gateway configured (its address is never called by these tests)."""
    settings.MOTCUA_PAYMENT_GATEWAY_URL = "http://127.0.0.1:9/paymentv2/vpcpay.html"
    settings.MOTCUA_PAYMENT_API_URL = "http://127.0.0.1:9/merchant_webapi/api/transaction"
    settings.MOTCUA_PAYMENT_HASH_SECRET = SECRET


def _desk_paid(world) -> Payment:
    """A dossier whose fee the desk collected (a paid payment with a receipt number, no gateway involved)."""
    world.version.fee_rule = {**FEE, "pay_at_desk": True}
    world.version.save(update_fields=["fee_rule"])
    return services.record_desk_payment(world.desk, submitted(world))


def _pending(world) -> Payment:
    return services.create_payment(
        world.citizen, submitted(world), "k-1", return_url="http://testserver/thanh-toan/ket-qua/"
    ).payment


def test_forged_returns_are_refused_and_audited_without_flooding_the_audit_chain(online, fee_world, monkeypatch):
    monkeypatch.setattr(services, "_FORGED_AUDITS_PER_MINUTE", 2)
    payment = _pending(fee_world)
    params = {"vnp_TxnRef": payment.txn_ref, "vnp_ResponseCode": "00", "vnp_TransactionStatus": "00"}
    forged = {**params, "vnp_SecureHash": sign_params(params, "doan-bua")}
    # when one address sends the same forged return four times (and another one once)
    pages = [Client().get("/thanh-toan/ket-qua/", forged, REMOTE_ADDR="203.0.113.7") for _ in range(4)]
    pages.append(Client().get("/thanh-toan/ket-qua/", forged, REMOTE_ADDR="203.0.113.8"))
    # then every one is refused ("not verified"), nothing is paid, and the audit chain holds 2 + 1 records
    assert [p.status_code for p in pages] == [400] * 5
    assert all('data-state="invalid"' in p.content.decode() for p in pages)
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PENDING
    records = AuditRecord.objects.filter(action="payment.return_bad_signature", object_id=payment.txn_ref)
    assert sorted(r.data["client_ip"] for r in records) == ["203.0.113.7", "203.0.113.7", "203.0.113.8"]


def test_malformed_ipns_get_the_gateways_json_never_an_error(online, fee_world):
    payment = _pending(fee_world)
    ipn = Client()
    # nothing at all, or a hash that is not one: 97
    for params in ({}, {"vnp_SecureHash": "zz", "vnp_Amount": "abc"}, {"vnp_TxnRef": "x" * 500}):
        answer = ipn.get("/api/v1/payments/ipn", params)
        assert answer.status_code == 200 and answer.json()["RspCode"] == "97", params
    # signed, but an amount that is no amount: 04, logged, nothing changes
    params = {"vnp_TxnRef": payment.txn_ref, "vnp_Amount": "12,5", "vnp_TmnCode": "MOTCUA01"}
    params |= {"vnp_ResponseCode": "00", "vnp_TransactionStatus": "00"}
    answer = ipn.get("/api/v1/payments/ipn", {**params, "vnp_SecureHash": sign_params(params, SECRET)})
    assert answer.json() == {"RspCode": "04", "Message": "Invalid amount"}
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PENDING
    assert payment.events.filter(kind="ipn_wrong_amount").count() == 1


def test_the_hand_over_page_when_the_gateway_was_switched_off_since(online, fee_world, settings):
    payment = _pending(fee_world)
    client = signed_in_client(fee_world.citizen)
    assert client.get(f"/thanh-toan/{payment.txn_ref}/").status_code == 200
    settings.MOTCUA_PAYMENT_HASH_SECRET = ""
    answer = client.get(f"/thanh-toan/{payment.txn_ref}/")
    assert answer.status_code == 302 and answer["Location"] == f"/ho-so/{payment.dossier.code}/"
    # and a payment nobody has, or somebody else's: 404
    assert client.get("/thanh-toan/KHONG-CO/").status_code == 404
    assert signed_in_client(fee_world.other_citizen).get(f"/thanh-toan/{payment.txn_ref}/").status_code == 404


def test_the_receipt_pages_answer_404_for_what_is_not_theirs_or_not_there(online, fee_world):
    payment = _desk_paid(fee_world)
    code, ref = payment.dossier.code, payment.txn_ref
    citizen = signed_in_client(fee_world.citizen)
    # the receipt is not stored yet (its job runs after the commit): the page renders the same bytes
    assert not Payment.objects.get(pk=payment.pk).receipt
    mine = citizen.get(f"/ho-so/{code}/bien-lai/{ref}/")
    assert mine.status_code == 200 and mine["Content-Type"] == "application/pdf"
    assert mine.content == services.receipt_pdf(payment)
    assert citizen.get(f"/ho-so/{code}/bien-lai/KHONG-CO/").status_code == 404
    assert citizen.get(f"/ho-so/KHONG-CO/bien-lai/{ref}/").status_code == 404
    assert signed_in_client(fee_world.other_citizen).get(f"/ho-so/{code}/bien-lai/{ref}/").status_code == 404
    assert signed_in_client(fee_world.desk).get(f"/can-bo/ho-so/{code}/bien-lai/{ref}/").status_code == 200
    assert signed_in_client(fee_world.other_desk).get(f"/can-bo/ho-so/{code}/bien-lai/{ref}/").status_code == 404
    # a payment that is not paid has no receipt: 404 on the page, 409 from the API
    waiting = _pending(fee_world)
    assert citizen.get(f"/ho-so/{waiting.dossier.code}/bien-lai/{waiting.txn_ref}/").status_code == 404
    api = Api(fee_world.tokens["citizen"])
    assert_problem(api.get(f"/api/v1/dossiers/{waiting.dossier.code}/payments/{waiting.txn_ref}/receipt"), 409)
    assert_problem(api.get(f"/api/v1/dossiers/{code}/payments/KHONG-CO/receipt"), 404)
    assert_problem(Api(fee_world.tokens["other_citizen"]).get(f"/api/v1/dossiers/{code}/payments/{ref}/receipt"), 404)


def test_refunds_and_desk_payments_go_through_the_callers_visibility(online, fee_world):
    payment = _desk_paid(fee_world)
    code = payment.dossier.code
    path = f"/api/v1/dossiers/{code}/payments/{payment.txn_ref}/refund"
    # another agency's desk does not see the dossier: 404, and nothing changes
    assert_problem(Api(fee_world.tokens["other_desk"]).post(path, {"reason": "Thu nhầm"}), 404)
    assert_problem(Api(fee_world.tokens["desk"]).post(f"{path[:-7]}X/refund", {"reason": "x"}), 404)
    assert_problem(Api(fee_world.tokens["citizen"]).post(path, {"reason": "Thu nhầm"}), 403)
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PAID
    answer = signed_in_client(fee_world.other_desk).post(f"/can-bo/ho-so/{code}/thu-phi-tai-quay/")
    assert answer.status_code == 404
    # the agency's own desk gives it back
    done = Api(fee_world.tokens["desk"]).post(path, {"reason": "Thu nhầm"})
    assert done.status_code == 200 and done.json()["status"] == "refunded"


def test_the_admin_list_costs_the_same_with_one_or_many_payments(
    online, fee_world, admin_client, django_assert_max_num_queries
):
    _desk_paid(fee_world)
    admin_client.get("/admin/payments/payment/")  # warm-up
    with django_assert_max_num_queries(40) as one:
        admin_client.get("/admin/payments/payment/")
    for _ in range(4):
        services.record_desk_payment(fee_world.desk, submitted(fee_world))
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = admin_client.get("/admin/payments/payment/")
    assert page.status_code == 200 and page.content.decode().count("QUAY") >= 5


def test_a_round_with_nothing_to_do_asks_the_gateway_nothing(online, fee_world, django_assert_max_num_queries):
    # given a payment still in its time at the gateway: not due for a query, nor for expiry
    _pending(fee_world)
    with django_assert_max_num_queries(6):
        assert services.run_periodic() == {}


@pytest.mark.parametrize("gateway_up", [True, False])
def test_a_lapsed_payment_is_asked_once_per_round(online, fee_world, monkeypatch, gateway_up):
    from datetime import timedelta

    from django.utils import timezone

    from motcua.payments.gateways import NOT_FOUND, GatewayError, GatewayReport, VnpayGateway

    asked = []

    def query(self, payment):
        asked.append(payment.txn_ref)
        if not gateway_up:
            raise GatewayError("Cổng thanh toán trả lỗi HTTP 503.")
        return GatewayReport(txn_ref=payment.txn_ref, outcome=NOT_FOUND, response_code="91")

    monkeypatch.setattr(VnpayGateway, "query", query)
    # given a payment whose time at the gateway is over, both old enough to reconcile and past its expiry
    payment = _pending(fee_world)
    later = timezone.now() + timedelta(minutes=30)
    # when the worker's round runs / then the gateway is asked once (the final query), not twice
    counts = services.run_periodic(later)
    assert asked == [payment.txn_ref]
    if gateway_up:
        assert counts == {"expire_expired": 1} and Payment.objects.get(pk=payment.pk).status == "expired"
    else:  # never expired blind; asked again next round
        assert counts == {"expire_unavailable": 1} and Payment.objects.get(pk=payment.pk).status == "pending"
        services.run_periodic(later + timedelta(minutes=1))
        assert asked == [payment.txn_ref] * 2
