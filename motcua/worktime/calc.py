"""Working-time arithmetic for legal deadlines: pure Python, no Django, no database.

The counting contract (see docs/worktime.md, it is the legal rule this module implements):

* Every datetime argument must be aware (any zone); it is converted to Asia/Ho_Chi_Minh. Every datetime
  returned is aware with ``tzinfo=TZ`` (its ISO form ends in ``+07:00``). A naive datetime raises ValueError.
* A working day is a date whose weekday is not in ``weekend`` and which is not in ``days_off``, or a date in
  ``extra_working_days`` (a swapped working Saturday). ``extra_working_days`` wins over both other rules.
* Working days (Civil Code: the first day is not counted). "Day 0" is the acceptance date when it is a working
  day and the local time of acceptance is before the effective cut-off, otherwise the next working day. The
  effective cut-off is ``min(cutoff, closing time)`` when a cut-off is given, else the closing time (the end
  of the last period). The deadline is the closing time of the N-th working day after day 0; N = 0 gives the
  closing time of day 0 ("within the same working day").
* Working hours: the exact working time inside the periods, counted from ``start`` (or from the next opening
  when ``start`` is outside hours or on a non-working day). The result is the earliest instant at which the
  elapsed working time equals the amount: Mon 07:30 + 8 h = Mon 17:00 (not Tue 07:30), Mon 11:00 + 1 h =
  Mon 13:30. The cut-off does not apply to hours. An amount of 0 returns ``start`` itself.
* Time is counted in whole seconds: microseconds of the inputs are ignored by the arithmetic.

Speed is a requirement (a statistics run recomputes hundreds of thousands of deadlines), so the constructor
precomputes the sorted ordinals of every working day from ``first_year`` to ``last_year``. Because the periods
are the same on every working day, the working time before any instant is ``index_of_day * seconds_per_day +
seconds_inside_the_day`` and each operation is one or two ``bisect`` calls, with no loop over days. Dates
outside the precomputed range extend the table lazily (the results do not change, only the cache grows).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

__all__ = [
    "DEFAULT_PERIODS",
    "TZ",
    "UNITS",
    "WORKING_DAYS",
    "WORKING_HOURS",
    "WorkCalendar",
]

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# Minutes after midnight: 07:30-11:30 and 13:00-17:00, the usual desk hours (Monday-Friday, 40 hours a week).
DEFAULT_PERIODS: tuple[tuple[int, int], ...] = ((450, 690), (780, 1020))
WORKING_DAYS = "working_days"
WORKING_HOURS = "working_hours"
UNITS = (WORKING_DAYS, WORKING_HOURS)

_DAY = 86400
_MIN_ORD = date.min.toordinal()
_MAX_ORD = date.max.toordinal()
_EXTEND_YEARS = 10  # how far a lazy extension reaches beyond the date that needed it


def _local(dt: datetime) -> datetime:
    """The same instant in Asia/Ho_Chi_Minh; refuses naive datetimes (their meaning is a guess)."""
    try:
        tz = dt.tzinfo
    except AttributeError:
        raise TypeError(f"Cần một datetime có múi giờ, nhận {type(dt).__name__}") from None
    if tz is TZ:
        return dt
    if tz is None or dt.utcoffset() is None:
        raise ValueError(f"Thời điểm {dt.isoformat()} không có múi giờ (naive datetime)")
    return dt.astimezone(TZ)


def _local_date(d: date) -> date:
    """A date stays a date; an aware datetime becomes its local (Asia/Ho_Chi_Minh) date."""
    if isinstance(d, datetime):
        return _local(d).date()
    if not isinstance(d, date):
        raise TypeError(f"Cần một date, nhận {type(d).__name__}")
    return d


def _count(n: int | float | Decimal) -> int:
    """A whole, non-negative number of working days (Decimal('5.00') from the catalogue is fine)."""
    if isinstance(n, int) and not isinstance(n, bool):
        if n < 0:
            raise ValueError("Số ngày làm việc không được âm")
        return n
    if isinstance(n, bool) or not isinstance(n, (float, Decimal)):
        raise TypeError(f"Số ngày làm việc phải là số, nhận {type(n).__name__}")
    if not math.isfinite(n) or n != int(n):
        raise ValueError(f"Số ngày làm việc phải là số nguyên, nhận {n}")
    return _count(int(n))


def _seconds(amount: int | float | Decimal, unit_seconds: int) -> int:
    """A non-negative amount of minutes/hours as whole seconds (rounded to the nearest second)."""
    if isinstance(amount, int) and not isinstance(amount, bool):
        s = amount * unit_seconds
    elif isinstance(amount, (float, Decimal)) and not isinstance(amount, bool):
        if not math.isfinite(amount):
            raise ValueError(f"Thời lượng không hợp lệ: {amount}")
        s = round(amount * unit_seconds)
    else:
        raise TypeError(f"Thời lượng phải là số, nhận {type(amount).__name__}")
    if s < 0:
        raise ValueError("Thời lượng không được âm")
    return s


def _tod(local: datetime) -> int:
    return local.hour * 3600 + local.minute * 60 + local.second


def seconds_within(periods: tuple[tuple[int, int], ...], tod: int) -> int:
    """Working seconds of a working day elapsed at time-of-day ``tod`` (seconds after midnight), for desk hours
    given as (start, end) seconds after midnight. Shared with the bulk simulator's table-driven calendar."""
    acc = 0
    for s, e in periods:
        if tod <= s:
            return acc
        if tod < e:
            return acc + tod - s
        acc += e - s
    return acc


