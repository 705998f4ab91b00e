"""Deadline tracking in working time, for the officials' pages: how much of the dossier's time is used and how
much is left — of the whole dossier (`due_at`) and of its current step (`step_due_at`) — counted on the agency's
calendar, with the clock stopped while the dossier waits for the applicant's supplement.

Read-only: nothing here changes a dossier (the sweeper in ``services.sweep`` keeps the stored flags). The flags
are also worked out live here, so a page never waits for the next sweep to show that a deadline has passed.

* ``track(dossier, now)`` for one dossier page; ``track_many(dossiers, now)`` for a list: one calendar per agency
  and at most one query (the dossiers' past pauses, from the action log), whatever the length of the list.
* The clock reads ``now`` while the dossier is processed; ``paused_at`` while it waits for a supplement (the
  clock is stopped); ``result_ready_at`` (or ``finished_at``) once processing is over.
* Working time used = working time from acceptance to the clock, minus the working time of past pauses (each
  ``supplement`` row of the log keeps in ``before.paused_at`` when its pause began, and its ``at`` is the resume).
  Working time left = working time from the clock to ``due_at``; negative when late.
* Procedures counted in working hours are shown in hours and minutes ("còn 3 giờ 20 phút làm việc"); the others
  in working days and hours, a working day being the agency's desk hours (8 hours by default).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from motcua.catalog.models import TimeUnit
from motcua.worktime.calc import TZ, WORKING_DAYS, WORKING_HOURS, WorkCalendar
from motcua.worktime.services import calendar_for

from .models import Dossier, DossierAction, Status

RUNNING, PAUSED, STOPPED = "running", "paused", "stopped"
Pause = tuple[datetime, datetime]


# --- words --------------------------------------------------------------------------------------------------


def duration_text(seconds: int, unit: str = WORKING_HOURS, seconds_per_day: int = 8 * 3600) -> str:
    """A working duration in words, sign dropped: '3 giờ 20 phút' (working hours), '2 ngày 3 giờ' (working days).

    Rounded down to the minute (to the hour past a whole day), so time left is never overstated.
    """
    minutes = abs(int(seconds)) // 60
    if minutes == 0:
        return _("dưới 1 phút") if seconds else _("0 phút")
    parts: list[str] = []
    per_day = seconds_per_day // 60
    if unit != WORKING_HOURS and per_day > 0 and minutes >= per_day:
        days, minutes = divmod(minutes, per_day)
        parts.append(ngettext("%(n)d ngày", "%(n)d ngày", days) % {"n": days})
        hours = minutes // 60
        if hours:
            parts.append(ngettext("%(n)d giờ", "%(n)d giờ", hours) % {"n": hours})
        return " ".join(parts)
    hours, minutes = divmod(minutes, 60)
    if hours:
        parts.append(ngettext("%(n)d giờ", "%(n)d giờ", hours) % {"n": hours})
    if minutes:
        parts.append(ngettext("%(n)d phút", "%(n)d phút", minutes) % {"n": minutes})
    return " ".join(parts)


def target_text(value: Decimal | int | float | str | None, unit: str | None) -> str:
    """The statutory time as the receipt states it: '12 giờ làm việc', '3 ngày làm việc'."""
    if value is None or unit in (None, "", TimeUnit.NONE):
        return _("Không quy định")
    number = Decimal(str(value))
    shown = format(number.normalize(), "f").replace(".", ",")
    n = int(number) if number == number.to_integral_value() else 2  # a fraction reads as a plural in English
    if unit == TimeUnit.WORKING_HOURS:
        return ngettext("%(n)s giờ làm việc", "%(n)s giờ làm việc", n) % {"n": shown}
    if unit == TimeUnit.WORKING_DAYS:
        return ngettext("%(n)s ngày làm việc", "%(n)s ngày làm việc", n) % {"n": shown}
    label = str(TimeUnit(unit).label) if unit in TimeUnit.values else unit
    return f"{shown} {label}"


# --- the reading of one dossier ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Tracking:
    """Where a dossier stands against its deadlines, in working seconds (see the module docstring)."""

    unit: str  # how durations are shown: "working_hours" or "working_days"
    target_value: Decimal | None  # the statutory time of the pinned version (with its variant)
    target_unit: str
    seconds_per_day: int
    state: str  # RUNNING, PAUSED or STOPPED
    clock_at: datetime  # the instant the clock reads
    accepted_at: datetime
    due_at: datetime | None
    used: int  # working seconds used since acceptance, pauses excluded
    left: int | None  # working seconds from the clock to due_at; negative when late
    budget: int | None  # working seconds between acceptance and due_at, pauses excluded
    step_started_at: datetime | None
    step_due_at: datetime | None
    step_used: int | None
    step_left: int | None
    step_budget: int | None
    overdue: bool  # still being processed (or waiting for a supplement) and past due_at
    due_soon: bool  # running, not overdue, at most MOTCUA_DUE_SOON_WORKING_HOURS left (or flagged by the sweeper)
    apology_due: bool  # running, not reappointed, due within one working day (or flagged by the sweeper)
    apology_by: date | None  # the last day on which the apology and new appointment may still be sent
    reappointed: bool

    # -- numbers for the progress bars --
    @staticmethod
    def _share(used: int | None, budget: int | None) -> float | None:
        if used is None or not budget or budget <= 0:
            return None
        return max(used, 0) / budget

    @property
    def share(self) -> float | None:
        """Share of the working time used, 0 … 1 and more when late; None without a deadline."""
        return self._share(self.used, self.budget)

    @property
    def percent(self) -> int | None:
        """The share as a whole percentage, not capped (120 means 20 % over)."""
        share = self.share
        return None if share is None else int(share * 100)

    @property
    def bar_value(self) -> int | None:
        """The percentage a progress bar can show (0 … 100)."""
        percent = self.percent
        return None if percent is None else min(percent, 100)

    @property
    def step_share(self) -> float | None:
        return self._share(self.step_used, self.step_budget)

    @property
    def step_percent(self) -> int | None:
        share = self.step_share
        return None if share is None else int(share * 100)

    @property
    def step_bar_value(self) -> int | None:
        percent = self.step_percent
        return None if percent is None else min(percent, 100)

    @property
    def step_late(self) -> bool:
        return self.state != STOPPED and self.step_left is not None and self.step_left < 0

    @property
    def late(self) -> bool:
        return self.left is not None and self.left < 0

    @property
    def can_still_reappoint(self) -> bool:
        return bool(self.apology_by and not self.reappointed and self.clock_at.astimezone(TZ).date() <= self.apology_by)

    # -- words (evaluated when shown, in the language of the request) --
    def _duration(self, seconds: int) -> str:
        return duration_text(seconds, self.unit, self.seconds_per_day)

    @property
    def target_text(self) -> str:
        return target_text(self.target_value, self.target_unit)

    @property
    def used_text(self) -> str:
        return _("%(duration)s làm việc") % {"duration": self._duration(self.used)}

    @property
    def budget_text(self) -> str:
        return "" if self.budget is None else _("%(duration)s làm việc") % {"duration": self._duration(self.budget)}

    def _left_words(self, seconds: int | None, *, short: bool) -> str:
        if seconds is None:
            return ""
        duration = self._duration(seconds)
        if self.state == STOPPED:
            if seconds < 0:
                return _("có kết quả sau hạn %(duration)s") % {"duration": duration}
            return _("có kết quả trước hạn %(duration)s") % {"duration": duration}
        if short:
            if seconds < 0:
                return _("quá hạn %(duration)s") % {"duration": duration}
            return _("còn %(duration)s") % {"duration": duration}
        if seconds < 0:
            return _("quá hạn %(duration)s làm việc") % {"duration": duration}
        return _("còn %(duration)s làm việc") % {"duration": duration}

    @property
    def left_text(self) -> str:
        """'còn 3 giờ 20 phút làm việc' / 'quá hạn 1 giờ 30 phút làm việc' (or the result's margin when over)."""
        return self._left_words(self.left, short=False)

    @property
    def left_short(self) -> str:
        """For a list column headed "Còn lại": 'còn 2 giờ 15 phút' / 'quá hạn 1 giờ 30 phút'."""
        return self._left_words(self.left, short=True)

    @property
    def step_left_text(self) -> str:
        return self._left_words(self.step_left, short=False)

    @property
    def step_used_text(self) -> str:
        if self.step_used is None:
            return ""
        return _("%(duration)s làm việc") % {"duration": self._duration(self.step_used)}

    @property
    def left_amount_text(self) -> str:
        """The time to (or past) due_at without direction: '1 giờ 30 phút làm việc' (for the banners)."""
        if self.left is None:
            return ""
        return _("%(duration)s làm việc") % {"duration": self._duration(self.left)}


# --- computing -----------------------------------------------------------------------------------------------


def _clock(d: Dossier, now: datetime) -> tuple[datetime, str]:
    if d.status in (Status.RESULT_READY, Status.RETURNED):
        return d.result_ready_at or d.finished_at or now, STOPPED
    if d.status in (Status.REFUSED, Status.WITHDRAWN):
        return d.finished_at or now, STOPPED
    if d.paused_at:
        return d.paused_at, PAUSED
    return now, RUNNING


def _worked(cal: WorkCalendar, start: datetime, end: datetime, pauses: list[Pause]) -> int:
    """Working seconds between start and end, less those inside the pauses (clipped to the interval)."""
    total = cal.working_seconds_between(start, end)
    for p0, p1 in pauses:
        lo, hi = max(start, p0), min(end, p1)
        if hi > lo:
            total -= cal.working_seconds_between(lo, hi)
    return total


def _apology_by(cal: WorkCalendar, due_at: datetime) -> date | None:
    """The last working day with at least one working day between it and the due date (the reappoint rule)."""
    due_day = due_at.astimezone(TZ).date()
    day = due_day - timedelta(days=1)
    for _attempt in range(62):
        if cal.is_working_day(day) and cal.working_days_between(day, due_day) >= 1:
            return day
        day -= timedelta(days=1)
    return None


def past_pauses(dossiers: Iterable[Dossier]) -> dict[int, list[Pause]]:
    """The finished pauses of each dossier, from its `supplement` rows: one query, none when none was paused."""
    ids = [d.pk for d in dossiers if d.accepted_at and d.supplement_count]
    if not ids:
        return {}
    out: dict[int, list[Pause]] = {}
    rows = DossierAction.objects.filter(dossier_id__in=ids, action="supplement", undone=False).values_list(
        "dossier_id", "at", "before"
    )
    for dossier_id, resumed_at, before in rows:
        started = parse_datetime(str((before or {}).get("paused_at") or ""))
        if started is not None and resumed_at > started:
            out.setdefault(dossier_id, []).append((started, resumed_at))
    return out


def compute(
    d: Dossier, now: datetime, cal: WorkCalendar, pauses: list[Pause] | None = None, definition: dict | None = None
) -> Tracking | None:
    """The tracking of one dossier with its calendar and past pauses given (pure: no database)."""
    if d.accepted_at is None:
        return None
    if definition is None:
        from .services import effective_definition  # deferred: services imports much more than this needs

        definition = effective_definition(d)
    pauses = pauses or []
    target_unit = definition.get("time_unit") or ""
    raw_value = definition.get("time_value")
    target_value = None if raw_value is None else Decimal(str(raw_value))
    unit = WORKING_HOURS if target_unit == TimeUnit.WORKING_HOURS else WORKING_DAYS
    clock_at, state = _clock(d, now)

    used = max(_worked(cal, d.accepted_at, clock_at, pauses), 0)
    left = budget = None
    if d.due_at is not None:
        left = cal.working_seconds_between(clock_at, d.due_at)
        budget = max(_worked(cal, d.accepted_at, d.due_at, pauses), 0)

    step_used = step_left = step_budget = None
    in_step = bool(d.current_step) and d.status in (Status.PROCESSING, Status.SUPPLEMENT_REQUESTED)
    if in_step and d.step_started_at is not None:
        step_used = max(_worked(cal, d.step_started_at, clock_at, pauses), 0)
        if d.step_due_at is not None:
            step_left = cal.working_seconds_between(clock_at, d.step_due_at)
            step_budget = max(_worked(cal, d.step_started_at, d.step_due_at, pauses), 0)

    active = d.status in (Status.PROCESSING, Status.SUPPLEMENT_REQUESTED)
    late = left is not None and left < 0
    overdue = active and (late or (state == RUNNING and d.overdue))
    running = active and state == RUNNING and not overdue and d.due_at is not None
    soon_seconds = int(settings.MOTCUA_DUE_SOON_WORKING_HOURS) * 3600
    due_soon = running and (d.due_soon or (left is not None and left <= soon_seconds))
    reappointed = d.reappointed_at is not None
    apology_due = (
        running
        and not reappointed
        and (d.apology_due or d.due_at <= cal.deadline(clock_at, 1, WORKING_DAYS))  # the sweeper's own test
    )
    return Tracking(
        unit=unit,
        target_value=target_value,
        target_unit=target_unit,
        seconds_per_day=cal.seconds_per_day,
        state=state,
        clock_at=clock_at,
        accepted_at=d.accepted_at,
        due_at=d.due_at,
        used=used,
        left=left,
        budget=budget,
        step_started_at=d.step_started_at if in_step else None,
        step_due_at=d.step_due_at if in_step else None,
        step_used=step_used,
        step_left=step_left,
        step_budget=step_budget,
        overdue=overdue,
        due_soon=due_soon,
        apology_due=apology_due,
        apology_by=_apology_by(cal, d.due_at) if d.due_at is not None and active else None,
        reappointed=reappointed,
    )


class Calendars:
    """One working calendar per agency for the length of a request (``calendar_for`` is asked once per agency)."""

    def __init__(self) -> None:
        self._by_agency: dict[int, WorkCalendar] = {}

    def of(self, d: Dossier) -> WorkCalendar:
        cal = self._by_agency.get(d.agency_id)
        if cal is None:
            cal = self._by_agency[d.agency_id] = calendar_for(d.agency)
        return cal


def track_many(
    dossiers: Iterable[Dossier], now: datetime, calendars: Calendars | None = None
) -> dict[int, Tracking | None]:
    """The tracking of every dossier of a list, by pk: one calendar per agency, at most one query."""
    dossiers = list(dossiers)
    calendars = calendars or Calendars()
    pauses = past_pauses(dossiers)
    return {
        d.pk: (compute(d, now, calendars.of(d), pauses.get(d.pk)) if d.accepted_at is not None else None)
        for d in dossiers
    }


def track(d: Dossier, now: datetime, calendars: Calendars | None = None) -> Tracking | None:
    """The tracking of one dossier (None before acceptance: its working time has not started)."""
    return track_many([d], now, calendars)[d.pk]
