"""How a dossier is counted, computed two ways that must agree (tests/test_facts_rebuild.py checks it):

- incrementally, in Python, for one dossier at a time (`sync`), inside the transaction that changed it;
- in bulk, in set-based SQL (`rebuild`), for millions of dossiers at once.

Both produce the dossier's `DossierFact` row (on which day it entered each figure), and the aggregates are the
sums of those rows' contributions (`contributions`): the incremental path adds the difference between a dossier's
new and old contributions; the rebuild groups every row at once.

The rules (docs/analytics.md, "Facts"), all days local (Asia/Ho_Chi_Minh):
- received: the day the dossier was submitted (a draft is never counted); a sub-dossier of a linked chain on the
  day it was split out, in its own agency. The umbrella request of a chain has `chain = True` and is counted
  apart: it is never added to its sub-dossiers' figures.
- accepted: the day of acceptance (an undone acceptance is not counted); supplement_requested: the day of the
  (single) request for completion.
- closed: refused / withdrawn on the day it ended; resolved on the day the result was ready (or, failing that,
  returned), bucketed early / on time / late exactly as the dossier engine judges it: late after the appointment
  (the single re-appointment counts), early on a day before the appointment's day, else on time.
- processing time: working time from acceptance to result ready on the official calendar and the agency's desk
  hours (supplement pauses included), in thousandths of a working day; allowed time: acceptance to the first
  appointment.
- overdue: an accepted dossier with an appointment is in the overdue stock from the day after its appointment
  day until the day it is closed; a dossier whose clock is paused (supplement requested) before its appointment is
  not overdue while paused — the appointment moves when the applicant supplements.
- the cohort flags (digitised, stored data reused, portal sent / synced) count on the day the dossier was
  received; fees on the day paid, e-results on the day the first one was signed, results stored on the day the
  first was deposited in the citizen's data store, ratings and feedback on their own days.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from django.db import connection, transaction

from motcua.dossiers.models import Status
from motcua.worktime.calc import TZ

from .counters import (
    CHANNEL_MEMBERS,
    LEVEL_AGENCY,
    LEVEL_CHANNEL,
    LEVEL_PROCEDURE,
    LEVEL_PROVINCE,
    RECEIVED_BY_CHANNEL,
    ROLLUP_COUNTERS,
    WIDE,
)
from .models import (
    COUNTERS,
    DailyFact,
    DossierFact,
    DurationFact,
    MonthlyDurationFact,
    MonthlyFact,
    MonthlyRollupDurationFact,
    MonthlyRollupFact,
    RollupDurationFact,
    RollupFact,
)

PORTAL_STATUS_KIND = "portal.dossier_status"  # motcua.exchange.services.PORTAL_STATUS_KIND
CLOSED_AS = ("resolved_early", "resolved_on_time", "resolved_late", "refused", "withdrawn")
RESOLVED = ("resolved_early", "resolved_on_time", "resolved_late")

# The fields of a DossierFact row, by the part of the sources each comes from.
PARTS: dict[str, tuple[str, ...]] = {
    "state": (
        "agency_id",
        "procedure_id",
        "channel",
        "chain",
        "seq",
        "received_day",
        "accepted_day",
        "supplement_day",
        "closed_day",
        "closed_as",
        "proc_units",
        "allowed_units",
        "overdue_day",
    ),
    "fee": ("fee_day", "fee_online", "fee_vnd"),
    "result": ("result_day",),
    "documents": ("digitised",),
    "store": ("result_stored_day", "reused"),
    "portal": ("portal_sent", "portal_synced"),
    "rating": ("rated_day", "rated_satisfied"),
    "feedback": (
        "feedback_day",
        "feedback_handled_day",
        "feedback_on_time",
        "feedback_rated_day",
        "feedback_satisfied",
    ),
}
FIELDS: tuple[str, ...] = tuple(f for fields in PARTS.values() for f in fields)
_BOOLEANS = {
    "chain",
    "fee_online",
    "digitised",
    "reused",
    "portal_sent",
    "portal_synced",
    "rated_satisfied",
    "feedback_on_time",
    "feedback_satisfied",
}
_DEFAULTS = {"seq": 0, "fee_vnd": 0, "channel": "", "closed_as": ""}
# A fact row that counts nothing.
EMPTY: dict[str, Any] = {f: False if f in _BOOLEANS else _DEFAULTS.get(f) for f in FIELDS}


@lru_cache(maxsize=1)
def linked_procedure_codes() -> frozenset[str]:
    """The procedures whose dossiers are umbrella requests of a linked chain (Decree 63/2024 groups)."""
    from motcua.linked.groups import all_groups

    return frozenset(all_groups())


def local_day(value: datetime | None) -> date | None:
    return value.astimezone(TZ).date() if value is not None else None


def outcome(result_at: datetime, due_at: datetime | None) -> str:
    """The engine's judgement (motcua.dossiers.services._outcome): early / on_time / late."""
    if due_at is None:
        return "on_time"
    if result_at > due_at:
        return "late"
    if local_day(result_at) < local_day(due_at):
        return "early"
    return "on_time"


# --- one dossier, in Python ---------------------------------------------------------------------------------

_DOSSIER_VALUES = (
    "id",
    "code",
    "status",
    "channel",
    "agency_id",
    "procedure_id",
    "version_id",
    "procedure__code",
    "agency__code",
    "agency__work_periods",
    "action_count",
    "submitted_at",
    "accepted_at",
    "due_at",
    "original_due_at",
    "paused_at",
    "supplement_count",
    "result_ready_at",
    "finished_at",
)


def _units(cal: Any, start: datetime, end: datetime) -> int:
    """Working time from start to end (never negative) in thousandths of a working day of that calendar."""
    seconds = max(cal.working_seconds_between(start, end), 0)
    return seconds * 1000 // cal.seconds_per_day