def time_of_day_at(periods: tuple[tuple[int, int], ...], rem: int) -> int:
    """The earliest time-of-day at which ``rem`` working seconds (0 < rem <= per day) have elapsed."""
    for s, e in periods:
        length = e - s
        if rem <= length:
            return s + rem
        rem -= length
    return periods[-1][1]  # pragma: no cover - rem never exceeds the day's working seconds


class WorkCalendar:
    """Working days and desk hours of one agency; immutable, safe to share between threads and requests."""

    __slots__ = (
        "_close",
        "_close_time",
        "_days_off",
        "_extra",
        "_extra_ords",
        "_first_year",
        "_last_year",
        "_off_ords",
        "_open",
        "_periods",
        "_psec",
        "_t",
        "_w",
        "_weekend",
        "_weekend_flags",
    )

    def __init__(
        self,
        *,
        days_off: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
        periods: Sequence[tuple[int, int]] = DEFAULT_PERIODS,
        weekend: Iterable[int] = (5, 6),
        first_year: int = 2000,
        last_year: int = 2060,
    ) -> None:
        periods_t = tuple((int(s), int(e)) for s, e in periods)
        if not periods_t:
            raise ValueError("Cần ít nhất một khoảng giờ làm việc")
        prev_end = 0
        for s, e in periods_t:
            if not (0 <= s < e <= 1440) or s < prev_end:
                raise ValueError(f"Khoảng giờ làm việc không hợp lệ (phải tăng dần, không chồng lấn): {periods_t}")
            prev_end = e
        weekend_t = frozenset(int(w) for w in weekend)
        if not weekend_t <= set(range(7)):
            raise ValueError(f"Ngày nghỉ hằng tuần phải trong 0..6 (thứ Hai = 0): {sorted(weekend_t)}")
        if not (1 <= first_year <= last_year <= 9999):
            raise ValueError(f"Khoảng năm không hợp lệ: {first_year}..{last_year}")
        days_off_t = frozenset(_local_date(d) for d in days_off)
        extra_t = frozenset(_local_date(d) for d in extra_working_days)
        if len(weekend_t) == 7 and not extra_t:
            raise ValueError("Lịch không có ngày làm việc nào")

        s = object.__setattr__
        s(self, "_periods", periods_t)
        s(self, "_psec", tuple((a * 60, b * 60) for a, b in periods_t))
        s(self, "_w", sum(b - a for a, b in periods_t) * 60)
        s(self, "_open", periods_t[0][0] * 60)
        s(self, "_close", periods_t[-1][1] * 60)
        s(self, "_close_time", None if periods_t[-1][1] == 1440 else time(*divmod(periods_t[-1][1], 60)))
        s(self, "_weekend", weekend_t)
        s(self, "_weekend_flags", tuple(w in weekend_t for w in range(7)))
        s(self, "_days_off", days_off_t)
        s(self, "_extra", extra_t)
        s(self, "_off_ords", frozenset(d.toordinal() for d in days_off_t))
        s(self, "_extra_ords", frozenset(d.toordinal() for d in extra_t))
        s(self, "_first_year", first_year)
        s(self, "_last_year", last_year)
        lo, hi = date(first_year, 1, 1).toordinal(), date(last_year, 12, 31).toordinal()
        # (first ordinal covered, last ordinal covered, sorted working-day ordinals in that range)
        s(self, "_t", (lo, hi, self._scan(lo, hi)))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("WorkCalendar là bất biến (immutable)")

    def __repr__(self) -> str:
        return (
            f"WorkCalendar(periods={self._periods}, weekend={sorted(self._weekend)}, "
            f"days_off={len(self._days_off)}, extra_working_days={len(self._extra)}, "
            f"years={self._first_year}..{self._last_year})"
        )

    # ----------------------------------------------------------------- read-only configuration
    @property
    def periods(self) -> tuple[tuple[int, int], ...]:
        return self._periods

    @property
    def weekend(self) -> frozenset[int]:
        return self._weekend

    @property
    def days_off(self) -> frozenset[date]:
        return self._days_off

    @property
    def extra_working_days(self) -> frozenset[date]:
        return self._extra

    @property
    def seconds_per_day(self) -> int:
        """Working seconds in one working day (28,800 for the default 8-hour day)."""
        return self._w

    # ----------------------------------------------------------------- the working-day table
    def _is_wd_ord(self, o: int) -> bool:
        return o in self._extra_ords or (not self._weekend_flags[(o - 1) % 7] and o not in self._off_ords)

    def _scan(self, lo: int, hi: int) -> list[int]:
        extra, off, wk = self._extra_ords, self._off_ords, self._weekend_flags
        return [o for o in range(lo, hi + 1) if o in extra or (not wk[(o - 1) % 7] and o not in off)]

    def _cover(self, *ords: int) -> tuple[int, int, list[int]]:
        """The table, extended (lazily, rarely) so that it covers every given ordinal."""
        t = self._t
        while True:
            lo, hi, wd = t
            want_lo, want_hi = min(lo, *ords), max(hi, *ords)
            if want_lo == lo and want_hi == hi:
                return t
            if want_lo < _MIN_ORD or want_hi > _MAX_ORD:
                raise ValueError("Ngày nằm ngoài phạm vi lịch")
            new_lo = lo if want_lo == lo else max(_MIN_ORD, want_lo - 366 * _EXTEND_YEARS)
            new_hi = hi if want_hi == hi else min(_MAX_ORD, want_hi + 366 * _EXTEND_YEARS)
            t = (new_lo, new_hi, self._scan(new_lo, lo - 1) + wd + self._scan(hi + 1, new_hi))
            object.__setattr__(self, "_t", t)

    def _reach(self, t: tuple[int, int, list[int]], k: int) -> tuple[int, int, list[int]]:
        """The table extended forward until it holds at least k + 1 working days (indices are unchanged)."""
        lo, hi, wd = t
        while k >= len(wd):
            if hi >= _MAX_ORD:
                raise ValueError("Kết quả vượt quá phạm vi lịch")
            new_hi = min(_MAX_ORD, hi + 366 * _EXTEND_YEARS)
            wd = wd + self._scan(hi + 1, new_hi)
            hi = new_hi
        t = (lo, hi, wd)
        object.__setattr__(self, "_t", t)
        return t

    # ----------------------------------------------------------------- inside one day
    def _within(self, tod: int) -> int:
        return seconds_within(self._psec, tod)

    def _at(self, rem: int) -> int:
        return time_of_day_at(self._psec, rem)

    @staticmethod
    def _make(o: int, sec: int) -> datetime:
        if sec >= _DAY:
            o, sec = o + sec // _DAY, sec % _DAY
        h, r = divmod(sec, 3600)
        m, s = divmod(r, 60)
        return datetime.combine(date.fromordinal(o), time(h, m, s), TZ)

    def _closing(self, o: int) -> datetime:
        ct = self._close_time
        if ct is None:
            return datetime.combine(date.fromordinal(o + 1), time(0), TZ)
        return datetime.combine(date.fromordinal(o), ct, TZ)

    def _position(self, local: datetime, t: tuple[int, int, list[int]]) -> int:
        """Working seconds from the start of the table to ``local`` (only differences are meaningful)."""
        wd = t[2]
        o = local.toordinal()
        i = bisect_left(wd, o)
        if i < len(wd) and wd[i] == o:
            return i * self._w + self._within(_tod(local))
        return i * self._w

    # ----------------------------------------------------------------- public API
    def is_working_day(self, d: date) -> bool:
        """True for a date on which the desk works (weekday, not a day off; or a swapped working day)."""
        return self._is_wd_ord(_local_date(d).toordinal())

    def next_working_day(self, d: date, *, include_self: bool = False) -> date:
        """The first working day after ``d`` (or ``d`` itself when it works and ``include_self`` is set)."""
        o = _local_date(d).toordinal()
        t = self._cover(o)
        i = (bisect_left if include_self else bisect_right)(t[2], o)
        if i >= len(t[2]):
            t = self._reach(t, i)
        return date.fromordinal(t[2][i])

    def day_closing(self, d: date) -> datetime:
        """The end of the last period of that date (17:00 by default), aware, whether or not it is working."""
        return self._closing(_local_date(d).toordinal())

    def add_working_days(self, start: datetime, n: int, cutoff: time | None = None) -> datetime:
        """Closing time of the n-th working day after "day 0" (the first day is not counted).

        Day 0 is the acceptance date when it is a working day and ``start`` is before the effective cut-off
        (``min(cutoff, closing)``, or the closing time without a cut-off), else the next working day.
        """
        local = _local(start)
        n = _count(n)
        o = local.toordinal()
        t = self._t
        if not (t[0] <= o <= t[1]):
            t = self._cover(o)
        wd = t[2]
        limit = self._close
        if cutoff is not None:
            c = cutoff.hour * 3600 + cutoff.minute * 60 + cutoff.second
            if c < limit:
                limit = c
        i = bisect_left(wd, o)
        if i < len(wd) and wd[i] == o and _tod(local) >= limit:
            i += 1  # accepted at or after the cut-off: day 0 is the next working day
        k = i + n
        if k >= len(wd):
            t = self._reach(t, k)
            wd = t[2]
        return self._closing(wd[k])

    def add_working_seconds(self, start: datetime, seconds: int) -> datetime:
        """Earliest instant at which ``seconds`` of working time have elapsed since ``start``."""
        local = _local(start)
        if isinstance(seconds, bool) or not isinstance(seconds, int):
            raise TypeError("Số giây phải là số nguyên")
        if seconds < 0:
            raise ValueError("Thời lượng không được âm")
        if seconds == 0:
            return local
        o = local.toordinal()
        t = self._t
        if not (t[0] <= o <= t[1]):
            t = self._cover(o)
        w = self._w
        target = self._position(local, t) + seconds
        k = (target - 1) // w  # the working day on which the target is reached (earliest instant)
        if k >= len(t[2]):
            t = self._reach(t, k)
        return self._make(t[2][k], self._at(target - k * w))

    def add_working_minutes(self, start: datetime, minutes: int | float | Decimal) -> datetime:
        """``start`` plus working minutes; fractions are kept to the second (1.5 minutes = 90 s)."""
        return self.add_working_seconds(start, _seconds(minutes, 60))

    def add_working_hours(self, start: datetime, hours: int | float | Decimal) -> datetime:
        """``start`` plus working hours (int, float or Decimal, e.g. the catalogue's ``Decimal('12.00')``)."""
        return self.add_working_seconds(start, _seconds(hours, 3600))

    def working_seconds_between(self, a: datetime, b: datetime) -> int:
        """Working seconds inside the periods of working days between a and b; negative when b < a."""
        la, lb = _local(a), _local(b)
        t = self._t
        oa, ob = la.toordinal(), lb.toordinal()
        if not (t[0] <= oa <= t[1] and t[0] <= ob <= t[1]):
            t = self._cover(oa, ob)
        return self._position(lb, t) - self._position(la, t)

    def working_days_between(self, a: date, b: date) -> int:
        """Number of working days d with a < d <= b (the first day is not counted); negative when b < a."""
        oa, ob = _local_date(a).toordinal(), _local_date(b).toordinal()
        wd = self._cover(oa, ob)[2]
        return bisect_right(wd, ob) - bisect_right(wd, oa)

    def deadline(
        self,
        start: datetime,
        amount: int | float | Decimal,
        unit: str,
        cutoff: time | None = None,
    ) -> datetime:
        """The due instant for a time limit of ``amount`` ``unit`` ("working_days" or "working_hours").

        The cut-off only applies to working days (a dossier accepted after it counts from the next day).
        """
        if unit == WORKING_DAYS:
            return self.add_working_days(start, amount, cutoff)  # type: ignore[arg-type]
        if unit == WORKING_HOURS:
            return self.add_working_seconds(start, _seconds(amount, 3600))
        raise ValueError(f"Đơn vị thời hạn không hỗ trợ: {unit!r} (chỉ nhận {', '.join(UNITS)})")

    def resume_after_pause(self, due_at: datetime, paused_at: datetime, resumed_at: datetime, unit: str) -> datetime:
        """The new due instant after the clock stopped at ``paused_at`` and restarted at ``resumed_at``.

        Hours: the working time left at the pause (never negative) is added from ``resumed_at``.
        Days: the working days left after the pause date (``working_days_between(paused date, due date)``)
        are counted from the resume's day 0 (same day-0 rule, no cut-off), ending at that day's closing.
        The result is never earlier than ``due_at``. A pause that starts at or after the due instant moves
        nothing: the dossier was already late, and a supplement must not erase that.
        """
        due = _local(due_at)
        if paused_at >= due_at:
            return due
        if unit == WORKING_HOURS:
            remaining = max(0, self.working_seconds_between(paused_at, due))
            new_due = self.add_working_seconds(resumed_at, remaining)
        elif unit == WORKING_DAYS:
            remaining = max(0, self.working_days_between(_local(paused_at).date(), due.date()))
            new_due = self.add_working_days(resumed_at, remaining)
        else:
            raise ValueError(f"Đơn vị thời hạn không hỗ trợ: {unit!r} (chỉ nhận {', '.join(UNITS)})")
        new_due = _local(new_due)
        return new_due if new_due > due else due
