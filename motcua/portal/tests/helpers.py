"""Helpers shared by the portal and back-office page tests: real services, real sessions, no mocks."""

from __future__ import annotations

import re

from django.test import Client

from motcua.conftest import VALID_BIRTH
from motcua.dossiers import services
from motcua.dossiers.models import Dossier

# The smallest valid PNG: enough for the upload check, which reads the real type from the bytes.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def birth_post(world, **overrides) -> dict:
    """The online birth form as a browser posts it."""
    post = {k: str(v) for k, v in VALID_BIRTH.items()}
    post.update({"agency": world.agency.code, "intent": "submit"})
    post.update(overrides)
    return post


def submit_online(world, user=None, data: dict | None = None) -> services.SubmitResult:
    return services.submit_dossier(
        user or world.citizen,
        procedure_code=world.procedure.code,
        agency_code=world.agency.code,
        channel="online",
        data=data or dict(VALID_BIRTH),
    )


def accepted(world) -> Dossier:
    dossier = submit_online(world).dossier
    return services.perform(
        world.desk, dossier, "accept", payload={"checklist": [{"doc": "TP1", "present": True, "original": True}]}
    )


def text_of(response) -> str:
    """The visible text of a page, whitespace collapsed, tags dropped (assertions read like a person would)."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()
