"""Every step that concerns the applicant tells them, on every channel they have, exactly once — through the real
dossier engine, a real SMS gateway simulator over HTTP (its delivery reports over HTTP too) and locmem e-mail."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client

from motcua.dossiers import services
from motcua.dossiers.models import Dossier
from motcua.notifications.models import Event, Notification, NotificationStatus
from motcua.notifications.services import deliver_notifications, notify_payment_due, on_dossier_transition
from motcua.worktime.calc import TZ

from .conftest import EMAIL
from .helpers import deliver_later, forward, submit, written

pytestmark = pytest.mark.django_db
S = NotificationStatus
CHANNELS = ("in_app", "email", "sms")


def _once_per_channel(*events: str) -> Counter:
    return Counter({(event, channel): 1 for event in events for channel in CHANNELS})


def test_every_event_is_told_once_on_every_channel(contact, gateway):
    world = contact
    # given: an online birth registration by a citizen with an e-mail address and a mobile number
    dossier = submit(world)
    assert written(dossier) == Counter()  # submitting tells nothing (the page shows the receipt)
    steps = [
        (
            Event.SUPPLEMENT_REQUESTED,
            lambda d: services.perform(
                world.desk,
                d,
                "request_supplement",
                note="Thiếu giấy chứng sinh.",
                payload={"missing": ["Giấy chứng sinh"]},
            ),
        ),
        (None, lambda d: services.perform(world.citizen, d, "supplement", note="Đã bổ sung.")),
        (Event.ACCEPTED, lambda d: services.perform(world.desk, d, "accept")),
        (
            Event.REAPPOINTED,
            lambda d: services.perform(
                world.leader, d, "reappoint", note="Cần xác minh thêm.", payload={"extra_working_days": 2}
            ),
        ),
        (Event.PAYMENT_DUE, lambda d: notify_payment_due(d, 8000, "https://thanhtoan.example.vn/p/1")),
        (Event.RESULT_READY, lambda d: forward(world, d)),
        (
            Event.RESULT_RETURNED,
            lambda d: services.perform(world.desk, d, "return_result", payload={"method": "electronic"}),
        ),
    ]
    told = []
    for event, step in steps:
        # when: each step is taken and the worker runs
        step(Dossier.objects.get(pk=dossier.pk))
        deliver_notifications()
        if event:
            told.append(event)
        # then: that step's messages, and nothing else, exist once per channel
        assert written(dossier) == _once_per_channel(*told), event
    # and: every e-mail and SMS went out once
    assert len(mail.outbox) == len(told) and all(m.to == [EMAIL] for m in mail.outbox)
    sms = gateway.sent()["messages"]
    assert len(sms) == len(told) and {m["phone"] for m in sms} == {"84912000002"}
    assert not Notification.objects.exclude(status__in=[S.SENT, S.DELIVERED]).exists()

    # and: the texts say what the citizen needs: the code, the dates, the note, the amount
    dossier.refresh_from_db()
    by = {(n.event, n.channel): n for n in Notification.objects.filter(dossier=dossier)}
    accepted = by[(Event.ACCEPTED, "email")]
    assert accepted.subject == f"Hồ sơ {dossier.code} đã được tiếp nhận"
    original = dossier.original_due_at.astimezone(TZ)
    assert f"{original:%H:%M} ngày {original:%d/%m/%Y}" in accepted.body
    assert f"https://dichvucong.example.vn/ho-so/{dossier.code}/" in accepted.body
    assert "Thiếu giấy chứng sinh." in by[(Event.SUPPLEMENT_REQUESTED, "email")].body
    assert "- Giấy chứng sinh" in by[(Event.SUPPLEMENT_REQUESTED, "email")].body
    new_due = dossier.due_at.astimezone(TZ)
    assert f"{new_due:%H:%M %d/%m/%Y}" in by[(Event.REAPPOINTED, "sms")].body
    assert "Cần xác minh thêm." in by[(Event.REAPPOINTED, "in_app")].body
    assert "8.000 đồng" in by[(Event.PAYMENT_DUE, "sms")].body
    assert "https://thanhtoan.example.vn/p/1" in by[(Event.PAYMENT_DUE, "email")].body
    assert "kết quả điện tử" in by[(Event.RESULT_RETURNED, "in_app")].subject
    assert by[(Event.ACCEPTED, "in_app")].status == S.DELIVERED and by[(Event.ACCEPTED, "in_app")].read_at is None


def test_refusal_is_told_with_its_reason(contact, gateway):
    # given / when: the desk refuses an online dossier
    dossier = services.perform(contact.desk, submit(contact), "refuse", note="Không thuộc thẩm quyền giải quyết.")
    # then
    assert written(dossier) == _once_per_channel(Event.REFUSED)
    assert "Không thuộc thẩm quyền giải quyết." in Notification.objects.get(dossier=dossier, channel="email").body


def test_a_desk_return_on_paper_says_nothing_more(contact):
    # given: a dossier whose result is ready (told), returned at the desk on paper
    dossier = forward(contact, services.perform(contact.desk, submit(contact), "accept"))
    services.perform(contact.desk, dossier, "return_result", payload={"method": "desk"})
    # then: receipt and result ready only (no SMS: no gateway configured)
    assert written(dossier) == Counter(
        {(e, c): 1 for e in (Event.ACCEPTED, Event.RESULT_READY) for c in ("in_app", "email")}
    )


def test_first_sms_attempt_fails_then_one_sms_and_one_delivered_status(contact, gateway):
    # given: the gateway answers 503 to the next message
    gateway.faults(fail_next=1)
    dossier = services.perform(contact.desk, submit(contact), "accept")
    # when: the worker sends (the e-mail goes, the SMS fails) and tries again after the back-off
    assert deliver_notifications() == {"sent": 1, "retry": 1, "failed": 0}
    row = Notification.objects.get(dossier=dossier, channel="sms")
    assert row.status == S.QUEUED and row.attempts == 1 and "503" in row.last_error
    assert deliver_notifications() == {"sent": 0, "retry": 0, "failed": 0}  # not due yet
    assert deliver_later(10) == {"sent": 1, "retry": 0, "failed": 0}
    # then: one SMS, carrying our message id
    sent = gateway.sent()
    assert [m["ref"] for m in sent["messages"]] == [str(row.message_id)] and sent["duplicates"] == 0
    # when: the gateway's delivery report reaches our callback
    [answer] = gateway.forward_reports(1)
    # then: one delivered status
    assert answer.status_code == 200 and answer.json()["duplicate"] is False
    row.refresh_from_db()
    assert row.status == S.DELIVERED and row.attempts == 2 and row.delivered_at and row.last_error == ""
    assert row.provider_id == sent["messages"][0]["message_id"]
    assert len(mail.outbox) == 1
    assert deliver_later(60) == {"sent": 0, "retry": 0, "failed": 0}


def test_a_lost_answer_is_retried_without_a_second_sms(contact, gateway, settings):
    # given: the gateway sends the SMS but answers after our timeout
    settings.MOTCUA_SMS = {**settings.MOTCUA_SMS, "TIMEOUT": 0.5}
    gateway.faults(timeout_next=1, timeout_seconds=3)
    dossier = services.perform(contact.desk, submit(contact), "accept")
    assert deliver_notifications()["retry"] == 1
    # when: the worker tries again with the same message id
    assert deliver_later(10)["sent"] == 1
    # then: the gateway recognised the copy; one SMS left
    sent = gateway.sent()
    assert len(sent["messages"]) == 1 and sent["duplicates"] == 1
    gateway.forward_reports(1)
    row = Notification.objects.get(dossier=dossier, channel="sms")
    assert row.status == S.DELIVERED and row.provider_id == sent["messages"][0]["message_id"]


def test_a_rerun_hook_or_worker_duplicates_nothing(contact, gateway):
    # given: an accepted dossier whose messages went out
    dossier = services.perform(contact.desk, submit(contact), "accept")
    deliver_notifications()
    before = written(dossier)
    # when: the hook runs again for the same transition, and the worker runs again
    with transaction.atomic():
        on_dossier_transition(Dossier.objects.select_related("procedure", "agency").get(pk=dossier.pk), "accept", {})
    deliver_later(60)
    # then
    assert written(dossier) == before == _once_per_channel(Event.ACCEPTED)
    assert len(mail.outbox) == 1 and len(gateway.sent()["messages"]) == 1


@pytest.fixture
def failing_later_hook(settings):
    settings.MOTCUA_TRANSITION_HOOKS = [*settings.MOTCUA_TRANSITION_HOOKS, "motcua.notifications.tests.helpers.explode"]
    services._hooks.cache_clear()
    yield
    services._hooks.cache_clear()


def test_a_rolled_back_transition_notifies_nobody(contact, gateway, failing_later_hook):
    # given: a hook after ours that fails
    dossier = submit(contact)
    # when: the desk accepts
    with pytest.raises(RuntimeError):
        services.perform(contact.desk, dossier, "accept")
    # then: nothing was written, nothing is sent
    dossier.refresh_from_db()
    assert dossier.status == "submitted"
    assert not Notification.objects.exists()
    assert deliver_later(60) == {"sent": 0, "retry": 0, "failed": 0}
    assert mail.outbox == [] and gateway.sent()["messages"] == []


def test_a_duplicate_delivery_report_is_harmless(contact, gateway):
    # given: the gateway posts every delivery report twice
    gateway.faults(dlr_duplicate=True)
    dossier = services.perform(contact.desk, submit(contact), "accept")
    deliver_notifications()
    # when: both reach our callback
    first, second = gateway.forward_reports(2)
    # then: the first applies, the second changes nothing
    assert (first.json()["duplicate"], second.json()["duplicate"]) == (False, True)
    row = Notification.objects.get(dossier=dossier, channel="sms")
    delivered_at = row.delivered_at
    assert row.status == S.DELIVERED
    row.refresh_from_db()
    assert row.delivered_at == delivered_at and len(gateway.sent()["messages"]) == 1


def test_an_undelivered_report_marks_the_sms_failed_and_it_is_not_resent(contact, gateway):
    gateway.faults(dlr_failed=True)
    dossier = services.perform(contact.desk, submit(contact), "accept")
    deliver_notifications()
    gateway.forward_reports(1)
    row = Notification.objects.get(dossier=dossier, channel="sms")
    assert row.status == S.FAILED and "UNDELIV" in row.last_error
    assert deliver_later(60)["sent"] == 0 and len(gateway.sent()["messages"]) == 1


def test_a_report_with_a_bad_signature_is_refused(contact, gateway):
    dossier = services.perform(contact.desk, submit(contact), "accept")
    deliver_notifications()
    _headers, body = gateway.reports.wait(1)[0]
    answer = Client().post(
        "/thong-bao/sms/bao-cao/", data=body, content_type="application/json", HTTP_X_SIGNATURE="0" * 64
    )
    assert answer.status_code == 401
    assert Notification.objects.get(dossier=dossier, channel="sms").status == S.SENT
    assert Client().get("/thong-bao/sms/bao-cao/").status_code == 405


def test_an_unreachable_gateway_is_retried_then_failed_and_an_operator_can_resend(contact, gateway, settings):
    from motcua.audit.models import AuditRecord
    from motcua.notifications.services import resend

    # given: the gateway fails more often than our attempt budget (4)
    gateway.faults(fail_next=10)
    dossier = services.perform(contact.desk, submit(contact), "accept")
    for minutes in (0, 10, 60, 180):
        deliver_later(minutes)
    row = Notification.objects.get(dossier=dossier, channel="sms")
    assert row.status == S.FAILED and row.attempts == 4
    # when: the gateway is back and an operator resends
    gateway.faults(reset=True)
    resend(row, contact.desk, "Cổng SMS đã hoạt động lại")
    assert deliver_notifications()["sent"] == 1
    # then: sent once, and the resend is audited
    assert len(gateway.sent()["messages"]) == 1
    assert AuditRecord.objects.filter(action="notification.resend").count() == 1


def test_sub_dossiers_do_not_notify_the_citizen(contact, gateway):
    world = contact
    # given: a request split into a sub-dossier for one agency
    parent = services.perform(world.desk, submit(world), "accept")
    from motcua.conftest import VALID_BIRTH

    sub = services.open_linked_subdossier(
        parent,
        procedure_code="1.001193",
        agency_code=world.agency.code,
        data=VALID_BIRTH,
        due_at=None,
        step_name="Đăng ký khai sinh",
    )
    # when: its officials take it to its result and return it, and another is refused
    sub = forward(world, sub)
    services.perform(world.desk, sub, "return_result", payload={"method": "electronic"})
    other = services.open_linked_subdossier(
        parent, procedure_code="1.001193", agency_code=world.agency.code, data=VALID_BIRTH, due_at=None, step_name="x"
    )
    services.perform(world.specialist, other, "request_supplement", note="Thiếu giấy tờ.")
    # then: the sub-dossiers said nothing; only the umbrella's receipt exists
    assert not Notification.objects.filter(dossier__in=[sub, other]).exists()
    assert written(parent) == _once_per_channel(Event.ACCEPTED)
    # and: a fee due on a sub-dossier is announced on the umbrella
    notify_payment_due(sub, 15000, "https://thanhtoan.example.vn/p/2")
    assert written(parent)[(Event.PAYMENT_DUE, "sms")] == 1 and not Notification.objects.filter(dossier=sub).exists()


def test_the_linked_engine_result_is_told_on_the_umbrella_only(linked_world, partners, gateway):
    from motcua.exchange import services as exchange
    from motcua.linked.models import LinkedChain
    from motcua.linked.tests.conftest import birth_declaration, process_internal

    # given: a birth chain (civil status inside motcua, police and insurance answering at once), e-result chosen
    linked_world.citizen.email, linked_world.citizen.phone = EMAIL, "0912000002"
    linked_world.citizen.save()
    partners("ho-tich", kind="internal")
    partners("cong-an", mode="now")
    partners("bhxh", mode="now")
    submitted = services.submit_dossier(
        linked_world.citizen,
        procedure_code="2.000986",
        agency_code=linked_world.commune.code,
        channel="online",
        data=birth_declaration(),
    )
    umbrella = services.perform(linked_world.desk, submitted.dossier, "accept")
    # when: the chain runs: the sub-dossier is processed, the engine completes the umbrella and returns it online
    exchange.deliver_due()
    sub = Dossier.objects.get(parent=umbrella)
    process_internal(sub, linked_world)
    exchange.deliver_due()
    umbrella.refresh_from_db()
    assert umbrella.status == "returned" and LinkedChain.objects.get(dossier=umbrella).status == "completed"
    # then: the umbrella told the receipt, the result (in the inbox) and the e-result; the sub-dossier nothing
    assert not Notification.objects.filter(dossier__parent=umbrella).exists()
    rows = Counter(Notification.objects.filter(dossier=umbrella).values_list("event", "channel", "status"))
    assert rows == Counter(
        {
            (Event.ACCEPTED, "in_app", S.DELIVERED): 1,
            (Event.ACCEPTED, "email", S.QUEUED): 1,
            (Event.ACCEPTED, "sms", S.QUEUED): 1,
            (Event.RESULT_READY, "in_app", S.DELIVERED): 1,
            # superseded before they went out: one SMS, not two, a minute apart
            (Event.RESULT_READY, "email", S.CANCELLED): 1,
            (Event.RESULT_READY, "sms", S.CANCELLED): 1,
            (Event.RESULT_RETURNED, "in_app", S.DELIVERED): 1,
            (Event.RESULT_RETURNED, "email", S.QUEUED): 1,
            (Event.RESULT_RETURNED, "sms", S.QUEUED): 1,
        }
    )
    assert deliver_notifications() == {"sent": 4, "retry": 0, "failed": 0}
    assert len(gateway.sent()["messages"]) == 2


def test_the_worker_round_sends_them(contact, gateway):
    from django.core.management import call_command

    dossier = services.perform(contact.desk, submit(contact), "accept")
    call_command("run_worker", "--once", stdout=io.StringIO())
    assert len(mail.outbox) == 1 and len(gateway.sent()["messages"]) == 1
    assert Notification.objects.filter(dossier=dossier, status=S.QUEUED).count() == 0
    call_command("notifications_send", stdout=io.StringIO())
    assert len(mail.outbox) == 1


def test_a_notifying_transition_costs_a_few_queries(contact, gateway, django_assert_max_num_queries):
    # given: a submitted dossier; when: the hook runs for its acceptance
    dossier = services.perform(contact.desk, submit(contact), "accept")
    dossier = Dossier.objects.select_related("procedure", "agency").get(pk=dossier.pk)
    Notification.objects.all().delete()
    # then: the log row, the templates, one insert (whatever the number of channels)
    with django_assert_max_num_queries(3):
        on_dossier_transition(dossier, "accept", {})
    assert Notification.objects.count() == 3
