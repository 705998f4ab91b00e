"""Real simulators on free ports (eID provider, population registry), shared by the session, and the settings
that point the platform at them. Nothing of ours is mocked: every test goes through real sockets, real JSON and
real signatures."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest

CLIENT_ID = "motcua"
CLIENT_SECRET = "bi-mat-thu-nghiem-cua-motcua"
CALLBACK = "http://testserver/dinh-danh/callback/"


def post_json(url: str, body: dict) -> dict:
    request = urllib.request.Request(  # noqa: S310 - a simulator on 127.0.0.1
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.loads(response.read())


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
        return json.loads(response.read())


@pytest.fixture(scope="session")
def population():
    sim = pytest.importorskip("simulators.population")
    return sim.generate(2_000, seed=22)


@pytest.fixture(scope="session")
def eid_server(population) -> Iterator[str]:
    eid = pytest.importorskip("simulators.eid")
    server, _thread, base_url = eid.start_eid_server(
        0,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uri=CALLBACK,
        population=population,
        allow_faults=True,
    )
    try:
        yield base_url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def registry_server(population) -> Iterator[str]:
    sim = pytest.importorskip("simulators.registry")
    server, _thread, base_url = sim.start_registry_server(0, population=population)
    try:
        yield base_url
    finally:
        server.stop()


@pytest.fixture
def eid(settings, eid_server) -> Iterator[str]:
    """The platform's eID settings pointed at the simulator; no fault left armed afterwards."""
    from motcua.identity import oidc

    settings.MOTCUA_OIDC_ISSUER = eid_server
    settings.MOTCUA_OIDC_CLIENT_ID = CLIENT_ID
    settings.MOTCUA_OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.MOTCUA_OIDC_CLOCK_SKEW_SECONDS = 60
    oidc.forget_cached_metadata()
    yield eid_server
    post_json(f"{eid_server}/__admin/faults", {"next_id_token": None})
    oidc.forget_cached_metadata()


@pytest.fixture
def registry_url(settings, registry_server) -> Iterator[str]:
    """The platform's registry settings pointed at the simulator; service restored and log emptied afterwards."""
    from motcua.identity import registry

    settings.MOTCUA_REGISTRY_URL = registry_server
    settings.MOTCUA_REGISTRY_TIMEOUT_SECONDS = 3
    registry.forget_cached_keys()
    empty_log = urllib.request.Request(f"{registry_server}/__admin/lookups", method="DELETE")  # noqa: S310
    urllib.request.urlopen(empty_log, timeout=10).close()  # noqa: S310
    yield registry_server
    post_json(f"{registry_server}/__admin/outage", {"down": False, "delay": 0})
    registry.forget_cached_keys()
