"""What the dashboards, exports and the API read: every figure comes from the fact tables, never a scan of dossiers.

CONTRACT (written first so the pages and the bulk generator can be built alongside the facts): the signatures and
return types below are fixed; the bodies are being implemented. A `Scope` says which slice: the province or a set of
agencies, optionally one procedure and one channel, and a closed date range [start, end] in Asia/Ho_Chi_Minh.
Every metric name used below is one of METRICS, and `drilldown(scope, metric)` returns exactly the dossiers counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, timedelta

from .counters import (
    CHANNEL_MEMBERS,
    COUNTERS,
    LEVEL_AGENCY,
    LEVEL_CHANNEL,
    LEVEL_PROCEDURE,
    LEVEL_PROVINCE,
    TABLE_COUNTERS,
    WIDE,
)

# The flows and stocks every page can show; drilldown() accepts each of them.
METRICS: tuple[str, ...] = (
    "received",  # dossiers received in the period (any channel)
    "received_online",
    "received_in_person",
    "received_post",
    "accepted",
    "refused",
    "supplement_requested",
    "withdrawn",
    "resolved",  # resolved = result ready/returned in the period (early + on_time + late)
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "carried_over",  # open at the start of the period
    "in_progress_on_track",  # open at the end of the period, not yet due
    "in_progress_overdue",  # open at the end of the period, past due
    "fees_paid_online",
    "results_issued",  # signed e-results issued
    "digitised_dossiers",
    "digitised_results",
    "stored_reused",  # stored documents reused instead of an upload
    "portal_synced",  # status changes acknowledged by the national portal
    "rated",  # satisfaction ratings given
    "rated_satisfied",
)
# Also counted (in Totals.counts and accepted by drilldown), for the index and the feedback pages.
EXTRA_METRICS: tuple[str, ...] = (
    "fees_paid",  # dossiers whose fee was paid, any method (the denominator of fees_paid_online)
    "portal_sent",  # received dossiers with a status change sent to the national portal
    "feedback_received",  # feedback items sent by applicants
    "feedback_handled",  # … answered
    "feedback_on_time",  # … answered within their deadline
    "feedback_rated",  # answers the applicant rated
    "feedback_satisfied",  # … and was satisfied with
)


@dataclass(frozen=True)
class Scope:
    start: date
    end: date  # inclusive
    agency_ids: tuple[int, ...] | None = None  # None: the whole province
    procedure_id: int | None = None
    channel: str | None = None  # "online" | "in_person" | "post"
    # Added (optional): True reads the umbrella requests of linked chains, counted apart, once per chain; the
    # default reads every other dossier (a chain's sub-dossiers count there, each in its own agency).
    chains: bool = False


@dataclass
class Totals:
    """One row of figures; `counts` has every METRICS key (0 where none)."""

    counts: dict[str, int]
    avg_working_days: float | None  # average processing time of the resolved dossiers, in working days
    p50_working_days: float | None
    p90_working_days: float | None
    fees_online_vnd: int  # integer VND paid online
    online_rate: float | None  # received_online / received
    on_time_rate: float | None  # (resolved_early + resolved_on_time) / resolved
    satisfaction_rate: float | None  # rated_satisfied / rated
    # Added (optional): the average statutory time of the same resolved dossiers (acceptance → first appointment),
    # and the EXTRA_METRICS counts (kept out of `counts`, which has exactly METRICS).
    avg_allowed_working_days: float | None = None
    extra: dict[str, int] = field(default_factory=dict)


@dataclass
class Row:
    key: str  # agency id / procedure id / field name / commune code / channel / day ISO date
    label: str  # what a reader sees
    totals: Totals


@dataclass
class Indicator:
    code: str  # e.g. "2.1"
    name: str  # Vietnamese
    value: float | None  # the measured share or figure
    weight: float  # points this indicator can give inside its group
    points: float
    confirmed: bool  # False where the official weight is not confirmed: the UI says so
    metric: str | None  # the METRICS key to drill into, where there is one


@dataclass
class Group:
    code: str  # "1".."5"
    name: str
    max_points: float  # 18 / 20 / 22 / 22 / 18
    points: float
    indicators: list[Indicator] = field(default_factory=list)


@dataclass
class IndexScore:
    key: str  # agency id (or province code)
    label: str
    total: float  # 0..100
    band: str  # "excellent" | "good" | "fair" | "average" | "weak" (only 90-100 and <50 are official)
    band_label: str  # Vietnamese
    groups: list[Group]
    weights_version: str  # the configuration version used


# --- implementation -------------------------------------------------------------------------------------------
# Flows are sums of the daily facts over [start, end] (the monthly facts for the whole months inside it); stocks
# are running sums of flows up to a day (the monthly facts for the whole months before it, the daily facts for the
# rest); percentiles come from the duration histograms. Every query is an aggregate over the fact tables — the
# rollups by province / agency / procedure / channel when the slice allows (`_source`), never a scan of dossiers.

_FLOW_COUNTERS = COUNTERS
_CLOSED = ("resolved_early", "resolved_on_time", "resolved_late", "refused", "withdrawn")


@dataclass
class _Acc:
    """Raw sums for one row, before they become Totals (rows by field or commune merge several)."""

    flows: dict[str, int] = field(default_factory=dict)
    received_by_channel: dict[str, int] = field(default_factory=dict)
    open_before: int = 0  # open at the end of the day before start
    open_end: int = 0
    overdue_end: int = 0
    histogram: dict[int, int] = field(default_factory=dict)

    def merge(self, other: _Acc) -> None:
        for c, v in other.flows.items():
            self.flows[c] = self.flows.get(c, 0) + v
        for c, v in other.received_by_channel.items():
            self.received_by_channel[c] = self.received_by_channel.get(c, 0) + v
        self.open_before += other.open_before
        self.open_end += other.open_end
        self.overdue_end += other.overdue_end
        for k, v in other.histogram.items():
            self.histogram[k] = self.histogram.get(k, 0) + v

    def totals(self, percentiles: bool = True) -> Totals:
        """The row's figures; without `percentiles`, p50 / p90 are None even when the histogram is known."""
        # every counter, 0 where the collection did not read it (a page's tables make thousands of these: a dict
        # merge, not a loop; the database gives integers)
        f = _NO_FLOWS | self.flows
        resolved = f["resolved_early"] + f["resolved_on_time"] + f["resolved_late"]
        by_channel = self.received_by_channel
        counts = {
            "received": f["received"],
            "received_online": by_channel.get("online", 0),
            "received_in_person": by_channel.get("in_person", 0),
            "received_post": by_channel.get("post", 0),
            "accepted": f["accepted"],
            "refused": f["refused"],
            "supplement_requested": f["supplement_requested"],
            "withdrawn": f["withdrawn"],
            "resolved": resolved,
            "resolved_early": f["resolved_early"],
            "resolved_on_time": f["resolved_on_time"],
            "resolved_late": f["resolved_late"],
            "carried_over": self.open_before,
            "in_progress_on_track": self.open_end - self.overdue_end,
            "in_progress_overdue": self.overdue_end,
            "fees_paid_online": f["fees_paid_online"],
            "results_issued": f["results_issued"],
            "digitised_dossiers": f["digitised_dossiers"],
            "digitised_results": f["digitised_results"],
            "stored_reused": f["stored_reused"],
            "portal_synced": f["portal_synced"],
            "rated": f["rated"],
            "rated_satisfied": f["rated_satisfied"],
        }
        n = f["proc_n"]
        histogram = self.histogram if percentiles else None
        return Totals(
            counts=counts,
            avg_working_days=round(f["proc_units"] / n / 1000, 3) if n else None,
            p50_working_days=_percentile(histogram, 0.5) if histogram else None,
            p90_working_days=_percentile(histogram, 0.9) if histogram else None,
            fees_online_vnd=f["fees_online_vnd"],
            online_rate=_ratio(counts["received_online"], counts["received"]),
            on_time_rate=_ratio(f["resolved_early"] + f["resolved_on_time"], resolved),
            satisfaction_rate=_ratio(f["rated_satisfied"], f["rated"]),
            avg_allowed_working_days=round(f["allowed_units"] / n / 1000, 3) if n else None,
            extra={c: f[c] for c in EXTRA_METRICS},
        )


