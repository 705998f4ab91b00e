"""Message texts: Django template syntax, plain text (no HTML escaping), rendered in Vietnamese and local time.

Templates come from the database (`NotificationTemplate`: one procedure's, then the default for all procedures)
and, when there is no row, from the files shipped in `defaults/<event>.<channel>.txt` (first line the subject,
then a line `---`, then the body; an SMS file is the body only). The push channel uses the in-app text unless it
has its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django import template
from django.template import Context, Engine
from django.utils import timezone, translation

from motcua.portal.templatetags.motcua_ui import vnd
from motcua.worktime.calc import TZ

from .models import Channel, NotificationTemplate

DEFAULTS_DIR = Path(__file__).resolve().parent / "defaults"
SEPARATOR = "\n---\n"

register = template.Library()
register.filter("vnd", vnd)  # the pages' money filter: '50.000 đồng'

# Plain text: nothing is HTML-escaped here (the inbox page escapes when it shows a message). `vnd` is built in.
_ENGINE = Engine(autoescape=False, builtins=[__name__])


@lru_cache(maxsize=512)
def compile_template(source: str):
    return _ENGINE.from_string(source)


def render_text(source: str, context: dict[str, Any]) -> str:
    if not source:
        return ""
    with translation.override("vi"), timezone.override(TZ):
        return compile_template(source).render(Context(context, autoescape=False)).strip()


@dataclass(frozen=True)
class Text:
    subject: str
    body: str


@lru_cache(maxsize=64)
def default_text(event: str, channel: str) -> Text | None:
    """The shipped default for an event and channel, or None."""
    path = DEFAULTS_DIR / f"{event}.{channel}.txt"
    if not path.is_file():
        return None
    raw = path.read_text(encoding="utf-8")
    if channel == Channel.SMS:
        return Text("", raw.strip())
    subject, _sep, body = raw.partition(SEPARATOR)
    if not _sep:
        return Text("", raw.strip())
    return Text(subject.strip(), body.strip("\n"))


def resolve(event: str, procedure_code: str, channels: list[str]) -> dict[str, Text]:
    """The text to use per channel, most specific first (one query for all channels)."""
    wanted = set(channels) | ({Channel.IN_APP} if Channel.PUSH in channels else set())
    rows = {
        (row.procedure_code, row.channel): Text(row.subject, row.body)
        for row in NotificationTemplate.objects.filter(
            event=event, procedure_code__in={procedure_code or "", ""}, channel__in=wanted, active=True
        ).only("procedure_code", "channel", "subject", "body")
    }

    specific = [procedure_code, ""] if procedure_code else [""]

    def chain(channel: str) -> Text | None:
        for code in specific:
            if (code, channel) in rows:
                return rows[(code, channel)]
        return default_text(event, channel)

    found: dict[str, Text] = {}
    for channel in channels:
        text = chain(channel)
        if text is None and channel == Channel.PUSH:
            text = chain(Channel.IN_APP)
        if text is not None:
            found[channel] = text
    return found


def default_rows() -> list[dict[str, str]]:
    """Every shipped default as a template row (the data migration loads them so they can be edited)."""
    rows = []
    for path in sorted(DEFAULTS_DIR.glob("*.txt")):
        event, channel = path.stem.split(".", 1)
        text = default_text(event, channel)
        if text is not None:
            rows.append({"event": event, "channel": channel, "subject": text.subject, "body": text.body})
    return rows
