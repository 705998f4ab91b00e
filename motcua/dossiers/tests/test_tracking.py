"""Deadline tracking in working time (``motcua.dossiers.tracking``), on the investment certificate 1.009664
(12 working hours) of the demo's Economic Zone Board, with the real engine, catalogue and official calendar.

Time is never patched: dossiers are accepted through the engine, their clock is moved to a chosen instant, and
the tracking is read at an explicit ``now``. Desk hours are the national default, 07:30–11:30 and 13:00–17:00.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from django.utils.translation import override

from motcua.dossiers import services, tracking
from motcua.dossiers.models import Dossier, Status
from motcua.dossiers.tests.investment import investment  # noqa: F401  (fixture)
from motcua.portal.tests.helpers import accepted
from motcua.worktime.calc import TZ

H = 3600


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=TZ)


def test_twelve_working_hours_from_friday_afternoon_end_on_tuesday_morning(investment):  # noqa: F811
    # given a 1.009664 dossier accepted on Friday 4 December 2026 at 16:00
    dossier = investment.accepted_at(at(2026, 12, 4, 16, 0))
    # then the engine gives the appointment 12 working hours later on the Board's calendar:
    # Fri 16:00–17:00 (1 h), the weekend, Mon 8 h (9 h), Tue 07:30 + 3 h → Tue 10:30
    assert dossier.due_at == investment.calendar.add_working_hours(at(2026, 12, 4, 16, 0), 12)
    assert dossier.due_at == at(2026, 12, 8, 10, 30)
    # and at acceptance the whole target is left
    t = tracking.track(dossier, at(2026, 12, 4, 16, 0))
    assert (t.used, t.left, t.budget) == (0, 12 * H, 12 * H)
    assert t.target_text == "12 giờ làm việc"
    assert t.left_text == "còn 12 giờ làm việc"
    # and over the weekend the clock does not move
    saturday = tracking.track(dossier, at(2026, 12, 5, 10, 0))
    assert saturday.used == 1 * H and saturday.left_text == "còn 11 giờ làm việc"


def test_hand_checked_monday_morning_acceptance(investment):  # noqa: F811
    # given a dossier accepted on Monday 7 December 2026 at 08:00
    dossier = investment.accepted_at(at(2026, 12, 7, 8, 0))
    # then, by hand: Mon 08:00–11:30 (3 h 30) + 13:00–17:00 (4 h) = 7 h 30; Tue 07:30–11:30 (4 h) = 11 h 30;
    # Tue 13:00 + 30 min → due Tuesday 8 December 2026 at 13:30
    assert dossier.due_at == at(2026, 12, 8, 13, 30)
    # and the first step (thẩm định, half of the time: 6 h) ends Monday 13:00 + 2 h 30 = 15:30
    assert dossier.step_due_at == at(2026, 12, 7, 15, 30)


def test_time_left_midway_and_for_the_step(investment):  # noqa: F811
    dossier = investment.accepted_at(at(2026, 12, 7, 8, 0))
    # when the specialist looks at 15:00 the same Monday
    t = tracking.track(dossier, at(2026, 12, 7, 15, 0))
    # then 5 h 30 are used (08:00–11:30, 13:00–15:00) and 6 h 30 are left, 45 % of the time
    assert (t.used, t.left) == (5 * H + 1800, 6 * H + 1800)
    assert t.used_text == "5 giờ 30 phút làm việc"
    assert t.left_text == "còn 6 giờ 30 phút làm việc"
    assert t.left_short == "còn 6 giờ 30 phút"
    assert t.percent == 45 and t.bar_value == 45
    # and the step has 30 minutes left of its 6 hours
    assert (t.step_used, t.step_left, t.step_budget) == (5 * H + 1800, 1800, 6 * H)
    assert t.step_left_text == "còn 30 phút làm việc"
    assert t.step_late is False
    # and with 6 h 30 left (≤ 8 working hours) it is due soon, and the apology rule applies: the due date is
    # within one working day, so the apology and new date must go out on Monday at the latest
    assert t.due_soon and t.apology_due and not t.overdue
    assert t.apology_by == at(2026, 12, 7, 0, 0).date()
    assert t.can_still_reappoint


def test_the_night_does_not_count_and_a_late_step_is_shown(investment):  # noqa: F811
    dossier = investment.accepted_at(at(2026, 12, 7, 8, 0))
    # when read on Tuesday at 08:00
    t = tracking.track(dossier, at(2026, 12, 8, 8, 0))
    # then 8 h are used (Monday) and 4 h are left (08:00–11:30, 13:00–13:30)
    assert (t.used, t.left) == (8 * H, 4 * H)
    assert t.left_text == "còn 4 giờ làm việc"
    # and the step, due Monday 15:30, is 2 working hours late (15:30–17:00, 07:30–08:00)
    assert t.step_left == -2 * H and t.step_late
    assert t.step_left_text == "quá hạn 2 giờ làm việc"
    # and the time for the apology has passed (it had to go out on Monday)
    assert t.apology_due and not t.can_still_reappoint


def test_overdue_after_the_appointment(investment):  # noqa: F811
    dossier = investment.accepted_at(at(2026, 12, 7, 8, 0))
    # when read on Tuesday at 15:00, after the 13:30 appointment
    t = tracking.track(dossier, at(2026, 12, 8, 15, 0))
    # then it is 1 h 30 late, more than all its time used
    assert t.left == -(H + 1800) and t.late and t.overdue
    assert t.left_text == "quá hạn 1 giờ 30 phút làm việc"
    assert t.left_short == "quá hạn 1 giờ 30 phút"
    assert t.left_amount_text == "1 giờ 30 phút làm việc"
    assert t.percent == 112 and t.bar_value == 100  # 13 h 30 of 12 h
    assert not t.due_soon and not t.apology_due  # overdue replaces the softer warnings


def test_the_clock_is_stopped_while_the_applicant_supplements(investment):  # noqa: F811
    # given a dossier accepted Monday 08:00 whose specialist asked for a supplement at 10:00
    dossier = investment.accepted_at(at(2026, 12, 7, 8, 0))
    dossier = services.perform(investment.specialist, dossier, "request_supplement", note="Bổ sung báo cáo tài chính.")
    assert dossier.status == Status.SUPPLEMENT_REQUESTED and dossier.paused_at is not None
    Dossier.objects.filter(pk=dossier.pk).update(paused_at=at(2026, 12, 7, 10, 0))
    dossier.refresh_from_db()
    # when read on Wednesday afternoon, after the original appointment
    t = tracking.track(dossier, at(2026, 12, 9, 16, 0))
    # then the clock reads the pause: 2 h used, 10 h left, not overdue, no warning
    assert t.state == tracking.PAUSED and t.clock_at == at(2026, 12, 7, 10, 0)
    assert (t.used, t.left) == (2 * H, 10 * H)
    assert t.left_text == "còn 10 giờ làm việc"
    assert not (t.overdue or t.due_soon or t.apology_due)


def test_a_finished_pause_is_not_counted_as_used(investment):  # noqa: F811
    # given a dossier accepted on a Monday at least two weeks ago, paused two hours later
    now = timezone.now()
    monday = (now - timedelta(days=14 + now.astimezone(TZ).weekday())).astimezone(TZ)
    accepted_at = monday.replace(hour=8, minute=0, second=0, microsecond=0)
    paused_at = accepted_at + timedelta(hours=2)
    dossier = investment.accepted_at(accepted_at)
    services.perform(investment.specialist, dossier, "request_supplement", note="Bổ sung báo cáo tài chính.")
    Dossier.objects.filter(pk=dossier.pk).update(paused_at=paused_at)
    dossier.refresh_from_db()
    cal = investment.calendar
    left_at_pause = cal.working_seconds_between(paused_at, dossier.due_at)
    # when the applicant supplements now (the engine moves the appointment by the time left at the pause)
    dossier = services.perform(investment.citizen, dossier, "supplement", note="Đã bổ sung.")
    resumed = dossier.actions.get(action="supplement").at
    # then, read at the resume, the paused working time is not counted as used
    t = tracking.track(dossier, resumed)
    assert t.state == tracking.RUNNING
    assert t.used == cal.working_seconds_between(accepted_at, paused_at)
    assert abs(t.left - left_at_pause) <= 1  # the engine's resume instant and the log row differ by microseconds
    assert abs(t.budget - 12 * H) <= 1


def test_working_day_procedures_are_shown_in_days_and_hours(world):
    # given a birth registration (3 working days, cut-off 15:00) accepted Monday 7 December 2026 at 09:30
    dossier = accepted(world)
    due = services.compute_due(dossier, at(2026, 12, 7, 9, 30))
    Dossier.objects.filter(pk=dossier.pk).update(accepted_at=at(2026, 12, 7, 9, 30), due_at=due)
    dossier.refresh_from_db()
    # then it is due Thursday 17:00 (the first day is not counted)
    assert due == at(2026, 12, 10, 17, 0)
    t = tracking.track(dossier, at(2026, 12, 7, 9, 30))
    # and the time left is the rest of Monday and three working days, in days and hours
    assert t.left == 6 * H + 3 * 8 * H
    assert t.target_text == "3 ngày làm việc"
    assert t.left_text == "còn 3 ngày 6 giờ làm việc"
    # and under a day it is hours and minutes
    assert tracking.track(dossier, at(2026, 12, 10, 14, 45)).left_text == "còn 2 giờ 15 phút làm việc"


def test_nothing_to_track_before_acceptance(investment):  # noqa: F811
    assert tracking.track(investment.submit(), timezone.now()) is None


@pytest.mark.parametrize(
    ("seconds", "unit", "vi", "en"),
    [
        (3 * H + 20 * 60, "working_hours", "3 giờ 20 phút", "3 hours 20 minutes"),
        (H, "working_hours", "1 giờ", "1 hour"),
        (60, "working_hours", "1 phút", "1 minute"),
        (30, "working_hours", "dưới 1 phút", "less than a minute"),
        (-(H + 30 * 60), "working_hours", "1 giờ 30 phút", "1 hour 30 minutes"),
        (26 * H, "working_hours", "26 giờ", "26 hours"),
        (2 * 8 * H + 3 * H + 59 * 60, "working_days", "2 ngày 3 giờ", "2 days 3 hours"),
        (8 * H, "working_days", "1 ngày", "1 day"),
    ],
)
def test_durations_in_vietnamese_and_english(seconds, unit, vi, en):
    assert tracking.duration_text(seconds, unit) == vi
    with override("en"):
        assert tracking.duration_text(seconds, unit) == en


def test_english_sentences():
    with override("en"):
        assert tracking.target_text(12, "working_hours") == "12 working hours"
        assert tracking.target_text(1, "working_days") == "1 working day"
