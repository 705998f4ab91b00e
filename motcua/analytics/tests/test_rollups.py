"""The rollups (the facts summed by province / agency / procedure / channel) give the very same figures as the
detailed tables, whatever the slice and the period: every query is run twice on a crafted quarter of facts, once
as the pages run it (from the rollups where the slice allows) and once forced onto the detailed tables."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from motcua.analytics import facts, queries
from motcua.analytics.queries import Scope

pytestmark = pytest.mark.django_db

FIRST = date(2026, 1, 1)


def craft(world, n: int = 240, seed: int = 7) -> None:
    """n dossiers' fact rows over January–March 2026 (and a few carried over from December), in three agencies and
    three procedures (one of them unknown to the catalogue), every channel, some umbrella requests of a chain:
    received, accepted, closed in every way with processing times, overdue, fees, ratings, feedback. Added through
    the incremental path (`facts.apply`), which keeps the detailed tables and the rollups."""
    from motcua.catalog.models import Agency, Procedure

    rng = random.Random(seed)
    third = Agency.objects.create(
        name="Sở Tư pháp", code="STP-T", kind="department", province_code="22", parent=world.agency.parent
    )
    second = Procedure.objects.create(code="2.000001", name="Chứng thực bản sao", field="Chứng thực")
    agencies = [world.agency.id, world.other_agency.id, third.id]
    procedures = [world.procedure.id, second.id, 999_999]
    for _ in range(n):
        received = date(2025, 12, 1) + timedelta(days=rng.randrange(120))
        row = dict(facts.EMPTY)
        row.update(
            agency_id=rng.choice(agencies),
            procedure_id=rng.choice(procedures),
            channel=rng.choice(("online", "online", "in_person", "post")),
            chain=rng.random() < 0.1,
            received_day=received,
            digitised=rng.random() < 0.5,
            reused=rng.random() < 0.2,
            portal_sent=rng.random() < 0.6,
        )
        row["portal_synced"] = row["portal_sent"] and rng.random() < 0.8
        if rng.random() < 0.9:
            row["accepted_day"] = received + timedelta(days=rng.randrange(3))
        if rng.random() < 0.1:
            row["supplement_day"] = received + timedelta(days=2)
        if rng.random() < 0.8:
            row["closed_day"] = received + timedelta(days=rng.randrange(45))
            row["closed_as"] = rng.choice(facts.CLOSED_AS[:3] * 3 + facts.CLOSED_AS[3:])
            if row["closed_as"] in facts.RESOLVED and row["accepted_day"]:
                row["proc_units"] = rng.randrange(30_000)
                row["allowed_units"] = rng.randrange(20_000)
        if row["accepted_day"] and rng.random() < 0.3:
            overdue = received + timedelta(days=rng.randrange(1, 30))
            if row["closed_day"] is None or overdue < row["closed_day"]:
                row["overdue_day"] = overdue
        if rng.random() < 0.3:
            row.update(fee_day=received, fee_online=rng.random() < 0.5, fee_vnd=rng.choice((15_000, 50_000)))
        if row["closed_day"] and rng.random() < 0.4:
            row.update(rated_day=row["closed_day"] + timedelta(days=1), rated_satisfied=rng.random() < 0.7)
            row.update(result_day=row["closed_day"], result_stored_day=row["closed_day"])
            if rng.random() < 0.3:
                row.update(feedback_day=row["rated_day"], feedback_handled_day=row["rated_day"] + timedelta(days=3))
                row.update(feedback_on_time=True, feedback_rated_day=row["rated_day"] + timedelta(days=5))
                row["feedback_satisfied"] = rng.random() < 0.5
        daily, durations = facts.delta(facts.EMPTY, row)
        facts.apply(daily, durations)


PERIODS = [
    (date(2026, 1, 1), date(2026, 3, 31)),  # whole months
    (date(2026, 1, 3), date(2026, 3, 28)),  # ends cutting most of their months
    (date(2026, 1, 20), date(2026, 2, 9)),  # ends cutting a few days
    (date(2026, 2, 14), date(2026, 2, 14)),  # one day
    (date(2026, 2, 2), date(2026, 2, 27)),  # most of one month
    (date(2025, 12, 31), date(2026, 4, 30)),  # beyond the data
]


def figures(scope: Scope) -> dict:
    """Every query of the pages for one slice, as comparable values."""

    def rows(rs):
        return sorted(((r.key, r.label, r.totals) for r in rs), key=str)

    out = {
        "totals": queries.totals(scope),
        "trend": {g: [(r.key, r.totals) for r in queries.trend(scope, g)] for g in ("day", "week", "month")},
        "breakdown": {by: rows(queries.breakdown(scope, by)) for by in queries._BY_FIELD | {"channel": ""}},
        "slowest": {by: [(r.key, r.totals) for r in queries.slowest(scope, by, 2)] for by in ("procedure", "agency")},
        "report": rows(queries.periodic_report(scope, "field")),
    }
    if scope.procedure_id is None and scope.channel is None:
        out["index"] = {lvl: queries.index_766(scope, lvl) for lvl in ("agency", "commune", "province")}
    return out


def test_every_figure_read_from_the_rollups_equals_the_detailed_tables(world):
    # given a crafted quarter of facts in three agencies, three procedures and every channel
    craft(world)
    agency, procedure = world.agency.id, world.procedure.id
    slices = [
        {},
        {"agency_ids": (agency,)},
        {"agency_ids": (agency, world.other_agency.id)},
        {"procedure_id": procedure},
        {"channel": "online"},
        {"channel": "post", "agency_ids": (agency,)},
        {"procedure_id": procedure, "agency_ids": (agency,)},
        {"procedure_id": procedure, "channel": "in_person"},
        {"chains": True},
        {"agency_ids": ()},
    ]
    checked = 0
    for start, end in PERIODS:
        for extra in slices:
            scope = Scope(start, end, **extra)
            # when the pages' queries are read as they route them, and again from the detailed tables only
            routed = figures(scope)
            with queries.detailed():
                detailed = figures(scope)
            with queries.memo():  # and as a page computes them, sharing its collections
                memoised = figures(scope)
            # then every figure is the same
            for name in routed:
                assert routed[name] == detailed[name] == memoised[name], (start, end, extra, name)
            checked += 1
    assert checked == len(PERIODS) * len(slices)
    # and the data was not empty: the province's quarter has figures of every kind, its trend adds up to them
    t = queries.totals(Scope(date(2026, 1, 1), date(2026, 3, 31)))
    for grain in ("day", "week", "month"):
        trend = queries.trend(Scope(date(2026, 1, 1), date(2026, 3, 31)), grain)
        for metric in ("received", "resolved_late", "rated"):
            assert sum(r.totals.counts[metric] for r in trend) == t.counts[metric]
        assert trend[-1].totals.counts["in_progress_overdue"] == t.counts["in_progress_overdue"]
    assert t.counts["received"] > 100 and t.counts["carried_over"] > 0 and t.counts["in_progress_overdue"] >= 0
    assert t.p90_working_days is not None and t.extra["feedback_received"] > 0


def test_the_province_reads_a_few_rollup_rows_and_a_page_collects_each_grouping_once(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # given the crafted quarter
    craft(world, n=60)
    scope = Scope(date(2026, 1, 5), date(2026, 3, 20))
    # when the province's page computes its figures inside one memo
    # (as the view asks: averages everywhere, percentiles only in the slowest list)
    with CaptureQueriesContext(connection) as ctx, queries.memo():
        queries.totals(scope, percentiles=False)
        queries.index_766(scope, "agency")
        queries.breakdown(scope, "agency", percentiles=False)
        queries.breakdown(scope, "commune", percentiles=False, figures="table")
        queries.index_766(scope, "commune")
        queries.slowest(scope, "agency")
    sql = [q["sql"] for q in ctx.captured_queries]
    # then the per-agency sums were collected once (flows and stocks in one query) and the province's totals added
    # up from them; the histograms were read for the slowest agencies only: two reads of the rollups for six figures
    assert len([s for s in sql if "rollup" in s]) == 2
    assert len([s for s in sql if "rollupduration" in s]) == 1
    # and nothing was read from the detailed tables
    detailed = ("analytics_dailyfact", "analytics_monthlyfact", "analytics_durationfact", "analytics_monthlydur")
    assert not [s for s in sql if any(t in s for t in detailed)]
    # and outside a memo, nothing is kept: the same call runs its queries again
    with CaptureQueriesContext(connection) as again:
        queries.breakdown(scope, "agency")
    assert len(again.captured_queries) >= 2


def test_a_month_row_minus_its_other_days_is_read_for_an_end_covering_most_of_a_month():
    # given a period whose ends cover most of January and a few days of March
    cover = queries._cover(date(2026, 1, 3), date(2026, 3, 4))
    # then January is its monthly row minus the 1st and the 2nd, February a monthly row, March four daily rows
    assert ("daily", date(2026, 1, 1), date(2026, 1, 2), -1) in cover
    assert ("monthly", date(2026, 1, 1), date(2026, 2, 1), 1) in cover
    assert ("daily", date(2026, 3, 1), date(2026, 3, 4), 1) in cover
    assert len(cover) == 3
    # and the stock before the 20th of a month: every earlier month, that month's row minus its days from the 20th
    before = queries._cover(None, date(2026, 3, 19))
    assert before == [
        ("monthly", None, date(2026, 2, 28), 1),
        ("daily", date(2026, 3, 20), date(2026, 3, 31), -1),
        ("monthly", date(2026, 3, 1), date(2026, 3, 1), 1),
    ]


TABLE_FIGURES = (
    "received",
    "received_online",
    "received_in_person",
    "received_post",
    "refused",
    "withdrawn",
    "resolved",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "carried_over",
    "in_progress_on_track",
    "in_progress_overdue",
)


def _table_view(rows):
    return {
        r.key: ({m: r.totals.counts[m] for m in TABLE_FIGURES}, r.totals.avg_working_days, r.totals.online_rate)
        for r in rows
    }


@pytest.mark.parametrize("extra", [{}, {"agency_ids": "agency"}, {"channel": "post"}])
def test_the_pages_narrow_reads_give_the_table_figures_of_the_full_ones(world, extra):
    # given the crafted quarter, and a slice (the province, one agency, one channel)
    craft(world)
    extra = {"agency_ids": (world.agency.id,)} if extra.get("agency_ids") else extra
    for start, end in PERIODS[:3]:
        scope = Scope(start, end, **extra)
        # when the rows are read whole, and as the pages' tables read them (a third of the columns, no histogram)
        for by in ("procedure", "agency", "field"):
            full = queries.breakdown(scope, by)
            narrow = queries.breakdown(scope, by, percentiles=False, figures="table")
            # then every figure a table shows is the same, row for row
            assert _table_view(narrow) == _table_view(full), (start, end, extra, by)
            # and the narrow rows say nothing of what they did not read: no percentile, no fee
            assert all(r.totals.p50_working_days is None and r.totals.p90_working_days is None for r in narrow)
            assert all(r.totals.counts["fees_paid_online"] == 0 for r in narrow)
        trend_full = queries.trend(scope, "week")
        trend_narrow = queries.trend(scope, "week", percentiles=False, figures="table")
        assert _table_view(trend_narrow) == _table_view(trend_full)
    # and the full rows did have the figures the narrow ones leave out (the comparison is not vacuous)
    full = queries.breakdown(Scope(date(2026, 1, 1), date(2026, 3, 31)), "agency")
    assert sum(r.totals.counts["fees_paid_online"] for r in full) > 0
    assert any(r.totals.p90_working_days is not None for r in full)
    assert sum(r.totals.counts["in_progress_overdue"] for r in full) > 0


def test_totals_without_percentiles_read_no_histogram_and_keep_every_count(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # given the crafted quarter
    craft(world)
    scope = Scope(date(2026, 1, 5), date(2026, 3, 20))
    full = queries.totals(scope)
    # when a page asks for its totals without the percentiles, inside and outside a memo
    with CaptureQueriesContext(connection) as ctx:
        plain = queries.totals(scope, percentiles=False)
        with queries.memo():
            memoised = queries.totals(scope, percentiles=False)
    # then no histogram was read, every count and average is the full one's, and only the percentiles are None
    assert not [q for q in ctx.captured_queries if "duration" in q["sql"]]
    for t in (plain, memoised):
        assert t.counts == full.counts and t.extra == full.extra
        assert (t.avg_working_days, t.fees_online_vnd) == (full.avg_working_days, full.fees_online_vnd)
        assert t.p50_working_days is None and t.p90_working_days is None
    assert full.p50_working_days is not None


def test_an_unknown_figure_set_is_refused(world):
    with pytest.raises(ValueError):
        queries.breakdown(Scope(FIRST, FIRST), "agency", figures="some")
    with pytest.raises(ValueError):
        queries.trend(Scope(FIRST, FIRST), "day", figures="some")
