"""Faults between agencies, with real simulator servers: every message still has its effect exactly once,
nothing is lost, a forged answer is refused and audited, and an operator can replay the dead letters."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from motcua.audit.models import AuditRecord
from motcua.core.queue import LEASE
from motcua.dossiers.models import Dossier
from motcua.exchange import services as exchange
from motcua.exchange.models import InboxMessage, OutboxMessage
from motcua.exchange.services import InboxRefused
from motcua.exchange.tests.conftest import Captured, CaptureHandler
from motcua.linked.models import ChainEvent, ChainStatus, StepStatus
from simulators._http import serve

from .conftest import birth_partners, process_internal, submit_and_accept

pytestmark = pytest.mark.django_db
S = OutboxMessage.Status
ROOT = Path(__file__).resolve().parents[3]


def faults(server, **values) -> dict:
    url = server.base_url + "/__admin/faults"
    request = urllib.request.Request(url, data=json.dumps(values).encode(), method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - local simulator
        return json.loads(response.read())


def received(server) -> dict:
    with urllib.request.urlopen(server.base_url + "/__admin/received", timeout=5) as response:  # noqa: S310
        return json.loads(response.read())


@pytest.fixture
def capture():
    state = Captured()
    server = serve(CaptureHandler, state)
    yield state, server.base_url + "/api/v1/exchange/inbox"
    server.stop()


def _birth_up_to_external(world, partners, **bhxh):
    """A birth chain whose civil-status step is done: residence and insurance messages are queued."""
    police, insurance = birth_partners(partners, **bhxh)
    umbrella, chain = submit_and_accept(world)
    exchange.deliver_due()
    process_internal(Dossier.objects.get(parent=umbrella), world)
    return chain, police, insurance


def _step(chain, code):
    return chain.steps.get(code=code)


def _deliver_later(minutes: float) -> dict:
    return exchange.deliver_due(now=timezone.now() + timedelta(minutes=minutes))


def test_5xx_then_success_applies_once(linked_world, partners):
    # given: the police system fails twice with 503
    chain, police, _ = _birth_up_to_external(linked_world, partners)
    faults(police, fail_next=2, status=503)
    # when: the worker tries now, and again after each back-off
    assert exchange.deliver_due()["retry"] == 1
    assert _deliver_later(2)["retry"] == 1
    _deliver_later(10)
    # then: delivered, applied once by the police, the chain complete
    message = OutboxMessage.objects.get(pk=_step(chain, "thuong_tru").message_id)
    assert message.status == S.ACCEPTED and message.attempts == 3
    assert received(police)["received"] == [str(message.message_id)]
    chain.refresh_from_db()
    assert chain.status == ChainStatus.COMPLETED


def test_timeout_then_retry_applies_once(linked_world, partners, settings):
    # given: the police system hangs on the next message (our timeout fires first)
    settings.MOTCUA_EXCHANGE_TIMEOUT_SECONDS = 0.5
    chain, police, _ = _birth_up_to_external(linked_world, partners)
    faults(police, timeout_next=1, timeout_seconds=3)
    # when
    first = exchange.deliver_due()
    faults(police, reset=True)
    _deliver_later(5)
    # then
    assert first["retry"] == 1
    message = OutboxMessage.objects.get(pk=_step(chain, "thuong_tru").message_id)
    assert message.status == S.ACCEPTED
    assert received(police)["received"] == [str(message.message_id)]


def test_lost_answer_is_retried_and_the_duplicate_is_not_applied_twice(linked_world, partners, settings):
    # given: the police apply the message but their answer arrives after our timeout
    settings.MOTCUA_EXCHANGE_TIMEOUT_SECONDS = 0.5
    chain, police, _ = _birth_up_to_external(linked_world, partners)
    faults(police, delay=1.5)
    assert exchange.deliver_due()["retry"] == 1
    faults(police, delay=0)
    # when: the worker sends it again
    _deliver_later(5)
    # then: the police answered the duplicate from what they stored; one application, one result
    state = received(police)
    message = OutboxMessage.objects.get(pk=_step(chain, "thuong_tru").message_id)
    assert state["received"] == [str(message.message_id)] and state["duplicates"] == 1
    assert message.status == S.ACCEPTED
    assert ChainEvent.objects.filter(chain=chain, step_code="thuong_tru", kind="done").count() == 1


def test_late_callback_answered_twice_applies_once(linked_world, partners, capture):
    # given: social insurance answers "later", then sends its signed result late, twice
    state, inbox_url = capture
    chain, _, _insurance = _birth_up_to_external(
        linked_world, partners, insurance="later", callback_url=inbox_url, callback_delay=0.3, callback_twice=True
    )
    exchange.deliver_due()
    step = _step(chain, "bhyt")
    assert step.status == StepStatus.IN_PROGRESS and step.reference
    # when: both callbacks reach our inbox
    outcomes = [exchange.receive(headers, body) for headers, body in state.wait(2, timeout=10)]
    # then: the first applies, the second is recognised as a duplicate; the card is there once
    assert [o["duplicate"] for o in outcomes] == [False, True]
    step.refresh_from_db()
    assert step.status == StepStatus.DONE and step.result["ma_the"] == _step(chain, "khai_sinh").result["so_dinh_danh"]
    assert ChainEvent.objects.filter(chain=chain, step_code="bhyt", kind="done").count() == 1
    assert InboxMessage.objects.filter(kind="exchange.result").count() == 1
    chain.refresh_from_db()
    assert chain.status == ChainStatus.COMPLETED


def test_callback_with_an_invalid_signature_is_refused_and_audited(linked_world, partners, capture):
    # given: a callback signed with a key social insurance never published
    state, inbox_url = capture
    chain, _, _insurance = _birth_up_to_external(
        linked_world, partners, insurance="later", callback_url=inbox_url, bad_signature="callbacks"
    )
    exchange.deliver_due()
    headers, body = state.wait(1, timeout=10)[0]
    # when
    with pytest.raises(InboxRefused):
        exchange.receive(headers, body)
    # then: nothing applied, the refusal is in the audit chain with the message id and body hash
    assert _step(chain, "bhyt").status == StepStatus.IN_PROGRESS
    audit = AuditRecord.objects.get(action="exchange.inbox_bad_signature")
    assert audit.object_id == headers["X-Motcua-Message-Id"] and len(audit.data["body_sha256"]) == 64
    assert not InboxMessage.objects.exists()


def test_answer_with_an_invalid_signature_is_not_trusted_and_retried(linked_world, partners):
    # given: the police answer signed with an unpublished key, then recover
    chain, police, _ = _birth_up_to_external(linked_world, partners)
    faults(police, bad_signature=True)
    assert exchange.deliver_due()["retry"] == 1
    faults(police, bad_signature=False)
    _deliver_later(5)
    message = OutboxMessage.objects.get(pk=_step(chain, "thuong_tru").message_id)
    assert message.status == S.ACCEPTED and received(police)["duplicates"] == 1


def test_dead_letter_then_operator_replay_delivers(linked_world, partners, settings, admin_user):
    # given: the police system is down for longer than the attempt budget
    settings.MOTCUA_EXCHANGE_MAX_ATTEMPTS = 3
    chain, police, _ = _birth_up_to_external(linked_world, partners)
    faults(police, fail_next=100, status=500)
    for minutes in (0, 60, 180):
        _deliver_later(minutes)
    message = OutboxMessage.objects.get(pk=_step(chain, "thuong_tru").message_id)
    assert message.status == S.DEAD
    assert AuditRecord.objects.filter(action="exchange.dead_letter", object_id=str(message.message_id)).exists()
    assert ChainEvent.objects.filter(chain=chain, kind="undelivered").exists()
    # when: the system is back and the operator replays the message
    faults(police, reset=True)
    exchange.replay(message.message_id, admin_user, reason="Công an đã khắc phục sự cố")
    exchange.deliver_due()
    # then: delivered once, the chain completes
    message.refresh_from_db()
    assert message.status == S.ACCEPTED
    assert received(police)["received"] == [str(message.message_id)]
    assert AuditRecord.objects.filter(action="exchange.replay", object_id=str(message.message_id)).exists()
    chain.refresh_from_db()
    assert chain.status == ChainStatus.COMPLETED


def _worker_env() -> dict:
    env = {**os.environ, "MOTCUA_EXCHANGE_KEY_PATH": str(settings.MOTCUA_EXCHANGE_KEY_PATH)}
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        env["DATABASE_URL"] = f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
    else:
        env.pop("DATABASE_URL", None)
        env["MOTCUA_SQLITE_PATH"] = str(db["NAME"])
    return env


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_delivery_loses_nothing_and_applies_once(linked_world, partners):
    # given: a queued residence message, and a police system that applies it and then answers slowly
    chain, police, _ = _birth_up_to_external(linked_world, partners)
    message = OutboxMessage.objects.get(pk=_step(chain, "thuong_tru").message_id)
    faults(police, delay=30)
    # when: a real worker process claims and sends it, and is killed (SIGKILL) while waiting for the answer
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "exchange_deliver"],
        cwd=ROOT,
        env=_worker_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while str(message.message_id) not in received(police)["received"]:
            assert worker.poll() is None, worker.stderr.read().decode()
            assert time.monotonic() < deadline, "the worker never delivered"
            time.sleep(0.05)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    message.refresh_from_db()
    assert message.status == S.IN_FLIGHT and message.attempts == 1  # its lease holds it for now
    assert exchange.deliver_due()["accepted"] == 0
    # when: the lease expires and another worker round runs
    faults(police, delay=0)
    exchange.deliver_due(now=timezone.now() + LEASE + timedelta(seconds=1))
    # then: delivered, applied once (the re-send was answered as a duplicate), the chain goes on
    message.refresh_from_db()
    state = received(police)
    assert message.status == S.ACCEPTED
    assert state["received"].count(str(message.message_id)) == 1 and state["duplicates"] == 1
    assert _step(chain, "thuong_tru").status == StepStatus.DONE
