"""Every number drills down to exactly the dossiers behind it: for every metric and several slices, the drill-down
has as many dossiers as the figure counts, and for the main flows they are the very dossiers an independent look
at the dossiers themselves finds."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from motcua.analytics import queries
from motcua.analytics.queries import EXTRA_METRICS, METRICS, Scope
from motcua.dossiers.models import Dossier
from motcua.worktime.calc import TZ

from .facts_fixtures import clock_fixture, two_weeks  # noqa: F401 - the fixture `clock`

pytestmark = pytest.mark.django_db


def _slices(world) -> list[Scope]:
    agency = (world.agency.id,)
    out = []
    for start, end in [
        (date(2026, 3, 2), date(2026, 3, 11)),  # the whole fortnight
        (date(2026, 3, 2), date(2026, 3, 2)),  # the first day
        (date(2026, 3, 3), date(2026, 3, 9)),  # the middle: carried over in, still open out
        (date(2026, 3, 6), date(2026, 3, 6)),  # the day the late one became overdue
        (date(2026, 3, 10), date(2026, 3, 31)),  # the end of the month
        (date(2026, 3, 1), date(2026, 3, 31)),  # a whole month: read from the monthly tables
        (date(2026, 2, 15), date(2026, 4, 10)),  # a whole month with days at either end
    ]:
        out += [
            Scope(start, end),
            Scope(start, end, agency_ids=agency),
            Scope(start, end, agency_ids=(world.other_agency.id,)),
            Scope(start, end, channel="online"),
            Scope(start, end, procedure_id=world.procedure.id, channel="post"),
        ]
    return out


def _figure(t, metric: str) -> int:
    return t.counts[metric] if metric in t.counts else t.extra[metric]


def test_every_figure_drills_down_to_as_many_dossiers_as_it_counts(world, clock):
    # given two weeks of real moves
    two_weeks(world, clock)
    for scope in _slices(world):
        t = queries.totals(scope)
        for metric in (*METRICS, *EXTRA_METRICS):
            # then the drill-down of each figure has exactly that many dossiers
            assert queries.drilldown(scope, metric).count() == _figure(t, metric), (scope, metric)


def _local(dt) -> date:
    return dt.astimezone(TZ).date()


def test_the_main_flows_are_the_dossiers_an_independent_look_finds(world, clock):
    # given two weeks of real moves
    d = two_weeks(world, clock)
    scope = Scope(date(2026, 3, 2), date(2026, 3, 6), agency_ids=(world.agency.id,))
    dossiers = list(Dossier.objects.filter(agency=world.agency).exclude(status="draft"))

    def during(dt) -> bool:
        return dt is not None and scope.start <= _local(dt) <= scope.end

    def drilled(metric: str) -> set[int]:
        return set(queries.drilldown(scope, metric).values_list("pk", flat=True))

    # then received / refused / withdrawn / accepted are the dossiers whose own dates say so
    assert drilled("received") == {x.pk for x in dossiers if during(x.submitted_at)}
    assert drilled("received_post") == {x.pk for x in dossiers if during(x.submitted_at) and x.channel == "post"}
    assert drilled("refused") == {x.pk for x in dossiers if x.status == "refused" and during(x.finished_at)}
    assert drilled("withdrawn") == {x.pk for x in dossiers if x.status == "withdrawn" and during(x.finished_at)}
    assert drilled("accepted") == {x.pk for x in dossiers if during(x.accepted_at)}
    # resolved = result ready in the period, by the engine's own outcome once returned
    assert drilled("resolved") == {x.pk for x in dossiers if during(x.result_ready_at)} == {d["returned"].pk}
    assert drilled("resolved_early") == {x.pk for x in dossiers if x.outcome == "early" and during(x.result_ready_at)}
    # open at the end of Friday the 6th, past the appointment: the late one; the rest open are on track
    assert drilled("in_progress_overdue") == {d["late"].pk}
    assert drilled("in_progress_on_track") == {d["supplemented"].pk, d["paused"].pk}
    # and the next week carries the three open ones over
    nxt = Scope(scope.end + timedelta(days=1), scope.end + timedelta(days=7), agency_ids=scope.agency_ids)
    assert set(queries.drilldown(nxt, "carried_over").values_list("pk", flat=True)) == {
        d["late"].pk,
        d["supplemented"].pk,
        d["paused"].pk,
    }


def test_an_unknown_metric_is_refused(world):
    with pytest.raises(ValueError):
        queries.drilldown(Scope(date(2026, 3, 2), date(2026, 3, 2)), "hồ sơ bất kỳ")


def test_a_trend_by_month_adds_up_to_the_totals(world, clock):
    # given two weeks of real moves
    two_weeks(world, clock)
    scope = Scope(date(2026, 2, 15), date(2026, 4, 10))
    rows = queries.trend(scope, "month")
    t = queries.totals(scope)
    # then one row per month, whose flows add up to the period's, and whose stocks chain from one to the next
    assert [r.key for r in rows] == ["2026-02-01", "2026-03-01", "2026-04-01"]
    for metric in ("received", "accepted", "resolved", "refused", "withdrawn", "rated"):
        assert sum(r.totals.counts[metric] for r in rows) == t.counts[metric]
    for before, after in itertools.pairwise(rows):
        open_end = before.totals.counts["in_progress_on_track"] + before.totals.counts["in_progress_overdue"]
        assert after.totals.counts["carried_over"] == open_end
    last = rows[-1].totals.counts
    assert (last["in_progress_on_track"], last["in_progress_overdue"]) == (
        t.counts["in_progress_on_track"],
        t.counts["in_progress_overdue"],
    )
    assert (
        t.p50_working_days is not None
        and t.p50_working_days == queries.totals(Scope(date(2026, 3, 1), date(2026, 3, 31))).p50_working_days
    )
