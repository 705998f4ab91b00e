"""The analytics API, /api/v1/analytics/...: the same figures as the operations centre, for other systems.

Every endpoint but /public needs an official (bearer token, or the session with its second factor) and answers
only for what that official may see (the province, or their own agencies). /public is the public statistics
page's data: counts and shares only, no personal data, no dossier codes.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

from django.core.paginator import Paginator
from django.http import HttpRequest
from ninja import Query, Router, Schema

from motcua.core.api_support import session_or_token
from motcua.core.errors import PermissionDenied, ValidationFailed

from . import dashboard as d
from . import queries

router = Router(tags=["analytics"])
AUTH = session_or_token()


class ScopeParams(Schema):
    """The slice: a period (`start`/`end`, ISO dates, or a preset `ky`), agencies, a commune, a procedure, a
    channel. Without a period: this month."""

    start: date | None = None
    end: date | None = None
    ky: str | None = None
    agency: list[int] | None = None
    commune: str | None = None
    procedure: str | None = None
    channel: str | None = None


class DrillParams(ScopeParams):
    metric: list[str]  # one of METRICS; repeated: the dossiers behind their sum
    field: str | None = None  # a field of procedures (the report by field)
    page: int = 1


class ScopeOut(Schema):
    start: date
    end: date
    agency_ids: list[int] | None
    procedure_id: int | None
    channel: str | None


class TotalsOut(Schema):
    counts: dict[str, int]
    avg_working_days: float | None
    p50_working_days: float | None
    p90_working_days: float | None
    fees_online_vnd: int
    online_rate: float | None
    on_time_rate: float | None
    satisfaction_rate: float | None
    avg_allowed_working_days: float | None = None
    extra: dict[str, int] = {}  # fees_paid, portal_sent, feedback_*: counted for the index


class RowOut(Schema):
    key: str
    label: str
    totals: TotalsOut


class TotalsAnswer(Schema):
    scope: ScopeOut
    totals: TotalsOut


class RowsAnswer(Schema):
    scope: ScopeOut
    by: str
    rows: list[RowOut]


class ReportAnswer(Schema):
    scope: ScopeOut
    by: str
    title: str
    rows: list[RowOut]
    total: TotalsOut


class IndicatorOut(Schema):
    code: str
    name: str
    value: float | None
    weight: float
    points: float
    confirmed: bool
    metric: str | None


class GroupOut(Schema):
    code: str
    name: str
    max_points: float
    points: float
    indicators: list[IndicatorOut]


class IndexOut(Schema):
    key: str
    label: str
    total: float
    band: str
    band_label: str
    band_official: bool
    groups: list[GroupOut]
    weights_version: str


class IndexAnswer(Schema):
    scope: ScopeOut
    level: str
    scores: list[IndexOut]


class DossierRef(Schema):
    code: str | None
    procedure: str
    agency: str
    channel: str
    status: str
    submitted_at: datetime | None
    due_at: datetime | None
    outcome: str


class DrilldownAnswer(Schema):
    scope: ScopeOut
    metrics: list[str]
    count: int
    page: int
    pages: int
    dossiers: list[DossierRef]


class PublicRow(Schema):
    key: str
    label: str
    received: int
    received_online: int
    resolved: int
    resolved_on_time: int
    online_rate: float | None
    on_time_rate: float | None


class PublicTotal(PublicRow):
    satisfaction_rate: float | None


class PublicAnswer(Schema):
    start: date
    end: date
    total: PublicTotal
    agencies: list[PublicRow]
    procedures: list[PublicRow]


def _params(request: HttpRequest) -> object:
    """The raw query string (repeated `agency` kept); ninja has already checked the types."""
    return request.GET


def _filters(request: HttpRequest) -> d.Filters:
    access = d.require_access(request.user)
    return d.parse_filters(_params(request), access)


def _scope(filters: d.Filters) -> dict:
    s = dataclasses.asdict(filters.scope)
    s["agency_ids"] = list(s["agency_ids"]) if s["agency_ids"] is not None else None
    return s


def _row(r: queries.Row) -> dict:
    return {"key": str(r.key), "label": r.label, "totals": dataclasses.asdict(r.totals)}


@router.get("/totals", response=TotalsAnswer, auth=AUTH, url_name="analytics_totals")
def totals(request: HttpRequest, params: Query[ScopeParams]):
    """Every figure of the slice (`counts` has every metric) and its rates."""
    filters = _filters(request)
    return {"scope": _scope(filters), "totals": dataclasses.asdict(queries.totals(filters.scope))}


@router.get("/trend", response=RowsAnswer, auth=AUTH, url_name="analytics_trend")
def trend(request: HttpRequest, params: Query[ScopeParams], grain: str = ""):
    """One row per day, week or month (`grain`; by default chosen from the period's length), oldest first."""
    filters = _filters(request)
    grain = d.trend_grain(filters, d.choice(request.GET, "grain", ("", *d.GRAINS), ""))
    rows = queries.trend(filters.scope, grain)
    return {"scope": _scope(filters), "by": grain, "rows": [_row(r) for r in rows]}


@router.get("/breakdown", response=RowsAnswer, auth=AUTH, url_name="analytics_breakdown")
def breakdown(request: HttpRequest, params: Query[ScopeParams], by: str = "agency"):
    """Rows by agency, procedure, field, commune or channel, largest first."""
    filters = _filters(request)
    by = d.choice(request.GET, "by", d.BREAKDOWNS, "agency")
    return {"scope": _scope(filters), "by": by, "rows": [_row(r) for r in queries.breakdown(filters.scope, by)]}


@router.get("/slowest", response=RowsAnswer, auth=AUTH, url_name="analytics_slowest")
def slowest(request: HttpRequest, params: Query[ScopeParams], by: str = "procedure", limit: int = 10):
    """The slowest procedures or agencies: by late share, then average processing time."""
    filters = _filters(request)
    by = d.choice(request.GET, "by", d.SLOWEST_BY, "procedure")
    if not 1 <= limit <= 100:
        raise ValidationFailed("limit phải từ 1 đến 100.", errors=[{"field": "limit", "message": "Từ 1 đến 100."}])
    rows = queries.slowest(filters.scope, by, limit)
    return {"scope": _scope(filters), "by": by, "rows": [_row(r) for r in rows]}


@router.get("/report", response=ReportAnswer, auth=AUTH, url_name="analytics_report")
def report(request: HttpRequest, params: Query[ScopeParams], by: str = "agency"):
    """The periodic report "Tình hình giải quyết thủ tục hành chính" by agency, field or procedure."""
    filters = _filters(request)
    by = d.choice(request.GET, "by", d.REPORT_BY, "agency")
    rows = queries.periodic_report(filters.scope, by)
    return {
        "scope": _scope(filters),
        "by": by,
        "title": str(d.REPORT_TITLE),
        "rows": [_row(r) for r in rows],
        "total": dataclasses.asdict(queries.totals(filters.scope)),
    }


@router.get("/index", response=IndexAnswer, auth=AUTH, url_name="analytics_index")
def index(request: HttpRequest, params: Query[ScopeParams], level: str = "agency"):
    """The Decision 766 index of each agency, commune or the province, best first; `band_official` is false for
    the intermediate bands, and an indicator's `confirmed` is false where its weight is not official."""
    filters = _filters(request)
    level = d.choice(request.GET, "level", d.INDEX_LEVELS, "agency")
    if level == "province" and not d.require_access(request.user).province:
        raise PermissionDenied("Chỉ lãnh đạo tỉnh được xem chỉ số của toàn tỉnh.")
    scores = []
    for s in queries.index_766(filters.scope, level):
        item = dataclasses.asdict(s)
        item["key"] = str(s.key)
        item["band_official"] = s.band in d.BAND_OFFICIAL
        scores.append(item)
    return {"scope": _scope(filters), "level": level, "scores": scores}


@router.get("/drilldown", response=DrilldownAnswer, auth=AUTH, url_name="analytics_drilldown")
def drilldown(request: HttpRequest, params: Query[DrillParams]):
    """The dossiers behind a figure (`metric`, repeated for a sum), 100 a page, newest first."""
    filters = _filters(request)
    metrics = d.metrics_param(request.GET)
    paginator = Paginator(d.drill(filters, metrics), 100)
    page = params.page
    if page < 1 or (page > paginator.num_pages and page != 1):
        raise ValidationFailed(
            f"Trang {page} không có (có {paginator.num_pages} trang).",
            errors=[{"field": "page", "message": "Ngoài phạm vi."}],
        )
    items = paginator.page(page).object_list
    return {
        "scope": _scope(filters),
        "metrics": metrics,
        "count": paginator.count,
        "page": page,
        "pages": paginator.num_pages,
        "dossiers": [
            {
                "code": x.code,
                "procedure": x.procedure.code,
                "agency": x.agency.code,
                "channel": x.channel,
                "status": x.status,
                "submitted_at": x.submitted_at,
                "due_at": x.due_at,
                "outcome": x.outcome,
            }
            for x in items
        ],
    }


@router.get("/public", response=PublicAnswer, url_name="analytics_public")
def public(request: HttpRequest, start: date | None = None, end: date | None = None, ky: str | None = None):
    """The public statistics (no login): the province's online and on-time rates, per agency and per procedure.
    Counts and shares only."""
    from .views import public_payload

    return public_payload(d.parse_filters(request.GET, None, public=True))
