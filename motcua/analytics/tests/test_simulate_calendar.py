"""The generator's table-driven calendar on epoch seconds must give WorkCalendar's answers, and its deadlines the
dossier engine's, or the synthetic year would disagree with what the services compute."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest

from motcua.analytics.simulate.fastcal import FastCalendar, compute_due, cutoff_seconds, local_ord, step_due
from motcua.worktime.calc import TZ, WorkCalendar
from motcua.worktime.defaults import build_calendar

FIRST, LAST = date(2024, 1, 1), date(2031, 12, 31)
PERIODS = {
    "national": ((450, 690), (780, 1020)),
    "long day": ((420, 720), (810, 1080)),
    "to midnight": ((480, 720), (780, 1440)),
}


def _at(s: int) -> datetime:
    return datetime.fromtimestamp(s, TZ)


def _instants(rng: random.Random, n: int) -> list[int]:
    lo = int(datetime(2025, 1, 1, tzinfo=TZ).timestamp())
    hi = int(datetime(2027, 6, 30, tzinfo=TZ).timestamp())
    out = [rng.randrange(lo, hi) for _ in range(n)]
    # instants on period edges and at the cut-off, where off-by-one mistakes live
    for s in out[: n // 4]:
        day = datetime.fromtimestamp(s, TZ).date()
        for hh, mm in ((7, 30), (11, 30), (13, 0), (15, 0), (17, 0), (0, 0), (23, 59)):
            out.append(int(datetime.combine(day, time(hh, mm), TZ).timestamp()))
    return out


@pytest.mark.parametrize("name", sorted(PERIODS))
def test_every_operation_matches_workcalendar(name):
    # given the official calendar (holidays, Tết, swapped Saturdays) with these desk hours, and the fast copy
    real: WorkCalendar = build_calendar((), PERIODS[name])
    fast = FastCalendar(real, FIRST, LAST)
    rng = random.Random(name)
    cutoff = cutoff_seconds(time(15, 0))
    for s in _instants(rng, 3000):
        at = _at(s)
        n = rng.choice((0, 1, 2, 3, 5, 7, 15, 30))
        seconds = rng.choice((0, 1, 59, 3600, 4 * 3600, 8 * 3600, 29 * 3600 + 17, 100 * 3600))
        other = s + rng.randrange(-40 * 86400, 40 * 86400)
        # when each operation runs on both, then the answers are the same instant
        assert fast.add_working_days(s, n) == int(real.add_working_days(at, n).timestamp())
        assert fast.add_working_days(s, n, cutoff) == int(real.add_working_days(at, n, time(15, 0)).timestamp())
        assert fast.add_working_seconds(s, seconds) == int(real.add_working_seconds(at, seconds).timestamp())
        assert fast.working_seconds_between(s, other) == real.working_seconds_between(at, _at(other))
        assert fast.working_days_between(local_ord(s), local_ord(other)) == real.working_days_between(
            at.date(), _at(other).date()
        )
        assert fast.closing(local_ord(s)) == int(real.day_closing(at.date()).timestamp())
        assert fast.is_working_ord(local_ord(s)) == real.is_working_day(at.date())
        paused, resumed = s, s + rng.randrange(0, 20 * 86400)
        due = s + rng.randrange(-86400, 20 * 86400)
        for unit in ("working_days", "working_hours"):
            assert fast.resume_after_pause(due, paused, resumed, unit) == int(
                real.resume_after_pause(_at(due), _at(paused), _at(resumed), unit).timestamp()
            )


@pytest.mark.django_db
def test_deadlines_match_the_dossier_engine(world):
    from motcua.dossiers.models import Dossier
    from motcua.dossiers.services import _step_due
    from motcua.dossiers.services import compute_due as engine_due
    from motcua.worktime.services import calendar_for

    # given the engine's calendar for an agency and the fast copy
    fast = FastCalendar(calendar_for(world.agency), FIRST, LAST)
    rng = random.Random(7)
    version = world.version
    cases = [
        (Decimal("3"), "working_days", time(15, 0)),
        (Decimal("0"), "working_days", time(15, 0)),
        (Decimal("0.5"), "working_days", None),
        (Decimal("12"), "working_hours", None),
        (Decimal("30"), "days", None),
        (Decimal("2"), "months", None),
        (None, "none", None),
    ]
    for value, unit, cutoff in cases:
        version.time_value, version.time_unit, version.cutoff = value, unit, cutoff
        for s in _instants(rng, 300):
            dossier = Dossier(version=version, agency=world.agency, procedure=world.procedure, data={})
            # when the due date is computed both ways, then it is the same
            expected = engine_due(dossier, _at(s))
            got = compute_due(fast, value, unit, cutoff_seconds(cutoff), s)
            assert got == (None if expected is None else int(expected.timestamp())), (value, unit, _at(s))
            if expected is not None:
                # and so is each step's share of it
                dossier.accepted_at, dossier.due_at = _at(s), expected
                start = s + rng.randrange(0, 3 * 86400)
                step = {"share": rng.choice((0.1, 0.3, 0.6, 1.0))}
                assert step_due(fast, s, got, step["share"], start) == int(
                    _step_due(dossier, step, _at(start)).timestamp()
                )


def test_the_window_is_enforced():
    fast = FastCalendar(build_calendar(), date(2026, 1, 1), date(2026, 12, 31))
    s = int(datetime(2026, 12, 30, 9, 0, tzinfo=TZ).timestamp())
    with pytest.raises(ValueError):
        fast.add_working_days(s, 40)
    assert fast.add_working_days(s, 0) == int(datetime(2026, 12, 30, 17, 0, tzinfo=TZ).timestamp())
    assert timedelta(seconds=fast.seconds_per_day) == timedelta(hours=8)
