"""What notifications cost where they run all the time (every page's header, every worker round), and what the
delivery-report callback answers to a report it cannot use (never a 500)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from motcua.accounts.testing import signed_in_client
from motcua.dossiers import services
from motcua.notifications.models import Notification
from motcua.notifications.services import deliver_notifications
from motcua.notifications.smstext import sign_body

from .helpers import submit

pytestmark = pytest.mark.django_db


def _inbox_queries(client: Client, path: str = "/") -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return sum('"notifications_notification"' in q["sql"] for q in ctx.captured_queries)


def test_the_header_counts_unread_messages_for_citizens_only(contact):
    services.perform(contact.desk, submit(contact), "accept")
    # a citizen: one COUNT per page, whatever they have
    assert _inbox_queries(signed_in_client(contact.citizen)) == 1
    assert _inbox_queries(signed_in_client(contact.other_citizen)) == 1
    # an official or an anonymous visitor: no inbox, no query
    assert _inbox_queries(signed_in_client(contact.desk)) == 0
    assert _inbox_queries(Client()) == 0


def test_a_worker_round_costs_the_claim_plus_one_write_per_message(contact, django_assert_max_num_queries):
    # nothing due: the claim alone
    with django_assert_max_num_queries(3):
        assert deliver_notifications() == {"sent": 0, "retry": 0, "failed": 0}
    services.perform(contact.desk, submit(contact), "accept")  # one e-mail (no SMS gateway here)
    with django_assert_max_num_queries(12) as one:
        assert deliver_notifications()["sent"] == 1
    for _ in range(3):
        services.perform(contact.desk, submit(contact), "accept")
    # three messages: the claim and the fetch stay one query each; each message adds the recording of its outcome
    per_message = 4  # savepoint, lock the row, write it, release
    with django_assert_max_num_queries(len(one.captured_queries) + 2 * per_message):
        assert deliver_notifications()["sent"] == 3


def test_the_admin_list_costs_the_same_with_few_or_many_messages(contact, admin_client, django_assert_max_num_queries):
    services.perform(contact.desk, submit(contact), "accept")
    admin_client.get("/admin/notifications/notification/")  # warm-up
    with django_assert_max_num_queries(40) as few:
        admin_client.get("/admin/notifications/notification/")
    for _ in range(3):
        services.perform(contact.desk, submit(contact), "accept")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = admin_client.get("/admin/notifications/notification/")
    assert page.status_code == 200 and page.content.decode().count('class="action-select"') == 8


@pytest.fixture
def dlr(settings):
    settings.MOTCUA_SMS = {"URL": "http://127.0.0.1:9", "API_KEY": "khoa"}

    def post(body: bytes, key: str = "khoa"):
        return Client().post(
            "/thong-bao/sms/bao-cao/", data=body, content_type="application/json", HTTP_X_SIGNATURE=sign_body(key, body)
        )

    return post


def test_reports_the_callback_cannot_use_are_refused_never_an_error(contact, dlr):
    services.perform(contact.desk, submit(contact), "accept")
    row = Notification.objects.get(channel="email")
    good = {"message_id": "SMS-1", "ref": str(row.message_id), "status": "DELIVERED"}
    for body in (
        b"not json",
        b"[1, 2]",
        json.dumps({**good, "done_at": "2026-13-45T25:00:00"}).encode(),  # well-formed, impossible
        json.dumps({**good, "status": "LOST"}).encode(),
    ):
        answer = dlr(body)
        assert answer.status_code == 401 and answer.json()["error"] == "refused", body
    assert dlr(json.dumps(good).encode(), key="khoa-gia").status_code == 401
    # a report for a message that is not an SMS of ours: 404
    assert dlr(json.dumps(good).encode()).status_code == 404
    assert dlr(json.dumps({**good, "ref": "khong-phai-uuid", "message_id": "X"}).encode()).status_code == 404
    row.refresh_from_db()
    assert row.reported_at is None
