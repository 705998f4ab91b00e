"""The leaders' operations centre, an agency's own page, the drill-downs, the index detail, the periodic report,
the exports, and the public statistics page.

Thin: the slice and the authorisation come from dashboard.py, every figure from queries.py. A bad parameter is
shown as a page with the Vietnamese reason and its status (400/403/404/422), never a stack trace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from motcua.backoffice.views import official_required
from motcua.catalog.models import Agency
from motcua.core.errors import NotFound, PermissionDenied, ProblemError, ValidationFailed

from . import dashboard as d
from . import exports, queries

PAGE_SIZE = 50
OVERVIEW_ROWS = 10
PUBLIC_CACHE_SECONDS = int(getattr(settings, "MOTCUA_PUBLIC_STATS_CACHE_SECONDS", 120))


def problem_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A refusal (bad period, another agency, unknown metric) as a page that says why, with its status."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except ProblemError as exc:
            return render(
                request,
                "analytics/problem.html",
                {"problem": exc, "public": request.resolver_match.namespace == "analytics_public"},
                status=exc.status,
            )

    return wrapper


def dashboard_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Officials only (login, then the second factor), GET only, refusals shown as pages."""
    return official_required(require_GET(problem_page(view)))


def _common(request: HttpRequest, filters: d.Filters, access: d.Access) -> dict[str, Any]:
    return {
        "filters": filters,
        "access": access,
        "presets": d.PRESETS,
        "channels": d.CHANNELS,
        "qs": filters.querystring(),
    }


# --- the operations centre and the agency page ------------------------------------------------------------


def _overview(request: HttpRequest, filters: d.Filters, access: d.Access, *, province: bool) -> dict[str, Any]:
    # one page's figures share their collections (the per-agency sums behind the totals, rankings, tables and
    # slowest list are read once); nothing outlives the request
    with queries.memo():
        return _overview_figures(request, filters, access, province=province)


def _overview_figures(request: HttpRequest, filters: d.Filters, access: d.Access, *, province: bool) -> dict[str, Any]:
    scope = filters.scope
    today = timezone.localdate()
    total = queries.totals(scope, percentiles=False)  # the page shows averages, not percentiles
    today_filters = replace(filters, scope=replace(scope, start=today, end=today))
    if (scope.start, scope.end) == (today, today):
        total_today = total
    else:
        total_today = queries.totals(today_filters.scope, percentiles=False)
    overdue = d.overdue_dossiers(filters)
    overdue_count = overdue.count()
    grain = d.trend_grain(filters, d.choice(request.GET, "grain", ("", *d.GRAINS), ""))
    trend_rows = queries.trend(scope, grain, percentiles=False, figures="table")
    index = d.index_for(filters)
    charts: dict[str, dict] = {
        "trend": d.trend_chart(filters, grain, trend_rows),
        "channels": d.channel_chart(filters, total),
        "outcomes": d.outcome_chart(filters, total),
    }
    ctx = _common(request, filters, access) | {
        "today": today,
        "period_tiles": d.period_tiles(filters, total, index),
        "today_tiles": d.today_tiles(filters, total_today, overdue_count, today),
        "index": index,
        "index_unconfirmed": index is not None and d.unconfirmed_weights([index]),
        "overdue": d.overdue_table(filters, overdue[:OVERVIEW_ROWS]),
        "overdue_count": overdue_count,
        "trend": d.trend_table(filters, grain, trend_rows),
        "grain": grain,
        "slowest_procedures": d.slowest_table(filters, "procedure"),
        "charts": charts,
    }
    if province:
        agency_scores = queries.index_766(scope, "agency")
        commune_scores = queries.index_766(scope, "commune")
        commune_rows = queries.breakdown(scope, "commune", percentiles=False)
        charts["ranking"] = d.ranking_chart(agency_scores)
        charts["communes"] = d.rates_chart(commune_rows)
        ctx |= {
            "slowest_agencies": d.slowest_table(filters, "agency"),
            "communes": d.breakdown_table(filters, "commune", commune_rows),
            "agencies": d.breakdown_table(filters, "agency"),
            "ranking_agencies": d.ranking_table(filters, "agency", agency_scores),
            "ranking_communes": d.ranking_table(filters, "commune", commune_scores),
        }
    else:
        ctx["procedures"] = d.breakdown_table(filters, "procedure")
    return ctx


