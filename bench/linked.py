"""Model (not a measurement): receipt-to-all-results of linked birth chains, linked vs three separate procedures.

Run: .venv/bin/python bench/linked.py [--chains 1000] [--seed 2026]
A discrete-event simulation on the real working calendar (holidays package + the shipped official 2026 schedule,
Asia/Ho_Chi_Minh, desk hours 07:30-11:30 and 13:00-17:00; no Django, no database). The step graph is read from
motcua/linked/groups/birth.json. Every figure fed in is an assumption, kept in PARAMS below with its reason.
Writes bench/results/linked.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from motcua.worktime.calc import TZ, WorkCalendar  # noqa: E402
from motcua.worktime.defaults import official_calendar  # noqa: E402

UTC = dt.UTC
GROUP_FILE = ROOT / "motcua" / "linked" / "groups" / "birth.json"
CATALOG_DIR = ROOT / "motcua" / "catalog" / "definitions"
Z95 = 1.6448536269514722  # standard normal quantile at 0.95: sigma = ln(p95 / median) / Z95

# All inputs of the model. They are ASSUMPTIONS (plausible orders of magnitude, not measured data); the reason for
# each value is beside it. Durations are WORKING time on the calendar unless the key says "wall" or "seconds".
PARAMS: dict = {
    "arrivals": {
        # One working month: 22 working days from Monday 2 Nov 2026 (ends Wed 2 Dec; Tue 24 Nov, Vietnamese
        # Culture Day, is off in the calendar, so the window shows a mid-week holiday too).
        "first_working_day": "2026-11-02",
        "working_days": 22,
        # Online portals accept 24/7. Most parents submit in office hours (often from the hospital or at work),
        # a fifth in the evening after work, a tenth on weekends/holidays.
        "mix": {"desk_hours": 0.70, "evening": 0.20, "non_working_day": 0.10},
        "evening": ["17:00", "23:00"],  # working days, after the desk closes
        "non_working_day": ["07:00", "22:00"],  # Saturdays, Sundays and holidays inside the window
    },
    "after": {
        # Online acceptance by the commune desk (8 working hours is the legal limit for checking an online dossier):
        # usually within the hour, a long tail when the desk is busy, never beyond the legal 8 hours.
        "acceptance_hours": {"median": 1.0, "p95": 6.0, "cap": 8.0},
        # Per step of the group (by step code). "same_day" follows the step's `working_days: 0`: the commune
        # officer finishes it the same working day when the remaining desk time allows, else the next morning.
        "steps": {
            # Birth registration at the commune: checking, entry in the civil-status software, signing; queue
            # included. About 2 working hours, rarely more than most of a day (cap: one working day).
            "khai_sinh": {"unit": "hours", "median": 2.0, "p95": 6.0, "cap": 8.0},
            # Police permanent residence for the child: a records check and the head of household's consent
            # already in the declaration; under a day usually, p95 two days (the step's own limit is 2 days).
            "thuong_tru": {"unit": "days", "median": 0.7, "p95": 2.0, "cap": None},
            # Social insurance: health card for a child under 6 is issued from data alone; half a day typically.
            "bhyt": {"unit": "days", "median": 0.5, "p95": 1.5, "cap": None},
        },
        # 5 % of births need a verification (late registration, a parent's identity to confirm, a foreign
        # element): 1-2 extra working days on that step, and the chain gets the group's longer limit (5 days).
        "verification": {"step": "khai_sinh", "share": 0.05, "extra_days": [1.0, 2.0]},
        # Message hand-off between agencies, for each dispatch and each result callback: the outbox worker runs
        # every 10 s, then delivery + acknowledgement takes seconds, occasionally minutes (wall clock: machines
        # work 24/7). 2 % of messages hit a partner outage: retries back off up to a few working hours.
        "handoff": {
            "poll_seconds": 10,
            "delivery_seconds": {"median": 3.0, "p95": 60.0, "cap": 900.0},
            "outage_share": 0.02,
            "outage_backoff_hours": [0.25, 4.0],
        },
    },
    "before": {
        # The status quo: three separate procedures, in person, one after the other, in the group's step order.
        # Statutory time of each in working days; None = read it from the catalogue definition of the step's
        # procedure (1.004222 permanent residence: 7). Birth registration: 1 day (the pre-linking rule, with a
        # 15:00 cut-off); child health card: 5 days (not in our catalogue: an assumption).
        "statutory_working_days": {"khai_sinh": 1, "thuong_tru": None, "bhyt": 5},
        # Agencies often use most of their statutory time: the share used is Beta(a, b), mean a/(a+b) = 0.82,
        # mode (a-1)/(a+b-2) = 0.92. The model never lets an agency be late (the "before" is thus optimistic).
        "agency_share_beta": [7.0, 1.5],
        # The citizen's own gap before each visit (working days, lognormal), counted from the moment the linked
        # chain would have been submitted online: going to the commune in person (taking a weekday off); then
        # fetching the paper birth extract, gathering the CT01 form and the household head's consent and visiting
        # the police; then fetching the residence result and visiting social insurance.
        "citizen_gap_days": {
            "khai_sinh": {"median": 2.0, "p95": 5.0},
            "thuong_tru": {"median": 3.0, "p95": 8.0},
            "bhyt": {"median": 3.0, "p95": 8.0},
        },
        # CALIBRATION: the gaps and the Beta above were chosen so that the median "before" lands near the
        # ~21 working days the news anchor cites for the three separate procedures. A model, not a measurement.
        "calibration_target_median_working_days": 21,
    },
}


# --------------------------------------------------------------------------- pure helpers
def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) with linear interpolation between ranks (numpy's default 'linear')."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be in 0..100, got {p}")
    xs = sorted(values)
    pos = (len(xs) - 1) * p / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def parse_hhmm(text: str) -> dt.time:
    h, m = text.split(":")
    return dt.time(int(h), int(m))


def opening(cal: WorkCalendar, d: dt.date) -> dt.datetime:
    return dt.datetime.combine(d, dt.time(*divmod(cal.periods[0][0], 60)), TZ)


def effective_start(cal: WorkCalendar, received: dt.datetime, cutoff: dt.time | None) -> dt.datetime:
    """When the clock starts: ``received`` itself on a working day before the cut-off, else the opening of day 0."""
    local = received.astimezone(TZ)
    day0 = cal.add_working_days(local, 0, cutoff).date()
    if local.date() == day0:
        return max(local, opening(cal, day0))
    return opening(cal, day0)


def working_days(cal: WorkCalendar, a: dt.datetime, b: dt.datetime) -> float:
    return cal.working_seconds_between(a, b) / cal.seconds_per_day


def lognormal(rng: random.Random, median: float, p95: float, cap: float | None = None) -> float:
    value = rng.lognormvariate(math.log(median), math.log(p95 / median) / Z95)
    return min(value, cap) if cap is not None else value


def same_day_or_next(cal: WorkCalendar, start: dt.datetime, seconds: int) -> dt.datetime:
    """The officers' queue: done today if the desk time left today suffices, else from the next opening."""
    local = start.astimezone(TZ)
    d = local.date()
    left = cal.working_seconds_between(local, cal.day_closing(d)) if cal.is_working_day(d) else 0
    if seconds <= left:
        return cal.add_working_seconds(local, seconds)
    return cal.add_working_seconds(opening(cal, cal.next_working_day(d)), seconds)


