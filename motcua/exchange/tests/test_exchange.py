"""The exchange end to end against a real agency simulator over HTTP: outbox, retries, DLQ, inbox, signatures."""

from __future__ import annotations

import json
import stat
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone
from joserfc.jwk import ECKey

from motcua.audit.models import AuditRecord
from motcua.core.errors import Conflict
from motcua.exchange import adapters, services, signing
from motcua.exchange.models import ExchangePartner, InboxMessage, OutboxMessage
from simulators.tests.conftest import request as http

S = OutboxMessage.Status
CITIZEN = "001092001234"
RESIDENCE = {  # what the police simulator requires for residence.register
    "ho_ten": "Nguyễn Văn An",
    "ngay_sinh": "1990-05-14",
    "so_dinh_danh": "001090001234",
    "dia_chi_tinh": "Hà Nội",
    "dia_chi_xa": "Hoàn Kiếm",
    "dia_chi_so_nha_duong": "12 Lý Thường Kiệt",
}


def _enqueue(**extra) -> OutboxMessage:
    with transaction.atomic():
        return services.enqueue(
            partner_code=extra.pop("partner_code", "cong-an"),
            kind=extra.pop("kind", "residence.register"),
            payload=extra.pop("payload", RESIDENCE),
            dossier_code="H01.01-261128-0001",
            acting_citizen_id=CITIZEN,
            sender_agency_code="ubnd-hoan-kiem",
        )


def _received(base_url: str) -> dict:
    return http("GET", base_url + "/__admin/received").json()


def _faults(base_url: str, **faults) -> None:
    assert http("POST", base_url + "/__admin/faults", json_body=faults).status == 200


@pytest.mark.django_db(transaction=True)
def test_enqueue_requires_a_transaction_and_rolls_back_with_it(agency):
    # given a configured partner
    agency()
    # when enqueue is called outside a transaction, then it refuses
    with pytest.raises(services.TransactionRequired):
        services.enqueue(
            partner_code="cong-an", kind="k", payload={}, dossier_code="", acting_citizen_id="", sender_agency_code="x"
        )
    # when the caller's transaction rolls back, then the message goes with it
    with pytest.raises(RuntimeError), transaction.atomic():
        services.enqueue(
            partner_code="cong-an", kind="k", payload={}, dossier_code="", acting_citizen_id="", sender_agency_code="x"
        )
        raise RuntimeError("the state change failed")
    assert OutboxMessage.objects.count() == 0
    # and a committed one stays, with the hash of its canonical payload
    message = _enqueue(payload={"b": 2, "a": "ă"})
    assert OutboxMessage.objects.get().request_hash == signing.request_hash({"a": "ă", "b": 2}) == message.request_hash


def test_accepted_now_stores_the_result(agency):
    # given the police system answering at once
    _server, base_url, _ = agency("now")
    message = _enqueue()
    # when the worker delivers
    counts = services.deliver_due()
    # then the message is accepted with the agency's result, delivered once
    message.refresh_from_db()
    assert counts["accepted"] == 1
    assert message.status == S.ACCEPTED and message.attempts == 1 and message.delivered_at
    assert message.response["result"]["so_thong_bao"].startswith("TB-CT-")
    assert _received(base_url) == {
        "received": [str(message.message_id)],
        "kinds": {str(message.message_id): "residence.register"},
        "duplicates": 0,
        "callbacks": [],
    }
    # and nothing is due any more
    assert sum(services.deliver_due().values()) == 0


def test_accepted_later_then_the_signed_callback_completes_it(agency, capture):
    # given the police system that answers later, calling back our inbox
    captured, callback_url = capture
    _server, _base_url, _ = agency("later", callback_url=callback_url)
    message = _enqueue()
    # when delivered, then it is accepted for later with a ticket
    assert services.deliver_due()["accepted_later"] == 1
    message.refresh_from_db()
    assert message.status == S.ACCEPTED_LATER and message.response["ticket"].startswith("CA-")
    # when its signed callback arrives at the inbox
    [(headers, body)] = captured.wait(1)
    outcome = services.receive(headers, body)
    # then the message is completed with the result
    message.refresh_from_db()
    assert outcome["status"] == "applied" and outcome["duplicate"] is False
    assert message.status == S.ACCEPTED and message.response["result"]["so_thong_bao"].startswith("TB-CT-")
    # and the same callback again applies nothing, answering the stored outcome
    again = services.receive(headers, body)
    assert again == {**outcome, "duplicate": True}
    assert InboxMessage.objects.count() == 1


def test_rejected_with_reasons(agency):
    agency("reject")
    message = _enqueue()
    assert services.deliver_due()["rejected"] == 1
    message.refresh_from_db()
    assert message.status == S.REJECTED
    assert message.response["reasons"][0]["code"] == "dia_chi_khong_hop_le"