@dashboard_view
def operations(request: HttpRequest) -> HttpResponse:
    """The province's operations centre; an official without the province's view goes to their agency's page."""
    access = d.require_access(request.user)
    if not access.province:
        first = Agency.objects.filter(id__in=access.agency_ids).order_by("name").first()
        if first is None:
            raise PermissionDenied(_("Bạn chưa được phân quyền tại cơ quan nào."))
        query = request.GET.urlencode()
        return redirect(reverse("analytics:agency", args=[first.pk]) + (f"?{query}" if query else ""))
    filters = d.parse_filters(request.GET, access)
    ctx = _overview(request, filters, access, province=filters.scope.agency_ids is None)
    ctx["page_title"] = _("Trung tâm điều hành")
    return render(request, "analytics/operations.html", ctx)


@dashboard_view
def agency(request: HttpRequest, agency_id: int) -> HttpResponse:
    access = d.require_access(request.user)
    target = Agency.objects.filter(pk=agency_id).first()
    if target is None:
        raise NotFound(_("Không tìm thấy cơ quan."))
    if not access.can_see_agency(target.pk):
        raise PermissionDenied(_("Bạn chỉ được xem số liệu của cơ quan mình."))
    filters = d.parse_filters(request.GET, access, agency_id=target.pk)
    ctx = _overview(request, filters, access, province=False)
    own = Agency.objects.filter(id__in=access.agency_ids).order_by("name") if not access.province else []
    ctx |= {"agency": target, "own_agencies": own, "page_title": target.name}
    return render(request, "analytics/operations.html", ctx)


# --- the numbers' dossiers, the overdue list, the index detail --------------------------------------------


@dashboard_view
def drilldown(request: HttpRequest) -> HttpResponse:
    access = d.require_access(request.user)
    filters = d.parse_filters(request.GET, access)
    metrics = d.metrics_param(request.GET)
    page = Paginator(d.drill(filters, metrics), PAGE_SIZE).get_page(request.GET.get("trang"))
    label = d.metric_label(metrics)
    ctx = _common(request, filters, access) | {
        "metrics": metrics,
        "label": label,
        "page": page,
        "table": d.dossier_table(page.object_list, label),
        "extra_query": filters.querystring(metric=metrics) + "&",
        "export_query": filters.querystring(metric=metrics),
    }
    return render(request, "analytics/drilldown.html", ctx)


@dashboard_view
def overdue(request: HttpRequest) -> HttpResponse:
    access = d.require_access(request.user)
    filters = d.parse_filters(request.GET, access)
    page = Paginator(d.overdue_dossiers(filters), PAGE_SIZE).get_page(request.GET.get("trang"))
    ctx = _common(request, filters, access) | {
        "page": page,
        "table": d.overdue_table(filters, page.object_list),
        "extra_query": filters.querystring() + "&",
    }
    return render(request, "analytics/overdue.html", ctx)


def _index_filters(request: HttpRequest, access: d.Access) -> tuple[str, d.Filters]:
    level = d.choice(request.GET, "level", d.INDEX_LEVELS, "province")
    key = (request.GET.get("key") or "").strip()
    params = request.GET.copy()
    for name in ("agency", "commune"):
        params.pop(name, None)
    if level == "agency":
        if not key.isdigit() or len(key) > 12:
            raise ValidationFailed(_("Thiếu hoặc sai mã cơ quan (key)."))
        if not access.can_see_agency(int(key)):
            raise PermissionDenied(_("Bạn chỉ được xem số liệu của cơ quan mình."))
        return level, d.parse_filters(params, access, agency_id=int(key))
    if level == "commune":
        params["commune"] = key
        return level, d.parse_filters(params, access)
    if not access.province:
        raise PermissionDenied(_("Chỉ lãnh đạo tỉnh được xem chỉ số của toàn tỉnh."))
    return level, d.parse_filters(params, access)


@dashboard_view
def index_detail(request: HttpRequest) -> HttpResponse:
    """One index: its five groups and their indicators, each with its weight, points and whether the weight is
    official; the indicators with dossiers behind them link to them."""
    access = d.require_access(request.user)
    level, filters = _index_filters(request, access)
    score = d.index_for(filters)
    if score is None:
        raise NotFound(_("Chưa có chỉ số cho phạm vi này."))
    total = queries.totals(filters.scope, percentiles=False)
    groups = [
        {
            "group": g,
            "points_text": d.fmt_float(g.points),
            "max_text": d.fmt_float(g.max_points, 0),
            "indicators": [
                {
                    "i": i,
                    "value_text": d.fmt_indicator(i.value),
                    "weight_text": d.fmt_float(i.weight),
                    "points_text": d.fmt_float(i.points, 2),
                    "href": d.drill_url(filters, i.metric) if i.metric in d.ALL_METRICS else "",
                    "count_text": d.fmt_int(d.count_of(total, i.metric)) if i.metric in d.ALL_METRICS else "",
                }
                for i in g.indicators
            ],
        }
        for g in score.groups
    ]
    ctx = _common(request, filters, access) | {
        "score": score,
        "level": level,
        "band": d.band_text(score),
        "band_official": score.band in d.BAND_OFFICIAL,
        "groups": groups,
        "unconfirmed": d.unconfirmed_weights([score]),
        "total_text": d.fmt_float(score.total),
    }
    return render(request, "analytics/index_detail.html", ctx)