_NO_FLOWS = dict.fromkeys(_FLOW_COUNTERS, 0)


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def _percentile(histogram: dict[int, int], q: float) -> float | None:
    """The q-quantile of processing times kept per whole working day: linear inside the day that holds it."""
    total = sum(histogram.values())
    if not total:
        return None
    target, seen = q * total, 0
    for bucket in sorted(histogram):
        n = histogram[bucket]
        if seen + n >= target:
            return round(bucket + (target - seen) / n, 2)
        seen += n
    return float(max(histogram) + 1)  # pragma: no cover - the loop always returns


def _filters(scope: Scope) -> dict:
    out: dict = {"chain": scope.chains}
    if scope.agency_ids is not None:
        out["agency_id__in"] = scope.agency_ids
    if scope.procedure_id is not None:
        out["procedure_id"] = scope.procedure_id
    if scope.channel:
        out["channel"] = scope.channel
    return out


# --- where a figure is read: the rollups when the slice allows, the detailed tables otherwise ---------------

# Set by `detailed()` (the tests compare both paths); `memo()` keeps one page's collections.
_DETAILED: ContextVar[bool] = ContextVar("analytics_detailed", default=False)
_MEMO: ContextVar[dict | None] = ContextVar("analytics_memo", default=None)


@contextmanager
def detailed() -> Iterator[None]:
    """Read every figure from the detailed tables (DailyFact…), never the rollups: for the tests, which require
    both to give the same figures."""
    token = _DETAILED.set(True)
    try:
        yield
    finally:
        _DETAILED.reset(token)


@contextmanager
def memo() -> Iterator[None]:
    """Within the block, a collection already made for the same scope and grouping is reused (a page asks for the
    per-agency sums for its totals, its rankings, its agency and commune tables…). Use it around one request's
    computation only: nothing outlives the block, so no figure can be stale."""
    if _MEMO.get() is not None:
        yield
        return
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


