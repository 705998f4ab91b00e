"""The working calendar over integer epoch seconds, for the synthetic year's millions of deadlines.

`FastCalendar` is a table-driven copy of `motcua.worktime.calc.WorkCalendar` restricted to a window of dates: the
same rules (day 0 and the cut-off, working seconds inside the periods, the first day not counted, the closing time
of the last period), the same answers, but taking and returning whole seconds since the epoch instead of aware
datetimes, so the generator never builds a datetime on its hot path. The table is built by asking the real
calendar, day by day, whether each date is a working day; the tests compare every operation with WorkCalendar.

`compute_due` and `step_due` restate `motcua.dossiers.services.compute_due` and `_step_due` over it.
Vietnam has had no daylight-saving time since 1975: local time is UTC + 7 h, a fixed offset.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date, time
from decimal import Decimal

from motcua.worktime.calc import WORKING_HOURS, WorkCalendar, seconds_within, time_of_day_at

OFFSET = 7 * 3600  # Asia/Ho_Chi_Minh
DAY = 86400
EPOCH_ORD = date(1970, 1, 1).toordinal()


def local_ord(s: int) -> int:
    """The local (Vietnam) date of an instant, as a proleptic ordinal."""
    return (s + OFFSET) // DAY + EPOCH_ORD


def local_tod(s: int) -> int:
    """Seconds after local midnight."""
    return (s + OFFSET) % DAY


def at_local(o: int, tod: int) -> int:
    """The instant of local time-of-day `tod` (seconds) on the local date with ordinal `o`."""
    return (o - EPOCH_ORD) * DAY + tod - OFFSET


class FastCalendar:
    """WorkCalendar's arithmetic on epoch seconds, for dates in [first, last] (ordinals)."""

    __slots__ = ("_close", "_n", "_open", "_psec", "_w", "_wd", "first", "last", "periods")

    def __init__(self, calendar: WorkCalendar, first: date, last: date) -> None:
        self.first, self.last = first.toordinal(), last.toordinal()
        self._wd = [o for o in range(self.first, self.last + 1) if calendar.is_working_day(date.fromordinal(o))]
        self._n = len(self._wd)
        self.periods = calendar.periods
        self._psec = tuple((a * 60, b * 60) for a, b in calendar.periods)
        self._w = calendar.seconds_per_day
        self._open = self._psec[0][0]
        self._close = self._psec[-1][1]

    # --- the table ----------------------------------------------------------------------------------------------
    @property
    def working_days(self) -> list[int]:
        """Sorted ordinals of the working days in the window (read-only)."""
        return self._wd

    @property
    def seconds_per_day(self) -> int:
        return self._w

    def is_working_ord(self, o: int) -> bool:
        i = bisect_left(self._wd, o)
        return i < self._n and self._wd[i] == o

    def _day(self, k: int) -> int:
        if k >= self._n:
            raise ValueError("Ngày nằm ngoài cửa sổ lịch đã tính sẵn (FastCalendar)")
        return self._wd[k]

    def _within(self, tod: int) -> int:
        return seconds_within(self._psec, tod)

    def _at(self, rem: int) -> int:
        return time_of_day_at(self._psec, rem)

    def position(self, s: int) -> int:
        """Working seconds from the start of the window to instant `s` (only differences mean something)."""
        loc = s + OFFSET
        o = loc // DAY + EPOCH_ORD
        wd = self._wd
        i = bisect_left(wd, o)
        if i < self._n and wd[i] == o:
            return i * self._w + self._within(loc % DAY)
        return i * self._w

    def instant(self, position: int) -> int:
        """The earliest instant at which `position` working seconds of the window have elapsed (position > 0)."""
        w = self._w
        k = (position - 1) // w
        return at_local(self._day(k), self._at(position - k * w))

    # --- WorkCalendar's public operations -----------------------------------------------------------------------
    def closing(self, o: int) -> int:
        """day_closing(date): the end of the last period of that date."""
        return at_local(o, self._close)

    def opening(self, o: int) -> int:
        return at_local(o, self._open)

    def add_working_seconds(self, s: int, seconds: int) -> int:
        if seconds == 0:
            return s
        return self.instant(self.position(s) + seconds)

    def add_working_days(self, s: int, n: int, cutoff: int | None = None) -> int:
        """Closing time of the n-th working day after day 0 (`cutoff`: seconds after midnight, or None)."""
        loc = s + OFFSET
        o = loc // DAY + EPOCH_ORD
        limit = self._close
        if cutoff is not None and cutoff < limit:
            limit = cutoff
        wd = self._wd
        i = bisect_left(wd, o)
        if i < self._n and wd[i] == o and loc % DAY >= limit:
            i += 1
        return self.closing(self._day(i + n))

    def working_seconds_between(self, a: int, b: int) -> int:
        return self.position(b) - self.position(a)

    def working_days_between(self, oa: int, ob: int) -> int:
        """Working days d with oa < d <= ob (ordinals)."""
        return bisect_right(self._wd, ob) - bisect_right(self._wd, oa)

    def next_working_ord(self, o: int, include_self: bool = False) -> int:
        i = (bisect_left if include_self else bisect_right)(self._wd, o)
        return self._day(i)

    def resume_after_pause(self, due: int, paused: int, resumed: int, unit: str) -> int:
        if paused >= due:
            return due
        if unit == WORKING_HOURS:
            new_due = self.add_working_seconds(resumed, max(0, self.working_seconds_between(paused, due)))
        else:
            remaining = max(0, self.working_days_between(local_ord(paused), local_ord(due)))
            new_due = self.add_working_days(resumed, remaining)
        return new_due if new_due > due else due


def cutoff_seconds(cutoff: time | None) -> int | None:
    return None if cutoff is None else cutoff.hour * 3600 + cutoff.minute * 60 + cutoff.second


def compute_due(
    cal: FastCalendar, value: Decimal | None, unit: str | None, cutoff: int | None, start: int
) -> int | None:
    """motcua.dossiers.services.compute_due on epoch seconds (same branches, same rounding)."""
    if value is None or unit in (None, "", "none"):
        return None
    value = Decimal(str(value))
    if unit == "working_days":
        if value != value.to_integral_value():  # half a day → 4 working hours
            return cal.add_working_seconds(start, int(value * 8 * 60) * 60)
        return cal.add_working_days(start, int(value), cutoff)
    if unit == "working_hours":
        return cal.add_working_seconds(start, round(value * 3600))
    if unit == "days":
        return cal.closing(local_ord(start + int(value) * DAY))
    if unit == "months":
        local = date.fromordinal(local_ord(start))
        month = local.month - 1 + int(value)
        year, month = local.year + month // 12, month % 12 + 1
        return cal.closing(date(year, month, min(local.day, 28)).toordinal())
    return None


def step_due(cal: FastCalendar, accepted: int | None, due: int | None, share: float, start: int) -> int | None:
    """motcua.dossiers.services._step_due: the step's share of the statutory time, never after the due date."""
    if due is None or accepted is None:
        return None
    total = max(cal.working_seconds_between(accepted, due), 0)
    minutes = int(total * float(share or 0) // 60)
    return min(cal.add_working_seconds(start, minutes * 60), due)
