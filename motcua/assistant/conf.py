"""The assistant's settings: read from django.conf.settings when the project defines them, else from the
environment with the same name, else the default (so an operator can set them before settings.py lists them)."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # OpenAI-compatible chat completions endpoint (base URL ending in /v1); empty = extractive answers only.
    "MOTCUA_ASSISTANT_LLM_URL": "",
    "MOTCUA_ASSISTANT_LLM_MODEL": "",
    "MOTCUA_ASSISTANT_LLM_API_KEY": "",
    "MOTCUA_ASSISTANT_LLM_TIMEOUT_SECONDS": 8.0,
    # A local model2vec folder for the optional dense retriever (never downloaded at run time); empty = BM25 only.
    "MOTCUA_ASSISTANT_DENSE_MODEL": "",
    # Questions (and searches) per client address per minute, on the page and the API together.
    "MOTCUA_ASSISTANT_PER_MINUTE": 30,
    # Longest question accepted, in characters.
    "MOTCUA_ASSISTANT_MAX_QUESTION": 1000,
    # How often a server process checks whether the laws changed (seconds) before rebuilding its index.
    "MOTCUA_ASSISTANT_RELOAD_SECONDS": 10.0,
}


def get(name: str) -> Any:
    default = DEFAULTS[name]
    if hasattr(settings, name):
        return getattr(settings, name)
    raw = os.environ.get(name)
    if raw is None:
        return default
    if isinstance(default, bool):
        return raw.lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw
