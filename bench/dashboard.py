"""The operations centre over a big synthetic year on PostgreSQL: our fact-table queries against a plain GROUP BY
over the dossier table, in the same run, on the same samples.

Run: .venv/bin/python bench/dashboard.py [--dossiers 10000000] [--samples 200] [--plain-samples 20] [--keep]
Needs PostgreSQL on 127.0.0.1:5432 (BENCH_PG to change). It creates a dedicated database (BENCH_DB, default
motcua_bench_dashboard), migrates it, loads the demo (province, catalogue, calendar), generates the year with the
bulk path of `simulate_year` (timed), rebuilds the facts (timed), records the database and table sizes, then for
random scopes (the province or one agency; a month, a quarter or the year):
- ours: what the operations centre computes for the scope (motcua.analytics.queries: totals, trend, breakdown,
  index_766, slowest; the province page adds the commune breakdown and ranking), inside one `queries.memo()` as
  the page's view does;
- plain: the same figures by GROUP BY over dossiers_dossier (with the payments and ratings joined), hand-written;
both timed warm, and compared on a few samples (the flows must be equal). The plain side is slow by design, so it
runs on --plain-samples of the samples (picked evenly). Drops the database at the end unless --keep.
Results: printed, and written to bench/results/dashboard.json (bench/results/dashboard-<N>.json with --tag).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = os.environ.get("BENCH_DB", "motcua_bench_dashboard")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
GOAL_P95_MS = 100
GOAL_SPEEDUP = 50
GIB_PER_MILLION = 5.6  # measured: the database of a 1,000,000-dossier year with its facts
TABLES = (
    "dossiers_dossier",
    "dossiers_dossieraction",
    "dossiers_dailysequence",
    "payments_payment",
    "payments_paymentevent",
    "analytics_rating",
    "analytics_feedback",
    "analytics_dossierfact",
    "analytics_dailyfact",
    "analytics_monthlyfact",
    "analytics_durationfact",
    "analytics_monthlydurationfact",
    "analytics_rollupfact",
    "analytics_monthlyrollupfact",
    "analytics_rollupdurationfact",
    "analytics_monthlyrollupdurationfact",
    "accounts_user",
)


def psql(db: str, sql: str) -> str:
    out = subprocess.run(
        ["psql", f"{PG}/{db}", "-qAt", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


def setup_django() -> None:
    os.environ["DATABASE_URL"] = f"{PG}/{DB_NAME}"
    os.environ.setdefault("MOTCUA_DATA_DIR", str(Path(tempfile.gettempdir()) / "motcua-bench-dashboard"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- the plain side: GROUP BY over the dossier table ---------------------------------------------------------------

LOCAL = "AT TIME ZONE 'Asia/Ho_Chi_Minh'"
# The day a dossier was resolved (result ready, or returned without one) and its outcome, as the engine judges it.
RESOLVED_AT = "COALESCE(d.result_ready_at, CASE WHEN d.status = 'returned' THEN d.finished_at END)"
OUTCOME = (
    f"CASE WHEN d.due_at IS NULL THEN 'on_time' WHEN {RESOLVED_AT} > d.due_at THEN 'late' "
    f"WHEN ({RESOLVED_AT} {LOCAL})::date < (d.due_at {LOCAL})::date THEN 'early' ELSE 'on_time' END"
)
IN = "BETWEEN %(lo)s AND %(hi)s"  # hi is the last microsecond of the period


def _flows(prefix: str = "") -> str:
    """COUNT(*) FILTER (...) for every flow of the period."""
    r = f"({RESOLVED_AT} >= %(lo)s AND {RESOLVED_AT} <= %(hi)s AND d.status NOT IN ('refused', 'withdrawn'))"
    sub = f"d.submitted_at {IN}"
    return f""" count(*) FILTER (WHERE {sub}) AS {prefix}received,
        count(*) FILTER (WHERE {sub} AND d.channel = 'online') AS {prefix}received_online,
        count(*) FILTER (WHERE {sub} AND d.channel = 'in_person') AS {prefix}received_in_person,
        count(*) FILTER (WHERE {sub} AND d.channel = 'post') AS {prefix}received_post,
        count(*) FILTER (WHERE d.accepted_at {IN}) AS {prefix}accepted,
        count(*) FILTER (WHERE d.status = 'refused' AND d.finished_at {IN}) AS {prefix}refused,
        count(*) FILTER (WHERE d.status = 'withdrawn' AND d.finished_at {IN}) AS {prefix}withdrawn,
        count(*) FILTER (WHERE {r}) AS {prefix}resolved,
        count(*) FILTER (WHERE {r} AND {OUTCOME} = 'early') AS {prefix}resolved_early,
        count(*) FILTER (WHERE {r} AND {OUTCOME} = 'on_time') AS {prefix}resolved_on_time,
        count(*) FILTER (WHERE {r} AND {OUTCOME} = 'late') AS {prefix}resolved_late,
        avg(EXTRACT(EPOCH FROM {RESOLVED_AT} - d.accepted_at)) FILTER (WHERE {r}) AS {prefix}avg_seconds"""


def plain_queries(agency_id: int | None, grain: str) -> list[tuple[str, str]]:
    where = "d.status <> 'draft' AND d.submitted_at IS NOT NULL" + (
        " AND d.agency_id = %(agency)s" if agency_id else ""
    )
    closed = f"CASE WHEN d.status IN ('refused', 'withdrawn') THEN d.finished_at ELSE {RESOLVED_AT} END"
    group = "d.procedure_id" if agency_id else "d.agency_id"
    return [
        (
            "totals",
            f"""SELECT {_flows()},
                count(*) FILTER (WHERE d.submitted_at < %(lo)s AND ({closed} IS NULL OR {closed} >= %(lo)s))
                    AS carried_over,
                count(*) FILTER (WHERE d.submitted_at <= %(hi)s AND ({closed} IS NULL OR {closed} > %(hi)s)
                    AND d.due_at > %(hi)s) AS in_progress_on_track,
                count(*) FILTER (WHERE d.submitted_at <= %(hi)s AND ({closed} IS NULL OR {closed} > %(hi)s)
                    AND d.due_at <= %(hi)s) AS in_progress_overdue
            FROM dossiers_dossier d WHERE {where}""",
        ),
        (
            "fees",
            f"""SELECT count(*) AS fees_paid_online, COALESCE(sum(p.amount_vnd), 0) AS fees_online_vnd
            FROM payments_payment p JOIN dossiers_dossier d ON d.id = p.dossier_id
            WHERE {where} AND p.status = 'paid' AND p.method = 'online' AND p.paid_at {IN}""",
        ),
        (
            "ratings",
            f"""SELECT count(*) AS rated, count(*) FILTER (WHERE r.satisfied) AS rated_satisfied
            FROM analytics_rating r JOIN dossiers_dossier d ON d.id = r.dossier_id
            WHERE {where} AND r.created_at {IN}""",
        ),
        (
            "trend",
            f"""SELECT date_trunc('{grain}', d.submitted_at {LOCAL}) AS bucket, count(*) AS received,
                count(*) FILTER (WHERE d.channel = 'online') AS received_online
            FROM dossiers_dossier d WHERE {where} AND d.submitted_at {IN} GROUP BY 1 ORDER BY 1""",
        ),
        (
            "trend_resolved",
            f"""SELECT date_trunc('{grain}', {RESOLVED_AT} {LOCAL}) AS bucket, count(*) AS resolved,
                count(*) FILTER (WHERE {OUTCOME} = 'late') AS late
            FROM dossiers_dossier d WHERE {where} AND {RESOLVED_AT} {IN}
                AND d.status NOT IN ('refused', 'withdrawn') GROUP BY 1 ORDER BY 1""",
        ),
        ("breakdown", f"SELECT {group} AS key, {_flows()} FROM dossiers_dossier d WHERE {where} GROUP BY 1"),
        (
            "index",
            f"""WITH f AS (SELECT d.agency_id, {_flows()} FROM dossiers_dossier d WHERE {where} GROUP BY 1),
                p AS (SELECT d.agency_id, count(*) AS fees FROM payments_payment p
                      JOIN dossiers_dossier d ON d.id = p.dossier_id
                      WHERE {where} AND p.status = 'paid' AND p.method = 'online' AND p.paid_at {IN} GROUP BY 1),
                r AS (SELECT d.agency_id, count(*) AS rated, count(*) FILTER (WHERE r.satisfied) AS satisfied
                      FROM analytics_rating r JOIN dossiers_dossier d ON d.id = r.dossier_id
                      WHERE {where} AND r.created_at {IN} GROUP BY 1)
            SELECT f.agency_id,
                (f.resolved_early + f.resolved_on_time)::float / NULLIF(f.resolved, 0) AS on_time_share,
                f.received_online::float / NULLIF(f.received, 0) AS online_share,
                COALESCE(p.fees, 0)::float / NULLIF(f.received_online, 0) AS fee_share,
                r.satisfied::float / NULLIF(r.rated, 0) AS satisfaction
            FROM f LEFT JOIN p USING (agency_id) LEFT JOIN r USING (agency_id) ORDER BY 2 DESC NULLS LAST""",
        ),
    ]


def run_plain(cursor, agency_id: int | None, start: date, end: date, grain: str) -> dict:
    from motcua.worktime.calc import TZ

    params = {
        "lo": datetime(start.year, start.month, start.day, tzinfo=TZ),
        "hi": datetime(end.year, end.month, end.day, tzinfo=TZ) + timedelta(days=1, microseconds=-1),
        "agency": agency_id,
    }
    out = {}
    for name, sql in plain_queries(agency_id, grain):
        cursor.execute(sql, params)
        cols = [c.name for c in cursor.description]
        rows = cursor.fetchall()
        out[name] = [dict(zip(cols, r, strict=True)) for r in rows]
    return out


# --- our side: what /dieu-hanh/ computes ---------------------------------------------------------------------------

GRAINS = {"month": ("day", "day"), "quarter": ("week", "week"), "year": ("month", "month")}


def run_ours(agency_id: int | None, start: date, end: date, trend_grain: str, today: date | None = None):
    """What the page computes, as its view does (`motcua.analytics.views._overview_figures`): inside one
    `queries.memo()` (the per-request memo, so the per-agency sums behind the totals, rankings, tables and slowest
    list are collected once), with today's tiles, the live overdue list (its count and first rows) and the page's
    own index."""
    from motcua.analytics import queries
    from motcua.dossiers.models import OPEN_STATUSES, Dossier

    scope = queries.Scope(start, end, agency_ids=(agency_id,) if agency_id else None)
    today = today or end
    with queries.memo():
        total = queries.totals(scope, percentiles=False)
        queries.totals(queries.Scope(today, today, scope.agency_ids), percentiles=False)
        overdue = Dossier.objects.filter(overdue=True, status__in=OPEN_STATUSES)
        if agency_id:
            overdue = overdue.filter(agency_id=agency_id)
        overdue.count()
        list(overdue.select_related("procedure", "agency").order_by("due_at", "id")[:10])
        queries.trend(scope, trend_grain, percentiles=False, figures="table")
        queries.index_766(scope, "province" if agency_id is None else "agency")
        queries.slowest(scope, "procedure")
        if agency_id is None:
            queries.index_766(scope, "agency")
            queries.index_766(scope, "commune")
            queries.breakdown(scope, "commune", percentiles=False)
            queries.slowest(scope, "agency")
            queries.breakdown(scope, "agency", percentiles=False)
        else:
            queries.breakdown(scope, "procedure", percentiles=False, figures="table")
    return total


COMPARED = (
    "received",
    "received_online",
    "received_in_person",
    "received_post",
    "accepted",
    "refused",
    "withdrawn",
    "resolved",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "fees_paid_online",
    "rated",
    "rated_satisfied",
)


def compare(total, plain: dict) -> dict:
    mine = dict(total.counts)
    theirs = dict(plain["totals"][0]) | plain["fees"][0] | plain["ratings"][0]
    diffs = {k: (mine[k], theirs[k]) for k in COMPARED if mine[k] != theirs[k]}
    if total.fees_online_vnd != theirs["fees_online_vnd"]:
        diffs["fees_online_vnd"] = (total.fees_online_vnd, int(theirs["fees_online_vnd"]))
    return diffs


# --- samples -------------------------------------------------------------------------------------------------------


def samples(n: int, first: date, last: date, agencies: list[int], seed: int) -> list[tuple]:
    """(label, agency id or None, start, end, kind): a third province-wide, months, quarters and the year."""
    rng = random.Random(seed)
    months, d = [], date(first.year, first.month, 1)
    while d <= last:
        nxt = date(d.year + d.month // 12, d.month % 12 + 1, 1)
        if d >= first and nxt - timedelta(days=1) <= last:
            months.append((d, nxt - timedelta(days=1)))
        d = nxt
    quarters = [(a, b) for a, b in ((months[i][0], months[i + 2][1]) for i in range(len(months) - 2))
                if a.month in (1, 4, 7, 10)]  # fmt: skip
    out = []
    for i in range(n):
        kind = ("month", "quarter", "year")[i % 3]
        start, end = rng.choice(months) if kind == "month" else rng.choice(quarters) if kind == "quarter" else (
            first, last)  # fmt: skip
        agency = None if rng.random() < 1 / 3 else rng.choice(agencies)
        out.append((kind, agency, start, end))
    return out


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def summary(ms: list[float]) -> dict:
    return {
        "n": len(ms),
        "p50_ms": round(pct(ms, 0.5), 2),
        "p95_ms": round(pct(ms, 0.95), 2),
        "mean_ms": round(statistics.mean(ms), 2),
        "max_ms": round(max(ms), 2),
    }


def sizes() -> dict:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_database_size(current_database())")
        db = cur.fetchone()[0]
        out = {"database_bytes": db, "tables": {}}
        for t in TABLES:
            cur.execute("SELECT to_regclass(%s) IS NOT NULL", [t])
            if not cur.fetchone()[0]:
                continue
            cur.execute(
                "SELECT pg_total_relation_size(%s), pg_relation_size(%s), pg_indexes_size(%s), "
                "(SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass)",
                [t, t, t, t],
            )
            total, heap, idx, rows = cur.fetchone()
            out["tables"][t] = {"total_bytes": total, "heap_bytes": heap, "index_bytes": idx, "rows_estimate": rows}
    return out


def gib(n: int) -> str:
    return f"{n / 2**30:.2f} GiB"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dossiers", type=int, default=10_000_000)
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--plain-samples", type=int, default=20)
    ap.add_argument("--seed", type=int, default=22)
    ap.add_argument("--budget-minutes", type=float, default=40, help="stop each side's sampling after this long")
    ap.add_argument("--end", type=date.fromisoformat, default=date(2026, 11, 28))
    ap.add_argument("--keep", action="store_true", help="keep the database (default: drop it at the end)")
    ap.add_argument("--reuse", action="store_true", help="measure the existing database (generated with --keep)")
    ap.add_argument("--generate-only", action="store_true", help="generate, rebuild, record sizes; keep it")
    ap.add_argument("--skip-rebuild", action="store_true", help="with --generate-only: leave the facts to --rebuild")
    ap.add_argument("--rebuild", action="store_true", help="with --reuse: rebuild the facts first (timed)")
    ap.add_argument("--tag", default="", help="results file suffix: bench/results/dashboard<tag>.json")
    args = ap.parse_args()

    free = shutil.disk_usage("/").free
    result: dict = {
        "benchmark": "analytics.dashboard",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            "python": platform.python_version(),
            "disk_free_before_gib": round(free / 2**30, 1),
        },
        "database": DB_NAME,
        "dossiers": args.dossiers,
        "seed": args.seed,
    }
    need = args.dossiers / 1e6 * GIB_PER_MILLION + 8
    if not args.reuse and free / 2**30 < need:
        print(f"Not enough disk: ~{need:.0f} GiB needed, {free / 2**30:.0f} GiB free. Use a smaller --dossiers.")
        return 2
    if not args.reuse:
        psql("postgres", f"DROP DATABASE IF EXISTS {DB_NAME}")
        psql("postgres", f"CREATE DATABASE {DB_NAME}")
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from motcua.analytics import services
    from motcua.analytics.simulate import simulate_year
    from motcua.dossiers.models import Dossier

    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        result["machine"]["postgresql"] = cur.fetchone()[0]
        cur.execute("SHOW shared_buffers")
        result["machine"]["shared_buffers"] = cur.fetchone()[0]
    if not args.reuse:
        t = time.perf_counter()
        call_command("migrate", "--noinput", verbosity=0)
        call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
        result["setup_s"] = round(time.perf_counter() - t, 1)
        print(f"database {DB_NAME}: migrated and demo loaded in {result['setup_s']} s", flush=True)
        report = simulate_year(dossiers=args.dossiers, seed=args.seed, end=args.end, rebuild=False, stdout=sys.stdout)
        result["generation"] = report
    if args.reuse:  # the code may have gained indexes or tables since the database was generated
        t = time.perf_counter()
        call_command("migrate", "--noinput", verbosity=0)
        result["migrate_on_reuse_s"] = round(time.perf_counter() - t, 1)
        print(f"migrated in {result['migrate_on_reuse_s']} s", flush=True)
    if (not args.reuse and not args.skip_rebuild) or (args.reuse and args.rebuild):
        t = time.perf_counter()
        rebuilt = services.rebuild_facts()
        result["rebuild_facts_s"] = round(time.perf_counter() - t, 1)
        result["rebuild"] = rebuilt
        print(f"facts rebuilt in {result['rebuild_facts_s']} s", flush=True)
        result["vacuum_analyze_s"] = vacuum_analyze()
    out = ROOT / "bench" / "results" / f"dashboard{args.tag}.json"
    if args.reuse and out.exists():  # the generation run's figures carry over
        previous = json.loads(out.read_text())
        for key in ("generation", "rebuild_facts_s", "rebuild", "setup_s", "vacuum_analyze_s", "dossiers", "seed"):
            if key in previous and key not in result:
                result[key] = previous[key]
        result["machine"]["disk_free_before_gib"] = previous.get("machine", {}).get("disk_free_before_gib")
    result["sizes"] = sizes()
    print(f"database size {gib(result['sizes']['database_bytes'])}", flush=True)
    if args.generate_only:
        result["machine"]["disk_free_after_gib"] = round(shutil.disk_usage("/").free / 2**30, 1)
        out.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str) + "\n")
        print(f"written {out.relative_to(ROOT)}; database {DB_NAME} kept for --reuse")
        return 0

    first = args.end - timedelta(days=365)
    last = args.end - timedelta(days=1)
    agencies = sorted(set(Dossier.objects.filter(submitted_at__isnull=False).values_list("agency_id", flat=True)
                          .distinct()))  # fmt: skip
    plan = samples(args.samples, first, last, agencies, args.seed)
    # Warm up both sides (caches, plans), then time.
    for kind, agency, start, end in plan[:3]:
        run_ours(agency, start, end, GRAINS[kind][0])
    ours_ms: list[float] = []
    by_kind: dict[str, list[float]] = {}
    totals = []
    deadline = time.perf_counter() + args.budget_minutes * 60
    for kind, agency, start, end in plan:
        if time.perf_counter() > deadline:
            print(f"  ours: time budget reached after {len(ours_ms)} samples", flush=True)
            break
        t = time.perf_counter()
        total = run_ours(agency, start, end, GRAINS[kind][0])
        ms = (time.perf_counter() - t) * 1000
        ours_ms.append(ms)
        by_kind.setdefault(f"{kind}/{'province' if agency is None else 'agency'}", []).append(ms)
        totals.append(total)
    step = max(1, len(ours_ms) // max(1, args.plain_samples))
    picked = list(range(0, len(ours_ms), step))[: args.plain_samples]
    deadline = time.perf_counter() + args.budget_minutes * 60
    plain_ms, pairs, mismatches, checked = [], [], [], 0
    raw = connection.connection
    with raw.cursor() as cur:
        for n, i in enumerate(picked):
            if time.perf_counter() > deadline:
                print(f"  plain: time budget reached after {n} samples", flush=True)
                break
            kind, agency, start, end = plan[i]
            t = time.perf_counter()
            plain = run_plain(cur, agency, start, end, GRAINS[kind][1])
            ms = (time.perf_counter() - t) * 1000
            plain_ms.append(ms)
            pairs.append(ms / ours_ms[i])
            diffs = compare(totals[i], plain)
            checked += 1
            if diffs:
                mismatches.append({"sample": [kind, agency, str(start), str(end)], "ours_vs_plain": diffs})
            print(f"  plain {n + 1}/{len(picked)}: {kind} {agency or 'tỉnh'} {ms:,.0f} ms "
                  f"(ours {ours_ms[i]:.1f} ms){' MISMATCH' if diffs else ''}", flush=True)  # fmt: skip
    ours = summary(ours_ms)
    plain_s = summary(plain_ms)
    result["ours"] = ours | {"by_kind": {k: summary(v) for k, v in sorted(by_kind.items())}}
    result["plain"] = plain_s
    result["speedup"] = {
        "p95": round(plain_s["p95_ms"] / ours["p95_ms"], 1),
        "mean": round(plain_s["mean_ms"] / ours["mean_ms"], 1),
        "per_sample_median": round(statistics.median(pairs), 1),
        "per_sample_min": round(min(pairs), 1),
    }
    result["checked_samples"] = checked
    result["mismatches"] = mismatches
    result["goals"] = {
        "p95_ms": GOAL_P95_MS,
        "speedup": GOAL_SPEEDUP,
        "p95_met": ours["p95_ms"] <= GOAL_P95_MS,
        "speedup_met": result["speedup"]["per_sample_min"] >= GOAL_SPEEDUP,
    }
    result["machine"]["disk_free_after_gib"] = round(shutil.disk_usage("/").free / 2**30, 1)

    print()
    print(f"{'':28}{'n':>5}{'p50 ms':>10}{'p95 ms':>10}{'mean ms':>10}{'max ms':>10}")
    for name, s in (
        [("ours (facts)", ours)]
        + [(f"  {k}", v) for k, v in result["ours"]["by_kind"].items()]
        + [("plain GROUP BY (dossiers)", plain_s)]
    ):
        print(f"{name:28}{s['n']:>5}{s['p50_ms']:>10.1f}{s['p95_ms']:>10.1f}{s['mean_ms']:>10.1f}{s['max_ms']:>10.1f}")
    speed = result["speedup"]
    print(f"speed-up: p95 {speed['p95']}×, per sample median {speed['per_sample_median']}×, "
          f"min {speed['per_sample_min']}×; {checked} samples compared, {len(mismatches)} differ")  # fmt: skip

    out.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str) + "\n")
    print(f"written {out.relative_to(ROOT)}")
    connection.close()
    if not args.keep:
        psql("postgres", f"DROP DATABASE IF EXISTS {DB_NAME}")
        print(f"database {DB_NAME} dropped")
    return 1 if mismatches else 0


def vacuum_analyze() -> float:
    """VACUUM ANALYZE (outside a transaction): fresh statistics and a visibility map, for both sides."""
    from django.db import connection

    t = time.perf_counter()
    connection.close()
    psql(DB_NAME, "VACUUM ANALYZE")
    seconds = round(time.perf_counter() - t, 1)
    print(f"VACUUM ANALYZE in {seconds} s", flush=True)
    return seconds


if __name__ == "__main__":
    raise SystemExit(main())
