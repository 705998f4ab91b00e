"""Templates: a procedure's own text overrides the default, an edited default overrides the shipped file, a broken
edit never breaks a transition, and SMS texts follow what the provider takes (with or without diacritics)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from motcua.core.text import strip_diacritics
from motcua.dossiers import services
from motcua.notifications import render
from motcua.notifications.models import Event, Notification, NotificationStatus, NotificationTemplate
from motcua.notifications.services import deliver_notifications
from motcua.notifications.smstext import normalise_phone, segments

from .helpers import submit

pytestmark = pytest.mark.django_db


def _accept(world):
    return services.perform(world.desk, submit(world), "accept")


def test_the_shipped_defaults_are_loaded_as_editable_rows():
    from importlib import import_module

    from django.apps import apps

    load = import_module("motcua.notifications.migrations.0002_default_templates").load
    # given: no rows (a flushed database), and one default an administrator will have edited
    NotificationTemplate.objects.all().delete()
    NotificationTemplate.objects.create(event=Event.REFUSED, channel="sms", body="Đã sửa {{ code }}")
    # when: the data migration runs (twice)
    load(apps, None)
    load(apps, None)
    # then: every shipped file is a default row (all procedures), once; the edit is kept
    shipped = {(r["event"], r["channel"]) for r in render.default_rows()}
    rows = list(NotificationTemplate.objects.filter(procedure_code="").values_list("event", "channel"))
    assert set(rows) == shipped and len(rows) == len(shipped)
    assert NotificationTemplate.objects.get(event=Event.REFUSED, channel="sms").body == "Đã sửa {{ code }}"
    events = {e for e, _c in shipped}
    assert events == set(Event.values)
    assert all((e, c) in shipped for e in events - {Event.DIGEST} for c in ("email", "sms", "in_app"))


def test_a_procedure_template_overrides_the_default(contact, gateway):
    # given: the birth registration has its own SMS text for the receipt; another procedure has one too
    NotificationTemplate.objects.create(
        event=Event.ACCEPTED, procedure_code="1.001193", channel="sms", body="Khai sinh {{ code }}: đã nhận."
    )
    NotificationTemplate.objects.create(
        event=Event.ACCEPTED, procedure_code="1.004222", channel="email", subject="Thường trú", body="Không dùng"
    )
    # when
    dossier = _accept(contact)
    # then: its SMS uses the procedure's text, the e-mail the default
    rows = {n.channel: n for n in Notification.objects.filter(dossier=dossier)}
    assert rows["sms"].body == f"Khai sinh {dossier.code}: đã nhận."
    assert rows["email"].subject == f"Hồ sơ {dossier.code} đã được tiếp nhận"


def test_an_edited_default_overrides_the_shipped_file_and_an_inactive_one_does_not(contact):
    NotificationTemplate.objects.update_or_create(
        event=Event.ACCEPTED,
        procedure_code="",
        channel="in_app",
        defaults={"subject": "Đã nhận {{ code }}", "body": "Cảm ơn {{ applicant }}.", "active": True},
    )
    first = _accept(contact)
    assert Notification.objects.get(dossier=first, channel="in_app").body == "Cảm ơn Trần Thị Bích."
    # when: the edited row is switched off, and no row is left, the shipped file speaks
    NotificationTemplate.objects.filter(event=Event.ACCEPTED, channel="in_app").update(active=False)
    second = _accept(contact)
    assert (
        Notification.objects.get(dossier=second, channel="in_app").subject == f"Hồ sơ {second.code} đã được tiếp nhận"
    )
    NotificationTemplate.objects.filter(event=Event.ACCEPTED).delete()
    third = _accept(contact)
    assert Notification.objects.get(dossier=third, channel="email").subject.startswith(f"Hồ sơ {third.code}")


def test_a_broken_template_falls_back_to_the_default_and_never_blocks_the_step(contact):
    # given: an edit that fails when rendered
    NotificationTemplate.objects.update_or_create(
        event=Event.ACCEPTED, procedure_code="", channel="email", defaults={"body": '{% include "khong-co.txt" %}'}
    )
    # when: the desk accepts
    dossier = _accept(contact)
    # then: accepted, and the shipped default text was used
    assert dossier.status == "processing"
    assert "đã tiếp nhận hồ sơ" in Notification.objects.get(dossier=dossier, channel="email").body


def test_a_template_with_a_syntax_error_is_refused_in_the_admin_form():
    template = NotificationTemplate(event=Event.ACCEPTED, channel="sms", body="{% if %}")
    with pytest.raises(ValidationError):
        template.full_clean()


def test_sms_without_diacritics_for_a_provider_that_takes_none(contact, gateway, settings):
    # given: the provider's route takes no Unicode, and our settings say so
    gateway.server.state.ascii_only = True
    settings.MOTCUA_SMS = {**settings.MOTCUA_SMS, "UNICODE": False}
    dossier = _accept(contact)
    # when
    deliver_notifications()
    # then: the SMS is plain GSM-7 text, in fewer segments, and the gateway took it
    row = Notification.objects.get(dossier=dossier, channel="sms")
    assert row.body.startswith(f"Ho so {dossier.code} da duoc tiep nhan.") and row.body.isascii()
    assert row.segments == segments(row.body) == 1
    assert row.status == NotificationStatus.SENT
    # and: the e-mail keeps its diacritics
    assert "đã được tiếp nhận" in Notification.objects.get(dossier=dossier, channel="email").subject


def test_a_unicode_sms_refused_by_the_provider_fails_at_once(contact, gateway):
    # given: the route takes no Unicode but our settings were left at the default (keep diacritics)
    gateway.server.state.ascii_only = True
    dossier = _accept(contact)
    # when / then: a permanent refusal, not retried
    assert deliver_notifications() == {"sent": 1, "retry": 0, "failed": 1}
    row = Notification.objects.get(dossier=dossier, channel="sms")
    assert row.status == NotificationStatus.FAILED and row.attempts == 1 and "unicode_not_allowed" in row.last_error
    assert row.segments == segments(row.body) == 3  # with diacritics: UCS-2, 67 characters a segment (1 without)


def test_sms_text_rules():
    assert segments("") == 0
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2 and segments("a" * 306) == 2
    assert segments("[" * 80) == 1 and segments("[" * 81) == 2  # extension characters cost two
    assert segments("ă" * 70) == 1 and segments("ă" * 71) == 2 and segments("ă" * 134) == 2
    assert strip_diacritics("Đăng ký khai sinh — Hồ sơ ĐÃ TIẾP NHẬN") == "Dang ky khai sinh — Ho so DA TIEP NHAN"
    assert normalise_phone("0912 000 002") == normalise_phone("+84912000002") == "84912000002"
    assert normalise_phone("0241234567") is None and normalise_phone("") is None and normalise_phone("12") is None


def test_amounts_and_dates_in_templates():
    from datetime import datetime

    from motcua.worktime.calc import TZ

    text = render.render_text(
        '{{ amount_vnd|vnd }} · {{ at|date:"H:i d/m/Y" }} · {{ name }}',
        {"amount_vnd": 1250000, "at": datetime(2026, 12, 8, 6, 30, tzinfo=TZ), "name": "<Bích & An>"},
    )
    assert text == "1.250.000 đồng · 06:30 08/12/2026 · <Bích & An>"  # plain text: nothing escaped