@dataclass(frozen=True)
class _Source:
    """The tables a collection reads and how: `key` is the SQL of the grouping (None: one row), `where` the
    conditions of the slice (without the dates), `rollup` whether the tables have the received-by-channel
    columns."""

    daily: str
    monthly: str
    durations: str
    monthly_durations: str
    key: str | None
    where: str
    params: tuple
    rollup: bool


_CHANNEL_OF_MEMBER = {n: c for c, n in CHANNEL_MEMBERS.items()}
_DAYS = ("day", "week", "month")  # groupings by the day, by its week (from Monday) or by its month


def _bucket_sql(grain: str) -> str:
    """The first day of the day's bucket, as SQL of the `day` column."""
    from django.db import connection

    if grain == "day":
        return "day"
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('{grain}', day) AS date)"
    return "date(day, 'weekday 0', '-6 days')" if grain == "week" else "date(day, 'start of month')"


def _source(scope: Scope, group: str | None) -> _Source | None:
    """Where to read `scope` grouped by `group` ("agency_id", "procedure_id", "channel", "day" or None); None when
    the slice is empty (no agency). The rollups hold (day | month) × (province | agency | procedure | channel) ×
    chain: they answer every slice without a procedure and a channel together, without an agency and a procedure
    together, …; the rest reads the detailed tables through an index on the agency or the procedure."""
    from .models import (
        DailyFact,
        DurationFact,
        MonthlyDurationFact,
        MonthlyFact,
        MonthlyRollupDurationFact,
        MonthlyRollupFact,
        RollupDurationFact,
        RollupFact,
    )

    if scope.agency_ids is not None and not scope.agency_ids:
        return None
    agencies, procedure, channel = scope.agency_ids, scope.procedure_id, scope.channel
    level: int | None = None
    members: tuple[int, ...] | None = None
    if not _DETAILED.get():
        if channel:
            if channel in CHANNEL_MEMBERS and agencies is None and procedure is None and group in (None, *_DAYS):
                level, members = LEVEL_CHANNEL, (CHANNEL_MEMBERS[channel],)
        elif procedure is not None:
            if agencies is None and group in (None, *_DAYS, "procedure_id"):
                level, members = LEVEL_PROCEDURE, (procedure,)
        elif group == "agency_id":
            level, members = LEVEL_AGENCY, agencies
        elif group == "procedure_id":
            if agencies is None:
                level = LEVEL_PROCEDURE
        elif group == "channel":
            if agencies is None:
                level = LEVEL_CHANNEL
        elif agencies is None:
            level, members = LEVEL_PROVINCE, (0,)
        else:
            level, members = LEVEL_AGENCY, agencies
    if level is not None:
        where, params = ["level = %s", "chain = %s"], [level, scope.chains]
        if members is not None:
            where.append(_in("member", members, params))
        key = None if group is None else _bucket_sql(group) if group in _DAYS else "member"
        return _Source(
            RollupFact._meta.db_table,
            MonthlyRollupFact._meta.db_table,
            RollupDurationFact._meta.db_table,
            MonthlyRollupDurationFact._meta.db_table,
            key,
            " AND ".join(where),
            tuple(params),
            True,
        )
    where, params = ["chain = %s"], [scope.chains]
    if agencies is not None:
        where.append(_in("agency_id", agencies, params))
    if procedure is not None:
        where.append("procedure_id = %s")
        params.append(procedure)
    if channel:
        where.append("channel = %s")
        params.append(channel)
    return _Source(
        DailyFact._meta.db_table,
        MonthlyFact._meta.db_table,
        DurationFact._meta.db_table,
        MonthlyDurationFact._meta.db_table,
        _bucket_sql(group) if group in _DAYS else group,
        " AND ".join(where),
        tuple(params),
        False,
    )


def _in(column: str, values: tuple[int, ...], params: list) -> str:
    if len(values) == 1:
        params.append(values[0])
        return f"{column} = %s"
    params.extend(values)
    return f"{column} IN ({', '.join(['%s'] * len(values))})"


def _month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _cover(lo: date | None, hi: date, by_day: bool = False) -> list[tuple[str, date | None, date, int]]:
    """The rows that sum to the days [lo, hi] (lo None: every day up to hi), as (table kind "daily" | "monthly",
    first, last, sign): the whole months from the monthly tables, the days of a month cut by an end from the daily
    ones — or, when they are more than half of it, that month's row minus its other days (a monthly row is exactly
    the sum of its days). So at most about fifteen days of daily rows per end: a year is thirteen monthly rows and
    a few daily ones per key, not 365 daily ones."""
    if by_day:
        return [("daily", lo, hi, 1)]
    out: list[tuple[str, date | None, date, int]] = []
    months: list[date] = []
    if lo is None:
        start = hi.replace(day=1)
        if start > date.min:
            out.append(("monthly", None, start - timedelta(days=1), 1))  # every month before hi's
        lo = start
    day = lo
    while day <= hi:
        first, last = day.replace(day=1), _month_end(day)
        upto = min(hi, last)
        if day == first and upto == last:
            months.append(first)
        elif ((upto - day).days + 1) * 2 <= last.day:
            out.append(("daily", day, upto, 1))
        else:
            months.append(first)
            if day > first:
                out.append(("daily", first, day - timedelta(days=1), -1))
            if upto < last:
                out.append(("daily", upto + timedelta(days=1), last, -1))
        day = upto + timedelta(days=1)
    if months:  # contiguous: the cut months are at either end of the whole ones
        out.append(("monthly", months[0], months[-1], 1))
    return out


