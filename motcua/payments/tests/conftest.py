"""Fixtures: a dossier that owes a fee, a live server, and the simulated gateway sending its IPN to that server."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest

from simulators.tests.conftest import Response, request

SECRET = "bi-mat-cong-thanh-toan-thu-nghiem"
TMN = "MOTCUA01"
FEE = {"kind": "fixed", "amount": 10000, "text": "Lệ phí: 10.000 đồng/hồ sơ"}


@dataclass
class Gateway:
    base: str
    server: Any

    def faults(self, **faults: Any) -> dict:
        answer = request("POST", f"{self.base}/__admin/faults", json_body=faults)
        assert answer.status == 200, answer.text
        return answer.json()

    def ipns(self) -> list[dict]:
        return request("GET", f"{self.base}/__admin/ipns").json()["ipns"]

    def transaction(self, ref: str) -> dict:
        rows = request("GET", f"{self.base}/__admin/transactions").json()["transactions"]
        return next(t for t in rows if t["txn_ref"] == ref)

    def pay(self, redirect_url: str, action: str = "pay") -> str:
        """What the citizen does at the gateway: open the page, press a button. Returns where the browser goes."""
        page = request("GET", redirect_url)
        assert page.status == 200, page.text
        ref = re.search(r'name="vnp_TxnRef" value="([^"]+)"', page.text).group(1)
        answer = request("POST", f"{self.base}/paymentv2/pay", form={"vnp_TxnRef": ref, "action": action})
        assert answer.status == 302, answer.text
        return answer.header("Location")

    def open_page(self, redirect_url: str) -> None:
        assert request("GET", redirect_url).status == 200


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def fee_world(world):
    """The shared small world, with birth registration charging a fixed 10.000 đồng (a test-only rule)."""
    world.version.fee_rule = dict(FEE)
    world.version.save(update_fields=["fee_rule"])
    return world


@pytest.fixture
def gateway(server, settings, media) -> Iterator[Gateway]:
    from simulators.gateway import start_gateway_server

    srv, _thread, base = start_gateway_server(0, hash_secret=SECRET, ipn_url=f"{server}/api/v1/payments/ipn")
    settings.MOTCUA_PAYMENT_GATEWAY_URL = f"{base}/paymentv2/vpcpay.html"
    settings.MOTCUA_PAYMENT_API_URL = f"{base}/merchant_webapi/api/transaction"
    settings.MOTCUA_PAYMENT_TMN_CODE = TMN
    settings.MOTCUA_PAYMENT_HASH_SECRET = SECRET
    settings.MOTCUA_PAYMENT_TIMEOUT_SECONDS = 5.0
    try:
        yield Gateway(base, srv)
    finally:
        srv.stop()


def submitted(world, data: dict | None = None, channel: str = "online"):
    from motcua.conftest import VALID_BIRTH
    from motcua.dossiers import services

    user = world.citizen if channel == "online" else world.desk
    applicant = None if channel == "online" else {"name": "Trần Thị Bích", "personal_id": "022192004567"}
    return services.submit_dossier(
        user,
        procedure_code="1.001193",
        agency_code=world.agency.code,
        channel=channel,
        data=data or VALID_BIRTH,
        applicant=applicant,
    ).dossier


def result_ready(world, dossier):
    """Accept and process the dossier through the real workflow up to "result ready"."""
    from motcua.dossiers import services

    services.perform(world.desk, dossier, "accept", note="Đủ.")
    for _ in range(5):
        dossier.refresh_from_db()
        if dossier.status != "processing":
            break
        actor = world.specialist if dossier.current_role == "specialist" else world.leader
        forward = next(a for a in services.available_actions(actor, dossier) if a["kind"] == "forward")
        services.perform(actor, dossier, forward["action"], note="Chuyển bước.")
    dossier.refresh_from_db()
    assert dossier.status == "result_ready"
    return dossier


def start(server: str, dossier, world=None, key: str = "k-1"):
    from motcua.payments import services

    return services.create_payment(
        dossier.applicant, dossier, key, return_url=f"{server}/thanh-toan/ket-qua/", client_ip="127.0.0.1"
    )


def follow(location: str) -> Response:
    """The browser coming back to our return page (real HTTP to the live server)."""
    assert urlsplit(location).path == "/thanh-toan/ket-qua/"
    return request("GET", location)


def wait_for(predicate: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def status_of(payment) -> str:
    payment.refresh_from_db()
    return payment.status
