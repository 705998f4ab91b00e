"""A synthetic year of dossiers for the operations centre, the exports and the Decision 766 index.

    simulate_year(province=22, dossiers=20_000, seed=22)

writes a year of real Dossier rows (Circular 01 codes, DailySequence kept consistent), their action logs as the
services write them, fee payments (online and at the desk, receipts numbered) and then rebuilds the fact tables.
The year is the 365 days before `end` (default: today), cut at local midnight of `end`: what was still open then
stays open (some overdue). Deterministic for a seed; re-running replaces the previous synthetic year (every
simulated dossier carries data_sources["simulated"], and only those are removed). See docs/analytics.md.

The bulk path: headers for the whole year drawn with numpy (plan.py), each dossier's life replayed in Python on
integer seconds with a table-driven copy of the working calendar (life.py, fastcal.py), rows streamed with
PostgreSQL COPY or SQLite executemany (store.py), in chunks of CHUNK dossiers, each chunk one transaction.
"""

from __future__ import annotations

import queue
import random
import threading
import time as _time
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from motcua.analytics.models import Feedback, Rating
from motcua.dossiers import codes
from motcua.dossiers.models import Dossier, DossierAction
from motcua.payments.models import Payment, PaymentEvent
from motcua.worktime.calc import TZ

from . import store
from .fastcal import at_local
from .life import (
    ACTION_COLUMNS,
    DOSSIER_COLUMNS,
    EVENT_COLUMNS,
    FEEDBACK_COLUMNS,
    PAYMENT_COLUMNS,
    RATING_COLUMNS,
    Chunk,
    Life,
    clear_caches,
    dossier_code,
)
from .plan import CHANNELS, plan_year
from .world import SIMULATED_KEY, build_world

__all__ = ["CHUNK", "SIMULATED_KEY", "purge", "simulate_year"]

CHUNK = 50_000
YEAR_DAYS = 365


TABLES = (
    (Dossier, DOSSIER_COLUMNS),
    (DossierAction, ACTION_COLUMNS),
    (Payment, PAYMENT_COLUMNS),
    (PaymentEvent, EVENT_COLUMNS),
    (Rating, RATING_COLUMNS),
    (Feedback, FEEDBACK_COLUMNS),
)


