"""What the dashboards, exports and the API read: every figure comes from the fact tables, never a scan of dossiers.

CONTRACT (written first so the pages and the bulk generator can be built alongside the facts): the signatures and
return types below are fixed; the bodies are being implemented. A `Scope` says which slice: the province or a set of
agencies, optionally one procedure and one channel, and a closed date range [start, end] in Asia/Ho_Chi_Minh.
Every metric name used below is one of METRICS, and `drilldown(scope, metric)` returns exactly the dossiers counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from .counters import COUNTERS

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
# Flows are sums of DailyFact over [start, end]; stocks are running sums of flows up to a day (MonthlyFact for
# the whole months before it, DailyFact for the rest); percentiles come from the DurationFact histogram. Every
# query is an aggregate over the fact tables, never a scan of dossiers.

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

    def totals(self) -> Totals:
        f = {c: int(self.flows.get(c) or 0) for c in _FLOW_COUNTERS}
        resolved = f["resolved_early"] + f["resolved_on_time"] + f["resolved_late"]
        counts = {
            "received": f["received"],
            "received_online": int(self.received_by_channel.get("online", 0)),
            "received_in_person": int(self.received_by_channel.get("in_person", 0)),
            "received_post": int(self.received_by_channel.get("post", 0)),
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
        return Totals(
            counts=counts,
            avg_working_days=round(f["proc_units"] / n / 1000, 3) if n else None,
            p50_working_days=_percentile(self.histogram, 0.5),
            p90_working_days=_percentile(self.histogram, 0.9),
            fees_online_vnd=f["fees_online_vnd"],
            online_rate=_ratio(counts["received_online"], counts["received"]),
            on_time_rate=_ratio(f["resolved_early"] + f["resolved_on_time"], resolved),
            satisfaction_rate=_ratio(f["rated_satisfied"], f["rated"]),
            avg_allowed_working_days=round(f["allowed_units"] / n / 1000, 3) if n else None,
            extra={c: f[c] for c in EXTRA_METRICS},
        )


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


def _collect(scope: Scope, group: str | None) -> dict:
    """Raw sums per value of `group` ("agency_id", "procedure_id", "channel", "day" or None for one row)."""
    from django.db.models import Q, Sum

    from .models import DailyFact, DurationFact, MonthlyDurationFact, MonthlyFact

    base = _filters(scope)
    accs: dict = {}

    def acc(key) -> _Acc:
        return accs.setdefault(key, _Acc())

    sums = {f"_s_{c}": Sum(c) for c in _FLOW_COUNTERS}
    for ch in ("online", "in_person", "post"):
        sums[f"_ch_{ch}"] = Sum("received", filter=Q(channel=ch))
    for qs in _flow_sources(scope, group, DailyFact, MonthlyFact):
        for row in _grouped(qs.filter(**base), group, sums):
            if row["_s_received"] is None:
                continue  # nothing in the period (an aggregate over no rows)
            a = acc(row["_key"])
            for c in _FLOW_COUNTERS:
                a.flows[c] = a.flows.get(c, 0) + (row[f"_s_{c}"] or 0)
            for ch in ("online", "in_person", "post"):
                a.received_by_channel[ch] = a.received_by_channel.get(ch, 0) + (row[f"_ch_{ch}"] or 0)

    if group != "day":
        for key, (opened, _overdue) in _stocks(base, scope.start - timedelta(days=1), group).items():
            acc(key).open_before += opened
        for key, (opened, overdue) in _stocks(base, scope.end, group).items():
            a = acc(key)
            a.open_end += opened
            a.overdue_end += overdue

    keys = ["bucket"] if group is None else [group, "bucket"]
    for qs in _flow_sources(scope, group, DurationFact, MonthlyDurationFact):
        for row in qs.filter(**base).values(*keys).order_by().annotate(n=Sum("n")):
            a = acc(row[group] if group else None)
            a.histogram[row["bucket"]] = a.histogram.get(row["bucket"], 0) + row["n"]
    return accs


def _flow_sources(scope: Scope, group: str | None, daily, monthly) -> list:
    """The querysets covering [start, end]: the whole months in it from the monthly table, the days at either end
    from the daily one (a year is twelve months of rows, not 365 days of them)."""
    from django.db.models import Q

    start, end = scope.start, scope.end
    first = start if start.day == 1 else (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    after_end = end + timedelta(days=1)
    last = after_end.replace(day=1)  # the first day after the last whole month
    if group == "day" or first >= last:
        return [daily.objects.filter(day__gte=start, day__lte=end)]
    edges = Q(pk__in=[])
    if start < first:
        edges |= Q(day__gte=start, day__lt=first)
    if last <= end:
        edges |= Q(day__gte=last, day__lte=end)
    out = [monthly.objects.filter(month__gte=first, month__lt=last)]
    if start < first or last <= end:
        out.append(daily.objects.filter(edges))
    return out


def _grouped(qs, group: str | None, aggregates: dict) -> list[dict]:
    if group is None:
        return [{**qs.aggregate(**aggregates), "_key": None}]
    return [{**row, "_key": row[group]} for row in qs.values(group).order_by().annotate(**aggregates)]


def _stocks(base: dict, upto: date, group: str | None) -> dict:
    """(open, overdue) at the end of `upto` per group: running sums of received − closed and of overdue_in −
    overdue_out, from MonthlyFact for the months before `upto`'s and DailyFact for the rest of them."""
    from django.db.models import F, Sum

    from .models import DailyFact, MonthlyFact

    closed = F(_CLOSED[0])
    for c in _CLOSED[1:]:
        closed = closed + F(c)
    aggregates = {"_open": Sum(F("received") - closed), "_overdue": Sum(F("overdue_in") - F("overdue_out"))}
    month = upto.replace(day=1)
    if (upto + timedelta(days=1)).day == 1:  # the end of a month: the monthly rows alone
        sources = [MonthlyFact.objects.filter(month__lte=month, **base)]
    else:
        sources = [
            MonthlyFact.objects.filter(month__lt=month, **base),
            DailyFact.objects.filter(day__gte=month, day__lte=upto, **base),
        ]
    out: dict = {}
    for qs in sources:
        for row in _grouped(qs, group, aggregates):
            opened, overdue = row["_open"] or 0, row["_overdue"] or 0
            if opened or overdue:
                was = out.get(row["_key"], (0, 0))
                out[row["_key"]] = (was[0] + opened, was[1] + overdue)
    return out


