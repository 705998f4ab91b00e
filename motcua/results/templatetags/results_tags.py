"""Whether the back office offers an official the revoke / replace forms of an e-result."""

from __future__ import annotations

from django import template

from motcua.results import services

register = template.Library()


@register.filter
def changeable_by(result, user) -> bool:
    return bool(user and user.is_authenticated) and services.may_change(user, result)
