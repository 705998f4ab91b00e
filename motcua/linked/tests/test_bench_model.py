"""The pure pieces of the linked-chain model (bench/linked.py): no database, the real official calendar."""

from __future__ import annotations

import copy
import datetime as dt
import random

import pytest

from bench.linked import (
    PARAMS,
    arrivals,
    before_statutory,
    effective_start,
    load_group,
    percentile,
    same_day_or_next,
    simulate_after,
    simulate_before,
)
from motcua.worktime.calc import TZ
from motcua.worktime.defaults import official_calendar


@pytest.fixture(scope="module")
def cal():
    return official_calendar()


@pytest.fixture(scope="module")
def group():
    return load_group()


def at(y, mo, d, h, mi=0):
    return dt.datetime(y, mo, d, h, mi, tzinfo=TZ)


def test_percentile_interpolates_between_ranks():
    # given values whose ranks are known
    values = [4.0, 1.0, 3.0, 2.0]
    hundred = list(range(1, 101))
    # when / then: the median of an even count sits between the two middle values, the ends are min and max
    assert percentile(values, 50) == 2.5
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 4.0
    assert percentile(hundred, 95) == pytest.approx(95.05)
    assert percentile([7.0], 95) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)


def test_cutoff_rule_on_the_official_calendar(cal):
    # given the group's 15:00 cut-off
    cutoff = dt.time(15, 0)
    # when / then: before the cut-off the clock starts at receipt (or at the opening when received earlier)
    assert effective_start(cal, at(2026, 11, 5, 14, 59), cutoff) == at(2026, 11, 5, 14, 59)
    assert effective_start(cal, at(2026, 11, 5, 6, 0), cutoff) == at(2026, 11, 5, 7, 30)
    # at or after the cut-off, and on a weekend, it starts at the next working day's opening
    assert effective_start(cal, at(2026, 11, 5, 15, 0), cutoff) == at(2026, 11, 6, 7, 30)
    assert effective_start(cal, at(2026, 11, 7, 10, 0), cutoff) == at(2026, 11, 9, 7, 30)
    # Tuesday 24 Nov 2026 is off: a Monday-evening submission counts from Wednesday
    assert effective_start(cal, at(2026, 11, 23, 20, 0), cutoff) == at(2026, 11, 25, 7, 30)


def test_same_day_work_rolls_to_the_next_morning_when_the_day_is_too_short(cal):
    # given two hours of work
    two_hours = 2 * 3600
    # when it starts at 14:00 it ends the same afternoon; at 16:00 it starts again the next working morning
    assert same_day_or_next(cal, at(2026, 11, 5, 14, 0), two_hours) == at(2026, 11, 5, 16, 0)
    assert same_day_or_next(cal, at(2026, 11, 6, 16, 0), two_hours) == at(2026, 11, 9, 9, 30)


def test_the_step_graph_and_statutory_times_come_from_the_files(group):
    # given the birth group file and the catalogue
    # when it is loaded
    after = {s.code: s.after for s in group.steps}
    statutory = before_statutory(group)
    # then the police and social-insurance steps both wait for the birth registration only (in parallel)
    assert after == {"khai_sinh": (), "thuong_tru": ("khai_sinh",), "bhyt": ("khai_sinh",)}
    assert (group.limit, group.limit_with_verification) == (3, 5)
    assert statutory["thuong_tru"][0] == 7  # 1.004222's time_value
    assert statutory["khai_sinh"] == (1, dt.time(15, 0))


def test_the_simulated_chain_never_starts_before_receipt(cal, group):
    # given 300 submissions over the working month (evenings and weekends included)
    subs = arrivals(cal, 300, random.Random(1))
    rng = random.Random(2)
    for _kind, received in subs:
        # when each chain is simulated
        run = simulate_after(cal, group, received, rng)
        before = simulate_before(cal, group, received, run.verification, rng)
        # then nothing happens before receipt, and every step follows what it waits for
        assert run.start >= received and run.accepted >= received
        for step in group.steps:
            s = run.steps[step.code]
            assert run.accepted <= s.dispatched <= s.started <= s.done <= s.result
            assert all(s.dispatched >= run.steps[dep].result for dep in step.after)
        assert run.last_result >= run.start
        assert min(before.values()) >= received
        assert list(before.values()) == sorted(before.values())  # the three procedures one after the other


def test_chains_needing_verification_get_the_five_day_limit(cal, group):
    # given a model where every birth needs verification, and one where none does
    always, never = copy.deepcopy(PARAMS), copy.deepcopy(PARAMS)
    always["after"]["verification"]["share"] = 1.0
    never["after"]["verification"]["share"] = 0.0
    received = at(2026, 11, 5, 9, 0)
    # when a chain is simulated under each
    verified = simulate_after(cal, group, received, random.Random(3), always)
    plain = simulate_after(cal, group, received, random.Random(3), never)
    # then the verified chain has the longer limit and its birth registration takes at least one more working day
    assert verified.verification and verified.limit == 5
    assert not plain.verification and plain.limit == 3
    ks = verified.steps["khai_sinh"]
    assert cal.working_seconds_between(ks.started, ks.done) >= cal.seconds_per_day
