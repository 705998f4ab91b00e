"""WorkCalendar against a brute-force oracle that walks the calendar minute by minute (or day by day).

The oracle shares no code with calc.py: it re-states the contract in the most literal way possible, so any
cleverness in the fast implementation (bisect, cumulative seconds, lazy tables) is checked against it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from motcua.worktime.calc import TZ, WorkCalendar

MINUTE = timedelta(minutes=1)
ZONES = [TZ, UTC, timezone(timedelta(hours=9)), timezone(timedelta(hours=-5, minutes=-30))]
SPAN_START = date(2025, 12, 1)  # random days off and swapped days live in Dec 2025 - Mar 2026
SPAN_DAYS = 120
FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ----------------------------------------------------------------------------- the oracle
class Oracle:
    def __init__(self, days_off: set[date], extra: set[date], periods: tuple[tuple[int, int], ...], weekend):
        self.days_off, self.extra, self.periods, self.weekend = days_off, extra, periods, set(weekend)

    def is_working_day(self, d: date) -> bool:
        return d in self.extra or (d.weekday() not in self.weekend and d not in self.days_off)

    def is_working_minute(self, t: datetime) -> bool:
        """Is the minute [t, t+1) inside a period of a working day? (t is naive local wall time)"""
        m = t.hour * 60 + t.minute
        return self.is_working_day(t.date()) and any(s <= m < e for s, e in self.periods)

    def add_minutes(self, start: datetime, minutes: int) -> datetime:
        local = start.astimezone(TZ).replace(tzinfo=None)
        if minutes == 0:
            return start.astimezone(TZ)
        t, counted = local, 0
        while True:
            if self.is_working_minute(t):
                counted += 1
                if counted == minutes:
                    return (t + MINUTE).replace(tzinfo=TZ)
            t += MINUTE

    def minutes_between(self, a: datetime, b: datetime) -> int:
        sign = 1
        la, lb = a.astimezone(TZ).replace(tzinfo=None), b.astimezone(TZ).replace(tzinfo=None)
        if lb < la:
            la, lb, sign = lb, la, -1
        n, t = 0, la
        while t < lb:
            n += self.is_working_minute(t)
            t += MINUTE
        return sign * n

    def closing(self, d: date) -> datetime:
        end = self.periods[-1][1]
        return datetime.combine(d, time(0), TZ) + timedelta(minutes=end)

    def add_days(self, start: datetime, n: int, cutoff: time | None) -> datetime:
        local = start.astimezone(TZ)
        closing_min = self.periods[-1][1]
        limit = closing_min if cutoff is None else min(cutoff.hour * 60 + cutoff.minute, closing_min)
        d = local.date()
        if not (self.is_working_day(d) and local.hour * 60 + local.minute < limit):
            d += timedelta(days=1)
            while not self.is_working_day(d):
                d += timedelta(days=1)
        for _ in range(n):
            d += timedelta(days=1)
            while not self.is_working_day(d):
                d += timedelta(days=1)
        return self.closing(d)


# ----------------------------------------------------------------------------- strategies
@st.composite
def periods_st(draw) -> tuple[tuple[int, int], ...]:
    """1-3 increasing, non-touching periods inside the day, sometimes ending exactly at midnight."""
    k = draw(st.integers(1, 3))
    bounds = sorted(draw(st.sets(st.integers(0, 1440), min_size=2 * k, max_size=2 * k)))
    return tuple((bounds[2 * i], bounds[2 * i + 1]) for i in range(k))


@st.composite
def calendars(draw):
    span = [SPAN_START + timedelta(days=i) for i in range(SPAN_DAYS)]
    weekdays = [d for d in span if d.weekday() < 5]
    weekends = [d for d in span if d.weekday() >= 5]
    days_off = set(draw(st.lists(st.sampled_from(weekdays), max_size=12)))
    # a cluster of consecutive days off, like Tết
    if draw(st.booleans()):
        first = draw(st.sampled_from(span))
        days_off |= {first + timedelta(days=i) for i in range(draw(st.integers(1, 9)))}
    extra = set(draw(st.lists(st.sampled_from(weekends), max_size=4)))
    if draw(st.integers(0, 9)) == 0:
        extra |= set(draw(st.lists(st.sampled_from(sorted(days_off) or weekdays), max_size=2)))
    weekend = draw(st.sampled_from([(5, 6), (5, 6), (6,), (4, 5)]))
    periods = draw(periods_st())
    cal = WorkCalendar(days_off=days_off, extra_working_days=extra, periods=periods, weekend=weekend)
    return cal, Oracle(days_off, extra, periods, weekend)


@st.composite
def instants(draw, days: int = 100) -> datetime:
    """A minute-aligned aware instant in Dec 2025 - Mar 2026, expressed in a random time zone."""
    local = datetime(2025, 12, 10, tzinfo=TZ) + timedelta(minutes=draw(st.integers(0, days * 1440)))
    return local.astimezone(draw(st.sampled_from(ZONES)))


# ----------------------------------------------------------------------------- properties
@FAST
@given(calendars(), instants(), st.integers(0, 2000))
def test_add_working_minutes_matches_the_minute_walk(cal_oracle, start, minutes):
    # given a random calendar and a random aware start
    cal, oracle = cal_oracle
    # when working minutes are added
    got = cal.add_working_minutes(start, minutes)
    # then the result is the earliest instant the minute walk reaches, in +07:00
    assert got == oracle.add_minutes(start, minutes)
    assert got.tzinfo is TZ and got.isoformat().endswith("+07:00")


@FAST
@given(calendars(), instants(), st.integers(0, 40))
def test_add_working_hours_matches_the_minute_walk(cal_oracle, start, hours):
    # given a random calendar and a whole number of hours
    cal, oracle = cal_oracle
    # when hours are added (directly and through deadline())
    got = cal.add_working_hours(start, hours)
    # then both agree with the oracle walking hours * 60 working minutes
    assert got == oracle.add_minutes(start, hours * 60)
    assert cal.deadline(start, hours, "working_hours", cutoff=time(15)) == got


@FAST
@given(calendars(), instants(), st.integers(-10 * 1440, 10 * 1440))
def test_working_seconds_between_matches_the_minute_walk(cal_oracle, a, delta):
    # given two instants up to ten days apart, in either order
    cal, oracle = cal_oracle
    b = a + timedelta(minutes=delta)
    # when the working time between them is measured
    got = cal.working_seconds_between(a, b)
    # then it is the oracle's count of working minutes, signed
    assert got == 60 * oracle.minutes_between(a, b)
    assert cal.working_seconds_between(b, a) == -got


@FAST
@given(
    calendars(),
    instants(),
    st.integers(0, 25),
    st.one_of(st.none(), st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 59]))),
)
def test_add_working_days_matches_the_day_walk(cal_oracle, start, n, cutoff):
    # given a random calendar, start, number of working days and optional cut-off
    cal, oracle = cal_oracle
    # when the deadline in working days is computed
    got = cal.add_working_days(start, n, cutoff)
    # then it is the closing time of the oracle's n-th working day after day 0
    assert got == oracle.add_days(start, n, cutoff)
    assert cal.deadline(start, n, "working_days", cutoff) == got


@FAST
@given(calendars(), instants(), st.integers(0, 3000))
def test_round_trip_elapsed_equals_added(cal_oracle, start, minutes):
    # given any start (inside or outside hours) and an amount of working minutes
    cal, _ = cal_oracle
    # when the amount is added and then measured back
    due = cal.add_working_minutes(start, minutes)
    # then exactly that working time separates them, and adding more never moves the due earlier
    assert cal.working_seconds_between(start, due) == minutes * 60
    assert cal.add_working_minutes(start, minutes + 1) > due


@FAST
@given(calendars(), instants(), st.integers(0, 600), st.sampled_from(ZONES))
def test_result_does_not_depend_on_the_input_zone(cal_oracle, start, minutes, zone):
    # given the same instant expressed in two zones
    cal, _ = cal_oracle
    # when computing from each
    # then the answers are identical
    assert cal.add_working_minutes(start, minutes) == cal.add_working_minutes(start.astimezone(zone), minutes)
    assert cal.add_working_days(start, 3) == cal.add_working_days(start.astimezone(zone), 3)


@FAST
@given(calendars(), instants(), st.integers(1, 40), st.integers(0, 20 * 1440), st.integers(0, 20 * 1440))
def test_resume_after_pause_hours_keeps_the_remaining_time(cal_oracle, start, hours, pause_after, pause_len):
    # given a working-hours deadline, a pause at some point and a resume later
    cal, oracle = cal_oracle
    due = cal.add_working_hours(start, hours)
    paused = start + timedelta(minutes=pause_after)
    resumed = paused + timedelta(minutes=pause_len)
    # when the clock restarts
    new_due = cal.resume_after_pause(due, paused, resumed, "working_hours")
    # then it is never earlier, and the working time left at the pause is available again after the resume
    remaining_minutes = max(0, oracle.minutes_between(paused, due))
    assert new_due >= due
    if paused >= due:
        # a pause after the deadline moves nothing: the lateness stays
        assert new_due == due
    else:
        assert new_due == max(due, oracle.add_minutes(resumed, remaining_minutes))


@FAST
@given(
    calendars(),
    st.dates(date(2025, 11, 1), date(2026, 4, 30)),
    st.dates(date(2025, 11, 1), date(2026, 4, 30)),
)
def test_working_days_between_counts_days_after_a_up_to_b(cal_oracle, a, b):
    # given two dates in either order
    cal, oracle = cal_oracle
    # when counting working days
    got = cal.working_days_between(a, b)
    # then it counts d with a < d <= b (negated when b < a), like a literal day walk
    lo, hi = min(a, b), max(a, b)
    expected = sum(oracle.is_working_day(lo + timedelta(days=i)) for i in range(1, (hi - lo).days + 1))
    assert got == (expected if b >= a else -expected)
