"""End-to-end HTTP submissions per second on PostgreSQL, against a bare one-INSERT Django endpoint.

Run: `.venv/bin/python bench/submit.py` (needs PostgreSQL on 127.0.0.1:5432 and Debian's `wrk`).
Both endpoints are served by the same gunicorn (sync workers) in the same run:
- reference: POST /bench/insert/  — one INSERT of the same JSON body, no auth, no validation;
- ours:      POST /api/v1/dossiers — bearer token, JSON Schema validation, dossier code, deadline on the official
  calendar, action log row and hash-chained audit record, all in one transaction.
Then an open-loop generator holds half of our peak rate to measure latency percentiles there.
Results: printed, and written to bench/results/submit.json.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
DB_NAME = os.environ.get("BENCH_DB", "motcua_bench")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


PORT = int(os.environ.get("BENCH_PORT") or _free_port())
DURATION = int(os.environ.get("BENCH_SECONDS", "15"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))


def env() -> dict[str, str]:
    e = dict(os.environ)
    e.update(
        DATABASE_URL=f"{PG}/{DB_NAME}",
        DJANGO_SETTINGS_MODULE="bench.settings",
        MOTCUA_DATA_DIR=str(Path(tempfile.gettempdir()) / "motcua-bench"),
        PYTHONPATH=str(ROOT),
        MOTCUA_LOGIN_MAX_FAILURES="1000000",
    )
    return e


def manage(*args: str, capture: bool = False) -> str:
    out = subprocess.run(
        [PY, "manage.py", *args],
        cwd=ROOT,
        env=env(),
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return out.stdout or ""


def psql(db: str, sql: str) -> None:
    subprocess.run(
        ["psql", f"{PG}/{db}", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def setup_database() -> dict:
    psql("postgres", f"DROP DATABASE IF EXISTS {DB_NAME}")
    psql("postgres", f"CREATE DATABASE {DB_NAME}")
    manage("migrate", "--noinput", "-v0")
    manage("createcachetable")
    manage("load_demo")
    psql(
        DB_NAME,
        "CREATE TABLE bench_reference (id bigserial primary key, payload jsonb not null, "
        "created_at timestamptz not null)",
    )
    accounts = json.loads(manage("demo_accounts", "--json", capture=True))
    # the example declaration is stated by Trần Thị Bích: her token, or the registry check would refuse it
    citizen = next(a for a in accounts if a.get("personal_id") == "022192004567")
    commune = next(a for a in accounts if a["username"] == "xa.motcua")["agency"]
    token = manage("create_api_token", citizen["username"], capture=True).strip()
    return {"token": token, "agency": commune}


def start_server() -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            GUNICORN,
            "motcua.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(WORKERS),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env(),
        start_new_session=True,
    )
    for _ in range(100):
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/api/openapi.json", timeout=1)
            return proc
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def declarations() -> list[str]:
    """One realistic birth declaration per commune offering it: a province's traffic is spread over its
    agencies (each agency's daily dossier number is one row, so one agency's submissions queue on it)."""
    sys.path.insert(0, str(ROOT))
    from motcua.catalog.examples import EXAMPLES

    detail = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{PORT}/api/v1/procedures/1.001193").read())
    agencies = [a["code"] for a in detail["agencies"]]
    return [
        json.dumps(
            {"procedure": "1.001193", "agency": code, "channel": "online", "data": EXAMPLES["1.001193"]},
            ensure_ascii=False,
        )
        for code in agencies
    ]


def wrk(url: str, bodies: list[str], headers: dict[str, str], workdir: Path) -> dict:
    """Closed-loop peak throughput; requests rotate over `bodies`."""
    script = workdir / "post.lua"
    for i, body in enumerate(bodies):
        (workdir / f"body{i}.json").write_bytes(body.encode())  # Lua literals cannot carry the text safely
    lines = [
        'wrk.method = "POST"',
        "local bodies = {}",
        f"for i = 0, {len(bodies) - 1} do",
        f'  local f = io.open("{workdir}/body" .. i .. ".json", "rb"); bodies[i + 1] = f:read("*a"); f:close()',
        "end",
        "local n = 0",
        "request = function()",
        "  n = n + 1",
        "  return wrk.format(nil, nil, nil, bodies[(n % #bodies) + 1])",
        "end",
    ]
    lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    script.write_text("\n".join(lines) + "\n")
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--latency", "-s", str(script), url],
        check=True,
        text=True,
        capture_output=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    return {
        "rps": rps,
        "requests": total,
        "non_2xx": int(bad.group(1)) if bad else 0,
        "p99_ms": _ms(p99.group(1), p99.group(2)) if p99 else None,
        "raw": out,
    }


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def constant_rate(url: str, bodies: list[str], headers: dict[str, str], rate: float) -> dict:
    """Open-loop load at a fixed rate: latency is measured from each request's *scheduled* time, so a slow
    server cannot hide its queueing by slowing the generator (no coordinated omission)."""
    import http.client
    import threading
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    threads = CONNECTIONS
    interval = threads / rate
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    start = time.perf_counter() + 0.5

    def run(k: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        i = 0
        while True:
            scheduled = start + k * interval / threads + i * interval
            if scheduled > start + DURATION:
                break
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            body = bodies[(k + i * threads) % len(bodies)].encode()
            conn.request("POST", parts.path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            done = time.perf_counter()
            with lock:
                latencies.append((done - scheduled) * 1000)
                statuses[response.status] = statuses.get(response.status, 0) + 1
            i += 1
        conn.close()

    workers = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    latencies.sort()

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))], 1)

    return {
        "rps": round(len(latencies) / DURATION, 1),
        "p50_ms": pct(50),
        "p90_ms": pct(90),
        "p99_ms": pct(99),
        "status_codes": statuses,
    }


def main() -> int:
    for tool in ("wrk", "psql"):
        if shutil.which(tool) is None:
            print(f"missing {tool}: apt-get install wrk postgresql-client", file=sys.stderr)
            return 2
    print("setting up the benchmark database (migrate + demo data)…", flush=True)
    setup_database_result = None
    server = None
    try:
        setup_database_result = setup_database()
        server = start_server()
        token = setup_database_result["token"]
        bodies = declarations()
        auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        base = f"http://127.0.0.1:{PORT}"
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            plain = {"Content-Type": "application/json"}
            wrk(f"{base}/bench/insert/", bodies, plain, work)  # warm-up: connections, caches, calendars
            wrk(f"{base}/api/v1/dossiers", bodies, auth, work)
            reference = wrk(f"{base}/bench/insert/", bodies, plain, work)
            ours = wrk(f"{base}/api/v1/dossiers", bodies, auth, work)
            half = constant_rate(f"{base}/api/v1/dossiers", bodies, auth, ours["rps"] / 2)
        if ours["non_2xx"] or reference["non_2xx"]:
            raise RuntimeError(f"failed requests: ours {ours['non_2xx']}, reference {reference['non_2xx']}")
        ratio = ours["rps"] / reference["rps"]
        result = {
            "benchmark": "submit",
            "at": datetime.now(UTC).isoformat(),
            "machine": {
                "platform": platform.platform(),
                "cpus": os.cpu_count(),
                "python": sys.version.split()[0],
            },
            "server": f"gunicorn sync, {WORKERS} workers; wrk -t2 -c{CONNECTIONS} -d{DURATION}s",
            "reference_rps": round(reference["rps"], 1),
            "submit_rps": round(ours["rps"], 1),
            "ratio": round(ratio, 3),
            "submit_non_2xx": ours["non_2xx"],
            "reference_non_2xx": reference["non_2xx"],
            "peak_p99_ms": ours["p99_ms"],
            "half_peak": {k: half[k] for k in ("rps", "p50_ms", "p90_ms", "p99_ms", "status_codes")},
            "goal": {"ratio": ">= 0.5", "p99_at_half_peak_ms": "<= 50"},
        }
        out = ROOT / "bench" / "results" / "submit.json"
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        print()
        print(f"{'endpoint':<34}{'req/s':>10}{'non-2xx':>10}{'p99 ms':>10}")
        print(
            f"{'bare one-INSERT Django view':<34}{reference['rps']:>10.1f}{reference['non_2xx']:>10}"
            f"{reference['p99_ms'] or 0:>10.1f}"
        )
        print(
            f"{'POST /api/v1/dossiers (peak)':<34}{ours['rps']:>10.1f}{ours['non_2xx']:>10}{ours['p99_ms'] or 0:>10.1f}"
        )
        print(f"{'POST /api/v1/dossiers (half peak)':<34}{half['rps']:>10.1f}{'':>10}{half['p99_ms'] or 0:>10.1f}")
        print(f"ratio ours/reference = {ratio:.2f} (goal ≥ 0.5); p99 at half peak = {half['p99_ms']} ms (goal ≤ 50)")
        print(f"wrote {out.relative_to(ROOT)}")
        return 0
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=10)


if __name__ == "__main__":
    raise SystemExit(main())
