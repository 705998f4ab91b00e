"""Hand-checked deadlines on the real 2025-2026 calendar (holidays package + shipped official schedules)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest

from motcua.worktime.calc import TZ, WorkCalendar
from motcua.worktime.defaults import build_calendar, official_calendar


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return official_calendar()


@pytest.fixture(scope="module")
def package_only() -> WorkCalendar:
    return build_calendar(())


# ----------------------------------------------------------------------------- Tết 2026
def test_tet_2026_one_working_day(cal):
    # given a dossier accepted Fri 13 Feb 2026 10:00; Tết closes Sat 14 - Sun 22 Feb
    # when the limit is 1 working day
    due = cal.deadline(at(2026, 2, 13, 10), 1, "working_days")
    # then day 0 is Fri 13, and the 1st working day after it is Mon 23 Feb: due at its closing
    assert due == at(2026, 2, 23, 17)
    assert due.isoformat() == "2026-02-23T17:00:00+07:00"


def test_tet_2026_three_working_days(cal):
    # given the same acceptance, 3 working days: Mon 23, Tue 24, Wed 25
    # then the due is Wed 25 Feb 17:00
    assert cal.deadline(at(2026, 2, 13, 10), 3, "working_days") == at(2026, 2, 25, 17)


def test_tet_2026_accepted_during_the_holiday(cal):
    # given a dossier submitted online on Tue 17 Feb (Mùng 1 Tết)
    # when counted in working days: day 0 is the next working day, Mon 23 Feb
    # then N = 0 closes Mon 23 Feb and N = 2 closes Wed 25 Feb
    assert cal.deadline(at(2026, 2, 17, 9), 0, "working_days") == at(2026, 2, 23, 17)
    assert cal.deadline(at(2026, 2, 17, 9), 2, "working_days") == at(2026, 2, 25, 17)


# ----------------------------------------------------------------------------- New Year 2026
def test_new_year_2026_uses_the_official_swap(cal, package_only):
    # given a dossier accepted Wed 31 Dec 2025 14:00
    start = at(2025, 12, 31, 14)
    # when the limit is 1 working day
    # then Thu 1 Jan (holiday) and Fri 2 Jan (swapped day off) are skipped: Mon 5 Jan 17:00
    assert cal.deadline(start, 1, "working_days") == at(2026, 1, 5, 17)
    # and the package alone (which does not know the swap) would have said Fri 2 Jan
    assert package_only.deadline(start, 1, "working_days") == at(2026, 1, 2, 17)


def test_saturday_10_jan_2026_is_a_working_day(cal):
    # given the official swap: Sat 10 Jan 2026 works instead of Fri 2 Jan
    assert cal.is_working_day(date(2026, 1, 10))
    assert not cal.is_working_day(date(2026, 1, 2))
    assert not cal.is_working_day(date(2026, 1, 11))
    # when a dossier is accepted Fri 9 Jan 10:00 with 1 working day
    # then it is due Sat 10 Jan 17:00
    assert cal.deadline(at(2026, 1, 9, 10), 1, "working_days") == at(2026, 1, 10, 17)
    # and working hours run on that Saturday too: Fri 9 Jan 16:00 + 2 h = Sat 10 Jan 08:30
    assert cal.deadline(at(2026, 1, 9, 16), 2, "working_hours") == at(2026, 1, 10, 8, 30)


def test_2025_official_swaps(cal):
    # given the 2025 schedule: Tết 27-31 Jan off, Sat 8 Feb works; Fri 2 May off, Sat 26 Apr works
    assert all(not cal.is_working_day(date(2025, 1, d)) for d in range(27, 32))
    assert cal.is_working_day(date(2025, 2, 8))
    assert cal.is_working_day(date(2025, 4, 26))
    assert not cal.is_working_day(date(2025, 5, 2))
    # when accepted Fri 24 Jan 2025 16:00 with 1 working day
    # then the next working day is Mon 3 Feb
    assert cal.deadline(at(2025, 1, 24, 16), 1, "working_days") == at(2025, 2, 3, 17)
    # and National Day 2025: Mon 1 and Tue 2 Sep off, accepted Fri 29 Aug + 1 → Wed 3 Sep
    assert cal.deadline(at(2025, 8, 29, 9), 1, "working_days") == at(2025, 9, 3, 17)


def test_2026_national_day_and_hung_kings(cal):
    # given Hùng Kings day on Sun 26 Apr 2026 → compensatory Mon 27 Apr; 30 Apr and 1 May off
    assert not cal.is_working_day(date(2026, 4, 27))
    # when accepted Fri 24 Apr 2026 10:00 with 3 working days: Tue 28, Wed 29, Mon 4 May
    assert cal.deadline(at(2026, 4, 24, 10), 3, "working_days") == at(2026, 5, 4, 17)
    # and National Day: Sat 22 Aug works, Mon 31 Aug, Tue 1 and Wed 2 Sep off
    assert cal.is_working_day(date(2026, 8, 22))
    assert cal.deadline(at(2026, 8, 28, 10), 1, "working_days") == at(2026, 9, 3, 17)


# ----------------------------------------------------------------------------- cut-off
def test_cutoff_15h(cal):
    # given a procedure whose dossiers received after 15:00 count from the next working day
    cutoff = time(15, 0)
    # when accepted Tue 10 Mar 2026 at 15:05, day 0 is Wed 11 Mar
    assert cal.deadline(at(2026, 3, 10, 15, 5), 0, "working_days", cutoff) == at(2026, 3, 11, 17)
    assert cal.deadline(at(2026, 3, 10, 15, 5), 3, "working_days", cutoff) == at(2026, 3, 16, 17)
    # when accepted at 14:55 the same day, N = 0 means "within the same working day"
    assert cal.deadline(at(2026, 3, 10, 14, 55), 0, "working_days", cutoff) == at(2026, 3, 10, 17)
    # and exactly 15:00 is no longer before the cut-off
    assert cal.deadline(at(2026, 3, 10, 15, 0), 0, "working_days", cutoff) == at(2026, 3, 11, 17)
    # and on a Friday after the cut-off day 0 is Monday
    assert cal.deadline(at(2026, 3, 13, 16), 0, "working_days", cutoff) == at(2026, 3, 16, 17)


def test_without_cutoff_closing_time_decides(cal):
    # given no cut-off: accepted 16:59 counts the same day, 17:00 the next day
    assert cal.deadline(at(2026, 3, 10, 16, 59), 0, "working_days") == at(2026, 3, 10, 17)
    assert cal.deadline(at(2026, 3, 10, 17, 0), 0, "working_days") == at(2026, 3, 11, 17)
    # and a cut-off later than closing cannot extend the day: min(18:00, 17:00) = 17:00
    assert cal.deadline(at(2026, 3, 10, 17, 30), 0, "working_days", time(18)) == at(2026, 3, 11, 17)
    # and early morning before opening is still that day
    assert cal.deadline(at(2026, 3, 10, 6, 0), 0, "working_days", time(15)) == at(2026, 3, 10, 17)


def test_cutoff_does_not_apply_to_hours(cal):
    # given a working-hours limit and a cut-off
    # when accepted Tue 10 Mar 2026 at 16:00 with 1 hour
    # then the hour is 16:00-17:00 the same day, the cut-off is ignored
    assert cal.deadline(at(2026, 3, 10, 16), 1, "working_hours", time(15)) == at(2026, 3, 10, 17)


# ----------------------------------------------------------------------------- working hours
def test_full_day_ends_at_closing_not_next_opening(cal):
    # given Mon 9 Mar 2026 07:30 + 8 working hours: 4 h morning + 4 h afternoon
    # then due Mon 17:00 (the earliest instant), not Tue 07:30
    assert cal.add_working_hours(at(2026, 3, 9, 7, 30), 8) == at(2026, 3, 9, 17)


def test_hours_across_lunch(cal):
    # given Mon 11:00 + 1 h: 30 min until 11:30, lunch, 30 min from 13:00
    assert cal.add_working_hours(at(2026, 3, 9, 11), 1) == at(2026, 3, 9, 13, 30)
    # and exactly the rest of the morning ends at 11:30, not 13:00
    assert cal.add_working_minutes(at(2026, 3, 9, 11), 30) == at(2026, 3, 9, 11, 30)


def test_twelve_hours_from_friday_afternoon(cal):
    # given the Quảng Ninh investment certificate: 12 working hours, accepted Fri 6 Mar 2026 14:00
    # Fri 14:00-17:00 = 3 h (9 left); weekend skipped; Mon 9 Mar 07:30-11:30 = 4 h (5 left),
    # 13:00-17:00 = 4 h (1 left); Tue 10 Mar 07:30 + 1 h = 08:30
    due = cal.deadline(at(2026, 3, 6, 14), Decimal("12.00"), "working_hours")
    assert due == at(2026, 3, 10, 8, 30)
    assert cal.working_seconds_between(at(2026, 3, 6, 14), due) == 12 * 3600


def test_hours_outside_desk_hours_start_at_next_opening(cal):
    # given a dossier submitted online on Sat 7 Mar 2026 at 22:00
    # when 2 working hours are added, counting starts Mon 07:30
    assert cal.add_working_hours(at(2026, 3, 7, 22), 2) == at(2026, 3, 9, 9, 30)
    # and 0 hours returns the start itself (in +07:00)
    start_utc = datetime(2026, 3, 7, 15, 0, tzinfo=UTC)
    assert cal.add_working_hours(start_utc, 0) == start_utc
    assert cal.add_working_hours(start_utc, 0).isoformat() == "2026-03-07T22:00:00+07:00"


def test_eight_hour_online_acknowledgement_over_tet(cal):
    # given an online dossier at Fri 13 Feb 2026 15:00 (Decree 45/2020: acknowledge within 8 working hours)
    # Fri 15:00-17:00 = 2 h; Tết until Sun 22 Feb; Mon 23 Feb 07:30-11:30 = 4 h; 13:00 + 2 h = 15:00
    assert cal.add_working_hours(at(2026, 2, 13, 15), 8) == at(2026, 2, 23, 15)


def test_seconds_precision(cal):
    # given a start with seconds, 1.5 working minutes later is 90 s later
    assert cal.add_working_minutes(at(2026, 3, 9, 8, 0, 15), 1.5) == at(2026, 3, 9, 8, 1, 45)
    assert cal.working_seconds_between(at(2026, 3, 9, 11, 29, 30), at(2026, 3, 9, 13, 0, 30)) == 60


# ----------------------------------------------------------------------------- pause / resume
def test_pause_resume_hours(cal):
    # given 12 working hours due Tue 10 Mar 2026 08:30 (from Fri 6 Mar 14:00)
    due = at(2026, 3, 10, 8, 30)
    # when paused Mon 9 Mar 10:00 (left: 10:00-11:30 1.5 h + 4 h afternoon + Tue 1 h = 6.5 h)
    # and resumed Thu 12 Mar 14:00 (14:00-17:00 3 h, 3.5 h left; Fri 13 Mar 07:30 + 3.5 h = 11:00)
    new_due = cal.resume_after_pause(due, at(2026, 3, 9, 10), at(2026, 3, 12, 14), "working_hours")
    # then the new due is Fri 13 Mar 11:00
    assert new_due == at(2026, 3, 13, 11)


def test_pause_resume_days(cal):
    # given 5 working days from Fri 6 Mar 2026 10:00: due Fri 13 Mar 17:00
    due = cal.deadline(at(2026, 3, 6, 10), 5, "working_days")
    assert due == at(2026, 3, 13, 17)
    # when paused Tue 10 Mar: days left after the pause date are Wed 11, Thu 12, Fri 13 = 3
    # and resumed Mon 16 Mar 10:00: day 0 is Mon 16, + 3 working days = Thu 19 Mar
    assert cal.resume_after_pause(due, at(2026, 3, 10, 9), at(2026, 3, 16, 10), "working_days") == at(2026, 3, 19, 17)
    # and resumed Mon 16 Mar at 17:30 (after closing): day 0 is Tue 17, due Fri 20 Mar
    assert cal.resume_after_pause(due, at(2026, 3, 10, 9), at(2026, 3, 16, 17, 30), "working_days") == at(
        2026, 3, 20, 17
    )


def test_pause_never_moves_the_due_earlier(cal):
    # given a due date and a pause that started and ended within the same morning
    due = at(2026, 3, 13, 17)
    # then the new due is unchanged, for days and for hours
    assert cal.resume_after_pause(due, at(2026, 3, 10, 9), at(2026, 3, 10, 10), "working_days") == due
    assert cal.resume_after_pause(due, at(2026, 3, 7, 9), at(2026, 3, 8, 10), "working_hours") == due


def test_pause_after_the_deadline_keeps_the_dossier_late(cal):
    # given a dossier already past its due instant when the clock stopped
    due = at(2026, 3, 13, 17)
    # then resuming days later does not move the due date (lateness is not erased)
    assert cal.resume_after_pause(due, at(2026, 3, 16, 9), at(2026, 3, 20, 10), "working_days") == due
    assert cal.resume_after_pause(due, at(2026, 3, 16, 9), at(2026, 3, 20, 10), "working_hours") == due


# ----------------------------------------------------------------------------- refusals and edges
def test_naive_and_bad_inputs_are_refused(cal):
    with pytest.raises(ValueError):
        cal.deadline(datetime(2026, 3, 9, 8), 1, "working_days")
    with pytest.raises(ValueError):
        cal.deadline(at(2026, 3, 9, 8), 1, "days")
    with pytest.raises(ValueError):
        cal.deadline(at(2026, 3, 9, 8), -1, "working_days")
    with pytest.raises(ValueError):
        cal.deadline(at(2026, 3, 9, 8), Decimal("1.5"), "working_days")
    with pytest.raises(ValueError):
        WorkCalendar(periods=((690, 780), (450, 690)))
    with pytest.raises(AttributeError):
        cal._w = 1  # immutable


def test_dates_outside_the_precomputed_range_still_work():
    # given a calendar precomputed only for 2026
    cal = WorkCalendar(first_year=2026, last_year=2026, days_off=[date(2030, 1, 1)])
    # when asked about 2030 and 1999, and for a limit that runs past the table
    # then it extends lazily and gives the same answers as a calendar with a wide table
    wide = WorkCalendar(days_off=[date(2030, 1, 1)])
    for start in (at(2029, 12, 31, 9), at(1999, 12, 31, 16), at(2026, 12, 30, 10)):
        for n in (0, 1, 5, 400):
            assert cal.add_working_days(start, n) == wide.add_working_days(start, n)
        assert cal.add_working_hours(start, 100) == wide.add_working_hours(start, 100)
    assert cal.working_days_between(date(1990, 1, 1), date(2040, 1, 1)) == wide.working_days_between(
        date(1990, 1, 1), date(2040, 1, 1)
    )
    assert cal.next_working_day(date(2029, 12, 31)) == date(2030, 1, 2)


def test_day_closing_and_next_working_day(cal):
    assert cal.day_closing(date(2026, 2, 17)) == at(2026, 2, 17, 17)
    assert cal.next_working_day(date(2026, 2, 13)) == date(2026, 2, 23)
    assert cal.next_working_day(date(2026, 2, 13), include_self=True) == date(2026, 2, 13)
    assert cal.working_days_between(date(2026, 2, 13), date(2026, 2, 23)) == 1
    assert cal.working_days_between(date(2026, 2, 23), date(2026, 2, 13)) == -1


def test_one_period_day_and_midnight_closing():
    # given a 24-hour service (one period 00:00-24:00, every day working)
    cal = WorkCalendar(periods=((0, 1440),), weekend=())
    # then 1 working day from Sat 14 Mar 2026 10:00 closes at Mon 16 Mar 00:00 (end of Sun 15)
    assert cal.add_working_days(at(2026, 3, 14, 10), 1) == at(2026, 3, 16, 0)
    assert cal.add_working_hours(at(2026, 3, 14, 10), 24) == at(2026, 3, 15, 10)
    assert cal.day_closing(date(2026, 3, 14)) == at(2026, 3, 14) + timedelta(days=1)
