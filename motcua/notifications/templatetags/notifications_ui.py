"""The inbox link with its unread count, for the site header (one COUNT query, citizens only)."""

from __future__ import annotations

from typing import Any

from django import template

from motcua.notifications import services

register = template.Library()


@register.inclusion_tag("notifications/_inbox_link.html", takes_context=True)
def inbox_link(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = context.get("user")
    current = bool(
        request and getattr(request, "resolver_match", None) and request.resolver_match.namespace == "notifications"
    )
    return {"unread": services.unread_count(user) if user is not None else 0, "current": current}