def _date_condition(kind: str, lo: date | None, hi: date) -> tuple[str, list]:
    col = "day" if kind == "daily" else "month"
    if lo is None:
        return f"{col} <= %s", [hi]
    if lo == hi:
        return f"{col} = %s", [lo]
    return f"{col} >= %s AND {col} <= %s", [lo, hi]


_CHANNEL_SUMS = tuple(f"received_{c}" for c in CHANNEL_MEMBERS)
# The figure sets a collection can read: "all" the counters (and the received counts by channel); "table" only
# what the breakdown tables show (received by channel, resolved by outcome, in progress at the end, average time).
# A sum costs per row and per column: an agency's procedure table reads a third of the columns.
_FIGURES: dict[str, tuple[str, ...]] = {
    "all": COUNTERS,
    "table": TABLE_COUNTERS,
}


def _sums(scope: Scope, group: str | None, histograms: bool = True, figures: str = "all") -> tuple[dict, dict, dict]:
    """Raw sums per value of `group`: (flows over the period {key: {counter: n}} with the received counts by
    channel, the stocks at the end of the day before start {key: (open, overdue)} — one row under None when
    grouped by day —, the processing-time histograms {key: {bucket: n}}, empty without `histograms`). Two
    queries (one without the histograms), each kept within `memo()`. `figures`: see _FIGURES."""
    flows, before = _flow_sums(scope, group, figures=figures)
    return flows, before, _hist_sums(scope, group) if histograms else {}


def _memoised(kind: str, scope: Scope, group, keys: tuple | None, compute, wider: tuple[str, ...] = ()):
    """`compute()`, or what the page already made for the same scope and group: for every key (which holds the
    sums of some keys), or of a `wider` kind (which holds every figure of this one)."""
    memo_ = _MEMO.get()
    if memo_ is None:
        return compute()
    detailed_ = _DETAILED.get()
    for kind_ in (kind, *wider):
        for k in ((kind_, scope, group, keys, detailed_), (kind_, scope, group, None, detailed_)):
            if k in memo_:
                return memo_[k]
    out = memo_[(kind, scope, group, keys, detailed_)] = compute()
    return out


def _where(src: _Source, group: str | None, keys: tuple | None) -> tuple[str, list]:
    where, params = src.where, list(src.params)
    if keys is not None:
        stored = tuple(_member_of(group, k) if src.rollup else k for k in keys)
        where += " AND " + _in(src.key or "NULL", stored, params)
    return where, params


def _key_of(src: _Source, group: str | None, k):
    if src.key == "member" and group == "channel":
        return _CHANNEL_OF_MEMBER.get(k, "")
    if group in _DAYS and isinstance(k, str):
        return date.fromisoformat(k)  # SQLite: a date read through a union comes back as text
    return k


def _flow_sums(scope: Scope, group: str | None, keys: tuple | None = None, figures: str = "all") -> tuple[dict, dict]:
    """The flows and the stocks at the start of `_sums`, in one query (`keys`: these values of the group only;
    `figures`: see _FIGURES)."""
    counters = _FIGURES[figures]
    return _memoised(
        f"flows:{figures}",
        scope,
        group,
        keys,
        lambda: _read_flows(scope, group, keys, counters=counters, by_channel=True),
        wider=() if figures == "all" else ("flows:all",),
    )


def _hist_sums(scope: Scope, group: str | None, keys: tuple | None = None) -> dict:
    """The histograms of `_sums`, in one query (`keys`: these values of the group only)."""
    return _memoised("histograms", scope, group, keys, lambda: _read_histograms(scope, group, keys))


