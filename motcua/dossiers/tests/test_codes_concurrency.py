"""Dossier codes stay unique under real concurrent writers, on PostgreSQL and on SQLite."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from motcua.conftest import VALID_BIRTH
from motcua.dossiers import services
from motcua.dossiers.models import Dossier

WRITERS, EACH = 8, 5


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_get_distinct_sequential_codes(world):
    # given eight writers, each with its own database connection
    errors: list[BaseException] = []
    barrier = threading.Barrier(WRITERS)

    def writer() -> None:
        try:
            barrier.wait()
            for _ in range(EACH):
                services.submit_dossier(
                    world.citizen,
                    procedure_code="1.001193",
                    agency_code=world.agency.code,
                    channel="online",
                    data=VALID_BIRTH,
                )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    # when they all submit at once
    threads = [threading.Thread(target=writer) for _ in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # then every submission got its own code, numbered 1..N for the agency's day
    assert errors == []
    codes = list(Dossier.objects.values_list("code", flat=True))
    assert len(codes) == WRITERS * EACH == len(set(codes))
    assert sorted(int(c.rsplit("-", 1)[1]) for c in codes) == list(range(1, WRITERS * EACH + 1))
    assert connection.vendor in {"postgresql", "sqlite"}
