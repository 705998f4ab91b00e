"""Analytics use cases: keeping the facts (the transition hook and `record` for the other apps' events), the full
rebuild, and the citizens' ratings and feedback (motcua.analytics.feedback)."""

from __future__ import annotations

from datetime import date
from typing import Any

from . import facts

# What each non-transition event changes in a dossier's fact row (see facts.PARTS).
EVENTS: dict[str, tuple[str, ...]] = {
    "payment": ("fee",),  # a payment paid, refunded… (motcua.payments.services._log)
    "result": ("result",),  # an e-result signed (motcua.results.services._issue_locked)
    "store": ("store", "documents"),  # a deposit or a reuse (motcua.store.services)
    "portal": ("portal",),  # a status change acknowledged by the national portal (motcua.exchange.services)
    "rating": ("rating",),
    "feedback": ("feedback",),
}
# A transition out of these statuses may have come with new documents (they are attached only then).
_DOCUMENT_STATUSES = ("", "draft", "submitted", "supplement_requested")


def on_dossier_transition(dossier: Any, action: str, payload: dict, row: Any = None) -> None:
    """Listed last in MOTCUA_TRANSITION_HOOKS: update the dossier's facts in the transition's transaction.

    The dossier is re-read from the database (a hook before this one may have moved it further, e.g. a linked
    sub-dossier returned by the system), so the facts always follow the committed state, whatever the nesting."""
    from motcua.exchange.services import portal_partner

    parts = {"state"}
    if row is None or row.from_status in _DOCUMENT_STATUSES:
        parts.add("documents")
    if portal_partner() is not None:  # cached: no query when the portal is not configured
        parts.add("portal")
    facts.sync(dossier.pk, parts)


def record(event: str, dossier: Any) -> None:
    """Another app's event about a dossier (a Dossier or its id; None is ignored): recompute what it changes.
    Call it inside the transaction that made the change."""
    if dossier is None:
        return
    dossier_id = dossier if isinstance(dossier, int) else getattr(dossier, "pk", None)
    if dossier_id is None:
        return
    facts.sync(dossier_id, EVENTS[event])


def message_settled(message: Any) -> None:
    """An outbox message settled (motcua.exchange.services._settled): a portal acknowledgement changes the
    dossier's sync state; a linked step's message may have opened sub-dossiers no transition has counted yet."""
    from motcua.dossiers.models import Dossier

    code = getattr(message, "dossier_code", "")
    if not code:
        return
    if message.kind == facts.PORTAL_STATUS_KIND:
        dossier_id = Dossier.objects.filter(code=code).values_list("pk", flat=True).first()
        if dossier_id is not None:
            facts.sync(dossier_id, ("portal",))
        return
    for sub_id in Dossier.objects.filter(parent__code=code, fact__isnull=True).values_list("pk", flat=True):
        facts.sync(sub_id)


def catch_up(limit: int = 10_000) -> int:
    """Count the dossiers no hook has counted yet, or whose log moved on since (a safety net for writes that
    bypass the services, e.g. a bulk import): compares each fact's `seq` with the dossier's action count."""
    from django.db.models import F, Q

    from motcua.dossiers.models import Dossier

    stale = (
        Dossier.objects.exclude(status="draft")
        .filter(submitted_at__isnull=False)
        .filter(Q(fact__isnull=True) | ~Q(fact__seq=F("action_count")))
        .values_list("pk", flat=True)[:limit]
    )
    done = 0
    for pk in stale:
        facts.sync(pk)
        done += 1
    return done


def rebuild_facts(start: date | None = None, end: date | None = None, *, log=None) -> dict[str, Any]:
    """Recompute every fact from the action log and the source tables in set-based SQL (minutes for millions of
    dossiers). With `start`/`end`: the dossiers received in that range, and every aggregate from `start` on."""
    return facts.rebuild(start, end, log=log)
