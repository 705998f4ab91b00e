"""Fixtures: one small population shared by the session, real servers on ports chosen at run time."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from simulators.population import Population, generate

REPO = Path(__file__).resolve().parents[2]  # where `python -m simulators.…` must run


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


def request(
    method: str,
    url: str,
    *,
    form: dict[str, str] | None = None,
    json_body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10,
) -> Response:
    """One HTTP exchange over a real socket, never following redirects (the tests read Location)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    body: bytes | None = None
    hdrs = dict(headers or {})
    if form is not None:
        body = urlencode(form).encode()
        hdrs["Content-Type"] = "application/x-www-form-urlencoded"
    elif json_body is not None:
        body = json.dumps(json_body).encode()
        hdrs["Content-Type"] = "application/json"
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request(method, target, body=body, headers=hdrs)
        resp = conn.getresponse()
        return Response(resp.status, dict(resp.getheaders()), resp.read())
    finally:
        conn.close()


@pytest.fixture(scope="session")
def small_population() -> Population:
    return generate(2_000, seed=22)


@pytest.fixture
def registry(small_population: Population) -> Iterator[str]:
    from simulators.registry import start_registry_server

    server, _thread, base_url = start_registry_server(0, population=small_population)
    try:
        yield base_url
    finally:
        server.stop()
