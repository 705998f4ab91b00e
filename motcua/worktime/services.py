"""Working calendars for the rest of the platform: defaults + the official schedule in the database, cached.

Other apps call ``compute_deadline`` (or ``calendar_for(agency)`` and the WorkCalendar methods). Calendars are
cached per process and per desk-hours setting; the cache is dropped at once when this process changes
CalendarDay (``note_calendar_write``, called by every writer: import_schedule and the admin), and re-checked
against a cheap database fingerprint every ``MOTCUA_WORKTIME_CACHE_SECONDS`` (default 30 s) so other server
processes pick up changes too.
"""

from __future__ import annotations

import logging
import threading
import time as _time
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max

from motcua.core.errors import ValidationFailed
from motcua.worktime.calc import DEFAULT_PERIODS, WorkCalendar
from motcua.worktime.defaults import (
    ScheduleDay,
    build_calendar,
    parse_periods,
    read_schedule_file,
    shipped_schedule_paths,
    validate_schedule,
)
from motcua.worktime.defaults import default_days as _default_days
from motcua.worktime.models import CalendarDay

__all__ = [
    "calendar_for",
    "compute_deadline",
    "default_days",
    "import_schedule",
    "invalidate_calendars",
    "load_official_schedules",
]

log = logging.getLogger(__name__)

Periods = tuple[tuple[int, int], ...]
Fingerprint = tuple[int, Any]

default_days = _default_days


@dataclass
class _Entry:
    calendar: WorkCalendar
    fingerprint: Fingerprint
    checked_at: float


_lock = threading.RLock()
_cache: dict[Periods, _Entry] = {}
# While this process has written CalendarDay inside a transaction that may still roll back (always the case in
# tests), the committed state is unknown: calendars are then looked up by the current fingerprint instead.
_uncommitted = False
_tentative: dict[tuple[Periods, Fingerprint], WorkCalendar] = {}
_rows: tuple[Fingerprint, list[ScheduleDay]] | None = None


def _ttl() -> float:
    return float(getattr(settings, "MOTCUA_WORKTIME_CACHE_SECONDS", 30))


def invalidate_calendars() -> None:
    """Forget every cached calendar of this process (call after changing CalendarDay outside the ORM)."""
    global _rows
    with _lock:
        _cache.clear()
        _tentative.clear()
        _rows = None


def _committed() -> None:
    global _uncommitted
    _uncommitted = False
    invalidate_calendars()


def note_calendar_write() -> None:
    """Every CalendarDay writer calls this: drop caches now, and again once the write is committed."""
    global _uncommitted
    invalidate_calendars()
    if connection.in_atomic_block:
        _uncommitted = True
        transaction.on_commit(_committed)


def _fingerprint() -> Fingerprint:
    agg = CalendarDay.objects.aggregate(n=Count("id"), last=Max("updated_at"))
    return (agg["n"], agg["last"])


def _overrides(fp: Fingerprint) -> list[ScheduleDay]:
    global _rows
    rows = _rows
    if rows is not None and rows[0] == fp:
        return rows[1]
    days = [
        ScheduleDay(d, kind, name, source)
        for d, kind, name, source in CalendarDay.objects.values_list("date", "kind", "name", "source")
    ]
    _rows = (fp, days)
    return days


def _build(periods: Periods, fp: Fingerprint) -> WorkCalendar:
    t0 = _time.perf_counter()
    calendar = build_calendar(_overrides(fp), periods)
    log.debug("worktime: built calendar %s in %.1f ms", periods, (_time.perf_counter() - t0) * 1000)
    return calendar


def agency_periods(agency: Any = None) -> Periods:
    """The agency's desk hours (its ``work_periods``, duck-typed), or the national default."""
    raw = getattr(agency, "work_periods", None) if agency is not None else None
    if not raw:
        return DEFAULT_PERIODS
    try:
        return parse_periods(raw)
    except ValueError as exc:
        code = getattr(agency, "code", "")
        raise ValidationFailed(
            f"Giờ làm việc của cơ quan {code} không hợp lệ.",
            errors=[{"field": "work_periods", "message": str(exc)}],
        ) from exc


def calendar_for(agency: Any = None) -> WorkCalendar:
    """The working calendar for an agency (or the national one): defaults 2000-2060 + CalendarDay rows."""
    global _uncommitted
    periods = agency_periods(agency)
    with _lock:
        if _uncommitted and not connection.in_atomic_block:
            _uncommitted = False  # the transaction that wrote ended (commit or rollback): the DB is the truth
            invalidate_calendars()
        if _uncommitted:
            fp = _fingerprint()
            cal = _tentative.get((periods, fp))
            if cal is None:
                if len(_tentative) > 32:
                    _tentative.clear()
                cal = _tentative[(periods, fp)] = _build(periods, fp)
            return cal
        now = _time.monotonic()
        entry = _cache.get(periods)
        if entry is not None and now - entry.checked_at < _ttl():
            return entry.calendar
        fp = _fingerprint()
        if entry is not None and entry.fingerprint == fp:
            entry.checked_at = now
            return entry.calendar
        cal = _build(periods, fp)
        _cache[periods] = _Entry(cal, fp, now)
        return cal


def compute_deadline(
    start: datetime,
    amount: int | float | Decimal,
    unit: str,
    *,
    agency: Any = None,
    cutoff: time | None = None,
) -> datetime:
    """The due instant (aware, +07:00) for a limit of ``amount`` working days/hours from ``start``."""
    calendar = calendar_for(agency)
    try:
        return calendar.deadline(start, amount, unit, cutoff)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(f"Không tính được thời hạn: {exc}") from exc


def import_schedule(data: dict[str, Any] | str | Path) -> int:
    """Upsert a schedule (a dict, or the path of a .json/.csv file); returns the rows created or changed.

    Idempotent: importing the same file again changes nothing and returns 0. The whole file is validated
    before anything is written, and the writes run in one transaction, so a bad file leaves no trace.
    Rows for dates not in the file are kept (delete them in the admin).
    """
    if isinstance(data, (str, Path)):
        data = read_schedule_file(data)
    days = validate_schedule(data)
    changed = 0
    with transaction.atomic():
        existing = {
            row.date: row for row in CalendarDay.objects.select_for_update().filter(date__in=[d.date for d in days])
        }
        for day in days:
            row = existing.get(day.date)
            if row is None:
                CalendarDay.objects.create(date=day.date, kind=day.kind, name=day.name, source=day.source)
                changed += 1
            elif (row.kind, row.name, row.source) != (day.kind, day.name, day.source):
                row.kind, row.name, row.source = day.kind, day.name, day.source
                row.save(update_fields=["kind", "name", "source", "updated_at"])
                changed += 1
        note_calendar_write()
    return changed


def load_official_schedules() -> int:
    """Load the official schedules shipped in motcua/worktime/data (idempotent; used by the demo loader)."""
    total = 0
    with transaction.atomic():
        for path in shipped_schedule_paths():
            total += import_schedule(path)
    return total
