"""Read queries for linked requests, always starting from what the caller may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from motcua.accounts.models import User
from motcua.dossiers.models import Dossier, Status
from motcua.dossiers.selectors import history, visible_dossiers
from motcua.exchange.models import ExchangePartner, OutboxMessage
from motcua.worktime.services import calendar_for

from .display import result_fields
from .groups import group_for
from .models import PENDING_STEP_STATUSES, ChainEvent, ChainStatus, ChainStep, LinkedChain, StepStatus

BIRTH_REGISTRATION = "1.001193"
BIRTH_GROUP = "2.000986"


@dataclass
class TimelineEntry:
    at: datetime
    text: str
    kind: str  # "action" (the umbrella's log) or the chain event's kind
    step: str = ""


def chain_of(dossier: Dossier) -> LinkedChain | None:
    return (
        LinkedChain.objects.filter(dossier=dossier)
        .prefetch_related(Prefetch("steps", queryset=ChainStep.objects.select_related("message", "sub_dossier")))
        .first()
    )


def timeline(dossier: Dossier, chain: LinkedChain | None) -> list[TimelineEntry]:
    """One timeline for the citizen: the request's own log merged with what happened at each agency."""
    entries = [TimelineEntry(a.at, a.label or a.action, "action") for a in history(dossier)]
    if chain is not None:
        entries += [TimelineEntry(e.at, e.text, e.kind, e.step_code) for e in ChainEvent.objects.filter(chain=chain)]
    return sorted(entries, key=lambda e: e.at)


@dataclass
class OpenChainRow:
    chain: LinkedChain
    dossier: Dossier
    waiting: list[dict[str, Any]]
    done: int
    total: int
    working_hours_left: float | None
    late: bool

    @property
    def working_hours_late(self) -> float | None:
        """How late, in working hours, as a positive number (None when not late or no deadline)."""
        if not self.late or self.working_hours_left is None:
            return None
        return abs(self.working_hours_left)


def open_chains(user: User, now: datetime | None = None) -> list[OpenChainRow]:
    """Every open linked request the caller may see: where it waits, for whom, and the working time left."""
    now = now or timezone.now()
    chains = (
        LinkedChain.objects.filter(status=ChainStatus.OPEN, dossier__in=visible_dossiers(user).values("pk"))
        .select_related("dossier__agency", "dossier__procedure")
        .prefetch_related(Prefetch("steps", queryset=ChainStep.objects.select_related("message")))
        .order_by("dossier__due_at")
    )
    names = dict(ExchangePartner.objects.values_list("code", "name"))
    calendars: dict[int, Any] = {}
    rows = []
    for chain in chains:
        agency = chain.dossier.agency
        if agency.id not in calendars:
            calendars[agency.id] = calendar_for(agency)
        cal = calendars[agency.id]
        steps = list(chain.steps.all())
        waiting = [
            {
                "name": s.name,
                "partner": names.get(s.partner_code, s.partner_code),
                "status": s.get_status_display(),
                "status_code": s.status,
                "since": s.started_at,
                "due_at": s.due_at,
                "reference": s.reference,
                "delivery": s.message.get_status_display() if s.message else "",
                "undelivered": bool(s.message and s.message.status == OutboxMessage.Status.DEAD),
            }
            for s in steps
            if s.status in PENDING_STEP_STATUSES
        ]
        left = None
        if chain.due_at:
            seconds = cal.working_seconds_between(now, chain.due_at) if chain.due_at > now else 0
            late_by = cal.working_seconds_between(chain.due_at, now) if chain.due_at < now else 0
            left = round((seconds - late_by) / 3600, 1)
        rows.append(
            OpenChainRow(
                chain=chain,
                dossier=chain.dossier,
                waiting=waiting,
                done=sum(1 for s in steps if s.status == "done"),
                total=len(steps),
                working_hours_left=left,
                late=bool(chain.due_at and chain.due_at < now),
            )
        )
    return rows


