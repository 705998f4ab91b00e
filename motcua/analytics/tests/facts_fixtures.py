"""Helpers for the facts, index, drill-down and feedback tests: a settable clock, the real dossier moves, and a
snapshot of every fact table to compare the incremental path with a rebuild."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from motcua.conftest import VALID_BIRTH
from motcua.worktime.calc import TZ

MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=TZ)  # a working Monday, no holiday in the next weeks


@dataclass
class Clock:
    now: datetime

    def set(self, when: datetime) -> None:
        self.now = when

    def advance(self, **delta) -> None:
        self.now = self.now + timedelta(**delta)


@pytest.fixture(name="clock")
def clock_fixture(monkeypatch) -> Clock:
    """Every `timezone.now()` (services, auto_now fields) reads this clock; tests move it forward."""
    from django.utils import timezone

    c = Clock(MONDAY)
    monkeypatch.setattr(timezone, "now", lambda: c.now)
    return c


def submit(world, channel: str = "online"):
    from motcua.dossiers import services

    user = world.citizen if channel == "online" else world.desk
    applicant = None if channel == "online" else {"name": "Trần Thị Bích", "personal_id": "022192004567"}
    return services.submit_dossier(
        user,
        procedure_code=world.procedure.code,
        agency_code=world.agency.code,
        channel=channel,
        data=VALID_BIRTH,
        applicant=applicant,
    ).dossier


def act(user, dossier, action: str, note: str = "Ghi chú.", **payload):
    from motcua.dossiers import services

    return services.perform(user, dossier, action, note=note, payload=payload)


def forward(world, dossier):
    """One forward step of the workflow by whoever holds it (specialist, then leader)."""
    from motcua.dossiers import services

    dossier.refresh_from_db()
    actor = world.specialist if dossier.current_role == "specialist" else world.leader
    step = next(a for a in services.available_actions(actor, dossier) if a["kind"] == "forward")
    return services.perform(actor, dossier, step["action"], note="Chuyển bước.")


def to_result(world, dossier):
    dossier.refresh_from_db()
    while dossier.status == "processing":
        dossier = forward(world, dossier)
    return dossier


FEE = {"kind": "fixed", "amount": 10000, "text": "Lệ phí: 10.000 đồng/hồ sơ"}


def two_weeks(world, clock) -> dict:
    """Two weeks of one commune's desk, every kind of move; returns the dossiers by name."""
    from motcua.analytics import feedback
    from motcua.dossiers import services as dossiers
    from motcua.payments import services as payments

    world.version.fee_rule = dict(FEE)
    world.version.save(update_fields=["fee_rule"])
    d = {}
    # Monday: five dossiers arrive (three online, one at the desk, one by post)
    d["returned"] = submit(world)
    d["refused"] = submit(world, "in_person")
    d["withdrawn"] = submit(world)
    d["supplemented"] = submit(world, "post")
    d["late"] = submit(world)
    d["paused"] = submit(world)
    clock.advance(hours=1)
    # the desk accepts one, the specialist forwards it, undoes that, forwards again; the leader signs
    act(world.desk, d["returned"], "accept")
    forward(world, d["returned"])
    act(world.specialist, d["returned"], "undo")
    d["returned"] = to_result(world, d["returned"])
    payments.record_desk_payment(world.desk, d["returned"])
    d["returned"] = act(world.desk, d["returned"], "return_result", method="desk")
    # a refusal at the desk, a withdrawal by the applicant, one supplement request
    act(world.desk, d["refused"], "refuse", note="Không thuộc thẩm quyền.")
    act(world.citizen, d["withdrawn"], "withdraw", note="Nộp nhầm.")
    act(world.desk, d["supplemented"], "request_supplement", note="Thiếu giấy chứng sinh.", missing=["TP1"])
    # one accepted then undone by the desk, accepted again: counted once
    act(world.desk, d["late"], "accept")
    act(world.desk, d["late"], "undo")
    act(world.desk, d["late"], "accept")
    # one accepted, whose specialist asks for completion while processing: the clock stops
    act(world.desk, d["paused"], "accept")
    act(world.specialist, d["paused"], "request_supplement", note="Thiếu bản sao.", missing=["TP1"])
    # Tuesday: the applicant completes, the desk accepts, the leader re-appoints once
    clock.advance(days=1)
    act(world.citizen, d["supplemented"], "supplement", note="Đã bổ sung.")
    act(world.desk, d["supplemented"], "accept")
    act(world.leader, d["supplemented"], "reappoint", note="Chờ xác minh.", extra_working_days=10)
    # next Tuesday: the sweeper marks the late one overdue; it is then resolved late and returned
    clock.set(MONDAY + timedelta(days=8, hours=2))
    dossiers.sweep()
    d["late"] = to_result(world, d["late"])
    payments.record_desk_payment(world.desk, d["late"])
    act(world.desk, d["late"], "return_result", method="desk")
    # Wednesday: the applicant of the first rates it, with a feedback text
    clock.advance(days=1)
    feedback.rate(world.citizen, d["returned"], {c.code: 5 for c in feedback.CRITERIA}, text="Cảm ơn cán bộ.")
    for name in d:
        d[name].refresh_from_db()
    return d