class _Writer:
    """Writes chunks in a thread, one transaction each, one chunk ahead at most (memory stays bounded)."""

    def __init__(self, fast: bool) -> None:
        self.fast = fast
        self.busy = 0.0
        self.error: BaseException | None = None
        self.queue: queue.Queue = queue.Queue(maxsize=1)
        self.thread = threading.Thread(target=self._run, name="simulate-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        from django.db import connection as own

        try:
            while (rows := self.queue.get()) is not None:
                if self.error is None:
                    t = _time.perf_counter()
                    with transaction.atomic():
                        store.write_chunk(rows, self.fast)
                    self.busy += _time.perf_counter() - t
        except BaseException as exc:  # handed to the generating thread
            self.error = exc
            while self.queue.get() is not None:
                pass
        finally:
            own.close()

    def put(self, rows: Chunk) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(rows)

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error


def _say(stdout, message: str) -> None:
    if stdout is not None:
        stdout.write(message if message.endswith("\n") else message + "\n")
        if hasattr(stdout, "flush"):
            stdout.flush()


def purge(stdout=None) -> dict[str, int]:
    """Remove the synthetic year (and only it)."""
    with transaction.atomic():
        result = store.purge_simulated()
    _say(stdout, f"Đã xóa {result['dossiers_removed']:,} hồ sơ mô phỏng.")
    return result


def existing_year() -> dict[str, Any] | None:
    """The synthetic year in the database: its size, seed and end (None when there is none)."""
    qs = Dossier.objects.filter(**{"data_sources__has_key": SIMULATED_KEY})
    first = qs.values_list("data_sources", flat=True).first()
    if first is None:
        return None
    marker = first.get(SIMULATED_KEY) or {}
    return {"dossiers": qs.count(), "seed": marker.get("seed"), "end": marker.get("end")}


def rebuild_facts_function():
    """analytics-core's rebuild, wherever it lives (None while it does not exist)."""
    from importlib import import_module

    for module, name in (("motcua.analytics.facts", "rebuild_facts"), ("motcua.analytics.services", "rebuild_facts")):
        try:
            return getattr(import_module(module), name)
        except (ImportError, AttributeError):
            continue
    return None


def simulate_year(
    *,
    province: int = 22,
    dossiers: int = 20_000,
    seed: int = 22,
    end: date | None = None,
    chunk: int = CHUNK,
    rebuild: bool = True,
    if_missing: bool = False,
    stdout=None,
) -> dict[str, Any]:
    """Generate the year; returns what was written and how long each part took. `if_missing`: leave an existing
    synthetic year of the same size, seed and end alone (what `make run` wants on every start of the same day)."""
    if dossiers < 1:
        raise ValueError("Số hồ sơ phải ≥ 1.")
    started = _time.perf_counter()
    end = end or timezone.now().astimezone(TZ).date()
    if if_missing and existing_year() == {"dossiers": dossiers, "seed": seed, "end": end.isoformat()}:
        last = end - timedelta(days=1)
        _say(stdout, f"Năm mô phỏng ({dossiers:,} hồ sơ, seed {seed}, đến {last:%d/%m/%Y}) đã có: giữ nguyên.")
        return {"skipped": True, "dossiers": dossiers, "seed": seed, "end": end.isoformat()}
    start = end - timedelta(days=YEAR_DAYS)
    as_of = at_local(end.toordinal(), 0)
    timings: dict[str, float] = {}

    t = _time.perf_counter()
    with transaction.atomic():
        removed = store.purge_simulated()
    timings["purge"] = _time.perf_counter() - t
    if removed["dossiers_removed"]:
        _say(stdout, f"Đã xóa năm mô phỏng trước: {removed['dossiers_removed']:,} hồ sơ.")

    t = _time.perf_counter()
    with transaction.atomic():
        world = build_world(province, start, end, as_of, seed, dossiers)
    bases = store.real_daily_numbers(start, end)
    headers = plan_year(world, dossiers, seed, bases)
    timings["plan"] = _time.perf_counter() - t
    _say(
        stdout,
        f"Mô phỏng {dossiers:,} hồ sơ từ {start:%d/%m/%Y} đến {end - timedelta(days=1):%d/%m/%Y}: "
        f"{len(world.agencies)} cơ quan, {len(world.procs)} thủ tục, {len(world.people.pid):,} người nộp "
        f"({_time.perf_counter() - t:.1f} s chuẩn bị).",
    )

    for model, columns in TABLES:
        store.check_columns(model, columns)
    with transaction.atomic():
        first_id = store.reserve_ids(Dossier, dossiers)
    ts = store.timestamp_formatter()
    fast = store.fast_load_available()
    counts = {"dossiers": 0, "actions": 0, "payments": 0, "payment_events": 0, "ratings": 0, "feedback": 0}
    statuses: dict[str, int] = {}
    daily_last: dict[tuple[int, int], int] = {}
    t = _time.perf_counter()
    generate_s = 0.0
    # PostgreSQL outside a caller's transaction: a writer thread (its own connection) COPYs chunk n while this
    # one generates chunk n + 1, so the server's work and Python's overlap on the two cores.
    writer = _Writer(fast) if store.is_postgres() and not connection.in_atomic_block else None
    offerings, agencies, procs, ents = world.offerings, world.agencies, world.procs, world.people.enterprises
    try:
        for c, lo in enumerate(range(0, dossiers, chunk)):
            hi = min(dossiers, lo + chunk)
            g0 = _time.perf_counter()
            rng = random.Random(f"motcua-simulate:{seed}:{c}")
            rows = Chunk()
            clear_caches()
            life = Life(world, rows, rng, ts, lambda code, r=rng: codes.pin_hash(code, f"{r.randrange(10**6):06d}"))
            for i in range(lo, hi):
                o = offerings[headers.offering[i]]
                agency = agencies[o.agency]
                number = int(headers.seq[i])
                code = dossier_code(agency.code, int(headers.day[i]), number)
                e = int(headers.enterprise[i])
                life.run(first_id + i, int(headers.t[i]), agency, procs[o.proc], CHANNELS[headers.channel[i]], code,
                         int(headers.person[i]), None if e < 0 else ents[e][:2])  # fmt: skip
                key = (agency.id, int(headers.day[i]))
                if number > daily_last.get(key, 0):
                    daily_last[key] = number
                statuses[life.status] = statuses.get(life.status, 0) + 1
            generate_s += _time.perf_counter() - g0
            for name, table in (("dossiers", rows.dossiers), ("actions", rows.actions), ("payments", rows.payments),
                                ("payment_events", rows.events), ("ratings", rows.ratings),
                                ("feedback", rows.feedback)):  # fmt: skip
                counts[name] += len(table)
            if writer is None:
                with transaction.atomic():
                    store.write_chunk(rows, fast)
            else:
                writer.put(rows)
            elapsed = _time.perf_counter() - t
            _say(stdout, f"  {hi:,}/{dossiers:,} hồ sơ, {counts['actions']:,} thao tác — {hi / elapsed:,.0f} hồ sơ/s")
    finally:
        if writer is not None:
            writer.close()
    timings["generate"] = generate_s
    timings["generate_and_write"] = _time.perf_counter() - t
    if writer is not None:
        timings["write_in_thread"] = writer.busy

    t = _time.perf_counter()
    with transaction.atomic():
        store.set_daily_sequences(daily_last)
        receipts = store.number_receipts(start, end)
    timings["counters"] = _time.perf_counter() - t

    rebuilt = None
    if rebuild:
        fn = rebuild_facts_function()
        if fn is not None:
            t = _time.perf_counter()
            rebuilt = fn()
            timings["rebuild_facts"] = _time.perf_counter() - t
    total = _time.perf_counter() - started
    timings["total"] = total
    load_s = timings["plan"] + timings["generate_and_write"] + timings["counters"]
    report = {
        "province": province,
        "seed": seed,
        "start": start.isoformat(),
        "end": (end - timedelta(days=1)).isoformat(),
        "as_of": datetime.fromtimestamp(as_of, TZ).isoformat(),
        "counts": counts,
        "statuses": dict(sorted(statuses.items())),
        "receipts": receipts,
        "timings_s": {k: round(v, 2) for k, v in timings.items()},
        "dossiers_per_second": round(dossiers / load_s, 1) if load_s else None,
        "fast_load": fast,
        "rebuilt": rebuilt if isinstance(rebuilt, dict) else None,
    }
    _say(
        stdout,
        f"Xong: {counts['dossiers']:,} hồ sơ, {counts['actions']:,} thao tác, {counts['payments']:,} khoản nộp "
        f"trong {total:.1f} s ({report['dossiers_per_second']:,} hồ sơ/s không kể dựng lại số liệu).",
    )
    return report