# --------------------------------------------------------------------------- the group definition
@dataclass(frozen=True)
class Step:
    code: str
    procedure: str
    after: tuple[str, ...]
    working_days: int


@dataclass(frozen=True)
class Group:
    code: str
    limit: int
    limit_with_verification: int
    cutoff: dt.time | None
    steps: tuple[Step, ...]  # in file order, which the group loader requires to be a topological order


def load_group(path: Path = GROUP_FILE) -> Group:
    """The engine's own group definition (motcua.linked.groups: same checks, no Django needed), with the usual
    limit and cut-off of its umbrella procedure's catalogue definition, as the engine uses them."""
    from motcua.linked.groups import all_groups

    spec = next(g for g in all_groups().values() if g.code == json.loads(path.read_text(encoding="utf-8"))["code"])
    limit, cutoff = catalog_time(spec.code)
    return Group(
        code=spec.code,
        limit=limit,
        limit_with_verification=spec.limit_with_verification,
        cutoff=cutoff,
        steps=tuple(Step(s.code, s.procedure, s.after, s.working_days) for s in spec.steps),
    )


def catalog_time(procedure: str) -> tuple[int, dt.time | None] | None:
    """(statutory working days, cut-off) from the catalogue definition, when it has one in working days."""
    path = CATALOG_DIR / f"{procedure}.json"
    if not path.exists():
        return None
    raw = json.loads(path.read_text(encoding="utf-8"))
    if raw.get("time_unit") != "working_days" or raw.get("time_value") is None:
        return None
    return int(raw["time_value"]), parse_hhmm(raw["cutoff"]) if raw.get("cutoff") else None