def _read_flows(
    scope: Scope,
    group: str | None,
    keys: tuple | None,
    stocks: bool = True,
    counters: tuple[str, ...] = COUNTERS,
    by_channel: bool = True,
) -> tuple[dict, dict]:
    """See `_flow_sums`; `counters`: these counters only, with the received counts by channel or not."""
    from django.db import connection

    src = _source(scope, group)
    flows: dict = {}
    before: dict = {}
    if src is None:
        return flows, before
    by_day = group in _DAYS
    key = src.key or "NULL"
    where, where_params = _where(src, group, keys)
    channel_cols: list[str] = []
    if by_channel and src.rollup:
        channel_cols = list(_CHANNEL_SUMS)
    elif by_channel:
        channel_cols = [f"CASE WHEN channel = '{c}' THEN received ELSE 0 END" for c in CHANNEL_MEMBERS]
    flow_cols = [*counters, *channel_cols]
    names = (*counters, *_CHANNEL_SUMS) if by_channel else counters
    closed = " - ".join(_CLOSED)
    stock_cols = [f"received - {closed}", "overdue_in - overdue_out"]
    width = len(flow_cols)
    # counts summed as int4 inside (PostgreSQL sums int4 into int8, int8 into numeric — much slower), money and
    # durations as they are
    wide = {i for i, c in enumerate(flow_cols) if c in WIDE}
    branches, params = [], []
    stock_key = "NULL" if by_day else key
    parts = [(1, _cover(scope.start, scope.end, by_day), flow_cols, key)]
    if stocks:
        parts.append((0, _cover(None, scope.start - timedelta(days=1)), stock_cols, stock_key))
    for tag, cover, cols, k in parts:
        for kind, lo, hi, sign in cover:
            table = src.daily if kind == "daily" else src.monthly
            cond, p = _date_condition(kind, lo, hi)
            minus = "-" if sign < 0 else ""
            sums = [
                f"{minus}SUM({c}) AS c{i}" if i in wide and tag else f"{minus}CAST(SUM({c}) AS INTEGER) AS c{i}"
                for i, c in enumerate(cols)
            ]
            sums += [f"0 AS c{i}" for i in range(len(cols), width)]
            gb = f" GROUP BY {k}" if k != "NULL" else ""
            branches.append(
                f"SELECT {tag} AS tag, {k} AS k, {', '.join(sums)} FROM {table} "  # noqa: S608
                f"WHERE {where} AND {cond}{gb}"
            )
            params += [*where_params, *p]
    outer = ", ".join(f"CAST(SUM(c{i}) AS BIGINT)" for i in range(width))
    sql = f"SELECT tag, k, {outer} FROM ({' UNION ALL '.join(branches)}) u GROUP BY tag, k"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for tag, k, *values in rows:
        k = _key_of(src, group, k)
        if tag:
            if values[0] is None:
                continue  # an aggregate over no rows
            flows[k] = dict(zip(names, values, strict=True))
        else:
            opened, overdue = values[0] or 0, values[1] or 0
            if opened or overdue:
                before[k] = (opened, overdue)
    return flows, before


def _read_histograms(scope: Scope, group: str | None, keys: tuple | None) -> dict:
    from django.db import connection

    src = _source(scope, group)
    hist: dict = {}
    if src is None:
        return hist
    key = src.key or "NULL"
    where, where_params = _where(src, group, keys)
    branches, params = [], []
    for kind, lo, hi, sign in _cover(scope.start, scope.end, group in _DAYS):
        table = src.durations if kind == "daily" else src.monthly_durations
        cond, p = _date_condition(kind, lo, hi)
        gb = f" GROUP BY {src.key}, bucket" if src.key else " GROUP BY bucket"
        minus = "-" if sign < 0 else ""
        branches.append(
            f"SELECT {key} AS k, bucket, {minus}CAST(SUM(n) AS INTEGER) AS n FROM {table} "  # noqa: S608
            f"WHERE {where} AND {cond}{gb}"
        )
        params += [*where_params, *p]
    sql = f"SELECT k, bucket, CAST(SUM(n) AS BIGINT) FROM ({' UNION ALL '.join(branches)}) u GROUP BY k, bucket"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for k, bucket, count in rows:
        if count:
            hist.setdefault(_key_of(src, group, k), {})[bucket] = count
    return hist


def _member_of(group: str | None, key):
    """A row's key as stored in the table read (a channel is a number in the rollups)."""
    return CHANNEL_MEMBERS.get(key, key) if group == "channel" else key


def _collect(scope: Scope, group: str | None, histograms: bool = True, figures: str = "all") -> dict:
    """The rows' raw sums per value of `group` ("agency_id", "procedure_id", "channel" or None for one row): the
    flows of the period, the stocks at its start and end (the end's = the start's + the period's flows), the
    histogram (unless not wanted). A value with nothing at all in the slice has no row. Shared within `memo()`:
    never change what it returns. `figures`: see _FIGURES (the counters not read are 0)."""
    wider = [("collect", (group, True, "all"))]
    if not histograms:
        wider.append(("collect", (group, False, "all")))
    if figures != "all":
        wider.append(("collect", (group, True, figures)))
    memo_ = _MEMO.get()
    if memo_ is not None:
        for kind, g in wider:
            found = memo_.get((kind, scope, g, None, _DETAILED.get()))
            if found is not None:
                return found
    return _memoised(
        "collect", scope, (group, histograms, figures), None, lambda: _make_accs(scope, group, histograms, figures)
    )


def _make_accs(scope: Scope, group: str | None, histograms: bool, figures: str = "all") -> dict:
    flows, before, hist = _sums(scope, group, histograms, figures)
    accs: dict = {}
    empty: dict = {}
    for k in set(flows) | set(before) | set(hist):
        f = flows.get(k, empty)
        opened, overdue = before.get(k, (0, 0))
        if opened or overdue or k in hist or any(f.values()):
            accs[k] = _acc(f, opened, overdue, hist.get(k, empty))
    return accs


