"""Absolute public addresses for what leaves the site: links in messages, QR codes on e-results, printed forms."""

from __future__ import annotations

from django.conf import settings


def public_url(path: str = "") -> str:
    """`MOTCUA_PUBLIC_URL` + path: the one public base every printed or sent link starts with."""
    return str(settings.MOTCUA_PUBLIC_URL or "http://127.0.0.1:8000").rstrip("/") + path
