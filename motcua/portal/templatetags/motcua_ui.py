"""Small presentation helpers shared by the portal and back-office templates (labels, money, badges)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from motcua.accounts.models import Role
from motcua.accounts.services import has_role, is_official, is_system_admin, primary_role
from motcua.catalog.models import OnlineLevel, TimeUnit
from motcua.dossiers.models import Outcome, Status

register = template.Library()


def _extra_roles() -> dict[str, str]:
    return {"citizen": _("Công dân"), "system": _("Hệ thống"), "user": _("Người dùng")}


_SENTINEL = "Cổng dịch vụ công – motcua"


@register.simple_tag
def page_language() -> str:
    """The language the page is really written in: the active one only when it has a catalogue, else 'vi'.

    Vietnamese is the source language; a browser asking for English before English translations exist must
    not get Vietnamese text labelled lang="en" (screen readers would read it with the wrong voice).
    """
    lang = translation.get_language() or "vi"
    if lang.startswith("vi"):
        return "vi"
    return lang if _(_SENTINEL) != _SENTINEL else "vi"


@register.filter
def role_name(value: str) -> str:
    """'desk' → 'Cán bộ một cửa'; unknown values are shown as they are."""
    if value in Role.values:
        return str(Role(value).label)
    return _extra_roles().get(value, value or "")


@register.simple_tag
def user_role(user: Any) -> str:
    """The label of the user's most significant role, for the header."""
    if not getattr(user, "is_authenticated", False):
        return ""
    return role_name(primary_role(user))


@register.filter
def official(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and is_official(user)


@register.filter
def system_admin(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and is_system_admin(user)


@register.filter
def status_label(value: str) -> str:
    if not value:
        return "—"
    return str(Status(value).label) if value in Status.values else value


@register.filter
def outcome_label(value: str) -> str:
    return str(Outcome(value).label) if value in Outcome.values else ""


@register.filter
def online_level_label(value: str) -> str:
    return str(OnlineLevel(value).label) if value in OnlineLevel.values else value


@register.filter
def time_limit(version: Any) -> str:
    """'3 ngày làm việc' from a procedure version (or '—' when the law sets no limit)."""
    value = getattr(version, "time_value", None)
    unit = getattr(version, "time_unit", "")
    if value is None or unit in ("", TimeUnit.NONE):
        return _("Không quy định")
    value = Decimal(value)
    if value == 0 and unit == TimeUnit.WORKING_DAYS:
        return _("Trong ngày làm việc")
    number = format(value.normalize(), "f")
    label = str(TimeUnit(unit).label) if unit in TimeUnit.values else unit
    return f"{number.replace('.', ',')} {label}"


@register.filter
def vnd(amount: Any) -> str:
    """50000 → '50.000 đồng' (Vietnamese thousands separator)."""
    try:
        number = int(amount)
    except (TypeError, ValueError):
        return str(amount or "")
    return f"{number:,}".replace(",", ".") + " đồng"


@register.filter
def fee_text(rule: Any) -> str:
    rule = rule or {}
    kind = rule.get("kind")
    if kind == "free" or (kind in ("fixed", "per_copy") and not rule.get("amount")):
        return rule.get("text") or _("Miễn phí")
    if kind == "fixed":
        return rule.get("text") or vnd(rule.get("amount"))
    if kind == "per_copy":
        return rule.get("text") or _("%(amount)s mỗi bản") % {"amount": vnd(rule.get("amount"))}
    return rule.get("text") or _("Không quy định")


@register.filter
def is_past(value: Any) -> bool:
    return bool(value) and value < timezone.now()


@register.inclusion_tag("portal/_status.html")
def status_badge(dossier: Any) -> dict:
    """A status badge: colour AND words, so nobody depends on colour alone."""
    return {"status": dossier.status, "label": status_label(dossier.status)}


@register.filter
def get(mapping: Any, key: Any) -> Any:
    """{{ steps|get:code }}: a dict look-up by a variable key."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def calendar_admin(user: Any) -> bool:
    """System administrators and agency administrators manage the working calendar."""
    if not getattr(user, "is_authenticated", False):
        return False
    return is_system_admin(user) or has_role(user, Role.AGENCY_ADMIN)


@register.filter
def audit_reader(user: Any) -> bool:
    """May this user read the audit log (auditors, system administrators)?"""
    from motcua.audit.services import may_read_audit_log

    return may_read_audit_log(user)
