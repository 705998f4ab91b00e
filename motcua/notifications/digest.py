"""The officials' daily digest: one e-mail per official listing the dossiers of their task lists that are due soon
or overdue (and, for the desk, online dossiers not accepted in time), at most once per official per local day.

The lists are the officials' own task queries (`dossiers.selectors.my_tasks` and `desk_queue`), so the digest
shows exactly what "Việc của tôi" shows. Only officials whose agency and role have at least one flagged dossier
are looked at (two queries find them), and each costs two queries: the cost follows the number of e-mails, not
the number of officials or dossiers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from motcua.accounts.models import Role, RoleAssignment
from motcua.accounts.services import Grant
from motcua.core.links import public_url
from motcua.dossiers.models import Dossier, Status
from motcua.dossiers.selectors import desk_queue, my_tasks
from motcua.worktime.calc import TZ

from . import render
from .models import Channel, Event, Notification
from .services import SITE_NAME, _render

FLAGGED = Q(due_soon=True) | Q(overdue=True)


def digest_key(user_id: int, day) -> str:
    return f"digest:{user_id}:{day.isoformat()}:email"


def _candidates() -> list[Any]:
    """Active officials with an e-mail address holding a role where some dossier is flagged, grants preloaded."""
    flagged = set(
        Dossier.objects.filter(FLAGGED, status=Status.PROCESSING)
        .values_list("agency_id", "current_role")
        .distinct()
        .order_by()
    )
    late_desks = set(
        Dossier.objects.filter(status=Status.SUBMITTED, acceptance_breached=True)
        .values_list("agency_id", flat=True)
        .distinct()
        .order_by()
    )
    if not flagged and not late_desks:
        return []
    cond = Q(pk__in=[])
    for agency_id, role in flagged:
        cond |= Q(agency_id=agency_id, role=role)
    if late_desks:
        cond |= Q(agency_id__in=late_desks, role=Role.DESK)
    user_ids = set(
        RoleAssignment.objects.filter(cond, user__is_active=True).exclude(user__email="").values_list("user", flat=True)
    )
    users: dict[int, Any] = {}
    grants: dict[int, set[Grant]] = {}
    for assignment in RoleAssignment.objects.filter(user_id__in=user_ids).select_related("user"):
        users[assignment.user_id] = assignment.user
        grants.setdefault(assignment.user_id, set()).add(Grant(assignment.agency_id, assignment.role))
    for user_id, user in users.items():
        user._motcua_grants = frozenset(grants[user_id])  # what accounts.services.grants would query
    return sorted(users.values(), key=lambda u: u.pk)


def _item(dossier: Dossier, *, late_acceptance: bool = False) -> dict[str, Any]:
    return {
        "code": dossier.code,
        "procedure": dossier.procedure.name,
        "agency": dossier.agency.name,
        "due_at": dossier.due_at,
        "step_due_at": dossier.step_due_at,
        "acceptance_due_at": dossier.acceptance_due_at,
        "overdue": dossier.overdue,
        "due_soon": dossier.due_soon,
        "late_acceptance": late_acceptance,
        "url": public_url(reverse("backoffice:dossier", args=[dossier.code])),
    }


def items_for(user: Any) -> list[dict[str, Any]]:
    """The flagged dossiers of one official's task lists: late acceptances, then overdue, then due soon."""
    late = [
        _item(d, late_acceptance=True)
        for d in desk_queue(user).filter(status=Status.SUBMITTED, acceptance_breached=True)
    ]
    tasks = [_item(d) for d in my_tasks(user).filter(FLAGGED)]
    far = datetime.max.replace(tzinfo=TZ)
    late.sort(key=lambda i: i["acceptance_due_at"] or far)
    tasks.sort(key=lambda i: (not i["overdue"], i["due_at"] or far))
    return late + tasks


def queue_digests(now: datetime | None = None) -> int:
    """Write today's digest for every official who has something in it and has not had it yet; returns how many."""
    now = now or timezone.now()
    day = now.astimezone(TZ).date()
    officials = _candidates()
    if not officials:
        return 0
    done = set(
        Notification.objects.filter(key__in=[digest_key(u.pk, day) for u in officials]).values_list(
            "recipient_user_id", flat=True
        )
    )
    text = render.resolve(Event.DIGEST, "", [Channel.EMAIL]).get(Channel.EMAIL)
    if text is None:
        return 0
    rows = []
    for user in officials:
        if user.pk in done:
            continue
        items = items_for(user)
        if not items:
            continue
        context = {
            "official": user.display_name,
            "day": now,
            "items": items,
            "overdue_count": sum(1 for i in items if i["overdue"]),
            "due_soon_count": sum(1 for i in items if i["due_soon"] and not i["overdue"]),
            "late_acceptance_count": sum(1 for i in items if i["late_acceptance"]),
            "tasks_url": public_url(reverse("backoffice:tasks")),
            "site": SITE_NAME,
        }
        subject, body = _render(text, context, Event.DIGEST, Channel.EMAIL)  # a broken edit: the shipped text
        rows.append(
            Notification(
                key=digest_key(user.pk, day),
                event=Event.DIGEST,
                channel=Channel.EMAIL,
                recipient_user=user,
                recipient=user.email,
                subject=subject,
                body=body,
                created_at=now,
                next_attempt_at=now,
            )
        )
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