def totals(scope: Scope) -> Totals:
    return _collect(scope, None).get(None, _Acc()).totals()


def trend(scope: Scope, grain: str = "day") -> list[Row]:
    """One Row per day / "week" / "month" in the scope, oldest first; key is the ISO date of the bucket's start."""
    if grain not in ("day", "week", "month"):
        raise ValueError(f"grain: {grain!r}")
    daily = _collect(scope, "day")
    open_now, overdue_now = _stocks(_filters(scope), scope.start - timedelta(days=1), None).get(None, (0, 0))

    def bucket_start(d: date) -> date:
        if grain == "week":
            return d - timedelta(days=d.weekday())
        if grain == "month":
            return d.replace(day=1)
        return d

    rows: list[Row] = []
    current, current_key = _Acc(), None
    day = scope.start
    while day <= scope.end:
        key = bucket_start(day)
        if key != current_key:
            if current_key is not None:
                rows.append(Row(current_key.isoformat(), _trend_label(current_key, grain), current.totals()))
            current, current_key = _Acc(open_before=open_now), key
        a = daily.get(day)
        if a is not None:
            current.merge(_Acc(flows=a.flows, received_by_channel=a.received_by_channel, histogram=a.histogram))
            open_now += a.flows.get("received", 0) - sum(a.flows.get(c, 0) for c in _CLOSED)
            overdue_now += a.flows.get("overdue_in", 0) - a.flows.get("overdue_out", 0)
        current.open_end, current.overdue_end = open_now, overdue_now
        day += timedelta(days=1)
    if current_key is not None:
        rows.append(Row(current_key.isoformat(), _trend_label(current_key, grain), current.totals()))
    return rows


