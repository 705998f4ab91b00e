"""The fee block of the dossier pages: `{% load payments_ui %}{% payment_panel dossier %}` (citizen) and
`{% payment_panel_official dossier %}` (back office). Reads through the payment services only."""

from __future__ import annotations

import uuid
from typing import Any

from django import template

from motcua.accounts.models import Role
from motcua.accounts.services import has_role

from .. import services

register = template.Library()
_SILENT = ("", "free", "linked")


def _visible(ob: services.Obligation) -> bool:
    return bool(ob.payments) or (ob.fee.kind not in _SILENT and not (ob.fee.computable and ob.fee.amount_vnd == 0))


@register.inclusion_tag("payments/_citizen_panel.html", takes_context=True)
def payment_panel(context: template.Context, dossier: Any) -> dict:
    ob = services.obligation(dossier)
    return {
        "show": _visible(ob),
        "ob": ob,
        "dossier": dossier,
        "csrf_token": context.get("csrf_token"),
        "key": uuid.uuid4().hex,  # one per page: a double click creates one payment
        "history": [p for p in ob.payments if p is not ob.paid],
    }


@register.inclusion_tag("payments/_official_panel.html", takes_context=True)
def payment_panel_official(context: template.Context, dossier: Any) -> dict:
    ob = services.obligation(dossier)
    request = context.get("request")
    user = getattr(request, "user", None)
    can_collect = bool(
        user is not None
        and ob.owed
        and ob.desk_allowed
        and dossier.status in services.PAYABLE_DOSSIER_STATUSES
        and has_role(user, Role.DESK, dossier.agency_id)
    )
    return {
        "show": _visible(ob),
        "ob": ob,
        "dossier": dossier,
        "csrf_token": context.get("csrf_token"),
        "can_collect": can_collect,
    }
