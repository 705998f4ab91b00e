"""Fixtures: our key in tmp_path, a real agency simulator per test, and a capture server for its callbacks."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from simulators._http import BaseHandler, serve


@dataclass
class Captured:
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, n: int = 1, timeout: float = 5) -> list[tuple[dict[str, str], bytes]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.requests) >= n:
                    return list(self.requests)
            time.sleep(0.01)
        raise AssertionError(f"expected {n} callback(s), got {len(self.requests)}")


class CaptureHandler(BaseHandler):
    def handle_request(self, method: str, path: str) -> None:
        state: Captured = self.server.state
        with state.lock:
            state.requests.append((dict(self.headers.items()), self.body()))
        self.send_json({"status": "captured"})


@pytest.fixture(autouse=True)
def exchange_settings(settings, tmp_path):
    settings.MOTCUA_EXCHANGE_KEY_PATH = tmp_path / "exchange-key.pem"
    settings.MOTCUA_EXCHANGE_TIMEOUT_SECONDS = 2
    settings.MOTCUA_EXCHANGE_MAX_ATTEMPTS = 8
    settings.MOTCUA_EXCHANGE_BACKOFF_BASE_SECONDS = 30
    settings.MOTCUA_EXCHANGE_BACKOFF_CAP_SECONDS = 3600
    return settings


@pytest.fixture
def capture() -> Iterator[tuple[Captured, str]]:
    state = Captured()
    server = serve(CaptureHandler, state)
    try:
        yield state, server.base_url + "/api/v1/exchange/inbox"
    finally:
        server.stop()


@pytest.fixture
def agency(db) -> Iterator[Callable]:
    """Start the simulator in a mode and register it as partner 'cong-an'; returns (server, base_url, partner)."""
    from motcua.exchange import signing
    from motcua.exchange.models import ExchangePartner
    from simulators.agency import start_agency_server

    servers = []

    def start(mode: str = "now", callback_url: str | None = None, motcua_jwk: dict | None = None):
        server, _thread, base_url = start_agency_server(
            mode=mode, callback_url=callback_url, motcua_jwk=motcua_jwk or signing.jwks()
        )
        servers.append(server)
        partner = ExchangePartner.objects.create(
            code="cong-an", name="Công an xã", kind="http", base_url=base_url, public_jwk=server.state.jwks()
        )
        return server, base_url, partner

    try:
        yield start
    finally:
        for server in servers:
            server.stop()