def portal_sync_share() -> dict[str, Any]:
    """The KPI 'dossiers synchronised with the National Public Service Portal': the share of dossiers whose every
    status change has been accepted by the portal (a dossier with one change still queued or failed is not).
    Read from the analytics facts (kept by the outbox as the portal answers), not a scan of the outbox."""
    from motcua.analytics.queries import portal_sync_share as from_facts

    return from_facts()


def follow_on_proposals(user: User) -> list[Dossier]:
    """The life-event trigger: this parent's finished birth registrations (outside any linked request) that no
    residence + health-insurance request continues yet. Their result (the child's personal ID) is reused."""
    if not user.is_authenticated:
        return []
    taken = {
        (d or {}).get("follow_on_of")
        for d in Dossier.objects.filter(applicant=user, procedure__code=BIRTH_GROUP)
        .exclude(status__in=[Status.REFUSED, Status.WITHDRAWN])
        .values_list("data_sources", flat=True)
    }
    return list(
        Dossier.objects.filter(
            applicant=user,
            procedure__code=BIRTH_REGISTRATION,
            parent__isnull=True,
            status__in=[Status.RESULT_READY, Status.RETURNED],
            result__has_key="so_dinh_danh",
        )
        .exclude(follow_on_chains__isnull=False)
        .exclude(code__in=[c for c in taken if c])
        .select_related("agency", "procedure")
        .order_by("-finished_at", "-pk")
    )


# --- what the dossier pages show of a chain -------------------------------------------------------------------

FAILED_STEP_STATUSES = (StepStatus.REJECTED, StepStatus.BLOCKED)


@dataclass
class StepRow:
    step: ChainStep
    partner: str
    reasons: str  # the agency's reasons in plain words ("" unless the step was rejected or blocked)

    @property
    def failed(self) -> bool:
        return self.step.status in FAILED_STEP_STATUSES


@dataclass
class ChainPage:
    chain: LinkedChain
    group_name: str
    steps: list[StepRow]
    results: list[dict[str, Any]]  # results_of(chain), each with "fields": [{key, label, value}]
    timeline: list[TimelineEntry]

    @property
    def failures(self) -> list[StepRow]:
        return [s for s in self.steps if s.failed]

    @property
    def others_kept(self) -> bool:
        """Is anything else still done or under way (so the failure notice can say the rest is kept)?"""
        return any(not s.failed and s.step.status != StepStatus.CANCELLED for s in self.steps)


def chain_page(dossier: Dossier) -> ChainPage | None:
    """Everything a dossier page shows of the umbrella's chain (None for a dossier without one): the steps with
    their agencies' names, the results in readable fields, and the one merged timeline. A fixed number of
    queries whatever the number of steps."""
    from .services import results_of  # services import this module lazily; keep the cycle lazy too

    if dossier.parent_id:
        return None
    chain = chain_of(dossier)
    if chain is None:
        return None
    steps = list(chain.steps.all())
    names = dict(ExchangePartner.objects.filter(code__in={s.partner_code for s in steps}).values_list("code", "name"))
    group = group_for(chain.group)
    results = [{**r, "fields": result_fields(r["result"])} for r in results_of(chain)]
    return ChainPage(
        chain=chain,
        group_name=group.short_name if group else chain.group,
        steps=[
            StepRow(
                step=s,
                partner=names.get(s.partner_code, s.partner_code),
                reasons=s.reasons_text.rstrip(". ") if s.status in FAILED_STEP_STATUSES else "",
            )
            for s in steps
        ],
        results=results,
        timeline=timeline(dossier, chain),
    )


def follow_on_proposal(user: User, code: str) -> Dossier | None:
    """The caller's proposal for this birth registration, if it still stands (see `follow_on_proposals`)."""
    return next((d for d in follow_on_proposals(user) if d.code == code), None)
