"""What the dashboards, exports and the API read: every figure comes from the fact tables, never a scan of dossiers.

CONTRACT (written first so the pages and the bulk generator can be built alongside the facts): the signatures and
return types below are fixed; the bodies are being implemented. A `Scope` says which slice: the province or a set of
agencies, optionally one procedure and one channel, and a closed date range [start, end] in Asia/Ho_Chi_Minh.
Every metric name used below is one of METRICS, and `drilldown(scope, metric)` returns exactly the dossiers counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

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


@dataclass(frozen=True)
class Scope:
    start: date
    end: date  # inclusive
    agency_ids: tuple[int, ...] | None = None  # None: the whole province
    procedure_id: int | None = None
    channel: str | None = None  # "online" | "in_person" | "post"


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


def totals(scope: Scope) -> Totals:
    raise NotImplementedError


def trend(scope: Scope, grain: str = "day") -> list[Row]:
    """One Row per day / "week" / "month" in the scope, oldest first; key is the ISO date of the bucket's start."""
    raise NotImplementedError


def breakdown(scope: Scope, by: str) -> list[Row]:
    """Rows by "agency" | "procedure" | "field" | "commune" | "channel", largest `received` first."""
    raise NotImplementedError


def slowest(scope: Scope, by: str = "procedure", limit: int = 10) -> list[Row]:
    """The slowest procedures or agencies of the scope: by late share, then average processing time."""
    raise NotImplementedError


def periodic_report(scope: Scope, by: str = "agency") -> list[Row]:
    """The "tình hình giải quyết TTHC" report by "agency" | "field" | "procedure": carried over, received (online /
    in person / post), resolved early / on time / late, in progress not yet due / overdue, withdrawn, refused."""
    raise NotImplementedError


def index_766(scope: Scope, level: str = "agency") -> list[IndexScore]:
    """The Decision 766 index for each agency ("agency"), commune ("commune") or the province ("province") of the
    scope, ranked best first."""
    raise NotImplementedError


def drilldown(scope: Scope, metric: str):  # -> QuerySet[Dossier]
    """Exactly the dossiers behind `metric` in `scope` (the numbers above count these, no more, no fewer)."""
    raise NotImplementedError