def _acc(f: dict, opened: int, overdue: int, histogram: dict) -> _Acc:
    """One row's raw sums from its flows (read only), its stocks at the start and its histogram."""
    return _Acc(
        flows=f,
        received_by_channel={c: f.get(f"received_{c}", 0) for c in CHANNEL_MEMBERS},
        open_before=opened,
        open_end=opened + f.get("received", 0) - sum(f.get(c, 0) for c in _CLOSED),
        overdue_end=overdue + f.get("overdue_in", 0) - f.get("overdue_out", 0),
        histogram=histogram,
    )


def totals(scope: Scope, percentiles: bool = True) -> Totals:
    """The scope's figures in one row. Without `percentiles`, p50 / p90 are None and no histogram is read (the
    pages show averages; the API gives both)."""
    if _MEMO.get() is not None and scope.procedure_id is None and not scope.channel and not _DETAILED.get():
        # within a page: the sum of the per-agency rows its rankings and tables read anyway (the same figures);
        # the percentiles from the scope's own histogram (one row, not one per agency)
        merged = _Acc()
        for a in _collect(scope, "agency_id", histograms=False).values():
            merged.merge(a)
        if percentiles:
            merged.histogram = dict(_hist_sums(scope, None).get(None, {}))
        return merged.totals(percentiles)
    return _collect(scope, None, percentiles).get(None, _Acc()).totals(percentiles)


def trend(scope: Scope, grain: str = "day", percentiles: bool = True, figures: str = "all") -> list[Row]:
    """One Row per day / "week" / "month" in the scope, oldest first; key is the ISO date of the bucket's start.
    `percentiles` and `figures` as for breakdown()."""
    if grain not in _DAYS:
        raise ValueError(f"grain: {grain!r}")
    if figures not in _FIGURES:
        raise ValueError(f"figures: {figures!r}")
    flows, before, hist = _sums(scope, grain, percentiles, figures)  # per bucket, summed by the database
    open_now, overdue_now = before.get(None, (0, 0))

    def bucket_start(d: date) -> date:
        if grain == "week":
            return d - timedelta(days=d.weekday())
        if grain == "month":
            return d.replace(day=1)
        return d

    keys: list[date] = []
    day = scope.start
    while day <= scope.end:
        key = bucket_start(day)
        if not keys or keys[-1] != key:
            keys.append(key)
        day += timedelta(days=1)
    rows: list[Row] = []
    empty: dict = {}
    for key in keys:
        a = _acc(flows.get(key, empty), open_now, overdue_now, hist.get(key, empty))
        open_now, overdue_now = a.open_end, a.overdue_end
        rows.append(Row(key.isoformat(), _trend_label(key, grain), a.totals(percentiles)))
    return rows


def _trend_label(key: date, grain: str) -> str:
    from django.utils.translation import gettext as _

    if grain == "month":
        return _("Tháng %(m)d/%(y)d") % {"m": key.month, "y": key.year}
    if grain == "week":
        return _("Tuần từ %(d)s") % {"d": key.strftime("%d/%m/%Y")}
    return key.strftime("%d/%m/%Y")


_BY_FIELD = {"agency": "agency_id", "procedure": "procedure_id", "field": "procedure_id", "commune": "agency_id"}


def _rows(scope: Scope, by: str, histograms: bool = True, figures: str = "all") -> list[Row]:
    """The rows by agency / commune / procedure / field / channel (memoised within `memo()`: a page asks for the
    same rows for its table, its chart, its ranking and its slowest list). Without `histograms`, p50 / p90 are
    None (slowest() computes them for the rows it keeps); `figures`: see _FIGURES."""
    memo_ = _MEMO.get()
    detailed_ = _DETAILED.get()
    if memo_ is not None:
        for f in ("all",) if figures == "all" else ("all", figures):
            found = memo_.get(("rows", scope, by, histograms, f, detailed_))
            if found is not None:
                return list(found)
    rows = _make_rows(scope, by, histograms, figures)
    if memo_ is not None:
        memo_[("rows", scope, by, histograms, figures, detailed_)] = rows
    return list(rows)


def _make_rows(scope: Scope, by: str, histograms: bool = True, figures: str = "all") -> list[Row]:
    from django.utils.translation import gettext as _

    from motcua.dossiers.models import Channel

    if by == "channel":
        accs = _collect(scope, "channel", histograms, figures)
        labels = dict(Channel.choices)
        return [Row(k, str(labels.get(k, k)), a.totals(histograms)) for k, a in accs.items()]
    if by not in _BY_FIELD:
        raise ValueError(f"by: {by!r}")
    accs = _collect(scope, _BY_FIELD[by], histograms, figures)
    if by in ("agency", "commune"):
        agencies = {i: (name, code) for i, name, code in _catalog_rows("agency", accs)}
        if by == "agency":
            return [
                Row(str(k), agencies[k][0] if k in agencies else str(k), a.totals(histograms)) for k, a in accs.items()
            ]
        merged: dict[str, _Acc] = {}
        for k, a in accs.items():
            code = agencies[k][1] if k in agencies else ""
            if code:
                merged.setdefault(code, _Acc()).merge(a)
        names = commune_names(merged)
        return [Row(code, names.get(code, code), a.totals(histograms)) for code, a in merged.items()]
    procedures = {i: (code, name, field_) for i, code, name, field_ in _catalog_rows("procedure", accs)}
    if by == "procedure":
        return [
            Row(str(k), f"{procedures[k][0]} · {procedures[k][1]}" if k in procedures else str(k), a.totals(histograms))
            for k, a in accs.items()
        ]
    merged = {}
    for k, a in accs.items():
        merged.setdefault(procedures[k][2] if k in procedures else "", _Acc()).merge(a)
    return [Row(f, f or _("Chưa phân lĩnh vực"), a.totals(histograms)) for f, a in merged.items()]


