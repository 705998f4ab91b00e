"""The exchange's routes as mounted in the API: the public keys are served, an unsigned message is a problem."""

from __future__ import annotations

import json

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_our_public_keys_are_served(settings, tmp_path):
    settings.MOTCUA_EXCHANGE_KEY_PATH = str(tmp_path / "exchange-key.pem")
    response = Client().get("/api/v1/exchange/.well-known/jwks")
    assert response.status_code == 200
    keys = response.json()["keys"]
    assert keys and all("d" not in k for k in keys)  # public parts only


def test_an_unsigned_message_to_the_inbox_is_refused_as_a_problem(settings, tmp_path):
    settings.MOTCUA_EXCHANGE_KEY_PATH = str(tmp_path / "exchange-key.pem")
    response = Client().post(
        "/api/v1/exchange/inbox",
        json.dumps({"kind": "exchange.result", "payload": {}}),
        content_type="application/json",
    )
    assert 400 <= response.status_code < 500
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["detail"]


def test_a_flood_of_forged_messages_is_cut_off_before_it_fills_the_audit_chain(settings, tmp_path):
    from django.core.cache import caches

    from motcua.audit.models import AuditRecord

    # given a low limit and a sender nobody configured
    settings.MOTCUA_EXCHANGE_KEY_PATH = str(tmp_path / "exchange-key.pem")
    settings.MOTCUA_EXCHANGE_INBOX_PER_MINUTE = 3
    caches["throttle"].clear()
    headers = {"HTTP_X_MOTCUA_SENDER": "ke-gia-mao", "HTTP_X_MOTCUA_MESSAGE_ID": "m-1"}
    body = json.dumps({"kind": "exchange.result", "payload": {}})
    # when it posts five times in a minute
    codes = [
        Client().post("/api/v1/exchange/inbox", body, content_type="application/json", **headers).status_code
        for _ in range(5)
    ]
    # then the first three are refused (and audited), the rest are answered 429 and leave no trace
    assert codes == [403, 403, 403, 429, 429]
    assert AuditRecord.objects.filter(action="exchange.inbox_unknown_sender").count() == 3
