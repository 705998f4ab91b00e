"""The calendar's data without Django: holidays-package defaults, schedule files, and merging them.

Kept free of Django imports so the benchmark and pure tests can build the real calendar (package defaults +
the shipped official schedules) without a database.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from motcua.core.errors import ValidationFailed
from motcua.worktime.calc import DEFAULT_PERIODS, WorkCalendar

DATA_DIR = Path(__file__).resolve().parent / "data"
FIRST_YEAR, LAST_YEAR = 2000, 2060
KIND_OFF, KIND_WORKING = "off", "working"
KINDS = (KIND_OFF, KIND_WORKING)
SOURCE_MAX = 64
NAME_MAX = 200
MAX_DAYS = 2000  # a yearly schedule lists a few dozen days; this only stops absurd uploads


class ScheduleDay(NamedTuple):
    date: date
    kind: str
    name: str
    source: str


@lru_cache(maxsize=8)
def _default_days(years: tuple[int, ...]) -> tuple[frozenset[date], frozenset[date]]:
    import holidays  # imported lazily: generating 60 years of lunar holidays takes ~0.1 s, done once

    vn = holidays.country_holidays("VN", years=years, language="vi")
    wanted = set(years)
    off = frozenset(d for d in vn if d.year in wanted)
    # `weekend_workdays` holds the Saturdays the package knows were swapped to working days.
    extra = frozenset(d for d in getattr(vn, "weekend_workdays", ()) if d.year in wanted)
    return off, extra


def default_days(
    years: Iterable[int] = range(FIRST_YEAR, LAST_YEAR + 1),
) -> tuple[frozenset[date], frozenset[date]]:
    """(days off, extra working days) for Vietnam from the holidays package: the rules-based default.

    Includes the package's compensatory days and its known swaps (a weekday off against a working Saturday).
    Cached per process: the package's lunar computations are the slow part of building a calendar.
    """
    return _default_days(tuple(sorted(set(years))))


def merge_days(
    off: Iterable[date], extra: Iterable[date], overrides: Iterable[ScheduleDay]
) -> tuple[set[date], set[date]]:
    """Apply official/administrator rows on top of the defaults; a row decides its date completely."""
    off_s, extra_s = set(off), set(extra)
    for day in overrides:
        if day.kind == KIND_OFF:
            off_s.add(day.date)
            extra_s.discard(day.date)
        else:
            off_s.discard(day.date)
            extra_s.add(day.date)
    return off_s, extra_s


def build_calendar(
    overrides: Iterable[ScheduleDay] = (), periods: Sequence[tuple[int, int]] = DEFAULT_PERIODS
) -> WorkCalendar:
    """The package default for 2000-2060 overridden by ``overrides``, with the given desk hours."""
    off, extra = merge_days(*default_days(), overrides)
    return WorkCalendar(
        days_off=off, extra_working_days=extra, periods=periods, first_year=FIRST_YEAR, last_year=LAST_YEAR
    )


# --------------------------------------------------------------------------- desk hours
def parse_periods(value: Any) -> tuple[tuple[int, int], ...]:
    """[["07:30", "11:30"], ["13:00", "17:00"]] → ((450, 690), (780, 1020)); empty → the national default.

    Raises ValueError with a Vietnamese message for anything malformed (the caller decides how to report it).
    """
    if not value:
        return DEFAULT_PERIODS
    out: list[tuple[int, int]] = []
    try:
        for start, end in value:
            out.append((_minutes(start), _minutes(end)))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"Giờ làm việc không hợp lệ: {value!r}") from exc
    prev = 0
    for s, e in out:
        if not (0 <= s < e <= 1440) or s < prev:
            raise ValueError(f"Giờ làm việc phải tăng dần và không chồng lấn: {value!r}")
        prev = e
    return tuple(out)


def _minutes(hhmm: Any) -> int:
    if isinstance(hhmm, int) and not isinstance(hhmm, bool):
        return hhmm
    h, m = str(hhmm).strip().split(":")
    hours, minutes = int(h), int(m)
    if not (0 <= minutes < 60 and 0 <= hours <= 24) or (hours == 24 and minutes):
        raise ValueError(hhmm)
    return hours * 60 + minutes


# --------------------------------------------------------------------------- schedule files
def _parse_date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    text = str(value).strip()
    if "/" in text:  # 02/01/2026, the Vietnamese way of writing dates in spreadsheets
        return datetime.strptime(text, "%d/%m/%Y").date()
    return date.fromisoformat(text)


def validate_schedule(data: Mapping[str, Any]) -> list[ScheduleDay]:
    """Check a schedule ({"year"?, "source"?, "days": [{"date", "kind", "name"?, "source"?}]}) completely.

    Every problem is collected and reported at once, so an administrator can fix the file in one pass.
    """
    if not isinstance(data, Mapping):
        raise ValidationFailed("Tệp lịch phải là một đối tượng JSON có danh sách 'days'.")
    days = data.get("days")
    if not isinstance(days, list) or not days:
        raise ValidationFailed(
            "Tệp lịch không có danh sách ngày ('days').", errors=[{"field": "days", "message": "Bắt buộc"}]
        )
    if len(days) > MAX_DAYS:
        raise ValidationFailed(f"Tệp lịch có quá nhiều ngày ({len(days)} > {MAX_DAYS}).")
    year = data.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        raise ValidationFailed("Năm của lịch không hợp lệ.", errors=[{"field": "year", "message": "Phải là số nguyên"}])
    default_source = str(data.get("source") or "admin").strip()[:SOURCE_MAX]
    errors: list[dict[str, str]] = []
    seen: dict[date, int] = {}
    out: list[ScheduleDay] = []
    for i, row in enumerate(days):
        where = f"days[{i}]"
        if not isinstance(row, Mapping):
            errors.append({"field": where, "message": "Mỗi ngày phải là một đối tượng {date, kind, name}"})
            continue
        try:
            d = _parse_date(row.get("date"))
        except (TypeError, ValueError):
            errors.append({"field": f"{where}.date", "message": f"Ngày không hợp lệ: {row.get('date')!r}"})
            d = None
        kind = str(row.get("kind") or "").strip().lower()
        if kind not in KINDS:
            errors.append(
                {
                    "field": f"{where}.kind",
                    "message": f"Loại ngày phải là 'off' hoặc 'working', nhận {kind!r}",
                }
            )
        name = str(row.get("name") or "").strip()
        if len(name) > NAME_MAX:
            errors.append({"field": f"{where}.name", "message": f"Tên ngày dài quá {NAME_MAX} ký tự"})
        if d is None:
            continue
        if year is not None and d.year != year:
            errors.append({"field": f"{where}.date", "message": f"Ngày {d.isoformat()} không thuộc năm {year}"})
        if d in seen:
            errors.append(
                {
                    "field": f"{where}.date",
                    "message": f"Ngày {d.isoformat()} lặp lại (đã có ở days[{seen[d]}])",
                }
            )
            continue
        seen[d] = i
        source = str(row.get("source") or default_source).strip()[:SOURCE_MAX]
        out.append(ScheduleDay(d, kind, name, source))
    if errors:
        raise ValidationFailed(f"Tệp lịch có {len(errors)} lỗi, chưa nạp ngày nào.", errors=errors)
    return out


def parse_schedule_text(text: str, filename: str) -> dict[str, Any]:
    """A schedule file's content as the dict ``validate_schedule`` expects; .json or .csv (date,kind,name)."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationFailed(f"Tệp JSON không đọc được: {exc.msg} (dòng {exc.lineno}).") from exc
        if not isinstance(data, dict):
            raise ValidationFailed("Tệp lịch phải là một đối tượng JSON có danh sách 'days'.")
        return data
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        fields = {(f or "").strip().lower() for f in reader.fieldnames or []}
        if not {"date", "kind"} <= fields:
            raise ValidationFailed(
                "Tệp CSV phải có các cột date,kind,name.",
                errors=[{"field": "header", "message": f"Các cột hiện có: {sorted(fields)}"}],
            )
        rows = [{(k or "").strip().lower(): (v or "").strip() for k, v in r.items()} for r in reader]
        return {"source": "admin", "days": rows}
    raise ValidationFailed(f"Chỉ nhận tệp .json hoặc .csv, nhận {Path(filename).name!r}.")


def read_schedule_file(path: str | Path) -> dict[str, Any]:
    """Read a .json or .csv schedule from disk; an unreadable file is a ValidationFailed, not a crash."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationFailed(f"Không đọc được tệp lịch {p.name}: {exc}") from exc
    return parse_schedule_text(text, p.name)


def shipped_schedule_paths() -> list[Path]:
    """The official schedules shipped with the code (data/calendar-YYYY.json), oldest first."""
    return sorted(DATA_DIR.glob("calendar-*.json"))


def shipped_days() -> list[ScheduleDay]:
    """All days of the shipped official schedules, validated."""
    out: list[ScheduleDay] = []
    for path in shipped_schedule_paths():
        out.extend(validate_schedule(read_schedule_file(path)))
    return out


def official_calendar(periods: Sequence[tuple[int, int]] = DEFAULT_PERIODS) -> WorkCalendar:
    """Package defaults + the shipped official schedules, with no database (benchmarks, pure tests)."""
    return build_calendar(shipped_days(), periods)
