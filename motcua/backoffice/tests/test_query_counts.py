"""Lists cost the same number of queries whatever their length (no query per row)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from motcua.accounts.testing import signed_in_client
from motcua.dossiers.tests.helpers import Api, submit


def _queries(client, url: str) -> int:
    client.get(url)  # warm per-process caches (calendar, catalogue) first
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_queues_and_lists_do_not_grow_with_their_rows(world):
    citizen = Api(world.tokens["citizen"])
    desk = signed_in_client(world.desk)
    urls = ["/can-bo/", "/can-bo/mot-cua/", "/can-bo/ho-so/"]
    # given one dossier
    submit(citizen, world)
    one = {url: _queries(desk, url) for url in urls}
    # when there are five
    for _ in range(4):
        submit(citizen, world)
    five = {url: _queries(desk, url) for url in urls}
    # then every page costs the same
    assert five == one


def test_the_api_list_does_not_grow_with_its_rows(world):
    citizen, desk = Api(world.tokens["citizen"]), Api(world.tokens["desk"])
    submit(citizen, world)
    with CaptureQueriesContext(connection) as one:
        assert desk.get("/api/v1/dossiers").json()["count"] == 1
    for _ in range(4):
        submit(citizen, world)
    with CaptureQueriesContext(connection) as five:
        assert desk.get("/api/v1/dossiers").json()["count"] == 5
    assert len(five.captured_queries) == len(one.captured_queries)