# --- the periodic report and the exports ------------------------------------------------------------------


@dashboard_view
def report(request: HttpRequest) -> HttpResponse:
    """ "Tình hình giải quyết thủ tục hành chính" by agency, field or procedure, for any period."""
    access = d.require_access(request.user)
    filters = d.parse_filters(request.GET, access)
    by = d.choice(request.GET, "by", d.REPORT_BY, "agency")
    ctx = _common(request, filters, access) | {
        "by": by,
        "by_choices": [("agency", _("Cơ quan")), ("field", _("Lĩnh vực")), ("procedure", _("Thủ tục"))],
        "table": d.report_table(filters, by),
        "export_query": filters.querystring(by=by),
    }
    return render(request, "analytics/report.html", ctx)


def _export_table(request: HttpRequest, name: str, filters: d.Filters) -> d.Table:
    params = request.GET
    if name == "bao-cao":
        return d.report_table(filters, d.choice(params, "by", d.REPORT_BY, "agency"))
    if name == "theo":
        return d.breakdown_table(filters, d.choice(params, "by", d.BREAKDOWNS, "agency"))
    if name == "cham-nhat":
        return d.slowest_table(filters, d.choice(params, "by", d.SLOWEST_BY, "procedure"), limit=100)
    if name == "xep-hang":
        return d.ranking_table(filters, d.choice(params, "level", ("agency", "commune"), "agency"))
    if name == "xu-huong":
        return d.trend_table(filters, d.trend_grain(filters, d.choice(params, "grain", ("", *d.GRAINS), "")))
    if name == "qua-han":
        return d.overdue_table(filters, d.overdue_dossiers(filters)[: exports.MAX_ROWS])
    if name == "ho-so":
        metrics = d.metrics_param(params)
        return d.dossier_table(d.drill(filters, metrics)[: exports.MAX_ROWS], d.metric_label(metrics))
    raise Http404


@dashboard_view
def export(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    """Any dashboard table as CSV (UTF-8 with BOM, for Excel) or XLSX, with the period and scope in the title."""
    if fmt not in exports.FORMATS:
        raise Http404
    access = d.require_access(request.user)
    filters = d.parse_filters(request.GET, access)
    table = _export_table(request, name, filters)
    return exports.response(table, fmt, filters)


# --- the public page ----------------------------------------------------------------------------------------


def public_payload(filters: d.Filters) -> dict:
    """The public figures, kept a short while (the same answer for everyone, no personal data in it)."""
    key = f"analytics:public:{filters.scope.start}:{filters.scope.end}:{translation.get_language()}"
    payload = cache.get(key)
    if payload is None:
        payload = d.public_stats(filters)
        cache.set(key, payload, PUBLIC_CACHE_SECONDS)
    return payload


def _public_rows(rows: list[dict]) -> list[dict]:
    return [
        r
        | {
            "received_text": d.fmt_int(r["received"]),
            "resolved_text": d.fmt_int(r["resolved"]),
            "online_rate_text": d.fmt_rate(r["online_rate"]),
            "on_time_rate_text": d.fmt_rate(r["on_time_rate"]),
        }
        for r in rows
    ]


@require_GET
@problem_page
def public_statistics(request: HttpRequest) -> HttpResponse:
    filters = d.parse_filters(request.GET, None, public=True)
    payload = public_payload(filters)
    total = payload["total"]
    return render(
        request,
        "analytics/public.html",
        {
            "filters": filters,
            "presets": d.PRESETS,
            "payload": payload,
            "total": _public_rows([total])[0] | {"satisfaction_text": d.fmt_rate(total["satisfaction_rate"])},
            "agencies": _public_rows(payload["agencies"]),
            "procedures": _public_rows(payload["procedures"]),
            "charts": {
                "agencies": d.rates_chart(payload["agencies"]),
                "procedures": d.rates_chart(payload["procedures"]),
            },
            "api_url": f"{reverse('api:analytics_public')}?{filters.querystring()}",
        },
    )
