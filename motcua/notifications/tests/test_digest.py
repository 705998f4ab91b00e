"""The officials' daily digest: each official gets one e-mail listing the due-soon and overdue dossiers of their own
task lists, once per day, from the worker after 07:00 on working days or from `manage.py notify_digest`."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.db.models import Q

from motcua.dossiers import services
from motcua.dossiers.models import Dossier
from motcua.dossiers.selectors import my_tasks
from motcua.notifications.digest import queue_digests
from motcua.notifications.models import DigestRun, Event, Notification
from motcua.notifications.services import deliver_notifications, digest_if_due
from motcua.worktime.calc import TZ

from .helpers import submit

pytestmark = pytest.mark.django_db
MONDAY_8 = datetime(2026, 12, 7, 8, 0, tzinfo=TZ)


def _flag(dossier, **flags) -> None:
    Dossier.objects.filter(pk=dossier.pk).update(**flags)


@pytest.fixture
def desks(contact):
    """Dossiers at every desk of the world's agency: flagged or not, at the specialist's and the leader's steps."""
    world = contact
    for official in (world.desk, world.specialist, world.leader, world.other_desk):
        official.email = f"{official.username}@ubnd.example.vn"
        official.save()
    accepted = [services.perform(world.desk, submit(world), "accept") for _ in range(4)]
    overdue, soon, calm, at_leader = accepted
    step = next(a for a in services.available_actions(world.specialist, at_leader) if a["kind"] == "forward")
    at_leader = services.perform(world.specialist, at_leader, step["action"], note="Trình ký.")
    _flag(overdue, overdue=True)
    _flag(soon, due_soon=True)
    _flag(at_leader, overdue=True)
    late_acceptance = submit(world)
    _flag(late_acceptance, acceptance_breached=True)
    # another agency's overdue dossier at a specialist's step: nobody here is told
    elsewhere = services.submit_dossier(
        world.citizen, procedure_code="1.001193", agency_code=world.other_agency.code, channel="online", data=calm.data
    ).dossier
    elsewhere = services.perform(world.other_desk, elsewhere, "accept")
    _flag(elsewhere, overdue=True)
    return world, {"overdue": overdue, "soon": soon, "calm": calm, "leader": at_leader, "late": late_acceptance}


def _digest_mails() -> list:
    return [m for m in mail.outbox if m.subject.startswith("Hồ sơ sắp đến hạn, quá hạn")]


def _digests() -> dict[str, Notification]:
    return {n.recipient_user.username: n for n in Notification.objects.filter(event=Event.DIGEST)}


def test_each_official_gets_their_own_flagged_dossiers_once_a_day(desks):
    world, d = desks
    # when
    assert queue_digests(MONDAY_8) == 3
    # then: the specialist, the leader and the desk, each with their own list (overdue first)
    digests = _digests()
    assert set(digests) == {"specialist", "leader", "desk"}
    specialist = digests["specialist"].body
    assert specialist.index(d["overdue"].code) < specialist.index(d["soon"].code)
    assert d["calm"].code not in specialist and d["leader"].code not in specialist and d["late"].code not in specialist
    assert "QUÁ HẠN" in specialist and "Sắp đến hạn" in specialist
    assert digests["specialist"].subject == "Hồ sơ sắp đến hạn, quá hạn ngày 07/12/2026: 2 hồ sơ"
    assert d["leader"].code in digests["leader"].body and d["overdue"].code not in digests["leader"].body
    assert d["late"].code in digests["desk"].body and "QUÁ HẠN TIẾP NHẬN" in digests["desk"].body
    assert f"https://dichvucong.example.vn/can-bo/ho-so/{d['overdue'].code}/" in specialist
    # and: the same list as the official's "my tasks"
    flagged = my_tasks(world.specialist).filter(Q(due_soon=True) | Q(overdue=True))
    assert set(flagged.values_list("code", flat=True)) == {d["overdue"].code, d["soon"].code}
    # when: it runs again the same day; then: nothing new
    assert queue_digests(MONDAY_8.replace(hour=16)) == 0
    # when: the worker sends; then: one e-mail each, to their address
    deliver_notifications(MONDAY_8)
    assert sorted(m.to[0] for m in _digest_mails()) == [
        "desk@ubnd.example.vn",
        "leader@ubnd.example.vn",
        "specialist@ubnd.example.vn",
    ]
    # and: the next day they get the next one
    assert queue_digests(MONDAY_8.replace(day=8)) == 3


def test_the_worker_sends_it_once_after_seven_on_working_days(desks):
    assert digest_if_due(MONDAY_8.replace(hour=6, minute=59)) is None
    assert digest_if_due(MONDAY_8.replace(hour=7, minute=0)) == 3
    assert digest_if_due(MONDAY_8.replace(hour=15)) is None
    assert DigestRun.objects.get().officials == 3
    assert digest_if_due(datetime(2026, 12, 13, 9, 0, tzinfo=TZ)) is None  # a Sunday
    assert digest_if_due(datetime(2026, 12, 8, 7, 30, tzinfo=TZ)) == 3
    assert Notification.objects.filter(event=Event.DIGEST).count() == 6


def test_no_digest_for_officials_without_flagged_dossiers_or_without_an_address(desks):
    world, d = desks
    Dossier.objects.update(overdue=False, due_soon=False, acceptance_breached=False)
    assert queue_digests(MONDAY_8) == 0
    _flag(d["soon"], due_soon=True)
    world.specialist.email = ""
    world.specialist.save()
    assert queue_digests(MONDAY_8) == 0


def test_the_digest_costs_the_same_with_few_or_many_dossiers(desks, django_assert_max_num_queries):
    world, _d = desks
    with django_assert_max_num_queries(60) as few:
        queue_digests(MONDAY_8)
    Notification.objects.filter(event=Event.DIGEST).delete()
    for _ in range(6):
        _flag(services.perform(world.desk, submit(world), "accept"), overdue=True)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert queue_digests(MONDAY_8) == 3
    assert _digests()["specialist"].body.count("QUÁ HẠN") == 7


def test_the_command(desks):
    out = io.StringIO()
    call_command("notify_digest", stdout=out)
    assert "digest: 3" in out.getvalue() and len(_digest_mails()) == 3
    call_command("notify_digest", stdout=out)
    assert len(_digest_mails()) == 3


def test_a_broken_digest_template_falls_back_and_never_stops_the_worker(desks):
    from motcua.notifications.models import NotificationTemplate

    # given: an edited digest that fails when rendered, and a citizen's message waiting to go out
    NotificationTemplate.objects.update_or_create(
        event=Event.DIGEST, procedure_code="", channel="email", defaults={"body": '{% include "khong-co.txt" %}'}
    )
    mail.outbox = []
    # when: the worker's round runs after 07:00
    from motcua.notifications.services import worker_round

    counts = worker_round(MONDAY_8)
    # then: the digests went out with the shipped text, and so did everything else that was due
    assert counts["digests"] == 3 and counts["sent"] >= 3
    assert len(_digest_mails()) == 3 and "QUÁ HẠN" in _digests()["specialist"].body
