"""Template helpers for pages outside this app that offer the national eID login."""

from __future__ import annotations

from django import template

from motcua.identity import oidc

register = template.Library()


@register.simple_tag
def eid_enabled() -> bool:
    """Whether the national eID login is configured (MOTCUA_OIDC_ISSUER set)."""
    return oidc.enabled()