def test_503s_back_off_exponentially_then_succeed(agency):
    # given the agency failing its next two messages with 503
    _, base_url, _ = agency("now")
    _faults(base_url, fail_next=2, status=503)
    message = _enqueue()
    # when delivered: first failure backs off 15–30 s (base 30 s, equal jitter)
    start = timezone.now()
    assert services.deliver_due(now=start)["retry"] == 1
    message.refresh_from_db()
    assert message.status == S.PENDING and message.attempts == 1 and "503" in message.last_error
    first_wait = message.next_attempt_at - start
    assert timedelta(seconds=14) < first_wait <= timedelta(seconds=31)
    # then it is not due before its time
    assert sum(services.deliver_due(now=start).values()) == 0
    # second failure backs off 30–60 s
    second = message.next_attempt_at
    assert services.deliver_due(now=second)["retry"] == 1
    message.refresh_from_db()
    assert timedelta(seconds=29) < message.next_attempt_at - second <= timedelta(seconds=61)
    # third try succeeds
    assert services.deliver_due(now=message.next_attempt_at)["accepted"] == 1
    message.refresh_from_db()
    assert message.status == S.ACCEPTED and message.attempts == 3 and message.last_error == ""


def test_backoff_is_capped():
    assert services.backoff(30) <= timedelta(hours=1)
    assert services.backoff(30) >= timedelta(minutes=30)


def test_dead_lettered_after_max_attempts_then_replay_delivers(agency, settings, django_user_model):
    # given an agency down for longer than our attempt budget
    settings.MOTCUA_EXCHANGE_MAX_ATTEMPTS = 2
    _, base_url, _ = agency("now")
    _faults(base_url, fail_next=10, status=503)
    message = _enqueue()
    services.deliver_due()
    message.refresh_from_db()
    # when the last attempt fails, then the message is dead and the dead-lettering is audited
    assert services.deliver_due(now=message.next_attempt_at)["dead"] == 1
    message.refresh_from_db()
    assert message.status == S.DEAD and message.attempts == 2
    assert AuditRecord.objects.filter(action="exchange.dead_letter", object_id=str(message.message_id)).exists()
    assert sum(services.deliver_due(now=timezone.now() + timedelta(days=1)).values()) == 0
    # when an operator replays it after the agency is back
    _faults(base_url, fail_next=0)
    operator = django_user_model.objects.create_user(username="vanhanh", password="x")
    services.replay(message.message_id, operator)
    assert AuditRecord.objects.filter(action="exchange.replay", actor_id=operator.pk).exists()
    # then it is delivered
    assert services.deliver_due()["accepted"] == 1
    message.refresh_from_db()
    assert message.status == S.ACCEPTED
    # and replaying a message that is not dead is refused
    with pytest.raises(Conflict):
        services.replay(message.message_id, operator)


def test_a_lost_answer_retried_is_not_applied_twice_by_the_agency(agency, settings):
    # given an agency that applies the message but answers after our timeout
    settings.MOTCUA_EXCHANGE_TIMEOUT_SECONDS = 0.3
    _, base_url, _ = agency("now")
    _faults(base_url, delay=0.8)
    message = _enqueue()
    assert services.deliver_due()["retry"] == 1
    # when we retry once it answers quickly again
    _faults(base_url, delay=0)
    assert services.deliver_due(now=timezone.now() + timedelta(hours=1))["accepted"] == 1
    # then the agency applied it once and counted the duplicate
    received = _received(base_url)
    assert received["received"] == [str(message.message_id)] and received["duplicates"] == 1


def _signed(key: ECKey, sender: str, kind: str, payload: dict, message_id: str | None = None):
    body = adapters.envelope(kind, payload)
    headers = adapters.message_headers(
        sender=sender, message_id=message_id or str(uuid.uuid4()), payload_hash=signing.request_hash(payload)
    )
    headers[signing.SIGNATURE_HEADER] = signing.sign_with_key(key, headers, body)
    return headers, body