def commune_names(codes) -> dict[str, str]:
    """A commune's name: its People's Committee (or any agency of the commune) in the catalogue."""
    from motcua.catalog.models import Agency, AgencyKind

    names: dict[str, str] = {}
    for code, kind, name in Agency.objects.filter(commune_code__in=list(codes)).values_list(
        "commune_code", "kind", "name"
    ):
        if code not in names or kind == AgencyKind.COMMUNE:
            names[code] = name
    return names


def breakdown(scope: Scope, by: str, percentiles: bool = True, figures: str = "all") -> list[Row]:
    """Rows by "agency" | "procedure" | "field" | "commune" | "channel", largest `received` first. Without
    `percentiles`, p50 / p90 are None and no histogram is read. `figures="table"` reads only what the breakdown
    tables show — received (by channel), resolved (by outcome), refused, withdrawn, carried over, in progress,
    the average time — and leaves every other count at 0: for the pages' tables, a third of the columns to sum."""
    if figures not in _FIGURES:
        raise ValueError(f"figures: {figures!r}")
    rows = _rows(scope, by, percentiles, figures)
    return sorted(rows, key=lambda r: (-r.totals.counts["received"], r.label))


def slowest(scope: Scope, by: str = "procedure", limit: int = 10) -> list[Row]:
    """The slowest procedures or agencies of the scope: by late share, then average processing time."""

    def late_share(r: Row) -> float:
        return r.totals.counts["resolved_late"] / r.totals.counts["resolved"]

    def order(rows: list[Row]) -> list[Row]:
        rows = [r for r in rows if r.totals.counts["resolved"]]
        return sorted(rows, key=lambda r: (-late_share(r), -(r.totals.avg_working_days or 0), r.label))[:limit]

    if by not in ("procedure", "agency"):
        return order(_rows(scope, by))
    # Without every row's Totals (a province has thousands of procedures): rank the raw sums, make the rows of the
    # first ones (and of those tied with the last), then their percentiles.
    group = _BY_FIELD[by]
    memo_ = _MEMO.get()
    detailed_ = _DETAILED.get()
    known = memo_ and next(
        (memo_[k] for f in ("all", "table") if (k := (f"flows:{f}", scope, group, None, detailed_)) in memo_), None
    )
    if known:
        flows = known[0]
    elif memo_ is not None and scope.agency_ids:
        # a page of some agencies lists their procedures as well: read the table's counters once, for both
        flows = _flow_sums(scope, group, figures="table")[0]
    else:  # the five counters the ranking needs, not thirty
        flows, _none = _memoised(
            "ranking", scope, group, None, lambda: _read_flows(scope, group, None, False, _RANKING, by_channel=False)
        )
    ranked = []
    for k, f in flows.items():
        resolved = f["resolved_early"] + f["resolved_on_time"] + f["resolved_late"]
        if resolved:
            avg = round(f["proc_units"] / f["proc_n"] / 1000, 3) if f["proc_n"] else 0
            ranked.append(((-f["resolved_late"] / resolved, -avg), k))
    ranked.sort(key=lambda x: x[0])
    if len(ranked) > limit:
        last = ranked[limit - 1][0]
        ranked = [x for x in ranked if x[0] <= last]
    keys = tuple(k for _rank, k in ranked)
    if not keys:
        return []
    # the rows kept, whole: their stocks and histograms
    flows, before = _flow_sums(scope, group, keys)
    hist = _hist_sums(scope, group, keys)
    labels = _labels(by, keys)
    empty: dict = {}
    rows = [
        Row(
            str(k),
            labels.get(k, str(k)),
            _acc(flows.get(k, empty), *before.get(k, (0, 0)), hist.get(k, empty)).totals(),
        )
        for k in keys
    ]
    return order(rows)


_RANKING = ("resolved_early", "resolved_on_time", "resolved_late", "proc_n", "proc_units")


def _labels(by: str, keys) -> dict:
    """What a reader sees for agency or procedure ids."""
    if by == "agency":
        return {i: name for i, name, _code in _catalog_rows("agency", keys)}
    return {i: f"{code} · {name}" for i, code, name, _field in _catalog_rows("procedure", keys)}


def _catalog_rows(kind: str, ids) -> list[tuple]:
    """(id, name, commune code) of agencies or (id, code, name, field) of procedures: one query, the ids as one
    array on PostgreSQL (a thousand placeholders cost more than the query)."""
    from django.db import connection

    from motcua.catalog.models import Agency, Procedure

    ids = list(ids)
    if not ids:
        return []
    if kind == "agency":
        table, cols = Agency._meta.db_table, "id, name, commune_code"
    else:
        table, cols = Procedure._meta.db_table, "id, code, name, field"
    if connection.vendor == "postgresql":
        where, params = "id = ANY(CAST(%s AS bigint[]))", [ids]
    else:
        where, params = f"id IN ({', '.join(['%s'] * len(ids))})", ids
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {cols} FROM {table} WHERE {where}", params)  # noqa: S608
        return cursor.fetchall()


