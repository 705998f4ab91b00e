"""The obligation gate before a result is returned, the desk's "collected at the counter", the fee blocks of the
dossier pages, the payments API's authorisation, and the append-only log. No gateway traffic here."""

from __future__ import annotations

import pytest
from django.test import Client

from motcua.accounts.testing import signed_in_client
from motcua.dossiers.tests.helpers import Api, assert_problem
from motcua.payments import services
from motcua.payments.models import AppendOnly, Method, Payment, PaymentEvent, PaymentStatus

from .conftest import FEE, SECRET, result_ready, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def online(settings, media):
    """A gateway configured (its address is never called by these tests)."""
    settings.MOTCUA_PAYMENT_GATEWAY_URL = "http://127.0.0.1:9/paymentv2/vpcpay.html"
    settings.MOTCUA_PAYMENT_API_URL = "http://127.0.0.1:9/merchant_webapi/api/transaction"
    settings.MOTCUA_PAYMENT_HASH_SECRET = SECRET


def _rule(world, **extra):
    world.version.fee_rule = {**FEE, **extra}
    world.version.save(update_fields=["fee_rule"])


def test_an_unpaid_fee_stops_the_return_of_the_result(online, fee_world):
    # given an online dossier owing 10.000 đồng, with its result ready
    dossier = result_ready(fee_world, submitted(fee_world))
    desk = Api(fee_world.tokens["desk"])
    # when the desk returns the result / then 409 with a Vietnamese reason, and nothing changed
    body = assert_problem(desk.act(dossier.code, "return_result", "Trả kết quả"), 409)
    assert "chưa nộp phí, lệ phí (10.000 đồng)" in body["detail"] and "trực tuyến" in body["detail"]
    dossier.refresh_from_db()
    assert dossier.status == "result_ready"
    # and "collected at the desk" is not accepted for a procedure that must be paid online
    body = assert_problem(desk.act(dossier.code, "return_result", "Trả", paid_at_desk=True), 409)
    assert "trực tuyến" in body["detail"]
    assert not Payment.objects.filter(dossier=dossier).exists()
    with pytest.raises(services.Conflict):
        services.record_desk_payment(fee_world.desk, dossier)


def test_a_paid_fee_lets_the_result_go(online, fee_world):
    dossier = result_ready(fee_world, submitted(fee_world))
    Payment.objects.create(
        dossier=dossier, amount_vnd=10000, purpose="x", txn_ref="T1", idempotency_key="k", status=PaymentStatus.PAID
    )
    answer = Api(fee_world.tokens["desk"]).act(dossier.code, "return_result", "Trả kết quả")
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "returned"


def test_free_and_desk_priced_procedures_are_not_stopped(online, world):
    # free (the world's own rule), and a text-only fee that only the desk can price
    dossier = result_ready(world, submitted(world))
    assert Api(world.tokens["desk"]).act(dossier.code, "return_result", "").status_code == 200
    _rule(world, kind="text", amount=0, text="Theo quy định của HĐND tỉnh")
    dossier = result_ready(world, submitted(world))
    assert Api(world.tokens["desk"]).act(dossier.code, "return_result", "").status_code == 200


