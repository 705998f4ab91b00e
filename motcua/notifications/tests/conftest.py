"""Fixtures: a real SMS gateway simulator per test (its delivery reports captured by a real HTTP server, then
handed to our callback view), locmem e-mail, and a citizen with an e-mail address and a mobile number."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from motcua.exchange.tests.conftest import Captured, CaptureHandler
from motcua.linked.tests.conftest import linked_catalogue, linked_world, partners  # noqa: F401 - shared fixtures
from simulators._http import serve
from simulators.sms import start_sms_server

API_KEY = "khoa-thu-nghiem-sms"
PHONE = "0912000002"
EMAIL = "bich.tran@example.vn"


@pytest.fixture(autouse=True)
def notify_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MOTCUA_NOTIFY_CHANNELS = ["in_app", "email", "sms", "push"]
    settings.MOTCUA_NOTIFY_MAX_ATTEMPTS = 4
    settings.MOTCUA_PUBLIC_URL = "https://dichvucong.example.vn"
    settings.MOTCUA_EXCHANGE_BACKOFF_BASE_SECONDS = 30
    settings.MOTCUA_EXCHANGE_BACKOFF_CAP_SECONDS = 3600
    settings.MOTCUA_SMS = {"URL": ""}  # no SMS unless a test starts the gateway
    settings.MOTCUA_PUSH = {"URL": ""}
    mail.outbox = []
    return settings


@dataclass
class Gateway:
    server: Any
    base_url: str
    reports: Captured

    def faults(self, **values: Any) -> dict:
        request = urllib.request.Request(  # noqa: S310 - local simulator
            self.base_url + "/__admin/faults", data=json.dumps(values).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return json.loads(response.read())

    def sent(self) -> dict:
        with urllib.request.urlopen(self.base_url + "/__admin/messages", timeout=5) as response:  # noqa: S310
            return json.loads(response.read())

    def forward_reports(self, n: int = 1, timeout: float = 5) -> list:
        """The first n delivery reports the gateway posted, handed to our callback view as it would receive them."""
        client = Client()
        answers = []
        for headers, body in self.reports.wait(n, timeout=timeout)[:n]:
            signature = next((v for k, v in headers.items() if k.lower() == "x-signature"), "")
            answers.append(
                client.post(
                    "/thong-bao/sms/bao-cao/", data=body, content_type="application/json", HTTP_X_SIGNATURE=signature
                )
            )
        return answers


@pytest.fixture
def gateway(settings) -> Iterator[Gateway]:
    reports = Captured()
    capture = serve(CaptureHandler, reports)
    dlr_url = capture.base_url + "/thong-bao/sms/bao-cao/"
    server, _thread, base_url = start_sms_server(api_key=API_KEY, dlr_url=None)
    settings.MOTCUA_SMS = {
        "URL": base_url,
        "API_KEY": API_KEY,
        "BRANDNAME": "MOTCUA",
        "UNICODE": True,
        "TIMEOUT": 2,
        "DLR_URL": dlr_url,
    }
    try:
        yield Gateway(server, base_url, reports)
    finally:
        server.stop()
        capture.stop()


@pytest.fixture
def contact(world):
    """The world's citizen with an e-mail address and a mobile number (copied onto the dossiers they submit)."""
    world.citizen.email, world.citizen.phone = EMAIL, PHONE
    world.citizen.save()
    return world
