"""Secure headers on every page and CSRF on session-authenticated API writes."""

from __future__ import annotations

import json

from django.test import Client

from motcua.conftest import VALID_BIRTH


def test_pages_carry_secure_headers(db):
    response = Client().get("/")
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp


def test_api_writes_with_a_session_need_the_csrf_token(world):
    # given a citizen logged in through the web (a session, not a bearer token)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.citizen)
    body = {"procedure": "1.001193", "agency": world.agency.code, "channel": "online", "data": VALID_BIRTH}
    # when a page on another site makes the browser post without the CSRF token
    response = client.post("/api/v1/dossiers", json.dumps(body), content_type="application/json")
    # then nothing is created
    assert response.status_code in (401, 403)
    from motcua.dossiers.models import Dossier

    assert not Dossier.objects.exists()


def test_admin_needs_staff(world):
    client = Client()
    client.force_login(world.citizen)
    assert client.get("/admin/").status_code == 302
