"""Benchmark (not a test): deadlines per second of motcua.worktime.calc, the holidays package as contrast.

Run: .venv/bin/python bench/worktime.py [--calls 200000] [--sample 20000] [--seed 2026]
Pure calc: the calendar comes from the holidays package + the shipped official JSON files (no Django, no DB).
Writes bench/results/worktime.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from motcua.worktime import defaults  # noqa: E402
from motcua.worktime.calc import TZ, WorkCalendar  # noqa: E402

UTC = dt.UTC
CUTOFF = dt.time(15, 0)
GOAL = 100_000


def make_inputs(n: int, rng: random.Random) -> list[tuple[dt.datetime, int, str, dt.time | None]]:
    """Random acceptances over 2025-2026 (half in UTC, as Django reads them), mixed units, some cut-offs."""
    first = dt.datetime(2025, 1, 1, tzinfo=TZ)
    span = int((dt.datetime(2027, 1, 1, tzinfo=TZ) - first).total_seconds())
    out = []
    for _ in range(n):
        start = first + dt.timedelta(seconds=rng.randrange(span))
        if rng.random() < 0.5:
            start = start.astimezone(UTC)
        if rng.random() < 0.5:
            out.append((start, rng.randint(0, 30), "working_days", CUTOFF if rng.random() < 0.3 else None))
        else:
            out.append((start, rng.randint(1, 120), "working_hours", None))
    return out


def timed(fn, *args) -> tuple[float, object]:
    gc.collect()
    t0 = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - t0, result


def run_calc(cal: WorkCalendar, inputs) -> list[dt.datetime]:
    deadline = cal.deadline
    return [deadline(s, a, u, c) for s, a, u, c in inputs]


def holidays_due_day(hol, start: dt.datetime, n: int, cutoff: dt.time | None) -> dt.date:
    """The same working-day rule expressed with the holidays package's own helpers."""
    local = start.astimezone(TZ)
    d = local.date()
    limit = min(cutoff, dt.time(17)) if cutoff else dt.time(17)
    before_cutoff = hol.is_working_day(d) and local.time() < limit
    day0 = d if before_cutoff else hol.get_nth_working_day(d, 1)  # n=1: first working day strictly after d
    return hol.get_nth_working_day(day0, n)


def run_holidays(hol, inputs) -> list[dt.datetime]:
    return [dt.datetime.combine(holidays_due_day(hol, s, a, c), dt.time(17), TZ) for s, a, _u, c in inputs]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--calls", type=int, default=200_000)
    ap.add_argument("--sample", type=int, default=20_000, help="working-day calls compared with holidays")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "worktime.json")
    args = ap.parse_args()
    rng = random.Random(args.seed)

    # --- building calendars
    t_defaults, _ = timed(defaults.default_days)  # holidays package, 2000-2060, once per process
    t_defaults_warm, _ = timed(defaults.default_days)
    overrides = defaults.shipped_days()
    t_build, cal = timed(defaults.build_calendar, overrides)
    t_ctor, _ = timed(lambda: WorkCalendar(days_off=cal.days_off, extra_working_days=cal.extra_working_days))
    package_only = defaults.build_calendar(())

    # --- our deadlines: mixed, then per unit
    inputs = make_inputs(args.calls, rng)
    run_calc(cal, inputs[:2000])  # warm-up
    t_mixed, _ = timed(run_calc, cal, inputs)
    days_inputs = [x for x in inputs if x[2] == "working_days"]
    hours_inputs = [x for x in inputs if x[2] == "working_hours"]
    t_days, _ = timed(run_calc, cal, days_inputs)
    t_hours, _ = timed(run_calc, cal, hours_inputs)

    # --- the holidays package on a working-day sample
    import holidays

    hol = holidays.country_holidays("VN", years=range(2024, 2029))
    sample = days_inputs[: args.sample]
    run_holidays(hol, sample[:200])  # warm-up (populates years)
    t_hol, theirs = timed(run_holidays, hol, sample)
    t_ours_sample, ours_sample = timed(run_calc, cal, sample)
    pkg_sample = run_calc(package_only, sample)
    disagree_official = sum(a != b for a, b in zip(ours_sample, theirs, strict=True))
    disagree_package_only = sum(a != b for a, b in zip(pkg_sample, theirs, strict=True))

    rate = args.calls / t_mixed
    rate_hol = len(sample) / t_hol
    rate_ours_sample = len(sample) / t_ours_sample
    result = {
        "benchmark": "worktime.deadline",
        "timestamp": dt.datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
        },
        "calls": args.calls,
        "seed": args.seed,
        "deadlines_per_second_mixed": round(rate),
        "deadlines_per_second_working_days": round(len(days_inputs) / t_days),
        "deadlines_per_second_working_hours": round(len(hours_inputs) / t_hours),
        "microseconds_per_call_mixed": round(t_mixed / args.calls * 1e6, 3),
        "goal_per_second": GOAL,
        "goal_met": rate >= GOAL,
        "build_ms": {
            "holidays_defaults_2000_2060_cold": round(t_defaults * 1000, 1),
            "holidays_defaults_warm": round(t_defaults_warm * 1000, 3),
            "calendar_from_defaults_and_official_files": round(t_build * 1000, 1),
            "workcalendar_constructor_only": round(t_ctor * 1000, 1),
        },
        "holidays_package": {
            "version": holidays.__version__,
            "helper": "HolidayBase.get_nth_working_day(key, n) + is_working_day(key)",
            "sample_working_day_calls": len(sample),
            "per_second": round(rate_hol),
            "ours_per_second_same_sample": round(rate_ours_sample),
            "speed_ratio_ours_over_package": round(rate_ours_sample / rate_hol, 1),
            "disagreements_with_official_calendar": disagree_official,
            "disagreements_with_package_only_calendar": disagree_package_only,
            "note": "disagreements with the official calendar come from the official schedule overriding the "
            "package (Fri 2 Jan 2026 off, Sat 10 Jan 2026 and Sat 8 Feb 2025 working); "
            "the package-only calendar must agree exactly",
        },
    }

    rows = [
        (
            "deadline() mixed, calls/s",
            f"{rate:,.0f}",
            f"goal ≥ {GOAL:,}: " + ("met" if rate >= GOAL else "NOT met"),
        ),
        ("  working_days only, calls/s", f"{result['deadlines_per_second_working_days']:,}", ""),
        ("  working_hours only, calls/s", f"{result['deadlines_per_second_working_hours']:,}", ""),
        ("µs per call (mixed)", f"{result['microseconds_per_call_mixed']}", f"{args.calls:,} calls"),
        ("holidays get_nth_working_day, calls/s", f"{rate_hol:,.0f}", f"{len(sample):,} working-day calls"),
        ("ours on the same sample, calls/s", f"{rate_ours_sample:,.0f}", ""),
        ("speed ratio ours / package", f"{rate_ours_sample / rate_hol:,.1f}x", ""),
        ("disagreements vs package (official cal.)", f"{disagree_official}", "expected > 0: official swaps"),
        ("disagreements vs package (package-only)", f"{disagree_package_only}", "must be 0"),
        ("build: holidays defaults (cold), ms", f"{t_defaults * 1000:.1f}", "once per process"),
        ("build: calendar from defaults + files, ms", f"{t_build * 1000:.1f}", "budget < 50 ms"),
        ("build: WorkCalendar() only, ms", f"{t_ctor * 1000:.1f}", ""),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"motcua worktime benchmark · Python {platform.python_version()} · {os.cpu_count()} CPUs")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>12}  {note}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"written {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")


if __name__ == "__main__":
    main()