def _trend_label(key: date, grain: str) -> str:
    from django.utils.translation import gettext as _

    if grain == "month":
        return _("Tháng %(m)d/%(y)d") % {"m": key.month, "y": key.year}
    if grain == "week":
        return _("Tuần từ %(d)s") % {"d": key.strftime("%d/%m/%Y")}
    return key.strftime("%d/%m/%Y")


_BY_FIELD = {"agency": "agency_id", "procedure": "procedure_id", "field": "procedure_id", "commune": "agency_id"}


def _rows(scope: Scope, by: str) -> list[Row]:
    from django.utils.translation import gettext as _

    from motcua.catalog.models import Agency, Procedure
    from motcua.dossiers.models import Channel

    if by == "channel":
        accs = _collect(scope, "channel")
        labels = dict(Channel.choices)
        return [Row(k, str(labels.get(k, k)), a.totals()) for k, a in accs.items()]
    if by not in _BY_FIELD:
        raise ValueError(f"by: {by!r}")
    accs = _collect(scope, _BY_FIELD[by])
    if by in ("agency", "commune"):
        agencies = {a.id: a for a in Agency.objects.filter(id__in=list(accs)).only("id", "name", "commune_code")}
        if by == "agency":
            return [Row(str(k), agencies[k].name if k in agencies else str(k), a.totals()) for k, a in accs.items()]
        merged: dict[str, _Acc] = {}
        for k, a in accs.items():
            code = agencies[k].commune_code if k in agencies else ""
            if code:
                merged.setdefault(code, _Acc()).merge(a)
        names = commune_names(merged)
        return [Row(code, names.get(code, code), a.totals()) for code, a in merged.items()]
    procedures = {p.id: p for p in Procedure.objects.filter(id__in=list(accs)).only("id", "code", "name", "field")}
    if by == "procedure":
        return [
            Row(str(k), f"{procedures[k].code} · {procedures[k].name}" if k in procedures else str(k), a.totals())
            for k, a in accs.items()
        ]
    merged = {}
    for k, a in accs.items():
        merged.setdefault(procedures[k].field if k in procedures else "", _Acc()).merge(a)
    return [Row(f, f or _("Chưa phân lĩnh vực"), a.totals()) for f, a in merged.items()]


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


def breakdown(scope: Scope, by: str) -> list[Row]:
    """Rows by "agency" | "procedure" | "field" | "commune" | "channel", largest `received` first."""
    rows = _rows(scope, by)
    return sorted(rows, key=lambda r: (-r.totals.counts["received"], r.label))


def slowest(scope: Scope, by: str = "procedure", limit: int = 10) -> list[Row]:
    """The slowest procedures or agencies of the scope: by late share, then average processing time."""
    rows = [r for r in _rows(scope, by) if r.totals.counts["resolved"]]

    def late_share(r: Row) -> float:
        return r.totals.counts["resolved_late"] / r.totals.counts["resolved"]

    return sorted(rows, key=lambda r: (-late_share(r), -(r.totals.avg_working_days or 0), r.label))[:limit]


def periodic_report(scope: Scope, by: str = "agency") -> list[Row]:
    """The "tình hình giải quyết TTHC" report by "agency" | "field" | "procedure": carried over, received (online /
    in person / post), resolved early / on time / late, in progress not yet due / overdue, withdrawn, refused."""
    if by not in ("agency", "field", "procedure"):
        raise ValueError(f"by: {by!r}")
    return sorted(_rows(scope, by), key=lambda r: r.label)


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
