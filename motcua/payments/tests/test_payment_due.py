"""The applicant is told a fee is due: once when the dossier is accepted, once more if the result waits on it,
never for a free procedure or a fee already paid."""

from __future__ import annotations

import pytest

from motcua.dossiers import services as dossiers
from motcua.notifications.models import Event, Notification
from motcua.payments.models import Payment, PaymentStatus

from .conftest import SECRET, result_ready, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def online(settings, media):
    settings.MOTCUA_PAYMENT_GATEWAY_URL = "http://127.0.0.1:9/paymentv2/vpcpay.html"
    settings.MOTCUA_PAYMENT_HASH_SECRET = SECRET
    settings.MOTCUA_NOTIFY_CHANNELS = ["in_app"]
    settings.MOTCUA_PUBLIC_URL = "https://dichvucong.example.vn"


def _due(dossier) -> list[Notification]:
    return list(Notification.objects.filter(dossier=dossier, event=Event.PAYMENT_DUE).order_by("pk"))


def test_acceptance_of_a_dossier_that_owes_a_fee_tells_the_applicant_once(online, fee_world):
    # given an online dossier owing 10.000 đồng
    dossier = submitted(fee_world)
    assert _due(dossier) == []
    # when the desk accepts it
    dossiers.perform(fee_world.desk, dossier, "accept", note="Đủ.")
    # then one "payment due" message with the amount and the link to pay
    [message] = _due(dossier)
    assert "10.000" in message.body
    assert f"https://dichvucong.example.vn/ho-so/{dossier.code}/nop-phi/" in message.body
    assert message.recipient_user_id == fee_world.citizen.pk


def test_a_result_waiting_on_the_fee_reminds_the_applicant_once_more(online, fee_world):
    # given an accepted dossier, still unpaid, taken through the workflow to "result ready"
    dossier = result_ready(fee_world, submitted(fee_world))
    # then two messages in all: at acceptance, and when the result waited on the fee
    assert len(_due(dossier)) == 2


def test_no_reminder_once_paid_and_none_for_a_free_procedure(online, fee_world, world):
    # given a dossier accepted (one message) and then paid
    dossier = submitted(fee_world)
    dossiers.perform(fee_world.desk, dossier, "accept", note="Đủ.")
    Payment.objects.create(
        dossier=dossier, amount_vnd=10000, purpose="x", txn_ref="T9", idempotency_key="k9", status=PaymentStatus.PAID
    )
    # when its result becomes ready
    dossier = _advance(fee_world, dossier)
    # then no reminder
    assert len(_due(dossier)) == 1
    # and a free procedure never announces a fee
    world.version.fee_rule = {"kind": "free", "amount": 0, "text": "Miễn lệ phí"}
    world.version.save(update_fields=["fee_rule"])
    free = submitted(world)
    dossiers.perform(world.desk, free, "accept", note="Đủ.")
    assert _due(free) == []


def _advance(world, dossier):
    """From "processing" through the workflow to "result ready"."""
    for _ in range(5):
        dossier.refresh_from_db()
        if dossier.status != "processing":
            break
        actor = world.specialist if dossier.current_role == "specialist" else world.leader
        forward = next(a for a in dossiers.available_actions(actor, dossier) if a["kind"] == "forward")
        dossiers.perform(actor, dossier, forward["action"], note="Chuyển bước.")
    dossier.refresh_from_db()
    assert dossier.status == "result_ready"
    return dossier