# --------------------------------------------------------------------------- arrivals
def window_days(cal: WorkCalendar, params: dict) -> tuple[list[dt.date], list[dt.date]]:
    """(working days, non-working days) of the arrival window."""
    a = params["arrivals"]
    first = dt.date.fromisoformat(a["first_working_day"])
    work = [cal.next_working_day(first, include_self=True)]
    while len(work) < a["working_days"]:
        work.append(cal.next_working_day(work[-1]))
    off = [
        work[0] + dt.timedelta(days=i)
        for i in range((work[-1] - work[0]).days + 1)
        if not cal.is_working_day(work[0] + dt.timedelta(days=i))
    ]
    return work, off


def _uniform_clock(rng: random.Random, d: dt.date, span: Sequence[str]) -> dt.datetime:
    lo, hi = (parse_hhmm(s) for s in span)
    a, b = lo.hour * 3600 + lo.minute * 60, hi.hour * 3600 + hi.minute * 60
    return dt.datetime.combine(d, dt.time(0), TZ) + dt.timedelta(seconds=rng.randrange(a, b))


def arrivals(cal: WorkCalendar, n: int, rng: random.Random, params: dict = PARAMS) -> list[tuple[str, dt.datetime]]:
    """n (kind, submission instant) pairs, sorted by time."""
    a = params["arrivals"]
    work, off = window_days(cal, params)
    mix = a["mix"]
    out = []
    for _ in range(n):
        r = rng.random()
        if r < mix["desk_hours"]:
            day = opening(cal, rng.choice(work))
            out.append(("desk_hours", cal.add_working_seconds(day, rng.randrange(cal.seconds_per_day))))
        elif r < mix["desk_hours"] + mix["evening"] or not off:
            out.append(("evening", _uniform_clock(rng, rng.choice(work), a["evening"])))
        else:
            out.append(("non_working_day", _uniform_clock(rng, rng.choice(off), a["non_working_day"])))
    out.sort(key=lambda x: x[1])
    return out


# --------------------------------------------------------------------------- "after": the linked chain
@dataclass
class StepRun:
    dispatched: dt.datetime  # the outbox sends the step's message (its inputs exist)
    started: dt.datetime  # the partner/officer has the message
    done: dt.datetime  # the step's result exists at the partner
    result: dt.datetime  # the result is back on the platform (callback)


@dataclass
class AfterRun:
    received: dt.datetime
    start: dt.datetime  # effective start after the cut-off rule
    accepted: dt.datetime
    verification: bool
    limit: int
    steps: dict[str, StepRun] = field(default_factory=dict)

    @property
    def last_result(self) -> dt.datetime:
        return max(s.result for s in self.steps.values())


def handoff(cal: WorkCalendar, t: dt.datetime, rng: random.Random, params: dict = PARAMS) -> dt.datetime:
    h = params["after"]["handoff"]
    d = h["delivery_seconds"]
    seconds = rng.uniform(0, h["poll_seconds"]) + lognormal(rng, d["median"], d["p95"], d["cap"])
    arrived = t + dt.timedelta(seconds=round(seconds))
    if rng.random() < h["outage_share"]:
        lo, hi = h["outage_backoff_hours"]
        arrived = cal.add_working_seconds(arrived, round(rng.uniform(lo, hi) * 3600))
    return arrived.astimezone(TZ)


