"""A thin JSON client over Django's test client, speaking with a bearer token."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client


class Api:
    def __init__(self, token: str | None = None) -> None:
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def get(self, path: str, **params: Any):
        return self.client.get(path, params, **self.headers)

    def post(self, path: str, body: Any = None, *, raw: str | None = None, **headers: Any):
        data = raw if raw is not None else json.dumps(body)
        return self.client.post(path, data=data, content_type="application/json", **self.headers, **headers)

    def upload(self, path: str, files: dict, **fields: Any):
        return self.client.post(path, data={**files, **fields}, **self.headers)

    def act(self, code: str, action: str, note: str = "", **extra: Any):
        return self.post(f"/api/v1/dossiers/{code}/actions", {"action": action, "note": note, **extra})


def submit(api: Api, world, data: dict | None = None, **headers: Any):
    from motcua.conftest import VALID_BIRTH

    body = {
        "procedure": "1.001193",
        "agency": world.agency.code,
        "channel": "online",
        "data": data or VALID_BIRTH,
    }
    return api.post("/api/v1/dossiers", body, **headers)


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["detail"] and isinstance(body["detail"], str)
    return body