def state_part(d: dict, supplement_at: datetime | None) -> dict:
    """The dossier-state fields of its fact row, from its row (values of _DOSSIER_VALUES)."""
    from motcua.worktime.services import calendar_for

    out = {f: EMPTY[f] for f in PARTS["state"]}
    out.update(
        agency_id=d["agency_id"],
        procedure_id=d["procedure_id"],
        channel=d["channel"],
        chain=d["procedure__code"] in linked_procedure_codes(),
        seq=d["action_count"],
    )
    if d["status"] == Status.DRAFT or d["submitted_at"] is None:
        return out
    received = local_day(d["submitted_at"])
    out["received_day"] = received
    out["accepted_day"] = local_day(d["accepted_at"])
    out["supplement_day"] = local_day(supplement_at) if d["supplement_count"] else None
    result_at = d["result_ready_at"] or (d["finished_at"] if d["status"] == Status.RETURNED else None)
    if d["status"] in (Status.REFUSED, Status.WITHDRAWN) and d["finished_at"] is not None:
        out["closed_day"], out["closed_as"] = local_day(d["finished_at"]), d["status"]
    elif result_at is not None:
        out["closed_day"] = local_day(result_at)
        out["closed_as"] = "resolved_" + outcome(result_at, d["due_at"])
        if d["accepted_at"] is not None:
            cal = calendar_for(SimpleNamespace(code=d["agency__code"], work_periods=d["agency__work_periods"]))
            out["proc_units"] = _units(cal, d["accepted_at"], result_at)
            if d["original_due_at"] is not None:
                out["allowed_units"] = _units(cal, d["accepted_at"], d["original_due_at"])
    paused_before_due = d["paused_at"] is not None and d["due_at"] is not None and d["paused_at"] < d["due_at"]
    if d["accepted_at"] is not None and d["due_at"] is not None and not paused_before_due:
        overdue = max(received, local_day(d["due_at"]) + timedelta(days=1))
        if out["closed_day"] is None or overdue < out["closed_day"]:
            out["overdue_day"] = overdue
    return out


def _supplement_at(dossier_id: int) -> datetime | None:
    from django.db.models import Min

    from motcua.dossiers.models import DossierAction

    return DossierAction.objects.filter(dossier_id=dossier_id, action="request_supplement", undone=False).aggregate(
        at=Min("at")
    )["at"]


def fee_part(dossier_id: int) -> dict:
    from motcua.payments.models import Method, Payment, PaymentStatus

    paid = (
        Payment.objects.filter(dossier_id=dossier_id, status=PaymentStatus.PAID)
        .values("paid_at", "method", "amount_vnd")
        .first()
    )
    if paid is None or paid["paid_at"] is None:
        return {"fee_day": None, "fee_online": False, "fee_vnd": 0}
    online = paid["method"] == Method.ONLINE
    return {"fee_day": local_day(paid["paid_at"]), "fee_online": online, "fee_vnd": paid["amount_vnd"]}


def result_part(dossier_id: int) -> dict:
    from django.db.models import Min

    from motcua.results.models import EResult

    first = EResult.objects.filter(dossier_id=dossier_id).aggregate(at=Min("signed_at"))["at"]
    return {"result_day": local_day(first)}


def documents_part(dossier_id: int) -> dict:
    from motcua.dossiers.models import DossierDocument
    from motcua.store.models import Kind, StoredDocument

    digitised = (
        DossierDocument.objects.filter(dossier_id=dossier_id).exists()
        or StoredDocument.objects.filter(dossier_id=dossier_id, kind=Kind.DIGITISED).exists()
    )
    return {"digitised": digitised}


def store_part(dossier_id: int) -> dict:
    from django.db.models import Min

    from motcua.store.models import Kind, StoredDocument, StoreReuse

    first = StoredDocument.objects.filter(dossier_id=dossier_id, kind=Kind.E_RESULT).aggregate(at=Min("created_at"))
    return {
        "result_stored_day": local_day(first["at"]),
        "reused": StoreReuse.objects.filter(dossier_id=dossier_id).exists(),
    }


def portal_part(code: str | None) -> dict:
    from django.db.models import Count, Q

    from motcua.exchange.models import OutboxMessage

    if not code:
        return {"portal_sent": False, "portal_synced": False}
    agg = OutboxMessage.objects.filter(kind=PORTAL_STATUS_KIND, dossier_code=code).aggregate(
        n=Count("id"), ok=Count("id", filter=Q(status=OutboxMessage.Status.ACCEPTED))
    )
    return {"portal_sent": agg["n"] > 0, "portal_synced": agg["n"] > 0 and agg["ok"] == agg["n"]}


def rating_part(dossier_id: int) -> dict:
    from .models import Rating

    r = Rating.objects.filter(dossier_id=dossier_id).values("created_at", "satisfied").first()
    if r is None:
        return {"rated_day": None, "rated_satisfied": False}
    return {"rated_day": local_day(r["created_at"]), "rated_satisfied": bool(r["satisfied"])}


def feedback_part(dossier_id: int) -> dict:
    from .models import Feedback

    f = (
        Feedback.objects.filter(dossier_id=dossier_id)
        .values("created_at", "handled_at", "handled_on_time", "rated_at", "applicant_satisfied")
        .first()
    )
    if f is None:
        return {f: EMPTY[f] for f in PARTS["feedback"]}
    return {
        "feedback_day": local_day(f["created_at"]),
        "feedback_handled_day": local_day(f["handled_at"]),
        "feedback_on_time": bool(f["handled_on_time"]),
        "feedback_rated_day": local_day(f["rated_at"]),
        "feedback_satisfied": bool(f["applicant_satisfied"]),
    }


# --- contributions and deltas -------------------------------------------------------------------------------

Key = tuple[int, int, str, bool]