def snapshot() -> dict:
    """Every fact, rollups included, without the zeros and without the bookkeeping `seq`."""
    from motcua.analytics.counters import ROLLUP_COUNTERS
    from motcua.analytics.facts import FIELDS
    from motcua.analytics.models import (
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

    def rollup(model, day: str) -> dict:
        out = {}
        for r in model.objects.values():
            values = {c: r[c] for c in ROLLUP_COUNTERS if r[c]}
            if values:
                out[(r[day], r["level"], r["member"], bool(r["chain"]))] = values
        return out

    def rollup_durations(model, day: str) -> dict:
        return {
            (r[day], r["level"], r["member"], bool(r["chain"]), r["bucket"]): r["n"]
            for r in model.objects.values()
            if r["n"]
        }

    def counters(model, day: str) -> dict:
        out = {}
        for r in model.objects.values():
            values = {c: r[c] for c in COUNTERS if r[c]}
            if values:
                out[(r[day], r["agency_id"], r["procedure_id"], r["channel"], bool(r["chain"]))] = values
        return out

    fields = [f for f in FIELDS if f != "seq"]
    return {
        "dossiers": {
            r["dossier_id"]: r
            for r in DossierFact.objects.filter(received_day__isnull=False).values("dossier_id", *fields)
        },
        "daily": counters(DailyFact, "day"),
        "monthly": counters(MonthlyFact, "month"),
        "durations": {
            (r["day"], r["agency_id"], r["procedure_id"], r["channel"], bool(r["chain"]), r["bucket"]): r["n"]
            for r in DurationFact.objects.values()
            if r["n"]
        },
        "monthly_durations": {
            (r["month"], r["agency_id"], r["procedure_id"], r["channel"], bool(r["chain"]), r["bucket"]): r["n"]
            for r in MonthlyDurationFact.objects.values()
            if r["n"]
        },
        "rollup": rollup(RollupFact, "day"),
        "monthly_rollup": rollup(MonthlyRollupFact, "month"),
        "rollup_durations": rollup_durations(RollupDurationFact, "day"),
        "monthly_rollup_durations": rollup_durations(MonthlyRollupDurationFact, "month"),
    }


PARTS = (
    "dossiers",
    "daily",
    "monthly",
    "durations",
    "monthly_durations",
    "rollup",
    "monthly_rollup",
    "rollup_durations",
    "monthly_rollup_durations",
)


def assert_rebuild_matches() -> dict:
    """Take the incremental facts, rebuild everything in SQL, and require the very same facts."""
    from motcua.analytics.services import rebuild_facts

    incremental = snapshot()
    rebuild_facts()
    rebuilt = snapshot()
    assert incremental["rollup"], "the rollups were kept by the incremental path"
    for part in PARTS:
        assert rebuilt[part] == incremental[part], (part, _differences(incremental[part], rebuilt[part]))
    return rebuilt


def _differences(incremental: dict, rebuilt: dict) -> list:
    out = []
    for key in sorted(set(incremental) | set(rebuilt), key=str):
        a, b = incremental.get(key), rebuilt.get(key)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            out.append((key, {f: (a.get(f), b.get(f)) for f in set(a) | set(b) if a.get(f) != b.get(f)}))
        else:
            out.append((key, a, b))
    return out