def periodic_report(scope: Scope, by: str = "agency") -> list[Row]:
    """The "tình hình giải quyết TTHC" report by "agency" | "field" | "procedure": carried over, received (online /
    in person / post), resolved early / on time / late, in progress not yet due / overdue, withdrawn, refused."""
    if by not in ("agency", "field", "procedure"):
        raise ValueError(f"by: {by!r}")
    return sorted(_rows(scope, by, histograms=False), key=lambda r: r.label)


def index_766(scope: Scope, level: str = "agency") -> list[IndexScore]:
    """The Decision 766 index for each agency ("agency"), commune ("commune") or the province ("province") of the
    scope, ranked best first."""
    from . import index

    return index.scores(scope, level)


def drilldown(scope: Scope, metric: str):  # -> QuerySet[Dossier]
    """Exactly the dossiers behind `metric` in `scope` (the numbers above count these, no more, no fewer)."""
    from motcua.dossiers.models import Dossier

    return Dossier.objects.filter(pk__in=fact_rows(scope, metric).values("dossier_id"))


def fact_rows(scope: Scope, metric: str):
    """The DossierFact rows behind `metric` in `scope` (drilldown's dossiers are theirs)."""
    from django.db.models import Q

    from .models import DossierFact

    s, e = scope.start, scope.end
    qs = DossierFact.objects.filter(received_day__isnull=False, **_filters(scope))
    in_period = {"received_day__gte": s, "received_day__lte": e}
    closed_after_end = Q(closed_day__isnull=True) | Q(closed_day__gt=e)
    by_day = {
        "accepted": "accepted_day",
        "supplement_requested": "supplement_day",
        "results_issued": "result_day",
        "digitised_results": "result_stored_day",
        "fees_paid": "fee_day",
        "rated": "rated_day",
        "feedback_received": "feedback_day",
        "feedback_handled": "feedback_handled_day",
        "feedback_rated": "feedback_rated_day",
    }
    if metric in by_day:
        col = by_day[metric]
        return qs.filter(**{f"{col}__gte": s, f"{col}__lte": e})
    channels = {"received_online": "online", "received_in_person": "in_person", "received_post": "post"}
    if metric == "received":
        return qs.filter(**in_period)
    if metric in channels:
        return qs.filter(channel=channels[metric], **in_period)
    flags = {
        "digitised_dossiers": "digitised",
        "stored_reused": "reused",
        "portal_sent": "portal_sent",
        "portal_synced": "portal_synced",
    }
    if metric in flags:
        return qs.filter(**{flags[metric]: True}, **in_period)
    closed = {"closed_day__gte": s, "closed_day__lte": e}
    if metric in _CLOSED:
        return qs.filter(closed_as=metric, **closed)
    if metric == "resolved":
        return qs.filter(closed_as__in=_CLOSED[:3], **closed)
    if metric == "carried_over":
        return qs.filter(Q(closed_day__isnull=True) | Q(closed_day__gte=s), received_day__lt=s)
    if metric == "in_progress_overdue":
        return qs.filter(closed_after_end, overdue_day__lte=e)
    if metric == "in_progress_on_track":
        return qs.filter(closed_after_end, Q(overdue_day__isnull=True) | Q(overdue_day__gt=e), received_day__lte=e)
    if metric == "fees_paid_online":
        return qs.filter(fee_online=True, fee_day__gte=s, fee_day__lte=e)
    if metric == "rated_satisfied":
        return qs.filter(rated_satisfied=True, rated_day__gte=s, rated_day__lte=e)
    if metric == "feedback_on_time":
        return qs.filter(feedback_on_time=True, feedback_handled_day__gte=s, feedback_handled_day__lte=e)
    if metric == "feedback_satisfied":
        return qs.filter(feedback_satisfied=True, feedback_rated_day__gte=s, feedback_rated_day__lte=e)
    raise ValueError(f"Chỉ số không hợp lệ: {metric!r}")


def portal_sync_share(scope: Scope | None = None) -> dict:
    """The KPI 'dossiers synchronised with the National Public Service Portal' from the facts: of the dossiers with
    a status change sent to the portal (received in the scope; every dossier, chains included, without one), those
    whose every change the portal has acknowledged."""
    from django.db.models import Sum

    from .models import DailyFact, MonthlyFact

    if scope is None:
        qs = MonthlyFact.objects.all()
    else:
        qs = DailyFact.objects.filter(day__gte=scope.start, day__lte=scope.end, **_filters(scope))
    agg = qs.aggregate(sent=Sum("portal_sent"), synced=Sum("portal_synced"))
    sent, synced = int(agg["sent"] or 0), int(agg["synced"] or 0)
    return {"dossiers": sent, "synced": synced, "share": synced / sent if sent else None}