def simulate_after(
    cal: WorkCalendar, group: Group, received: dt.datetime, rng: random.Random, params: dict = PARAMS
) -> AfterRun:
    p = params["after"]
    acc = p["acceptance_hours"]
    accepted = cal.add_working_seconds(received, round(lognormal(rng, acc["median"], acc["p95"], acc["cap"]) * 3600))
    ver = p["verification"]
    verification = rng.random() < ver["share"]
    run = AfterRun(
        received=received.astimezone(TZ),
        start=effective_start(cal, received, group.cutoff),
        accepted=accepted,
        verification=verification,
        limit=group.limit_with_verification if verification else group.limit,
    )
    w = cal.seconds_per_day
    for step in group.steps:
        ready = max((run.steps[dep].result for dep in step.after), default=accepted)
        started = handoff(cal, ready, rng, params)
        sp = p["steps"][step.code]
        unit = 3600 if sp["unit"] == "hours" else w
        seconds = round(lognormal(rng, sp["median"], sp["p95"], sp["cap"]) * unit)
        if step.working_days == 0:
            done = same_day_or_next(cal, started, seconds)
        else:
            done = cal.add_working_seconds(started, seconds)
        if verification and step.code == ver["step"]:
            done = cal.add_working_seconds(done, round(rng.uniform(*ver["extra_days"]) * w))
        run.steps[step.code] = StepRun(ready, started, done, handoff(cal, done, rng, params))
    return run


# --------------------------------------------------------------------------- "before": three separate procedures
def before_statutory(group: Group, params: dict = PARAMS) -> dict[str, tuple[int, dt.time | None]]:
    """(statutory working days, cut-off) of each step when done as a separate procedure."""
    out = {}
    for step in group.steps:
        days = params["before"]["statutory_working_days"].get(step.code)
        from_catalog = catalog_time(step.procedure)
        if days is None:
            if from_catalog is None:
                raise ValueError(f"no statutory time for {step.code} ({step.procedure})")
            days = from_catalog[0]
        cutoff = group.cutoff if not step.after else (from_catalog[1] if from_catalog else None)
        out[step.code] = (int(days), cutoff)
    return out


def simulate_before(
    cal: WorkCalendar,
    group: Group,
    received: dt.datetime,
    verification: bool,
    rng: random.Random,
    params: dict = PARAMS,
    statutory: dict[str, tuple[int, dt.time | None]] | None = None,
) -> dict[str, dt.datetime]:
    """Result instant of each procedure, one after the other in the group's step order, from the same moment."""
    b = params["before"]
    statutory = statutory or before_statutory(group, params)
    w = cal.seconds_per_day
    alpha, beta = b["agency_share_beta"]
    t = received.astimezone(TZ)
    results = {}
    for step in group.steps:
        g = b["citizen_gap_days"][step.code]
        visit = cal.add_working_seconds(t, round(lognormal(rng, g["median"], g["p95"]) * w))
        days, cutoff = statutory[step.code]
        start = effective_start(cal, visit, cutoff)
        allowed = cal.working_seconds_between(start, cal.deadline(visit, days, "working_days", cutoff))
        t = cal.add_working_seconds(start, round(rng.betavariate(alpha, beta) * allowed))
        if verification and step.code == params["after"]["verification"]["step"]:
            t = cal.add_working_seconds(t, round(rng.uniform(*params["after"]["verification"]["extra_days"]) * w))
        results[step.code] = t
    return results


# --------------------------------------------------------------------------- the run
def summary(values: list[float]) -> dict[str, float]:
    return {
        "median": round(percentile(values, 50), 2),
        "p95": round(percentile(values, 95), 2),
        "max": round(max(values), 2),
        "mean": round(sum(values) / len(values), 2),
    }