def test_where_the_procedure_allows_it_the_desk_collects_and_says_so(
    online, fee_world, django_capture_on_commit_callbacks
):
    from motcua.store.models import StoredDocument

    _rule(fee_world, pay_at_desk=True)
    dossier = result_ready(fee_world, submitted(fee_world))
    client = signed_in_client(fee_world.desk)
    # the back office page shows the fee as unpaid and offers "collected at the desk"
    page = client.get(f"/can-bo/ho-so/{dossier.code}/").content.decode()
    assert "Chưa nộp phí, lệ phí: 10.000 đồng" in page and "Đã thu tại bộ phận một cửa: 10.000 đồng" in page
    # when the desk officer records it
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(f"/can-bo/ho-so/{dossier.code}/thu-phi-tai-quay/", {"note": "Biên lai giấy số 12"})
    assert answer.status_code == 302
    payment = Payment.objects.get(dossier=dossier)
    assert (payment.method, payment.status, payment.amount_vnd) == (Method.DESK, "paid", 10000)
    event = payment.events.get()
    assert (event.kind, event.actor, event.to_status, event.note) == (
        "paid_at_desk", fee_world.desk, "paid", "Biên lai giấy số 12",
    )  # fmt: skip
    # and its receipt is issued and put in the citizen's store
    payment.refresh_from_db()
    assert payment.receipt and payment.receipt_deposited
    assert StoredDocument.objects.filter(source_ref=f"payments.Payment:{payment.pk}").exists()
    # and the page now says paid, the receipt downloadable; the result can be returned
    page = client.get(f"/can-bo/ho-so/{dossier.code}/").content.decode()
    assert "Đã nộp phí" in page and payment.receipt_no in page
    pdf = client.get(f"/can-bo/ho-so/{dossier.code}/bien-lai/{payment.txn_ref}/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert Api(fee_world.tokens["desk"]).act(dossier.code, "return_result", "").status_code == 200
    # a second record is refused
    with pytest.raises(services.Conflict):
        services.record_desk_payment(fee_world.desk, dossier)


def test_a_dossier_received_at_the_desk_is_paid_at_the_desk_when_the_result_is_returned(online, fee_world):
    # given a dossier the desk registered in person: its fee is collected there
    dossier = result_ready(fee_world, submitted(fee_world, channel="in_person"))
    desk = Api(fee_world.tokens["desk"])
    assert_problem(desk.act(dossier.code, "return_result", ""), 409)
    # when the return says the desk collected it / then a desk payment is recorded in the same transaction
    answer = desk.act(dossier.code, "return_result", "", paid_at_desk=True)
    assert answer.status_code == 200 and answer.json()["status"] == "returned"
    payment = Payment.objects.get(dossier=dossier)
    assert payment.method == Method.DESK and payment.status == "paid"


def test_without_a_gateway_the_desk_may_collect(settings, fee_world):
    settings.MOTCUA_PAYMENT_GATEWAY_URL = ""
    dossier = result_ready(fee_world, submitted(fee_world))
    assert services.obligation(dossier).desk_allowed and not services.obligation(dossier).online_available
    assert services.record_desk_payment(fee_world.desk, dossier).status == "paid"


def test_only_the_desk_records_a_desk_payment(online, fee_world):
    _rule(fee_world, pay_at_desk=True)
    dossier = submitted(fee_world)
    for who in (fee_world.citizen, fee_world.specialist, fee_world.other_desk):
        with pytest.raises(services.PermissionDenied):
            services.record_desk_payment(who, dossier)


def test_a_linked_part_owes_nothing_itself(fee_world):
    from motcua.dossiers.models import Dossier

    part = Dossier(parent_id=1, version=fee_world.version, channel="online", data={})
    assert services.fee_for(part).amount_vnd == 0 and not services.fee_for(part).payable_online


def test_the_citizen_page_offers_online_payment(online, fee_world):
    dossier = submitted(fee_world)
    client = Client()
    client.force_login(fee_world.citizen)
    page = client.get(f"/ho-so/{dossier.code}/").content.decode()
    assert "Nộp phí, lệ phí trực tuyến: 10.000 đồng" in page
    assert f'action="/ho-so/{dossier.code}/nop-phi/"' in page and 'name="idempotency_key"' in page
    # when she presses it / then the payment is created and she is handed over to the gateway
    answer = client.post(f"/ho-so/{dossier.code}/nop-phi/", {"idempotency_key": "abc123"})
    payment = Payment.objects.get(dossier=dossier)
    assert answer.status_code == 302 and answer["Location"] == f"/thanh-toan/{payment.txn_ref}/"
    handover = client.get(answer["Location"]).content.decode()
    assert 'http-equiv="refresh"' in handover and "http://127.0.0.1:9/paymentv2/vpcpay.html?" in handover
    assert payment.request_params["vnp_ReturnUrl"] == "http://testserver/thanh-toan/ket-qua/"
    # pressing again (same page, same key) does not create another payment
    client.post(f"/ho-so/{dossier.code}/nop-phi/", {"idempotency_key": "abc123"})
    assert Payment.objects.filter(dossier=dossier).count() == 1
    # another citizen cannot pay for it, see it, or be handed over to its payment
    other = Client()
    other.force_login(fee_world.other_citizen)
    assert other.post(f"/ho-so/{dossier.code}/nop-phi/", {"idempotency_key": "x"}).status_code == 404
    assert other.get(f"/thanh-toan/{payment.txn_ref}/").status_code == 404


def test_a_free_dossier_page_shows_no_fee_block(online, world):
    dossier = submitted(world)
    client = Client()
    client.force_login(world.citizen)
    assert 'id="phi-le-phi"' not in client.get(f"/ho-so/{dossier.code}/").content.decode()


def test_the_payments_api_is_authorised_per_dossier(online, fee_world):
    from motcua.audit.models import AuditRecord

    dossier = submitted(fee_world)
    path = f"/api/v1/dossiers/{dossier.code}/payments"
    mine = Api(fee_world.tokens["citizen"]).get(path)
    assert mine.status_code == 200 and mine.json()["fee"]["amount_vnd"] == 10000
    assert_problem(Api(fee_world.tokens["other_citizen"]).get(path), 404)
    assert_problem(Api(fee_world.tokens["other_desk"]).get(path), 404)
    assert_problem(Api().get(path), 401)
    official = Api(fee_world.tokens["desk"]).get(path)
    assert official.status_code == 200
    assert AuditRecord.objects.filter(
        action="dossier.read", object_id=dossier.code, actor_id=fee_world.desk.pk
    ).exists()
    # an official cannot start an online payment for the citizen; a start needs an Idempotency-Key
    assert_problem(Api(fee_world.tokens["desk"]).post(path, {}, HTTP_IDEMPOTENCY_KEY="k"), 403)
    assert_problem(Api(fee_world.tokens["citizen"]).post(path, {}), 422)
    assert_problem(Api(fee_world.tokens["citizen"]).post(path, {}, HTTP_IDEMPOTENCY_KEY="bad key!"), 422)


def test_nothing_to_pay_online_is_refused(online, world):
    dossier = submitted(world)
    body = assert_problem(
        Api(world.tokens["citizen"]).post(f"/api/v1/dossiers/{dossier.code}/payments", {}, HTTP_IDEMPOTENCY_KEY="k"),
        409,
    )
    assert "không có khoản phí" in body["detail"]


def test_the_ipn_endpoint_answers_the_gateway_json_even_when_switched_off(settings, db):
    settings.MOTCUA_PAYMENT_HASH_SECRET = ""
    answer = Client().get("/api/v1/payments/ipn", {"vnp_TxnRef": "x"})
    assert answer.status_code == 200 and answer.json() == {"RspCode": "99", "Message": "Unknown error"}


def test_the_event_log_is_append_only(online, fee_world):
    _rule(fee_world, pay_at_desk=True)
    payment = services.record_desk_payment(fee_world.desk, submitted(fee_world))
    event = PaymentEvent.objects.get(payment=payment)
    event.note = "sửa"
    with pytest.raises(AppendOnly):
        event.save()
    with pytest.raises(AppendOnly):
        event.delete()


def test_the_database_refuses_a_second_paid_payment(online, fee_world):
    from django.db import IntegrityError, transaction

    dossier = submitted(fee_world)
    Payment.objects.create(dossier=dossier, amount_vnd=1, purpose="x", txn_ref="A", idempotency_key="a", status="paid")
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            dossier=dossier, amount_vnd=1, purpose="x", txn_ref="B", idempotency_key="b", status="paid"
        )
    Payment.objects.create(
        dossier=dossier, amount_vnd=1, purpose="x", txn_ref="C", idempotency_key="c", status="pending"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            dossier=dossier, amount_vnd=1, purpose="x", txn_ref="D", idempotency_key="d", status="created"
        )


def test_the_reconcile_command_and_the_worker_run_the_payment_jobs(db):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("payments_reconcile", stdout=out)
    assert out.getvalue().startswith("payments: {")
