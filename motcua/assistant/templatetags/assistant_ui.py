"""Template helpers of the assistant's pages."""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_MARKER = re.compile(r"\[(\d{1,3})\]")


@register.filter
def cite_links(text: str, prefix: Any = "") -> SafeString:
    """Escaped answer text, paragraphs kept, each [n] a link to source n of the same answer."""

    def link(m: re.Match) -> str:
        n = m.group(1)
        return str(format_html('<a href="#nguon-{}-{}" class="cite">[{}]</a>', prefix, n, n))

    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", str(text or "")) if p.strip()]
    html = []
    for para in paragraphs:
        escaped = str(escape(para)).replace("\n", "<br>")
        html.append(f"<p>{_MARKER.sub(link, escaped)}</p>")
    return mark_safe("".join(html))  # noqa: S308 - every piece escaped above


@register.filter
def percent(value: Any) -> str:
    try:
        return f"{round(float(value) * 100)}%"
    except (TypeError, ValueError):
        return "—"


@register.filter
def first_paragraph(text: str) -> str:
    """The lead of an answer, as a sentence (the details follow on the page, not right after it)."""
    lead = re.split(r"\n\s*\n", str(text or "").strip(), maxsplit=1)[0].strip()
    return lead[:-1] + "." if lead.endswith(":") else lead
