"""The fact upserts are safe under real concurrent writers: eight threads, each with its own connection, submit and
accept dossiers of the same agency, procedure, channel and day at once; no increment is lost or doubled."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from motcua.analytics import queries
from motcua.analytics.models import DailyFact, DossierFact
from motcua.analytics.queries import Scope
from motcua.conftest import VALID_BIRTH
from motcua.dossiers import services

from .facts_fixtures import assert_rebuild_matches

WRITERS, EACH = 8, 4


def _race(world) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(WRITERS)

    def writer() -> None:
        try:
            barrier.wait()
            for _ in range(EACH):
                dossier = services.submit_dossier(
                    world.citizen,
                    procedure_code=world.procedure.code,
                    agency_code=world.agency.code,
                    channel="online",
                    data=VALID_BIRTH,
                ).dossier
                services.perform(world.desk, dossier, "accept", note="Đủ.")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer) for _ in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def _check(world) -> None:
    today = timezone.localdate()
    # then one daily row holds every increment, once
    row = DailyFact.objects.get(day=today, agency=world.agency, procedure=world.procedure, channel="online")
    assert (row.received, row.accepted) == (WRITERS * EACH, WRITERS * EACH)
    assert DossierFact.objects.count() == WRITERS * EACH
    t = queries.totals(Scope(today, today))
    assert (t.counts["received"], t.counts["accepted"], t.counts["in_progress_on_track"]) == (32, 32, 32)
    # and the rebuild agrees
    assert_rebuild_matches()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_transitions_lose_no_increment_on_postgresql(world):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://…)")
    # given eight writers on the same fact rows; when they all move dossiers at once
    _race(world)
    _check(world)


@pytest.mark.django_db(transaction=True)
def test_concurrent_transitions_lose_no_increment(world):
    # the same race on whichever database runs the tests (SQLite serialises writers with IMMEDIATE transactions)
    _race(world)
    _check(world)
