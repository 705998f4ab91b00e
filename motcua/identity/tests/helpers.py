"""Driving a real login: the Django test client for our side, plain HTTP for the simulator's login page."""

from __future__ import annotations

import html
import http.client
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.test import Client


@dataclass
class Hop:
    status: int
    location: str
    body: str


def http_request(method: str, url: str, form: dict[str, str] | None = None) -> Hop:
    """One exchange over a real socket, redirects not followed (the test reads Location)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    body = urlencode(form).encode() if form is not None else None
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if form is not None else {}
    try:
        conn.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), body=body, headers=headers)
        response = conn.getresponse()
        return Hop(response.status, response.getheader("Location") or "", response.read().decode("utf-8", "replace"))
    finally:
        conn.close()


def start_login(client: Client, next_url: str = "/", **params: str) -> str:
    """Ask the platform to log in; return the provider's authorize URL it redirects to."""
    response = client.get("/dinh-danh/dang-nhap/", {"next": next_url, **params})
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


def provider_login(authorize_url: str, personal_id: str, *, level: str = "2", tax_code: str = "") -> str:
    """What the citizen does at the provider: open its login page, choose a person and a level, submit.
    Returns the redirect back to the platform (…/dinh-danh/callback/?code&state)."""
    page = http_request("GET", authorize_url)
    assert page.status == 200, page.body[:500]
    assert "Cổng định danh điện tử quốc gia" in page.body
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', page.body).group(1))
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(authorize_url))
    back = http_request(
        "POST",
        origin + action,
        {"chosen": personal_id, "level": level, "tax_code": tax_code, "action": "login"},
    )
    assert back.status == 302, back.body[:500]
    return back.location


def callback(client: Client, redirect: str, **override: str):
    """Follow the provider's redirect back to our callback with the Django client (same session)."""
    parts = urlsplit(redirect)
    assert parts.path == "/dinh-danh/callback/", redirect
    params = dict(parse_qsl(parts.query))
    params.update(override)
    return client.get(parts.path, params)


def eid_login(client: Client, personal_id: str, *, level: str = "2", tax_code: str = "", next_url: str = "/"):
    """The whole code flow; returns our callback's response."""
    return callback(client, provider_login(start_login(client, next_url), personal_id, level=level, tax_code=tax_code))


def logged_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")