@pytest.mark.django_db
def test_inbox_applies_a_message_once_and_refuses_tampering_and_wrong_keys():
    # given a partner with its key and a handler counting what it applies
    key, other = ECKey.generate_key("P-256", auto_kid=True), ECKey.generate_key("P-256", auto_kid=True)
    ExchangePartner.objects.create(code="so-tu-phap", name="Sở Tư pháp", public_jwk=signing.public_jwk(key))
    applied = []

    @services.register_inbox("test.count")
    def count(partner, headers, payload):
        applied.append(payload["n"])
        return {"status": "applied", "n": payload["n"]}

    try:
        headers, body = _signed(key, "so-tu-phap", "test.count", {"n": 1})
        # when received twice, then applied once
        assert services.receive(headers, body) == {"status": "applied", "n": 1, "duplicate": False}
        assert services.receive(headers, body)["duplicate"] is True
        assert applied == [1]
        # when the body is tampered with, then it is refused
        tampered = body.replace(b'"n":1', b'"n":9')
        with pytest.raises(services.InboxRefused):
            services.receive(headers, tampered)
        # when signed by a key that is not the partner's, then it is refused
        headers2, body2 = _signed(other, "so-tu-phap", "test.count", {"n": 2})
        with pytest.raises(services.InboxRefused):
            services.receive(headers2, body2)
        # when a header is changed after signing, then it is refused
        headers3, body3 = _signed(key, "so-tu-phap", "test.count", {"n": 3})
        headers3["X-Motcua-Dossier"] = "H99"
        with pytest.raises(services.InboxRefused):
            services.receive(headers3, body3)
        assert applied == [1]
    finally:
        services.unregister_inbox("test.count")


def test_agency_refuses_our_message_signed_with_another_key(agency):
    # given an agency that trusts a different key than ours
    stranger = signing.public_jwk(ECKey.generate_key("P-256", auto_kid=True))
    _, base_url, _ = agency("now", motcua_jwk={"keys": [stranger]})
    message = _enqueue()
    # then the message is not applied; its unsigned 401 is not trusted: retried later
    assert services.deliver_due()["retry"] == 1
    message.refresh_from_db()
    assert "chữ ký" in message.last_error
    assert _received(base_url)["received"] == []


def test_response_with_a_bad_signature_is_retried(agency):
    # given a partner whose configured key is not the one the agency signs with
    _, _base_url, partner = agency("now")
    partner.public_jwk = signing.public_jwk(ECKey.generate_key("P-256", auto_kid=True))
    partner.save()
    message = _enqueue()
    assert services.deliver_due()["retry"] == 1
    message.refresh_from_db()
    assert message.status == S.PENDING


@pytest.mark.django_db
def test_internal_agency_goes_through_the_same_chain():
    # given an agency processed inside motcua
    ExchangePartner.objects.create(code="noi-bo", name="Phòng Tư pháp", kind="internal")

    @adapters.register_internal("birth.notify")
    def handle(message):
        return adapters.Accepted(result={"so_dang_ky": "KS-1", "dossier": message.dossier_code})

    try:
        message = _enqueue(partner_code="noi-bo", kind="birth.notify")
        unknown = _enqueue(partner_code="noi-bo", kind="unknown.kind")
        counts = services.deliver_due()
        message.refresh_from_db()
        unknown.refresh_from_db()
        assert counts["accepted"] == 1 and counts["rejected"] == 1
        assert message.status == S.ACCEPTED and message.response["result"]["so_dang_ky"] == "KS-1"
        assert unknown.status == S.REJECTED
    finally:
        adapters.unregister_internal("birth.notify")


def test_our_key_is_created_private_and_published(settings):
    key = signing.agency_key()
    path = settings.MOTCUA_EXCHANGE_KEY_PATH
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert signing.load_or_create_key(path) is key
    [jwk] = signing.jwks()["keys"]
    assert "d" not in jwk and jwk["kid"] == key.kid and jwk["alg"] == "ES256"


@pytest.mark.django_db
def test_inbox_view_answers_signed_and_jwks_view(settings):
    from motcua.exchange import api

    key = ECKey.generate_key("P-256", auto_kid=True)
    ExchangePartner.objects.create(code="cong-an", name="Công an", public_jwk=signing.public_jwk(key))
    message = OutboxMessage.objects.create(
        partner=ExchangePartner.objects.get(), kind="k", sender_agency_code="x", request_hash="0", status=S.PENDING
    )
    payload = {"in_reply_to": str(message.message_id), "status": "rejected", "reasons": [{"code": "x"}]}
    headers, body = _signed(key, "cong-an", services.RESULT_KIND, payload)
    rf = RequestFactory()
    request = rf.post("/api/v1/exchange/inbox", data=body, content_type="application/json", headers=headers)
    response = api.inbox(request)
    assert response.status_code == 200 and json.loads(response.content)["outbox_status"] == S.REJECTED
    answer_headers = dict(response.items())
    assert answer_headers["X-Motcua-Message-Id"] == headers["X-Motcua-Message-Id"]
    jwks = json.loads(api.jwks(rf.get("/")).content)
    signing.verify(answer_headers, response.content, jwks)


@pytest.mark.django_db(transaction=True)  # the command closes stale connections, as the worker does
def test_exchange_deliver_command_one_shot(agency, capsys):
    agency("now")
    _enqueue()
    call_command("exchange_deliver")
    assert "'accepted': 1" in capsys.readouterr().out
