"""The incremental facts (kept by the services, transition by transition) equal a full set-based rebuild from the
action log and the source tables — through real transitions: an undo, a re-appointment, a refusal, a withdrawal,
a supplement with a paused clock, an overdue dossier resolved late, a desk payment and a rating."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from motcua.analytics import queries
from motcua.analytics.models import DossierFact
from motcua.analytics.queries import Scope

from .facts_fixtures import (
    MONDAY,
    assert_rebuild_matches,
    clock_fixture,  # noqa: F401 - the fixture `clock`
    snapshot,
    two_weeks,
)

pytestmark = pytest.mark.django_db


def test_incremental_facts_equal_a_rebuild_from_the_action_log(world, clock):
    # given two weeks of real moves, the facts kept transition by transition
    two_weeks(world, clock)
    # then a full set-based rebuild gives exactly the same facts (dossier rows, daily, monthly, durations)
    rebuilt = assert_rebuild_matches()
    assert len(rebuilt["dossiers"]) == 6
    # and the figures are the ones the moves made, counted by hand
    week = Scope(date(2026, 3, 2), date(2026, 3, 11), agency_ids=(world.agency.id,))
    t = queries.totals(week)
    c = t.counts
    assert (c["received"], c["received_online"], c["received_in_person"], c["received_post"]) == (6, 4, 1, 1)
    assert c["accepted"] == 4  # returned, late (its undone acceptance is not counted), paused, supplemented
    assert (c["refused"], c["withdrawn"], c["supplement_requested"]) == (1, 1, 2)
    assert (c["resolved"], c["resolved_early"], c["resolved_late"]) == (2, 1, 1)
    assert c["carried_over"] == 0
    # still open at the end: the supplemented one (re-appointed, not yet due) and the paused one (clock stopped)
    assert (c["in_progress_on_track"], c["in_progress_overdue"]) == (2, 0)
    assert t.extra["fees_paid"] == 2 and c["fees_paid_online"] == 0 and t.fees_online_vnd == 0
    assert (c["rated"], c["rated_satisfied"], t.extra["feedback_received"]) == (1, 1, 1)
    # the balance of the periodic report holds
    closed = c["resolved"] + c["refused"] + c["withdrawn"]
    assert c["carried_over"] + c["received"] - closed == c["in_progress_on_track"] + c["in_progress_overdue"]


def test_the_late_dossier_sat_in_the_overdue_stock_between_its_appointment_and_its_result(world, clock):
    # given the same two weeks
    d = two_weeks(world, clock)
    late = DossierFact.objects.get(pk=d["late"].pk)
    due_day = d["late"].due_at.astimezone(MONDAY.tzinfo).date()
    # then it entered the overdue stock the day after its appointment and left it when its result was ready
    assert late.overdue_day == due_day + timedelta(days=1)
    assert late.closed_as == "resolved_late" and late.closed_day == date(2026, 3, 10)
    scope = Scope(date(2026, 3, 2), due_day + timedelta(days=1), agency_ids=(world.agency.id,))
    assert queries.totals(scope).counts["in_progress_overdue"] == 1
    assert [x.pk for x in queries.drilldown(scope, "in_progress_overdue")] == [d["late"].pk]
    scope = Scope(date(2026, 3, 2), due_day, agency_ids=(world.agency.id,))
    assert queries.totals(scope).counts["in_progress_overdue"] == 0
    # and processing time: acceptance Monday 09:00 → result next Tuesday 10:00 = 6 working days + 1 hour
    t = queries.totals(Scope(date(2026, 3, 10), date(2026, 3, 10), agency_ids=(world.agency.id,)))
    assert t.avg_working_days == pytest.approx(6 + 1 / 8, abs=0.001)


def test_the_hooks_are_idempotent_and_a_second_rebuild_changes_nothing(world, clock):
    from motcua.analytics import facts

    # given the facts after two weeks
    d = two_weeks(world, clock)
    before = snapshot()
    # when every dossier is synchronised again, every part, and the rebuild runs twice
    for dossier in d.values():
        assert facts.sync(dossier.pk) is False
    assert snapshot() == before
    assert_rebuild_matches()
    assert_rebuild_matches()
    # then nothing moved
    assert snapshot() == before


def test_a_partial_rebuild_keeps_the_other_days(world, clock):
    from motcua.analytics.services import rebuild_facts

    # given two weeks of facts
    two_weeks(world, clock)
    before = snapshot()
    # when only the dossiers received from Monday the 2nd are rebuilt (with every aggregate from that day on)
    rebuild_facts(date(2026, 3, 2), date(2026, 3, 2))
    # then the facts are the same
    assert snapshot() == before