def simulate(cal: WorkCalendar, group: Group, n: int, seed: int, params: dict = PARAMS) -> dict:
    # Three independent streams: re-tuning the "before" does not change the arrivals or the "after" draws.
    rng, rng_before = random.Random(f"{seed}:after"), random.Random(f"{seed}:before")
    statutory = before_statutory(group, params)
    subs = arrivals(cal, n, random.Random(f"{seed}:arrivals"), params)
    after_wd, before_wd, after_cal, before_cal = [], [], [], []
    within_after = within_before = strict_after = 0
    per_step: dict[str, dict[str, list[float]]] = {
        s.code: {"processing": [], "result_since_receipt": [], "handoff_seconds": []} for s in group.steps
    }
    acceptance, kinds, after_cutoff, ver = [], {}, 0, 0
    for kind, t0 in subs:
        kinds[kind] = kinds.get(kind, 0) + 1
        run = simulate_after(cal, group, t0, rng, params)
        before = simulate_before(cal, group, t0, run.verification, rng_before, params, statutory)
        last_b = max(before.values())
        deadline = cal.deadline(t0, run.limit, "working_days", group.cutoff)
        a_wd = working_days(cal, run.start, run.last_result)
        after_wd.append(a_wd)
        before_wd.append(working_days(cal, run.start, last_b))
        after_cal.append((run.last_result - t0).total_seconds() / 86400)
        before_cal.append((last_b - t0).total_seconds() / 86400)
        within_after += run.last_result <= deadline
        within_before += last_b <= deadline
        strict_after += a_wd <= run.limit
        ver += run.verification
        local = t0.astimezone(TZ)
        after_cutoff += kind == "desk_hours" and group.cutoff is not None and local.time() >= group.cutoff
        acceptance.append(working_days(cal, t0, run.accepted) * 8)
        for code, s in run.steps.items():
            per_step[code]["processing"].append(working_days(cal, s.started, s.done))
            per_step[code]["result_since_receipt"].append(working_days(cal, run.start, s.result))
            per_step[code]["handoff_seconds"].append((s.started - s.dispatched).total_seconds())
    return {
        "arrivals": {
            "by_kind": kinds,
            "desk_hours_after_cutoff": after_cutoff,
            "first": subs[0][1].isoformat(),
            "last": subs[-1][1].isoformat(),
        },
        "verification_chains": ver,
        "after": {
            "working_days": summary(after_wd),
            "within_legal_deadline_share": round(within_after / n, 4),
            "within_limit_elapsed_share": round(strict_after / n, 4),
            "calendar_days_median": round(percentile(after_cal, 50), 2),
            "acceptance_working_hours_median": round(percentile(acceptance, 50), 2),
            "steps": {
                code: {
                    "processing_working_days_median": round(percentile(v["processing"], 50), 3),
                    "processing_working_days_p95": round(percentile(v["processing"], 95), 3),
                    "result_since_receipt_working_days_median": round(percentile(v["result_since_receipt"], 50), 3),
                    "handoff_seconds_median": round(percentile(v["handoff_seconds"], 50), 1),
                    "handoff_seconds_p95": round(percentile(v["handoff_seconds"], 95), 1),
                }
                for code, v in per_step.items()
            },
        },
        "before": {
            "statutory_working_days": {code: d for code, (d, _c) in statutory.items()},
            "working_days": summary(before_wd),
            "within_legal_deadline_share": round(within_before / n, 4),
            "calendar_days_median": round(percentile(before_cal, 50), 2),
        },
        "speedup_median": round(percentile(before_wd, 50) / percentile(after_wd, 50), 1),
        "speedup_p95": round(percentile(before_wd, 95) / percentile(after_wd, 95), 1),
    }


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join([r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--chains", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "linked.json")
    args = ap.parse_args()
    t0 = time.perf_counter()
    cal = official_calendar()
    group = load_group()
    t_cal = time.perf_counter() - t0
    t1 = time.perf_counter()
    fig = simulate(cal, group, args.chains, args.seed)
    t_sim = time.perf_counter() - t1
    runtime = time.perf_counter() - t0
    work, _off = window_days(cal, PARAMS)

    result = {
        "benchmark": "linked.birth_chain_model",
        "kind": "model (discrete-event simulation on the official calendar), not a measurement",
        "timestamp": dt.datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
        },
        "chains": args.chains,
        "seed": args.seed,
        "group": {
            "code": group.code,
            "file": str(GROUP_FILE.relative_to(ROOT)),
            "limit_working_days": group.limit,
            "limit_working_days_with_verification": group.limit_with_verification,
            "cutoff": group.cutoff.strftime("%H:%M") if group.cutoff else None,
            "steps": {s.code: list(s.after) for s in group.steps},
        },
        "window": {"first": work[0].isoformat(), "last": work[-1].isoformat(), "working_days": len(work)},
        "metric": "working_seconds_between(effective start after the 15:00 cut-off, last result) / 8 h; "
        "within the legal deadline = last result <= deadline(receipt, 3 or 5, working_days, cutoff 15:00)",
        "calibration": "the 'before' citizen gaps and agency-share Beta are calibrated so the median lands near the "
        f"~{PARAMS['before']['calibration_target_median_working_days']} working days the news anchor cites",
        "params": PARAMS,
        **fig,
        "runtime_seconds": {"calendar": round(t_cal, 3), "simulation": round(t_sim, 3), "total": round(runtime, 3)},
    }

    a, b = fig["after"], fig["before"]
    aw, bw = a["working_days"], b["working_days"]
    lim = f"{group.limit} (or {group.limit_with_verification} w/ verification)"
    print(
        f"motcua linked-chain model · {args.chains:,} birth chains · seed {args.seed} · "
        f"{work[0]:%d/%m}–{work[-1]:%d/%m/%Y} ({len(work)} working days) · Python {platform.python_version()}"
    )
    print("A MODEL, not a measurement: every input is an assumption (PARAMS in bench/linked.py).")
    print()
    table(
        ("receipt → all results, working days", "after (linked)", "before (3 separate)"),
        [
            ("median", f"{aw['median']:.2f}", f"{bw['median']:.2f}"),
            ("p95", f"{aw['p95']:.2f}", f"{bw['p95']:.2f}"),
            ("max", f"{aw['max']:.2f}", f"{bw['max']:.2f}"),
            (
                f"within the legal limit {lim}",
                f"{a['within_legal_deadline_share']:.1%}",
                f"{b['within_legal_deadline_share']:.1%}",
            ),
            ("  elapsed ≤ limit (stricter)", f"{a['within_limit_elapsed_share']:.1%}", ""),
            (
                "median, calendar days (wall clock)",
                f"{a['calendar_days_median']:.2f}",
                f"{b['calendar_days_median']:.2f}",
            ),
            ("speed-up before / after: median", f"{fig['speedup_median']}x", ""),
            ("speed-up before / after: p95", f"{fig['speedup_p95']}x", ""),
        ],
    )
    print(
        f"'before' is CALIBRATED to the ~{PARAMS['before']['calibration_target_median_working_days']} working days "
        f"of the news anchor (statutory {b['statutory_working_days']} + citizen gaps)."
    )
    print()
    table(
        ("after, per step (working days)", "processing p50", "p95", "result since receipt p50", "hand-off p50"),
        [("acceptance (online desk)", f"{a['acceptance_working_hours_median'] / 8:.3f}", "", "", "")]
        + [
            (
                code,
                f"{st['processing_working_days_median']:.3f}",
                f"{st['processing_working_days_p95']:.3f}",
                f"{st['result_since_receipt_working_days_median']:.3f}",
                f"{st['handoff_seconds_median']:.0f} s",
            )
            for code, st in a["steps"].items()
        ],
    )
    arr = fig["arrivals"]
    print()
    print(
        f"arrivals {arr['by_kind']}; {arr['desk_hours_after_cutoff']} of the desk-hour ones after the 15:00 "
        f"cut-off; {fig['verification_chains']} chains need verification"
    )
    print(f"runtime {runtime:.2f} s (calendar {t_cal:.2f} s, simulation {t_sim:.2f} s)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"written {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")


if __name__ == "__main__":
    main()
