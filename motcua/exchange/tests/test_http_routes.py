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
