"""Operators: failed messages are visible and can be resent from the admin; templates are edited there."""

from __future__ import annotations

import pytest

from motcua.dossiers import services
from motcua.notifications.models import Event, Notification, NotificationStatus, NotificationTemplate

from .helpers import submit

pytestmark = pytest.mark.django_db


def test_an_operator_resends_failed_messages_from_the_admin(contact, admin_client):
    # given: a failed e-mail and a delivered in-app message
    dossier = services.perform(contact.desk, submit(contact), "accept")
    Notification.objects.filter(dossier=dossier, channel="email").update(
        status=NotificationStatus.FAILED, attempts=8, last_error="SMTP 451"
    )
    failed = Notification.objects.get(dossier=dossier, channel="email")
    listing = admin_client.get("/admin/notifications/notification/?status__exact=failed")
    assert listing.status_code == 200 and "SMTP 451" not in listing.content.decode()  # the list, not the detail
    # when: the operator selects both and resends
    answer = admin_client.post(
        "/admin/notifications/notification/",
        {
            "action": "resend",
            "_selected_action": list(Notification.objects.filter(dossier=dossier).values_list("pk", flat=True)),
        },
    )
    # then: only the failed one is back in the queue
    assert answer.status_code == 302
    failed.refresh_from_db()
    assert failed.status == NotificationStatus.QUEUED and failed.attempts == 0 and failed.last_error == ""
    assert Notification.objects.get(dossier=dossier, channel="in_app").status == NotificationStatus.DELIVERED
    assert admin_client.get(f"/admin/notifications/notification/{failed.pk}/change/").status_code == 200


def test_a_template_with_a_syntax_error_is_refused_by_the_admin_form(admin_client):
    answer = admin_client.post(
        "/admin/notifications/notificationtemplate/add/",
        {"event": Event.ACCEPTED, "procedure_code": "1.001193", "channel": "sms", "subject": "", "body": "{% if %}"},
    )
    assert answer.status_code == 200 and "Mẫu không hợp lệ" in answer.content.decode()
    assert not NotificationTemplate.objects.filter(procedure_code="1.001193").exists()
    ok = admin_client.post(
        "/admin/notifications/notificationtemplate/add/",
        {"event": Event.ACCEPTED, "procedure_code": "1.001193", "channel": "sms", "body": "Đã nhận {{ code }}"},
    )
    assert ok.status_code == 302 and NotificationTemplate.objects.filter(procedure_code="1.001193").exists()