def contributions(r: dict) -> tuple[dict[tuple[date, Key], dict[str, int]], dict[tuple[date, Key, int], int]]:
    """What one fact row adds to the daily counters and to the duration histogram."""
    daily: dict[tuple[date, Key], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    durations: dict[tuple[date, Key, int], int] = {}
    received = r.get("received_day")
    if received is None:
        return daily, durations
    key: Key = (r["agency_id"], r["procedure_id"], r["channel"], bool(r["chain"]))

    def add(day: date | None, counter: str, amount: int = 1) -> None:
        if day is not None and amount:
            daily[(day, key)][counter] += amount

    add(received, "received")
    add(received, "digitised_dossiers", int(bool(r["digitised"])))
    add(received, "stored_reused", int(bool(r["reused"])))
    add(received, "portal_sent", int(bool(r["portal_sent"])))
    add(received, "portal_synced", int(bool(r["portal_synced"])))
    add(r["accepted_day"], "accepted")
    add(r["supplement_day"], "supplement_requested")
    closed, closed_as = r["closed_day"], r["closed_as"]
    if closed is not None and closed_as:
        add(closed, closed_as)
        if closed_as in RESOLVED and r["proc_units"] is not None:
            add(closed, "proc_n")
            add(closed, "proc_units", r["proc_units"])
            add(closed, "allowed_units", r["allowed_units"] or 0)
            durations[(closed, key, r["proc_units"] // 1000)] = 1
    if r["overdue_day"] is not None:
        add(r["overdue_day"], "overdue_in")
        add(closed, "overdue_out")
    if r["fee_day"] is not None:
        add(r["fee_day"], "fees_paid")
        if r["fee_online"]:
            add(r["fee_day"], "fees_paid_online")
            add(r["fee_day"], "fees_online_vnd", int(r["fee_vnd"] or 0))
    add(r["result_day"], "results_issued")
    add(r["result_stored_day"], "digitised_results")
    add(r["rated_day"], "rated")
    if r["rated_satisfied"]:
        add(r["rated_day"], "rated_satisfied")
    add(r["feedback_day"], "feedback_received")
    add(r["feedback_handled_day"], "feedback_handled")
    if r["feedback_on_time"]:
        add(r["feedback_handled_day"], "feedback_on_time")
    add(r["feedback_rated_day"], "feedback_rated")
    if r["feedback_satisfied"]:
        add(r["feedback_rated_day"], "feedback_satisfied")
    return daily, durations


def delta(old: dict, new: dict) -> tuple[dict, dict]:
    """new − old, without the zeros."""
    old_daily, old_dur = contributions(old)
    new_daily, new_dur = contributions(new)
    daily: dict[tuple[date, Key], dict[str, int]] = {}
    for k in set(old_daily) | set(new_daily):
        a, b = old_daily.get(k, {}), new_daily.get(k, {})
        diff = {c: b.get(c, 0) - a.get(c, 0) for c in set(a) | set(b)}
        diff = {c: v for c, v in diff.items() if v}
        if diff:
            daily[k] = diff
    durations = {k: new_dur.get(k, 0) - old_dur.get(k, 0) for k in set(old_dur) | set(new_dur)}
    return daily, {k: v for k, v in durations.items() if v}


def month_of(day: date) -> date:
    return day.replace(day=1)


def _upsert_counters(table: str, day_col: str, rows: dict[tuple[date, Key], dict[str, int]]) -> None:
    """Add counters to rows of DailyFact / MonthlyFact, creating them when missing: one INSERT … ON CONFLICT DO
    UPDATE (PostgreSQL and SQLite ≥ 3.24), rows in key order so concurrent writers lock them in the same order."""
    if not rows:
        return
    cols = [day_col, "agency_id", "procedure_id", "channel", "chain", *COUNTERS]
    values, params = [], []
    for (day, (agency, procedure, channel, chain)), counts in sorted(rows.items(), key=_sort_key):
        values.append("(" + ", ".join(["%s"] * len(cols)) + ")")
        params.extend([day, agency, procedure, channel, chain, *(counts.get(c, 0) for c in COUNTERS)])
    sets = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in COUNTERS)
    sql = (
        f"INSERT INTO {table} ({', '.join(cols)}) VALUES {', '.join(values)} "  # noqa: S608
        f"ON CONFLICT ({day_col}, agency_id, procedure_id, channel, chain) DO UPDATE SET {sets}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _sort_key(item: tuple) -> tuple:
    (day, key), _counts = item
    return (day, *key)


def _upsert_durations(table: str, day_col: str, rows: dict[tuple[date, Key, int], int]) -> None:
    if not rows:
        return
    cols = [day_col, "agency_id", "procedure_id", "channel", "chain", "bucket", "n"]
    values, params = [], []
    for (day, (agency, procedure, channel, chain), bucket), n in sorted(rows.items()):
        values.append("(%s, %s, %s, %s, %s, %s, %s)")
        params.extend([day, agency, procedure, channel, chain, bucket, n])
    sql = (
        f"INSERT INTO {table} ({', '.join(cols)}) VALUES {', '.join(values)} "  # noqa: S608
        f"ON CONFLICT ({day_col}, agency_id, procedure_id, channel, chain, bucket) "
        f"DO UPDATE SET n = {table}.n + excluded.n"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _members(key: Key) -> tuple[tuple[int, int], ...]:
    """The rollup rows (level, member) a detailed key adds to."""
    agency, procedure, channel, _chain = key
    return (
        (LEVEL_PROVINCE, 0),
        (LEVEL_AGENCY, agency),
        (LEVEL_PROCEDURE, procedure),
        (LEVEL_CHANNEL, CHANNEL_MEMBERS.get(channel, 0)),
    )


RollupKey = tuple[date, int, int, bool]  # (day or month, level, member, chain)


def _rollup_counters(rows: dict[tuple[date, Key], dict[str, int]]) -> dict[RollupKey, dict[str, int]]:
    out: dict[RollupKey, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (day, key), counts in rows.items():
        by_channel = f"received_{key[2]}"
        for level, member in _members(key):
            target = out[(day, level, member, bool(key[3]))]
            for c, v in counts.items():
                target[c] += v
            if by_channel in RECEIVED_BY_CHANNEL and counts.get("received"):
                target[by_channel] += counts["received"]
    return {k: v for k, v in out.items() if any(v.values())}


def _upsert_rollup(table: str, day_col: str, rows: dict[RollupKey, dict[str, int]]) -> None:
    """Add counters to rollup rows, as _upsert_counters does (rows in key order)."""
    if not rows:
        return
    cols = [day_col, "level", "member", "chain", *ROLLUP_COUNTERS]
    values, params = [], []
    order = sorted(rows.items(), key=lambda item: (item[0][1], item[0][0], item[0][3], item[0][2]))
    for (day, level, member, chain), counts in order:
        values.append("(" + ", ".join(["%s"] * len(cols)) + ")")
        params.extend([day, level, member, chain, *(counts.get(c, 0) for c in ROLLUP_COUNTERS)])
    sets = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in ROLLUP_COUNTERS)
    sql = (
        f"INSERT INTO {table} ({', '.join(cols)}) VALUES {', '.join(values)} "  # noqa: S608
        f"ON CONFLICT (level, {day_col}, chain, member) DO UPDATE SET {sets}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _upsert_rollup_durations(table: str, day_col: str, rows: dict[tuple[date, Key, int], int]) -> None:
    summed: dict[tuple[int, date, bool, int, int], int] = defaultdict(int)
    for (day, key, bucket), n in rows.items():
        for level, member in _members(key):
            summed[(level, day, bool(key[3]), member, bucket)] += n
    summed = {k: v for k, v in summed.items() if v}
    if not summed:
        return
    values, params = [], []
    for (level, day, chain, member, bucket), n in sorted(summed.items()):
        values.append("(%s, %s, %s, %s, %s, %s)")
        params.extend([day, level, member, chain, bucket, n])
    sql = (
        f"INSERT INTO {table} ({day_col}, level, member, chain, bucket, n) VALUES {', '.join(values)} "  # noqa: S608
        f"ON CONFLICT (level, {day_col}, chain, member, bucket) DO UPDATE SET n = {table}.n + excluded.n"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def apply(daily: dict, durations: dict) -> None:
    """Add a delta to the daily and monthly counters, the histogram and their rollups (in the caller's
    transaction)."""
    _upsert_counters(DailyFact._meta.db_table, "day", daily)
    monthly: dict[tuple[date, Key], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (day, key), counts in daily.items():
        for c, v in counts.items():
            monthly[(month_of(day), key)][c] += v
    _upsert_counters(MonthlyFact._meta.db_table, "month", monthly)
    _upsert_durations(DurationFact._meta.db_table, "day", durations)
    by_month: dict[tuple[date, Key, int], int] = defaultdict(int)
    for (day, key, bucket), n in durations.items():
        by_month[(month_of(day), key, bucket)] += n
    by_month = {k: v for k, v in by_month.items() if v}
    _upsert_durations(MonthlyDurationFact._meta.db_table, "month", by_month)
    _upsert_rollup(RollupFact._meta.db_table, "day", _rollup_counters(daily))
    _upsert_rollup(MonthlyRollupFact._meta.db_table, "month", _rollup_counters(monthly))
    _upsert_rollup_durations(RollupDurationFact._meta.db_table, "day", durations)
    _upsert_rollup_durations(MonthlyRollupDurationFact._meta.db_table, "month", by_month)


# --- the incremental path -----------------------------------------------------------------------------------

ALL_PARTS = frozenset(PARTS)


def sync(dossier_id: int, parts: Iterable[str] = ALL_PARTS) -> bool:
    """Recompute these parts of one dossier's fact row from its sources and add the difference to the aggregates.

    Idempotent (a second call changes nothing) and safe under concurrency: the fact row is locked (created first
    with INSERT … ON CONFLICT DO NOTHING when missing); call it inside the transaction that changed the sources.
    A dossier seen for the first time gets every part. Returns whether anything changed."""
    from motcua.dossiers.models import Dossier

    with transaction.atomic():
        # The dossier's row first, then its fact row: the order of every writer (the engine, payments, e-results,
        # the data store lock the dossier before they record). A caller holding the dossier already pays nothing;
        # one that does not (e.g. a receipt made after commit) would otherwise hold the fact row while waiting for
        # the dossier that a concurrent writer holds while waiting for the fact row: a deadlock.
        d = Dossier.objects.select_for_update(of=("self",)).filter(pk=dossier_id).values(*_DOSSIER_VALUES).first()
        if d is None or d["status"] == Status.DRAFT or d["submitted_at"] is None:
            return False
        _lock_parents(d)
        fact = DossierFact.objects.select_for_update().filter(pk=dossier_id).first()
        if fact is None:
            DossierFact.objects.bulk_create(
                [
                    DossierFact(
                        dossier_id=dossier_id,
                        agency_id=d["agency_id"],
                        procedure_id=d["procedure_id"],
                        channel=d["channel"],
                    )
                ],
                ignore_conflicts=True,
            )
            fact = DossierFact.objects.select_for_update().get(pk=dossier_id)
            if fact.received_day is None:
                parts = ALL_PARTS
        old = {f: getattr(fact, f) for f in FIELDS}
        new = dict(old)
        parts = set(parts)
        if "state" in parts and _pg():
            # read again now that the fact row is ours: a concurrent writer may have moved the dossier meanwhile
            d = Dossier.objects.filter(pk=dossier_id).values(*_DOSSIER_VALUES).first()
        if "state" in parts:
            known = old["supplement_day"] is not None and old["received_day"] is not None
            supplement_at = None
            if d["supplement_count"] and not known:
                supplement_at = _supplement_at(dossier_id)
            new.update(state_part(d, supplement_at))
            if known and d["supplement_count"]:
                new["supplement_day"] = old["supplement_day"]
        if "fee" in parts:
            new.update(fee_part(dossier_id))
        if "result" in parts:
            new.update(result_part(dossier_id))
        if "documents" in parts:
            new.update(documents_part(dossier_id))
        if "store" in parts:
            new.update(store_part(dossier_id))
        if "portal" in parts:
            new.update(portal_part(d["code"]))
        if "rating" in parts:
            new.update(rating_part(dossier_id))
        if "feedback" in parts:
            new.update(feedback_part(dossier_id))
        if new == old:
            return False
        daily, durations = delta(old, new)
        apply(daily, durations)
        changed = [f for f in FIELDS if new[f] != old[f]]
        for f in changed:
            setattr(fact, f, new[f])
        fact.save(update_fields=changed)
        return True


def _lock_parents(d: dict) -> None:
    """Share-lock the dossier's agency, procedure and version rows before any fact row (PostgreSQL only).

    The dossier engine locks those rows FOR UPDATE with the dossier (select_for_update with select_related), and a
    new dossier's deferred foreign-key checks take KEY SHARE on them at commit. Without this, a submission would
    hold a fact row while waiting at commit for a transition that itself waits for that fact row: a deadlock.
    Taking KEY SHARE first makes the submission wait (holding nothing) or the transition wait for it (KEY SHARE
    locks never block each other, so submissions still run side by side)."""
    from motcua.catalog.models import Agency, Procedure, ProcedureVersion

    if not _pg():
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {Agency._meta.db_table} a, {Procedure._meta.db_table} p, "  # noqa: S608
            f"{ProcedureVersion._meta.db_table} v WHERE a.id = %s AND p.id = %s AND v.id = %s FOR KEY SHARE",
            [d["agency_id"], d["procedure_id"], d["version_id"]],
        )


# --- the set-based rebuild ----------------------------------------------------------------------------------


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _ld(col: str) -> str:
    """The local (Asia/Ho_Chi_Minh, UTC+7 since 1975) date of a timestamp column, as SQL."""
    if _pg():
        return f"CAST(({col} AT TIME ZONE 'Asia/Ho_Chi_Minh') AS date)"
    return f"date({col}, '+7 hours')"


def _ld_next(col: str) -> str:
    if _pg():
        return f"(CAST(({col} AT TIME ZONE 'Asia/Ho_Chi_Minh') AS date) + 1)"
    return f"date({col}, '+7 hours', '+1 day')"


def _tod(col: str) -> str:
    """Whole seconds since local midnight (the calendar ignores microseconds)."""
    if _pg():
        return f"CAST(MOD(CAST(FLOOR(EXTRACT(EPOCH FROM {col})) AS BIGINT) + 25200, 86400) AS INTEGER)"
    return f"(CAST(strftime('%%s', {col}) AS INTEGER) + 25200) %% 86400"


def _month(col: str) -> str:
    if _pg():
        return f"CAST(date_trunc('month', {col}) AS date)"
    return f"date({col}, 'start of month')"


def _within(tod: str, periods: tuple[tuple[int, int], ...]) -> str:
    parts = []
    for start, end in periods:
        s, e = start * 60, end * 60
        parts.append(f"(CASE WHEN {tod} <= {s} THEN 0 WHEN {tod} >= {e} THEN {e - s} ELSE {tod} - {s} END)")
    return "(" + " + ".join(parts) + ")"


def refresh_workdays() -> int:
    """Fill the Workday table from the official calendar (2000-2060, the calendar's own range)."""
    from motcua.worktime.defaults import FIRST_YEAR, LAST_YEAR
    from motcua.worktime.services import calendar_for

    from .models import Workday

    cal = calendar_for(None)
    day, last = date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)
    rows, idx = [], 0
    while day <= last:
        working = cal.is_working_day(day)
        rows.append(Workday(day=day, idx=idx, working=working))
        idx += int(working)
        day += timedelta(days=1)
    Workday.objects.all().delete()
    Workday.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def _period_groups() -> list[tuple[tuple[tuple[int, int], ...], int, list[int] | None, list[int]]]:
    """(desk hours, working seconds a day, agencies with them or None for "every other", agencies excluded)."""
    from motcua.catalog.models import Agency
    from motcua.worktime.calc import DEFAULT_PERIODS
    from motcua.worktime.services import agency_periods

    groups: dict[tuple, list[int]] = defaultdict(list)
    for agency in Agency.objects.exclude(work_periods=[]).only("id", "code", "work_periods"):
        periods = agency_periods(agency)
        if periods != DEFAULT_PERIODS:
            groups[periods].append(agency.id)
    custom = [i for ids in groups.values() for i in ids]
    out = [(DEFAULT_PERIODS, _width(DEFAULT_PERIODS), None, custom)]
    out += [(periods, _width(periods), ids, []) for periods, ids in groups.items()]
    return out


def _width(periods: tuple[tuple[int, int], ...]) -> int:
    """Working seconds of one day with these desk hours (WorkCalendar.seconds_per_day)."""
    return sum(e - s for s, e in periods) * 60


def _true() -> str:
    return "TRUE" if _pg() else "1"


def _greatest(a: str, b: str) -> str:
    return f"GREATEST({a}, {b})" if _pg() else f"MAX({a}, {b})"


def _no_pullup() -> str:
    """Keep a derived table as it is (PostgreSQL would otherwise inline it and compute its columns again)."""
    return " OFFSET 0" if _pg() else ""


def _dossier_fact_sql(periods, width: int, only: list[int] | None, exclude: list[int], where: str) -> str:
    """INSERT … SELECT of the fact rows of every counted dossier of the agencies with these desk hours.

    Three levels, each computing a value once: `b` the dossier's own columns, `c` the local days and times of
    day, then the joins on the working-day table and the source tables (aggregated once each)."""
    from motcua.catalog.models import Procedure
    from motcua.dossiers.models import Dossier, DossierAction, DossierDocument
    from motcua.exchange.models import OutboxMessage
    from motcua.payments.models import Payment
    from motcua.results.models import EResult
    from motcua.store.models import StoredDocument, StoreReuse

    from .models import Feedback, Rating, Workday

    t = {
        "dossier": Dossier._meta.db_table,
        "action": DossierAction._meta.db_table,
        "document": DossierDocument._meta.db_table,
        "procedure": Procedure._meta.db_table,
        "payment": Payment._meta.db_table,
        "eresult": EResult._meta.db_table,
        "stored": StoredDocument._meta.db_table,
        "reuse": StoreReuse._meta.db_table,
        "outbox": OutboxMessage._meta.db_table,
        "rating": Rating._meta.db_table,
        "feedback": Feedback._meta.db_table,
        "workday": Workday._meta.db_table,
        "fact": DossierFact._meta.db_table,
    }
    linked = ", ".join(f"'{c}'" for c in sorted(linked_procedure_codes())) or "''"
    agencies = ""
    if only is not None:
        agencies = f" AND d.agency_id IN ({', '.join(str(int(i)) for i in only)})"
    elif exclude:
        agencies = f" AND d.agency_id NOT IN ({', '.join(str(int(i)) for i in exclude)})"
    true, false = _true(), _false()
    # b: the dossier's columns; `ended` = refused or withdrawn; res_at = the result's time (ready, or returned)
    b = f"""SELECT d.id, d.agency_id, d.procedure_id, d.channel, d.code, d.action_count, d.supplement_count,
        d.accepted_at, d.due_at, d.original_due_at, d.paused_at, d.submitted_at, d.finished_at,
        (p.code IN ({linked})) AS chain,
        (d.status IN ('refused', 'withdrawn') AND d.finished_at IS NOT NULL) AS ended,
        CASE WHEN d.status IN ('refused', 'withdrawn') THEN d.status ELSE '' END AS end_status,
        COALESCE(d.result_ready_at, CASE WHEN d.status = 'returned' THEN d.finished_at END) AS res_at
    FROM {t["dossier"]} d JOIN {t["procedure"]} p ON p.id = d.procedure_id
    WHERE d.status <> 'draft' AND d.submitted_at IS NOT NULL AND {true}{agencies}{where}{_no_pullup()}"""  # noqa: S608
    # c: local days and times of day, the closing day and the day the dossier would become overdue
    c = f"""SELECT b.*, {_ld("b.submitted_at")} AS recv, {_ld("b.accepted_at")} AS acc, {_ld("b.res_at")} AS res_day,
        {_ld("b.finished_at")} AS fin_day, {_ld("b.due_at")} AS due_day, {_ld("b.original_due_at")} AS odue_day,
        {_tod("b.accepted_at")} AS tod_a, {_tod("b.res_at")} AS tod_r, {_tod("b.original_due_at")} AS tod_o,
        CASE WHEN b.ended THEN {_ld("b.finished_at")} WHEN b.res_at IS NOT NULL THEN {_ld("b.res_at")} END AS closed,
        {_greatest(_ld_next("b.due_at"), _ld("b.submitted_at"))} AS due_next
    FROM ({b}) b{_no_pullup()}"""  # noqa: S608
    resolved = "(NOT c.ended AND c.res_at IS NOT NULL)"
    resolved_as = (
        "CASE WHEN c.due_at IS NULL THEN 'resolved_on_time' WHEN c.res_at > c.due_at THEN 'resolved_late' "
        "WHEN c.res_day < c.due_day THEN 'resolved_early' ELSE 'resolved_on_time' END"
    )
    closed_as = f"CASE WHEN c.ended THEN c.end_status WHEN c.res_at IS NOT NULL THEN {resolved_as} ELSE '' END"
    pos_a = f"(wa.idx * {width} + CASE WHEN wa.working THEN {_within('c.tod_a', periods)} ELSE 0 END)"
    pos_r = f"(wr.idx * {width} + CASE WHEN wr.working THEN {_within('c.tod_r', periods)} ELSE 0 END)"
    pos_o = f"(wo.idx * {width} + CASE WHEN wo.working THEN {_within('c.tod_o', periods)} ELSE 0 END)"
    proc = (
        f"CASE WHEN {resolved} AND c.accepted_at IS NOT NULL AND wa.day IS NOT NULL AND wr.day IS NOT NULL "
        f"THEN CAST({_greatest(f'{pos_r} - {pos_a}', '0')} AS BIGINT) * 1000 / {width} END"
    )
    allowed = (
        f"CASE WHEN {resolved} AND c.accepted_at IS NOT NULL AND wa.day IS NOT NULL AND wo.day IS NOT NULL "
        f"THEN CAST({_greatest(f'{pos_o} - {pos_a}', '0')} AS BIGINT) * 1000 / {width} END"
    )
    overdue = (
        "CASE WHEN c.accepted_at IS NOT NULL AND c.due_at IS NOT NULL "
        "AND NOT (c.paused_at IS NOT NULL AND c.paused_at < c.due_at) "
        "AND (c.closed IS NULL OR c.due_next < c.closed) THEN c.due_next END"
    )
    return f"""
INSERT INTO {t["fact"]} (dossier_id, agency_id, procedure_id, channel, chain, seq, received_day, accepted_day,
    supplement_day, closed_day, closed_as, proc_units, allowed_units, overdue_day, fee_day, fee_online, fee_vnd,
    result_day, result_stored_day, digitised, reused, portal_sent, portal_synced, rated_day, rated_satisfied,
    feedback_day, feedback_handled_day, feedback_on_time, feedback_rated_day, feedback_satisfied)
SELECT c.id, c.agency_id, c.procedure_id, c.channel, c.chain, c.action_count, c.recv, c.acc,
    CASE WHEN c.supplement_count > 0 THEN {_ld("sup.at")} END,
    c.closed, {closed_as}, {proc}, {allowed}, {overdue},
    {_ld("pay.paid_at")}, COALESCE(pay.method = 'online', {false}), COALESCE(pay.amount_vnd, 0),
    {_ld("res.at")}, {_ld("st.result_at")},
    (doc.dossier_id IS NOT NULL OR COALESCE(st.digitised, 0) > 0),
    (reu.dossier_id IS NOT NULL),
    (COALESCE(po.n, 0) > 0), (COALESCE(po.n, 0) > 0 AND po.ok = po.n),
    {_ld("r.created_at")}, COALESCE(r.satisfied, {false}),
    {_ld("f.created_at")}, {_ld("f.handled_at")}, COALESCE(f.handled_on_time, {false}),
    {_ld("f.rated_at")}, COALESCE(f.applicant_satisfied, {false})
FROM ({c}) c
LEFT JOIN (SELECT a.dossier_id, MIN(a.at) AS at FROM {t["action"]} a
           WHERE a.action = 'request_supplement' AND NOT a.undone GROUP BY a.dossier_id) sup ON sup.dossier_id = c.id
LEFT JOIN (SELECT dossier_id, paid_at, method, amount_vnd FROM {t["payment"]} WHERE status = 'paid') pay
    ON pay.dossier_id = c.id
LEFT JOIN (SELECT dossier_id, MIN(signed_at) AS at FROM {t["eresult"]} GROUP BY dossier_id) res
    ON res.dossier_id = c.id
LEFT JOIN (SELECT dossier_id, MIN(CASE WHEN kind = 'e_result' THEN created_at END) AS result_at,
                  MAX(CASE WHEN kind = 'digitised' THEN 1 ELSE 0 END) AS digitised
           FROM {t["stored"]} WHERE dossier_id IS NOT NULL GROUP BY dossier_id) st ON st.dossier_id = c.id
LEFT JOIN (SELECT DISTINCT dossier_id FROM {t["document"]}) doc ON doc.dossier_id = c.id
LEFT JOIN (SELECT DISTINCT dossier_id FROM {t["reuse"]}) reu ON reu.dossier_id = c.id
LEFT JOIN (SELECT dossier_code, COUNT(*) AS n, SUM(CASE WHEN status = 'accepted' THEN 1 ELSE 0 END) AS ok
           FROM {t["outbox"]} WHERE kind = '{PORTAL_STATUS_KIND}' AND dossier_code <> ''
           GROUP BY dossier_code) po ON po.dossier_code = c.code
LEFT JOIN {t["rating"]} r ON r.dossier_id = c.id
LEFT JOIN {t["feedback"]} f ON f.dossier_id = c.id
LEFT JOIN {t["workday"]} wa ON wa.day = c.acc
LEFT JOIN {t["workday"]} wr ON wr.day = c.res_day
LEFT JOIN {t["workday"]} wo ON wo.day = c.odue_day
WHERE {true}
"""  # noqa: S608


def _false() -> str:
    return "FALSE" if _pg() else "0"


# Which counters each day column of DossierFact feeds: (day column, [(counter, SQL amount)], extra condition).
def _groups() -> list[tuple[str, list[tuple[str, str]], str]]:
    one = "1"

    def flag(col: str) -> str:
        return f"CASE WHEN {col} THEN 1 ELSE 0 END"

    resolved = "closed_as IN ('resolved_early', 'resolved_on_time', 'resolved_late') AND proc_units IS NOT NULL"
    return [
        (
            "received_day",
            [
                ("received", one),
                ("digitised_dossiers", flag("digitised")),
                ("stored_reused", flag("reused")),
                ("portal_sent", flag("portal_sent")),
                ("portal_synced", flag("portal_synced")),
            ],
            "",
        ),
        ("accepted_day", [("accepted", one)], ""),
        ("supplement_day", [("supplement_requested", one)], ""),
        (
            "closed_day",
            [
                *((c, f"CASE WHEN closed_as = '{c}' THEN 1 ELSE 0 END") for c in CLOSED_AS),
                ("proc_n", f"CASE WHEN {resolved} THEN 1 ELSE 0 END"),
                ("proc_units", f"CASE WHEN {resolved} THEN proc_units ELSE 0 END"),
                ("allowed_units", f"CASE WHEN {resolved} THEN COALESCE(allowed_units, 0) ELSE 0 END"),
                ("overdue_out", "CASE WHEN overdue_day IS NOT NULL THEN 1 ELSE 0 END"),
            ],
            "closed_as <> ''",
        ),
        ("overdue_day", [("overdue_in", one)], ""),
        (
            "fee_day",
            [
                ("fees_paid", one),
                ("fees_paid_online", flag("fee_online")),
                ("fees_online_vnd", "CASE WHEN fee_online THEN fee_vnd ELSE 0 END"),
            ],
            "",
        ),
        ("result_day", [("results_issued", one)], ""),
        ("result_stored_day", [("digitised_results", one)], ""),
        ("rated_day", [("rated", one), ("rated_satisfied", flag("rated_satisfied"))], ""),
        ("feedback_day", [("feedback_received", one)], ""),
        ("feedback_handled_day", [("feedback_handled", one), ("feedback_on_time", flag("feedback_on_time"))], ""),
        ("feedback_rated_day", [("feedback_rated", one), ("feedback_satisfied", flag("feedback_satisfied"))], ""),
    ]


def _aggregate_sql(since: date | None) -> tuple[str, list]:
    """One INSERT … SELECT of every daily counter: each day column of the fact rows is grouped on its own (a narrow
    pass summing only its counters), the grouped passes are put together (UNION ALL) and summed once more. The
    days it writes are empty beforehand."""
    table, fact = DailyFact._meta.db_table, DossierFact._meta.db_table
    keys = "day, agency_id, procedure_id, channel, chain"
    branches, params = [], []
    for day_col, amounts, cond in _groups():
        given = dict(amounts)
        cols = [f"{day_col} AS day", "agency_id", "procedure_id", "channel", "chain"]
        # counts as INTEGER: PostgreSQL sums integers in int8 but bigints in numeric, much slower
        cols += [
            (f"CAST(SUM({given[c]}) AS {'BIGINT' if c in WIDE else 'INTEGER'}) AS {c}" if c in given else f"0 AS {c}")
            for c in COUNTERS
        ]
        where = [f"{day_col} IS NOT NULL", "received_day IS NOT NULL"]
        if cond:
            where.append(cond)
        if since is not None:
            where.append(f"{day_col} >= %s")
            params.append(since)
        branches.append(
            f"SELECT {', '.join(cols)} FROM {fact} WHERE {' AND '.join(where)} "  # noqa: S608
            f"GROUP BY {day_col}, agency_id, procedure_id, channel, chain"
        )
    sums = ", ".join(f"SUM({c})" for c in COUNTERS)
    sql = (
        f"INSERT INTO {table} ({keys}, {', '.join(COUNTERS)}) "  # noqa: S608
        f"SELECT {keys}, {sums} FROM ({' UNION ALL '.join(branches)}) u GROUP BY {keys}"
    )
    return sql, params


def _member_sql(level: int) -> str:
    """The rollup member of a detailed row of this level, as SQL."""
    if level == LEVEL_AGENCY:
        return "agency_id"
    if level == LEVEL_PROCEDURE:
        return "procedure_id"
    if level == LEVEL_CHANNEL:
        whens = " ".join(f"WHEN '{c}' THEN {n}" for c, n in CHANNEL_MEMBERS.items())
        return f"CASE channel {whens} ELSE 0 END"
    return "0"


def fill_rollups(since: date | None = None) -> None:
    """Fill the rollup tables from the detailed ones (set-based), for the days from `since` (every day without
    it; the rollup rows of those days and months must be empty): the daily rollups grouped from DailyFact /
    DurationFact, the province from the agencies' rollup, the months from the days."""
    daily, dur = DailyFact._meta.db_table, DurationFact._meta.db_table
    rollup, rdur = RollupFact._meta.db_table, RollupDurationFact._meta.db_table
    mrollup, mrdur = MonthlyRollupFact._meta.db_table, MonthlyRollupDurationFact._meta.db_table
    cols = ", ".join(ROLLUP_COUNTERS)
    where, params = ("", []) if since is None else (" WHERE day >= %s", [since])
    and_since = "" if since is None else " AND day >= %s"
    by_channel = ", ".join(f"SUM(CASE WHEN channel = '{c}' THEN received ELSE 0 END)" for c in CHANNEL_MEMBERS)
    sums = ", ".join(f"SUM({c})" for c in COUNTERS)
    rsums = ", ".join(f"SUM({c})" for c in ROLLUP_COUNTERS)
    with connection.cursor() as cursor:
        for level in (LEVEL_AGENCY, LEVEL_PROCEDURE, LEVEL_CHANNEL):
            member = _member_sql(level)
            cursor.execute(
                f"INSERT INTO {rollup} (day, level, member, chain, {cols}) "  # noqa: S608
                f"SELECT day, {level}, {member}, chain, {sums}, {by_channel} FROM {daily}{where} "
                f"GROUP BY day, {member}, chain",
                params,
            )
            cursor.execute(
                f"INSERT INTO {rdur} (day, level, member, chain, bucket, n) "  # noqa: S608
                f"SELECT day, {level}, {member}, chain, bucket, SUM(n) FROM {dur}{where} "
                f"GROUP BY day, {member}, chain, bucket",
                params,
            )
        cursor.execute(
            f"INSERT INTO {rollup} (day, level, member, chain, {cols}) "  # noqa: S608
            f"SELECT day, {LEVEL_PROVINCE}, 0, chain, {rsums} FROM {rollup} WHERE level = {LEVEL_AGENCY}{and_since} "
            f"GROUP BY day, chain",
            params,
        )
        cursor.execute(
            f"INSERT INTO {rdur} (day, level, member, chain, bucket, n) "  # noqa: S608
            f"SELECT day, {LEVEL_PROVINCE}, 0, chain, bucket, SUM(n) FROM {rdur} WHERE level = {LEVEL_AGENCY}"
            f"{and_since} GROUP BY day, chain, bucket",
            params,
        )
        mparams = [] if since is None else [month_of(since)]
        cursor.execute(
            f"INSERT INTO {mrollup} (month, level, member, chain, {cols}) "  # noqa: S608
            f"SELECT {_month('day')}, level, member, chain, {rsums} FROM {rollup}{where} "
            f"GROUP BY {_month('day')}, level, member, chain",
            mparams,
        )
        cursor.execute(
            f"INSERT INTO {mrdur} (month, level, member, chain, bucket, n) "  # noqa: S608
            f"SELECT {_month('day')}, level, member, chain, bucket, SUM(n) FROM {rdur}{where} "
            f"GROUP BY {_month('day')}, level, member, chain, bucket",
            mparams,
        )


ROLLUPS = (RollupFact, MonthlyRollupFact, RollupDurationFact, MonthlyRollupDurationFact)


def _indexes(how: str) -> None:
    """Drop ("remove") or build ("add") the indexes and unique keys of the fact tables (not their primary keys):
    loading a table without them, then building them once, is much faster than updating them row by row."""
    with connection.schema_editor() as editor:
        for model in (DossierFact, DailyFact, MonthlyFact, DurationFact, MonthlyDurationFact, *ROLLUPS):
            for index in model._meta.indexes:
                getattr(editor, f"{how}_index")(model, index)
            for constraint in model._meta.constraints:
                getattr(editor, f"{how}_constraint")(model, constraint)


def rebuild(start: date | None = None, end: date | None = None, *, log=None) -> dict[str, Any]:
    """Recompute the facts from the dossiers, their action log and the source tables, in set-based SQL.

    Without dates: everything. With `start` (and `end`): the fact rows of the dossiers received in [start, end]
    are recomputed, then every aggregate from `start` on (later days hold those dossiers' closings too). Run it in
    a quiet moment: it takes the tables' write locks for its duration (one transaction)."""
    import time

    from .models import Workday

    timings: dict[str, float] = {}

    def step(name: str, t0: float) -> float:
        t1 = time.perf_counter()
        timings[name] = round(t1 - t0, 3)
        if log:
            log(f"{name}: {t1 - t0:.1f} s")
        return t1

    t = time.perf_counter()
    fact, daily, monthly, dur, mdur = (
        DossierFact._meta.db_table,
        DailyFact._meta.db_table,
        MonthlyFact._meta.db_table,
        DurationFact._meta.db_table,
        MonthlyDurationFact._meta.db_table,
    )
    rollups = [model._meta.db_table for model in ROLLUPS]
    since = start
    with transaction.atomic(), connection.cursor() as cursor:
        if _pg():
            # for this transaction only: room to hash millions of rows in memory; and no JIT, whose compilation of
            # these wide expressions costs more than it saves (measured: 5 s of 12 on the daily counters)
            cursor.execute("SET LOCAL work_mem = '512MB'")
            cursor.execute("SET LOCAL jit = off")
        if not Workday.objects.exists() or start is None:
            refresh_workdays()
        t = step("calendar", t)
        where, params = "", []
        rebuilt_indexes = False
        if start is None and end is None:
            if _pg():
                cursor.execute(f"TRUNCATE {fact}, {daily}, {monthly}, {dur}, {mdur}, {', '.join(rollups)}")
                _indexes("remove")  # filling a table without its secondary indexes, then building them, is faster
                rebuilt_indexes = True
            else:
                for table in (fact, daily, monthly, dur, mdur, *rollups):
                    cursor.execute(f"DELETE FROM {table}")  # noqa: S608
        else:
            since = start or date(1970, 1, 1)
            conds, dparams = ["received_day >= %s"], [since]
            where = f" AND {_ld('d.submitted_at')} >= %s"
            params = [since]
            if end is not None:
                conds.append("received_day <= %s")
                dparams.append(end)
                where += f" AND {_ld('d.submitted_at')} <= %s"
                params.append(end)
            cursor.execute(f"DELETE FROM {fact} WHERE {' AND '.join(conds)}", dparams)  # noqa: S608
            cursor.execute(f"DELETE FROM {daily} WHERE day >= %s", [since])  # noqa: S608
            cursor.execute(f"DELETE FROM {dur} WHERE day >= %s", [since])  # noqa: S608
            cursor.execute(f"DELETE FROM {monthly} WHERE month >= %s", [month_of(since)])  # noqa: S608
            cursor.execute(f"DELETE FROM {mdur} WHERE month >= %s", [month_of(since)])  # noqa: S608
            for model in ROLLUPS:  # refilled from the whole month of `since` (the days before it are kept above)
                col = "month" if model in (MonthlyRollupFact, MonthlyRollupDurationFact) else "day"
                cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE {col} >= %s", [month_of(since)])  # noqa: S608
        t = step("clear", t)
        for periods, width, only, exclude in _period_groups():
            cursor.execute(_dossier_fact_sql(periods, width, only, exclude, where), params)
        t = step("dossier facts", t)
        if _pg():  # statistics for the grouping that follows (a truncated table has none)
            cursor.execute(f"ANALYZE {fact}")
        sql, p = _aggregate_sql(since)
        cursor.execute(sql, p)
        if _pg():
            cursor.execute(f"ANALYZE {daily}")
        t = step("daily facts", t)
        where_dur, p = "", []
        if since is not None:
            where_dur, p = " AND closed_day >= %s", [since]
        cursor.execute(
            f"INSERT INTO {dur} (day, agency_id, procedure_id, channel, chain, bucket, n) "  # noqa: S608
            f"SELECT closed_day, agency_id, procedure_id, channel, chain, proc_units / 1000, COUNT(*) FROM {fact} "
            f"WHERE received_day IS NOT NULL AND closed_as IN ('resolved_early', 'resolved_on_time', 'resolved_late') "
            f"AND proc_units IS NOT NULL{where_dur} "
            f"GROUP BY closed_day, agency_id, procedure_id, channel, chain, proc_units / 1000",
            p,
        )
        t = step("durations", t)
        where_m, p = "", []
        if since is not None:
            where_m, p = " WHERE day >= %s", [month_of(since)]
        sums = ", ".join(f"SUM({c})" if c in WIDE else f"CAST(SUM({c}) AS INTEGER)" for c in COUNTERS)
        cursor.execute(
            f"INSERT INTO {monthly} (month, agency_id, procedure_id, channel, chain, {', '.join(COUNTERS)}) "  # noqa: S608
            f"SELECT {_month('day')}, agency_id, procedure_id, channel, chain, {sums} FROM {daily}{where_m} "
            f"GROUP BY {_month('day')}, agency_id, procedure_id, channel, chain",
            p,
        )
        cursor.execute(
            f"INSERT INTO {mdur} (month, agency_id, procedure_id, channel, chain, bucket, n) "  # noqa: S608
            f"SELECT {_month('day')}, agency_id, procedure_id, channel, chain, bucket, CAST(SUM(n) AS INTEGER) "
            f"FROM {dur}{where_m} GROUP BY {_month('day')}, agency_id, procedure_id, channel, chain, bucket",
            p,
        )
        t = step("monthly facts", t)
        fill_rollups(None if since is None else month_of(since))
        t = step("rollups", t)
        if rebuilt_indexes:
            _indexes("add")
            t = step("indexes", t)
        cursor.execute(f"SELECT COUNT(*) FROM {fact}")  # noqa: S608
        dossiers = cursor.fetchone()[0]
        cursor.execute(f"SELECT COUNT(*) FROM {daily}")  # noqa: S608
        days = cursor.fetchone()[0]
    if _pg():
        with connection.cursor() as cursor:
            for table in (fact, daily, monthly, dur, mdur, *rollups):
                cursor.execute(f"ANALYZE {table}")
    step("analyze", t)
    return {"dossiers": dossiers, "daily_rows": days, "seconds": timings}
