"""What the operations centre, the agency pages, the periodic report and the public page show.

Three things, shared by the pages (views.py), the exports (exports.py) and the API (api.py):
- **who may see what** (`access_for`): a leader, auditor or coordinator of the province's People's Committee (or a
  system administrator) sees the whole province; any other official sees only their own agencies;
- **which slice** (`parse_filters`): the period, agencies, commune, procedure, channel read from the query string,
  checked, with a Vietnamese message for each mistake;
- **the tables** the pages show and export, every figure taken from motcua.analytics.queries and every number
  carrying the link to the dossiers behind it (`drill_url`).

Nothing here scans dossiers for figures; the only direct query is the list of open overdue dossiers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.accounts.models import Role, User
from motcua.accounts.services import grants, is_official, is_system_admin
from motcua.catalog.models import Agency, AgencyKind, Procedure
from motcua.core.errors import NotFound, PermissionDenied, ValidationFailed
from motcua.dossiers.models import OPEN_STATUSES, Channel, Dossier

from . import queries
from .queries import METRICS, IndexScore, Row, Scope, Totals

# Every figure a drill-down accepts: the pages' metrics and those the index and the feedback pages also count.
ALL_METRICS: tuple[str, ...] = METRICS + tuple(getattr(queries, "EXTRA_METRICS", ()))
# The report by field: a row of procedures with no field (its key is "") in a drill-down link.
NO_FIELD = "-"

# --- who may see what -------------------------------------------------------------------------------------

# Roles that, held at the province's People's Committee, open the whole province's figures.
PROVINCE_ROLES = (Role.LEADER, Role.AUDITOR, Role.COORDINATOR)


@dataclass(frozen=True)
class Access:
    province: bool  # the whole province
    agency_ids: frozenset[int]  # the agencies of the official (all of them may be seen when `province`)

    def can_see_agency(self, agency_id: int) -> bool:
        return self.province or agency_id in self.agency_ids


def access_for(user: User) -> Access | None:
    """What the user may see on the dashboards; None for anyone who is not an official."""
    if not getattr(user, "is_authenticated", False):
        return None
    if is_system_admin(user):
        return Access(province=True, agency_ids=frozenset(g.agency_id for g in grants(user)))
    if not is_official(user):
        return None
    held = grants(user)
    wide = {g.agency_id for g in held if g.role in PROVINCE_ROLES}
    province = bool(wide) and Agency.objects.filter(id__in=wide, kind=AgencyKind.PROVINCE).exists()
    return Access(province=province, agency_ids=frozenset(g.agency_id for g in held))


def require_access(user: User) -> Access:
    access = access_for(user)
    if access is None:
        raise PermissionDenied(_("Chỉ cán bộ, công chức được xem số liệu điều hành."))
    return access


# --- the slice: period, agencies, procedure, channel -------------------------------------------------------

PRESETS = {
    "hom-nay": gettext_lazy("Hôm nay"),
    "tuan-nay": gettext_lazy("Tuần này"),
    "thang-nay": gettext_lazy("Tháng này"),
    "thang-truoc": gettext_lazy("Tháng trước"),
    "quy-nay": gettext_lazy("Quý này"),
    "nam-nay": gettext_lazy("Năm nay"),
    "nam-truoc": gettext_lazy("Năm trước"),
}
DEFAULT_PRESET = "thang-nay"
MAX_PERIOD_DAYS = 5 * 366
EARLIEST = date(2000, 1, 1)
CHANNELS = {
    Channel.ONLINE.value: gettext_lazy("Trực tuyến"),
    Channel.IN_PERSON.value: gettext_lazy("Trực tiếp"),
    Channel.POST.value: gettext_lazy("Qua bưu chính"),
}
GRAINS = ("day", "week", "month")
BREAKDOWNS = ("agency", "procedure", "field", "commune", "channel")
REPORT_BY = ("agency", "field", "procedure")
SLOWEST_BY = ("procedure", "agency")
INDEX_LEVELS = ("agency", "commune", "province")


def preset_period(preset: str, today: date) -> tuple[date, date]:
    if preset == "hom-nay":
        return today, today
    if preset == "tuan-nay":
        return today - timedelta(days=today.weekday()), today
    if preset == "thang-truoc":
        end = today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    if preset == "quy-nay":
        return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today
    if preset == "nam-nay":
        return date(today.year, 1, 1), today
    if preset == "nam-truoc":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    return today.replace(day=1), today


@dataclass
class Filters:
    """The slice a page or an API call asked for, checked against what the user may see."""

    scope: Scope
    preset: str  # "" when start/end were given
    agency: Agency | None = None  # the one agency asked for, if one
    commune: str = ""  # a commune code asked for (its agencies are in scope.agency_ids)
    procedure: Procedure | None = None
    field: str = ""  # a field of procedures (drill-downs of the report by field)
    restricted: bool = False  # the user sees only their own agencies: scope.agency_ids was narrowed to them

    def query(self, **overrides: Any) -> dict[str, Any]:
        """The query-string parameters that give this slice back (for links)."""
        params: dict[str, Any] = {"start": self.scope.start.isoformat(), "end": self.scope.end.isoformat()}
        if self.commune:
            params["commune"] = self.commune
        elif self.scope.agency_ids is not None and not self.restricted:
            params["agency"] = list(self.scope.agency_ids)
        elif self.agency is not None:
            params["agency"] = [self.agency.pk]
        if self.scope.procedure_id:
            params["procedure"] = self.scope.procedure_id
        if self.scope.channel:
            params["channel"] = self.scope.channel
        if self.field:
            params["field"] = self.field
        params.update(overrides)
        return {k: v for k, v in params.items() if v not in (None, "", [])}

    def querystring(self, **overrides: Any) -> str:
        return urlencode(self.query(**overrides), doseq=True)

    @property
    def period_label(self) -> str:
        s, e = self.scope.start, self.scope.end
        if s == e:
            return _("ngày %(d)s") % {"d": s.strftime("%d/%m/%Y")}
        return _("từ %(s)s đến %(e)s") % {"s": s.strftime("%d/%m/%Y"), "e": e.strftime("%d/%m/%Y")}

    @property
    def where_label(self) -> str:
        parts = []
        if self.agency is not None:
            parts.append(self.agency.name)
        elif self.commune:
            parts.append(_("xã/phường mã %(c)s") % {"c": self.commune})
        elif self.restricted or self.scope.agency_ids is not None:
            parts.append(_("các cơ quan của bạn") if self.restricted else _("các cơ quan đã chọn"))
        else:
            parts.append(_("toàn tỉnh"))
        if self.procedure is not None:
            parts.append(f"{self.procedure.code} {self.procedure.name}")
        if self.field:
            parts.append(_("chưa phân lĩnh vực") if self.field == NO_FIELD else _("lĩnh vực %(f)s") % {"f": self.field})
        if self.scope.channel:
            parts.append(str(CHANNELS[self.scope.channel]).lower())
        return " · ".join(parts)


def _bad(param: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[{"field": param, "message": message}])


def _date(params, name: str) -> date | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        message = _("Ngày “%(v)s” không hợp lệ: cần dạng NNNN-TT-NN, ví dụ 2026-03-31.") % {"v": raw[:20]}
        raise _bad(name, message) from None
    if value < EARLIEST:
        raise _bad(name, _("Ngày phải từ năm 2000 trở về sau."))
    return value


def _ints(params, name: str) -> list[int]:
    values = params.getlist(name) if hasattr(params, "getlist") else [params.get(name)]
    out = []
    for raw in values:
        for part in str(raw or "").split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit() or len(part) > 12:
                raise _bad(name, _("Mã cơ quan “%(v)s” không hợp lệ: cần một số.") % {"v": part[:20]})
            out.append(int(part))
    return out


def parse_period(params, today: date | None = None) -> tuple[date, date, str]:
    today = today or timezone.localdate()
    start, end = _date(params, "start"), _date(params, "end")
    preset = (params.get("ky") or "").strip()
    if preset and preset not in PRESETS:
        raise _bad(
            "ky", _("Kỳ “%(v)s” không có; chọn một trong: %(all)s.") % {"v": preset[:20], "all": ", ".join(PRESETS)}
        )
    if start is None and end is None:
        preset = preset or DEFAULT_PRESET
        start, end = preset_period(preset, today)
    else:
        preset = ""
        if start is None:
            start = end.replace(day=1)
        if end is None:
            end = max(start, today) if start <= today else start
    if start > end:
        raise _bad("start", _("Ngày bắt đầu phải trước hoặc trùng ngày kết thúc."))
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise _bad("end", _("Khoảng thời gian dài nhất là 5 năm."))
    return start, end, preset


def parse_filters(params, access: Access | None, *, agency_id: int | None = None, public: bool = False) -> Filters:
    """Read and check the slice. `access` None with `public`: the public page (the whole province, no filters
    other than the period). `agency_id`: the agency page's own agency (the `agency` parameter is then ignored)."""
    start, end, preset = parse_period(params)
    channel = (params.get("channel") or "").strip() or None
    if channel is not None and channel not in CHANNELS:
        raise _bad("channel", _("Kênh “%(v)s” không có; chọn online, in_person hoặc post.") % {"v": channel[:20]})
    if public:
        return Filters(Scope(start=start, end=end), preset)

    assert access is not None
    requested = [agency_id] if agency_id is not None else _ints(params, "agency")
    commune = "" if agency_id is not None else (params.get("commune") or "").strip()
    one_agency = None
    if commune:
        if not re.fullmatch(r"\d{5}", commune):
            raise _bad("commune", _("Mã xã “%(v)s” không hợp lệ: cần 5 chữ số.") % {"v": commune[:20]})
        requested = list(Agency.objects.filter(commune_code=commune).values_list("id", flat=True))
        if not requested:
            raise NotFound(_("Không có cơ quan nào ở xã/phường mã %(c)s.") % {"c": commune})
    elif requested:
        found = Agency.objects.in_bulk(requested)
        missing = [i for i in requested if i not in found]
        if missing:
            raise NotFound(_("Không tìm thấy cơ quan mã số %(id)s.") % {"id": missing[0]})
        if len(requested) == 1:
            one_agency = found[requested[0]]
    restricted = False
    if not access.province:
        if commune:
            # An official sees the commune's figures of their own agencies there, nothing else.
            requested = [i for i in requested if access.can_see_agency(i)]
            if not requested:
                raise PermissionDenied(_("Bạn chỉ được xem số liệu của cơ quan mình."))
        elif requested:
            if not all(access.can_see_agency(i) for i in requested):
                raise PermissionDenied(_("Bạn chỉ được xem số liệu của cơ quan mình."))
        else:
            requested, restricted = sorted(access.agency_ids), True
    agency_ids = tuple(sorted(set(requested))) if requested else None

    procedure = None
    raw = (params.get("procedure") or "").strip()
    if raw:
        lookup = {"pk": int(raw)} if raw.isdigit() and len(raw) < 12 else {"code": raw[:32]}
        procedure = Procedure.objects.filter(**lookup).first()
        if procedure is None:
            raise NotFound(_("Không tìm thấy thủ tục “%(v)s”.") % {"v": raw[:32]})
    field_name = (params.get("field") or "").strip()[:255]
    scope = Scope(
        start=start, end=end, agency_ids=agency_ids, procedure_id=procedure.pk if procedure else None, channel=channel
    )
    return Filters(scope, preset, one_agency, commune, procedure, field_name, restricted)


def choice(params, name: str, allowed: Sequence[str], default: str) -> str:
    value = (params.get(name) or "").strip() or default
    if value not in allowed:
        raise _bad(
            name,
            _("Giá trị “%(v)s” không hợp lệ; chọn một trong: %(all)s.") % {"v": value[:30], "all": ", ".join(allowed)},
        )
    return value


def metrics_param(params) -> list[str]:
    values = params.getlist("metric") if hasattr(params, "getlist") else [params.get("metric")]
    chosen = [v.strip() for raw in values for v in str(raw or "").split(",") if v.strip()]
    if not chosen:
        raise _bad("metric", _("Thiếu chỉ số cần xem (metric)."))
    for m in chosen:
        if m not in ALL_METRICS:
            raise _bad("metric", _("Chỉ số “%(v)s” không có.") % {"v": m[:40]})
    return list(dict.fromkeys(chosen))


# --- labels ------------------------------------------------------------------------------------------------

METRIC_LABELS = {
    "received": gettext_lazy("Hồ sơ tiếp nhận"),
    "received_online": gettext_lazy("Tiếp nhận trực tuyến"),
    "received_in_person": gettext_lazy("Tiếp nhận trực tiếp"),
    "received_post": gettext_lazy("Tiếp nhận qua bưu chính"),
    "accepted": gettext_lazy("Hồ sơ đã tiếp nhận (đủ điều kiện)"),
    "refused": gettext_lazy("Hồ sơ từ chối"),
    "supplement_requested": gettext_lazy("Hồ sơ yêu cầu bổ sung"),
    "withdrawn": gettext_lazy("Hồ sơ rút"),
    "resolved": gettext_lazy("Hồ sơ đã giải quyết"),
    "resolved_early": gettext_lazy("Giải quyết trước hạn"),
    "resolved_on_time": gettext_lazy("Giải quyết đúng hạn"),
    "resolved_late": gettext_lazy("Giải quyết quá hạn"),
    "carried_over": gettext_lazy("Kỳ trước chuyển qua"),
    "in_progress_on_track": gettext_lazy("Đang giải quyết, chưa đến hạn"),
    "in_progress_overdue": gettext_lazy("Đang giải quyết, quá hạn"),
    "fees_paid_online": gettext_lazy("Nộp phí trực tuyến"),
    "results_issued": gettext_lazy("Kết quả điện tử đã cấp"),
    "digitised_dossiers": gettext_lazy("Hồ sơ được số hóa"),
    "digitised_results": gettext_lazy("Kết quả được số hóa"),
    "stored_reused": gettext_lazy("Giấy tờ tái sử dụng từ kho dữ liệu"),
    "portal_synced": gettext_lazy("Đồng bộ Cổng DVC quốc gia"),
    "rated": gettext_lazy("Lượt đánh giá"),
    "rated_satisfied": gettext_lazy("Đánh giá hài lòng"),
    "fees_paid": gettext_lazy("Hồ sơ đã nộp phí, lệ phí"),
    "portal_sent": gettext_lazy("Hồ sơ gửi trạng thái lên Cổng DVC quốc gia"),
    "feedback_received": gettext_lazy("Phản ánh, kiến nghị nhận được"),
    "feedback_handled": gettext_lazy("Phản ánh, kiến nghị đã xử lý"),
    "feedback_on_time": gettext_lazy("Phản ánh, kiến nghị xử lý đúng hạn"),
    "feedback_rated": gettext_lazy("Lượt đánh giá việc xử lý phản ánh"),
    "feedback_satisfied": gettext_lazy("Hài lòng với việc xử lý phản ánh"),
}
# Shown and exported, not one metric: the sum of two.
COMBINED = {
    "handled": (("carried_over", "received"), gettext_lazy("Tổng số hồ sơ nhận giải quyết")),
    "in_progress": (("in_progress_on_track", "in_progress_overdue"), gettext_lazy("Hồ sơ đang giải quyết")),
}
BAND_OFFICIAL = {"excellent", "weak"}  # Decision 766: 90–100 excellent, under 50 weak; the rest unconfirmed


def metric_label(metrics: Sequence[str]) -> str:
    for _key, (parts, label) in COMBINED.items():
        if tuple(metrics) == parts:
            return str(label)
    return " + ".join(str(METRIC_LABELS.get(m, m)) for m in metrics)


def band_text(score: IndexScore) -> str:
    if score.band in BAND_OFFICIAL:
        return score.band_label
    return _("%(band)s (chưa chính thức)") % {"band": score.band_label}


def unconfirmed_weights(scores: Iterable[IndexScore]) -> bool:
    return any(not i.confirmed for s in scores for g in s.groups for i in g.indicators)


# --- formatting (Vietnamese: 1.234; 85,3%) ----------------------------------------------------------------


def count_of(t: Totals, metric: str) -> int:
    """A figure of a row: one of METRICS, or one of the extra counts (feedback, fees paid, sent to the portal)."""
    if metric in t.counts:
        return t.counts[metric]
    return int(getattr(t, "extra", {}).get(metric, 0))


def fmt_int(value: int | None) -> str:
    return "—" if value is None else f"{int(value):,}".replace(",", ".")


def fmt_rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%".replace(".", ",")


def fmt_float(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}".replace(".", ",")


def fmt_indicator(value: float | None) -> str:
    """An indicator's measured value: a share (0..1) as a percentage, anything else (days, counts) as a number."""
    if value is None:
        return "—"
    return fmt_rate(value) if 0 <= value <= 1 else fmt_float(value)


def rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


# --- links to the dossiers behind a number ----------------------------------------------------------------


def drill_url(filters: Filters, metrics: str | Sequence[str], **overrides: Any) -> str:
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    return f"{reverse('analytics:drilldown')}?{filters.querystring(metric=metrics, **overrides)}"


def drill(filters: Filters, metrics: Sequence[str]) -> QuerySet[Dossier]:
    """Exactly the dossiers behind the figure: `queries.drilldown` for each metric (a union when the figure is a
    sum), narrowed to a field of procedures when the report by field asked for one."""
    if len(metrics) == 1:
        qs = queries.drilldown(filters.scope, metrics[0])
    else:
        cond = Q(pk__in=[])
        for m in metrics:
            cond |= Q(pk__in=queries.drilldown(filters.scope, m).values("pk"))
        qs = Dossier.objects.filter(cond)
    if filters.field:
        qs = qs.filter(procedure__field="" if filters.field == NO_FIELD else filters.field)
    return qs.select_related("procedure", "agency").order_by("-submitted_at", "-id")


def overdue_dossiers(filters: Filters) -> QuerySet[Dossier]:
    """Open dossiers past their appointment now, most overdue first (the one list read from dossiers directly)."""
    scope = filters.scope
    qs = Dossier.objects.filter(overdue=True, status__in=OPEN_STATUSES)
    if scope.agency_ids is not None:
        qs = qs.filter(agency_id__in=scope.agency_ids)
    if scope.procedure_id:
        qs = qs.filter(procedure_id=scope.procedure_id)
    if scope.channel:
        qs = qs.filter(channel=scope.channel)
    if filters.field:
        qs = qs.filter(procedure__field="" if filters.field == NO_FIELD else filters.field)
    return qs.select_related("procedure", "agency").order_by("due_at", "id")


# --- tables: what the pages show and the exports write ----------------------------------------------------


@dataclass
class Cell:
    value: Any  # what the exports write: int, float (a share 0..1 when kind == "rate"), str or None
    text: str  # what a reader sees
    href: str = ""  # the dossiers behind it
    kind: str = "int"  # "int" | "rate" | "float" | "text"
    css: str = ""  # the cell's class
    wrap: str = ""  # the class of a span around the text (a badge)


def cell_html(cell: Cell, col: int, header: bool) -> SafeString:
    inner = (
        format_html('<span class="{}">{}</span>', cell.wrap, cell.text) if cell.wrap else conditional_escape(cell.text)
    )
    if cell.href:
        inner = format_html('<a href="{}">{}</a>', cell.href, inner)
    if header:
        return format_html('<th scope="row" data-col="{}">{}</th>', col, inner)
    css = " ".join(c for c in ("num" if cell.kind != "text" else "", cell.css) if c)
    if css:
        return format_html('<td data-col="{}" class="{}">{}</td>', col, css, inner)
    return format_html('<td data-col="{}">{}</td>', col, inner)


def cells_html(cells: list[Cell], label_index: int) -> SafeString:
    return mark_safe("".join(cell_html(c, i, i == label_index) for i, c in enumerate(cells)))  # noqa: S308


@dataclass
class Column:
    key: str
    label: str
    group: str = ""  # a header above several columns (the report's two-row heading)
    kind: str = "int"


@dataclass
class Table:
    slug: str  # the export's name
    title: str
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    total: list[Cell] | None = None
    note: str = ""

    @property
    def heading(self) -> list[dict]:
        """The first row of a two-row heading: a group over its columns, or an ungrouped column spanning both rows
        ({"label", "span", "group", "first"}: `first` is the index of its first column)."""
        out: list[dict] = []
        for i, col in enumerate(self.columns):
            if out and col.group and out[-1]["group"] and out[-1]["label"] == col.group:
                out[-1]["span"] += 1
            else:
                out.append({"label": col.group or col.label, "span": 1, "group": bool(col.group), "first": i})
        return out

    @property
    def label_index(self) -> int:
        """The column that names the row (a row header for screen readers)."""
        return next((i for i, c in enumerate(self.columns) if c.key in ("label", "code")), -1)

    def html_rows(self) -> list[SafeString]:
        """The body's rows as HTML (built here, not by a template per cell: a report by procedure has tens of
        thousands of cells)."""
        return [cells_html(row, self.label_index) for row in self.rows]

    def html_total(self) -> SafeString:
        return cells_html(self.total or [], self.label_index)

    @property
    def subheading(self) -> list[Column]:
        return [c for c in self.columns if c.group]

    @property
    def grouped(self) -> bool:
        return any(c.group for c in self.columns)


def text_cell(value: str, href: str = "") -> Cell:
    return Cell(value, value, href, "text")


def int_cell(value: int, href: str = "", css: str = "") -> Cell:
    return Cell(int(value), fmt_int(value), href, "int", css)


def rate_cell(value: float | None, href: str = "") -> Cell:
    return Cell(value, fmt_rate(value), href, "rate")


def float_cell(value: float | None) -> Cell:
    return Cell(value, fmt_float(value), "", "float")


def _row_filters(filters: Filters, by: str, key: str) -> Filters | None:
    """The slice of one row of a breakdown / report / slowest list, for its drill-down links."""
    s = filters.scope
    if by == "agency":
        try:
            agency_id = int(key)
        except (TypeError, ValueError):
            return None
        return replace(filters, scope=replace(s, agency_ids=(agency_id,)), agency=None, commune="", restricted=False)
    if by == "procedure":
        try:
            return replace(filters, scope=replace(s, procedure_id=int(key)), procedure=None)
        except (TypeError, ValueError):
            return None
    if by == "field":
        return replace(filters, field=key or NO_FIELD)
    if by == "commune":
        return replace(filters, commune=key, agency=None, restricted=False)
    if by == "channel":
        return replace(filters, scope=replace(s, channel=key))
    return None


def _commune_scoped(filters: Filters, rows: list[Row]) -> dict[str, Filters]:
    """Commune rows link through their agencies (a commune's People's Committee and any agency located there)."""
    codes = [r.key for r in rows]
    ids: dict[str, list[int]] = {}
    for pk, code in Agency.objects.filter(commune_code__in=codes).values_list("id", "commune_code"):
        ids.setdefault(code, []).append(pk)
    out = {}
    for code, agency_ids in ids.items():
        out[code] = replace(
            filters,
            scope=replace(filters.scope, agency_ids=tuple(sorted(agency_ids))),
            commune=code,
            agency=None,
            restricted=False,
        )
    return out


def _link(f: Filters | None, metrics: str | Sequence[str]) -> str:
    return drill_url(f, metrics) if f is not None else ""


def breakdown_table(filters: Filters, by: str, rows: list[Row] | None = None, *, limit: int | None = None) -> Table:
    rows = queries.breakdown(filters.scope, by, percentiles=False, figures="table") if rows is None else rows
    if limit:
        rows = rows[:limit]
    heading = {
        "agency": _("Cơ quan"),
        "procedure": _("Thủ tục"),
        "field": _("Lĩnh vực"),
        "commune": _("Xã, phường"),
        "channel": _("Kênh nộp"),
    }[by]
    table = Table(
        f"theo-{_SLUGS[by]}",
        _("Kết quả giải quyết theo %(by)s") % {"by": heading.lower()},
        [
            Column("label", heading, kind="text"),
            Column("received", _("Tiếp nhận")),
            Column("received_online", _("Trực tuyến")),
            Column("online_rate", _("Tỷ lệ trực tuyến"), kind="rate"),
            Column("resolved", _("Đã giải quyết")),
            Column("on_time_rate", _("Tỷ lệ đúng hạn"), kind="rate"),
            Column("resolved_late", _("Quá hạn")),
            Column("in_progress_overdue", _("Đang quá hạn")),
            Column("avg_working_days", _("Thời gian TB (ngày làm việc)"), kind="float"),
        ],
    )
    communes = _commune_scoped(filters, rows) if by == "commune" else {}
    for r in rows:
        f = communes.get(r.key) if by == "commune" else _row_filters(filters, by, r.key)
        label = r.label
        href = ""
        if by == "agency" and f is not None:
            href = reverse("analytics:agency", args=[int(r.key)]) + "?" + filters.querystring()
        table.rows.append(_figures(r.totals, f, label, href))
    return table


_SLUGS = {"agency": "co-quan", "procedure": "thu-tuc", "field": "linh-vuc", "commune": "xa-phuong", "channel": "kenh"}


def _figures(t: Totals, f: Filters | None, label: str, label_href: str = "") -> list[Cell]:
    c = t.counts
    return [
        text_cell(label, label_href),
        int_cell(c["received"], _link(f, "received")),
        int_cell(c["received_online"], _link(f, "received_online")),
        rate_cell(t.online_rate),
        int_cell(c["resolved"], _link(f, "resolved")),
        rate_cell(t.on_time_rate),
        int_cell(c["resolved_late"], _link(f, "resolved_late"), "late" if c["resolved_late"] else ""),
        int_cell(c["in_progress_overdue"], _link(f, "in_progress_overdue"), "late" if c["in_progress_overdue"] else ""),
        float_cell(t.avg_working_days),
    ]


def slowest_table(filters: Filters, by: str, limit: int = 10) -> Table:
    rows = queries.slowest(filters.scope, by, limit)
    heading = _("Thủ tục") if by == "procedure" else _("Cơ quan")
    table = Table(
        f"cham-nhat-{_SLUGS[by]}",
        _("Thủ tục giải quyết chậm nhất") if by == "procedure" else _("Cơ quan giải quyết chậm nhất"),
        [
            Column("label", heading, kind="text"),
            Column("resolved", _("Đã giải quyết")),
            Column("resolved_late", _("Quá hạn")),
            Column("late_rate", _("Tỷ lệ quá hạn"), kind="rate"),
            Column("in_progress_overdue", _("Đang quá hạn")),
            Column("avg_working_days", _("Thời gian TB (ngày làm việc)"), kind="float"),
            Column("p90_working_days", _("90% hồ sơ xong trong (ngày làm việc)"), kind="float"),
        ],
    )
    for r in rows:
        f = _row_filters(filters, by, r.key)
        c = r.totals.counts
        href = ""
        if by == "agency" and f is not None:
            href = reverse("analytics:agency", args=[int(r.key)]) + "?" + filters.querystring()
        table.rows.append(
            [
                text_cell(r.label, href),
                int_cell(c["resolved"], _link(f, "resolved")),
                int_cell(c["resolved_late"], _link(f, "resolved_late"), "late" if c["resolved_late"] else ""),
                rate_cell(rate(c["resolved_late"], c["resolved"])),
                int_cell(c["in_progress_overdue"], _link(f, "in_progress_overdue")),
                float_cell(r.totals.avg_working_days),
                float_cell(r.totals.p90_working_days),
            ]
        )
    return table


# The periodic report "Tình hình giải quyết thủ tục hành chính": (column key, label, group, metrics behind it).
REPORT_COLUMNS: list[tuple[str, Any, Any, tuple[str, ...]]] = [
    ("handled", gettext_lazy("Tổng số"), gettext_lazy("Số hồ sơ nhận giải quyết"), ("carried_over", "received")),
    ("carried_over", gettext_lazy("Kỳ trước chuyển qua"), gettext_lazy("Số hồ sơ nhận giải quyết"), ("carried_over",)),
    (
        "received_online",
        gettext_lazy("Mới tiếp nhận trực tuyến"),
        gettext_lazy("Số hồ sơ nhận giải quyết"),
        ("received_online",),
    ),
    (
        "received_in_person",
        gettext_lazy("Mới tiếp nhận trực tiếp"),
        gettext_lazy("Số hồ sơ nhận giải quyết"),
        ("received_in_person",),
    ),
    (
        "received_post",
        gettext_lazy("Mới tiếp nhận qua bưu chính"),
        gettext_lazy("Số hồ sơ nhận giải quyết"),
        ("received_post",),
    ),
    ("resolved", gettext_lazy("Tổng số"), gettext_lazy("Số hồ sơ đã giải quyết"), ("resolved",)),
    ("resolved_early", gettext_lazy("Trước hạn"), gettext_lazy("Số hồ sơ đã giải quyết"), ("resolved_early",)),
    ("resolved_on_time", gettext_lazy("Đúng hạn"), gettext_lazy("Số hồ sơ đã giải quyết"), ("resolved_on_time",)),
    ("resolved_late", gettext_lazy("Quá hạn"), gettext_lazy("Số hồ sơ đã giải quyết"), ("resolved_late",)),
    (
        "in_progress",
        gettext_lazy("Tổng số"),
        gettext_lazy("Số hồ sơ đang giải quyết"),
        ("in_progress_on_track", "in_progress_overdue"),
    ),
    (
        "in_progress_on_track",
        gettext_lazy("Chưa đến hạn"),
        gettext_lazy("Số hồ sơ đang giải quyết"),
        ("in_progress_on_track",),
    ),
    (
        "in_progress_overdue",
        gettext_lazy("Quá hạn"),
        gettext_lazy("Số hồ sơ đang giải quyết"),
        ("in_progress_overdue",),
    ),
    ("withdrawn", gettext_lazy("Số hồ sơ rút"), "", ("withdrawn",)),
    ("refused", gettext_lazy("Số hồ sơ từ chối"), "", ("refused",)),
]
REPORT_TITLE = gettext_lazy("Tình hình giải quyết thủ tục hành chính")


def report_value(t: Totals, metrics: tuple[str, ...]) -> int:
    return sum(t.counts[m] for m in metrics)


def report_table(filters: Filters, by: str) -> Table:
    heading = {"agency": _("Cơ quan, đơn vị"), "field": _("Lĩnh vực"), "procedure": _("Thủ tục hành chính")}[by]
    table = Table(
        f"bao-cao-theo-{_SLUGS[by]}",
        str(REPORT_TITLE),
        [Column("stt", _("STT")), Column("label", heading, kind="text")]
        + [Column(key, str(label), str(group)) for key, label, group, _m in REPORT_COLUMNS],
    )
    for i, r in enumerate(queries.periodic_report(filters.scope, by), start=1):
        f = _row_filters(filters, by, r.key)
        table.rows.append(
            [Cell(i, str(i)), text_cell(r.label)]
            + [int_cell(report_value(r.totals, m), _link(f, m)) for _k, _l, _g, m in REPORT_COLUMNS]
        )
    total = queries.totals(filters.scope, percentiles=False)
    table.total = [Cell(None, "", kind="text"), text_cell(_("Tổng cộng"))] + [
        int_cell(report_value(total, m), drill_url(filters, m)) for _k, _l, _g, m in REPORT_COLUMNS
    ]
    return table


def ranking_table(filters: Filters, level: str, scores: list[IndexScore] | None = None) -> Table:
    scores = queries.index_766(filters.scope, level) if scores is None else scores
    heading = _("Cơ quan") if level == "agency" else _("Xã, phường")
    groups = scores[0].groups if scores else []
    table = Table(
        f"xep-hang-{_SLUGS[level]}",
        _("Xếp hạng chỉ số phục vụ (Quyết định 766) theo %(by)s") % {"by": heading.lower()},
        [Column("rank", _("Hạng")), Column("label", heading, kind="text"), Column("total", _("Điểm"), kind="float")]
        + [Column("band", _("Xếp loại"), kind="text")]
        + [Column(f"g{g.code}", f"{g.code}. {g.name} (/{fmt_float(g.max_points, 0)})", kind="float") for g in groups],
    )
    if unconfirmed_weights(scores):
        table.note = _(
            "Một số trọng số chỉ tiêu chưa được xác nhận chính thức (cấu hình %(v)s); chỉ các mức 90–100 điểm "
            "(xuất sắc) và dưới 50 điểm (yếu) là mức xếp loại chính thức."
        ) % {"v": scores[0].weights_version}
    for rank, s in enumerate(scores, start=1):
        href = index_url(filters, level, s.key)
        table.rows.append(
            [Cell(rank, str(rank)), text_cell(s.label, href), Cell(s.total, fmt_float(s.total), href, "float")]
            + [Cell(s.band_label, band_text(s), kind="text", wrap=f"band band-{s.band}")]
            + [Cell(g.points, fmt_float(g.points), "", "float") for g in s.groups]
        )
    return table


def trend_grain(filters: Filters, requested: str = "") -> str:
    if requested:
        return requested
    days = (filters.scope.end - filters.scope.start).days + 1
    return "day" if days <= 62 else "week" if days <= 200 else "month"


def bucket_end(start: date, grain: str) -> date:
    if grain == "day":
        return start
    if grain == "week":
        return start + timedelta(days=6)
    nxt = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def bucket_filters(filters: Filters, key: str, grain: str) -> Filters:
    start = date.fromisoformat(key)
    s, e = max(start, filters.scope.start), min(bucket_end(start, grain), filters.scope.end)
    return replace(filters, scope=replace(filters.scope, start=s, end=e), preset="")


def trend_table(filters: Filters, grain: str, rows: list[Row] | None = None) -> Table:
    rows = queries.trend(filters.scope, grain, percentiles=False, figures="table") if rows is None else rows
    table = Table(
        "xu-huong",
        _("Hồ sơ tiếp nhận và giải quyết theo %(g)s")
        % {"g": {"day": _("ngày"), "week": _("tuần"), "month": _("tháng")}[grain]},
        [
            Column("label", _("Thời gian"), kind="text"),
            Column("received", _("Tiếp nhận")),
            Column("received_online", _("Trực tuyến")),
            Column("resolved", _("Đã giải quyết")),
            Column("resolved_late", _("Quá hạn")),
        ],
    )
    for r in rows:
        f = bucket_filters(filters, r.key, grain)
        c = r.totals.counts
        table.rows.append(
            [text_cell(r.label)]
            + [int_cell(c[m], drill_url(f, m)) for m in ("received", "received_online", "resolved", "resolved_late")]
        )
    return table


def overdue_table(filters: Filters, dossiers: Iterable[Dossier]) -> Table:
    now = timezone.now()
    table = Table(
        "qua-han",
        _("Hồ sơ đang quá hạn"),
        [
            Column("code", _("Mã hồ sơ"), kind="text"),
            Column("procedure", _("Thủ tục"), kind="text"),
            Column("agency", _("Cơ quan"), kind="text"),
            Column("due_at", _("Hẹn trả"), kind="text"),
            Column("late_days", _("Quá hạn (ngày làm việc)")),
        ],
    )
    for d in dossiers:
        due = timezone.localtime(d.due_at) if d.due_at else None
        late = _working_days_late(d, now)
        table.rows.append(
            [
                text_cell(d.code or "", reverse("backoffice:dossier", args=[d.code]) if d.code else ""),
                text_cell(d.procedure.name),
                text_cell(d.agency.name),
                text_cell(due.strftime("%H:%M %d/%m/%Y") if due else "—"),
                int_cell(late),
            ]
        )
    return table


def _working_days_late(dossier: Dossier, now) -> int:
    """Working days past the appointment on the agency's calendar, a started day counting as one: the deadline is
    in working days, so a weekend or a holiday after it adds no delay (calendar days would overstate it)."""
    if not dossier.due_at or dossier.due_at >= now:
        return 0
    from motcua.worktime.services import calendar_for

    cal = calendar_for(dossier.agency)
    seconds = cal.working_seconds_between(dossier.due_at, now)
    return max(1, -(-seconds // cal.seconds_per_day))  # in the list, so late: at least one


def dossier_table(dossiers: Iterable[Dossier], title: str) -> Table:
    table = Table(
        "ho-so",
        title,
        [
            Column("code", _("Mã hồ sơ"), kind="text"),
            Column("procedure", _("Thủ tục"), kind="text"),
            Column("agency", _("Cơ quan"), kind="text"),
            Column("channel", _("Kênh nộp"), kind="text"),
            Column("status", _("Trạng thái"), kind="text"),
            Column("submitted_at", _("Nộp lúc"), kind="text"),
            Column("due_at", _("Hẹn trả"), kind="text"),
            Column("finished_at", _("Kết thúc lúc"), kind="text"),
            Column("outcome", _("Kết quả"), kind="text"),
        ],
    )

    def when(value) -> str:
        return timezone.localtime(value).strftime("%H:%M %d/%m/%Y") if value else ""

    for d in dossiers:
        table.rows.append(
            [
                text_cell(d.code or "", reverse("backoffice:dossier", args=[d.code]) if d.code else ""),
                text_cell(d.procedure.name),
                text_cell(d.agency.name),
                text_cell(str(d.get_channel_display())),
                Cell(d.status, str(d.get_status_display()), kind="text", wrap=f"badge badge-{d.status}"),
                text_cell(when(d.submitted_at)),
                text_cell(when(d.due_at)),
                text_cell(when(d.finished_at or d.result_ready_at)),
                Cell(
                    d.outcome,
                    str(d.get_outcome_display()) if d.outcome else "",
                    kind="text",
                    wrap=f"outcome-{d.outcome}",
                ),
            ]
        )
    return table


# --- KPI tiles and charts ---------------------------------------------------------------------------------


@dataclass
class Tile:
    key: str  # element id suffix: the browser test reads #kpi-<key>
    label: str
    text: str
    value: Any
    href: str = ""
    detail: str = ""
    alert: bool = False


def period_tiles(filters: Filters, t: Totals, index: IndexScore | None) -> list[Tile]:
    c = t.counts
    in_progress = c["in_progress_on_track"] + c["in_progress_overdue"]
    tiles = [
        Tile(
            "received",
            _("Hồ sơ tiếp nhận"),
            fmt_int(c["received"]),
            c["received"],
            drill_url(filters, "received"),
            _("%(n)s kỳ trước chuyển qua") % {"n": fmt_int(c["carried_over"])},
        ),
        Tile(
            "online_rate",
            _("Tỷ lệ nộp trực tuyến"),
            fmt_rate(t.online_rate),
            t.online_rate,
            drill_url(filters, "received_online"),
            _("%(a)s / %(b)s hồ sơ") % {"a": fmt_int(c["received_online"]), "b": fmt_int(c["received"])},
        ),
        Tile(
            "on_time_rate",
            _("Tỷ lệ giải quyết đúng hạn"),
            fmt_rate(t.on_time_rate),
            t.on_time_rate,
            drill_url(filters, "resolved"),
            _("%(late)s / %(n)s hồ sơ quá hạn") % {"late": fmt_int(c["resolved_late"]), "n": fmt_int(c["resolved"])},
            alert=t.on_time_rate is not None and t.on_time_rate < 0.9,
        ),
        Tile(
            "in_progress",
            _("Đang giải quyết"),
            fmt_int(in_progress),
            in_progress,
            drill_url(filters, COMBINED["in_progress"][0]),
            _("%(n)s chưa đến hạn") % {"n": fmt_int(c["in_progress_on_track"])},
        ),
        Tile(
            "overdue",
            _("Đang quá hạn"),
            fmt_int(c["in_progress_overdue"]),
            c["in_progress_overdue"],
            drill_url(filters, "in_progress_overdue"),
            _("cuối kỳ"),
            alert=bool(c["in_progress_overdue"]),
        ),
        Tile(
            "satisfaction",
            _("Mức độ hài lòng"),
            fmt_rate(t.satisfaction_rate),
            t.satisfaction_rate,
            drill_url(filters, "rated"),
            _("%(a)s / %(b)s lượt đánh giá hài lòng") % {"a": fmt_int(c["rated_satisfied"]), "b": fmt_int(c["rated"])},
        ),
    ]
    if index is not None:
        tiles.append(
            Tile(
                "index",
                _("Chỉ số phục vụ (QĐ 766)"),
                fmt_float(index.total),
                index.total,
                index_url(filters, index_level(filters), index.key),
                band_text(index),
                alert=index.band == "weak",
            )
        )
    return tiles


def today_tiles(filters: Filters, t: Totals, overdue_now: int, today: date) -> list[Tile]:
    c = t.counts
    f = replace(filters, scope=replace(filters.scope, start=today, end=today), preset="hom-nay")
    return [
        Tile("today_received", _("Tiếp nhận hôm nay"), fmt_int(c["received"]), c["received"], drill_url(f, "received")),
        Tile(
            "today_online",
            _("Trực tuyến hôm nay"),
            fmt_int(c["received_online"]),
            c["received_online"],
            drill_url(f, "received_online"),
        ),
        Tile(
            "today_resolved",
            _("Giải quyết hôm nay"),
            fmt_int(c["resolved"]),
            c["resolved"],
            drill_url(f, "resolved"),
            _("%(n)s trễ hạn") % {"n": fmt_int(c["resolved_late"])},
        ),
        Tile(
            "overdue_now",
            _("Hồ sơ đang quá hạn (hiện tại)"),
            fmt_int(overdue_now),
            overdue_now,
            f"{reverse('analytics:overdue')}?{filters.querystring()}",
            alert=bool(overdue_now),
        ),
    ]


def index_url(filters: Filters, level: str, key: Any) -> str:
    """The index detail page of one agency / commune / the province, for the same period."""
    return f"{reverse('analytics:index')}?{filters.querystring(level=level, key=key, agency=None, commune=None)}"


def index_level(filters: Filters) -> str:
    if filters.agency is not None:
        return "agency"
    if filters.commune:
        return "commune"
    return "province"


def index_for(filters: Filters) -> IndexScore | None:
    """The one index a page's tile shows: the agency's, the commune's or the province's."""
    level = index_level(filters)
    if level == "province" and filters.scope.agency_ids is not None:
        return None  # several agencies without one score of their own
    scores = queries.index_766(filters.scope, level)
    if level == "agency":
        scores = [s for s in scores if str(s.key) == str(filters.agency.pk)]
    elif level == "commune":
        scores = [s for s in scores if str(s.key) == filters.commune]
    return scores[0] if scores else None


def chart(
    kind: str,
    labels: list[str],
    datasets: list[dict],
    *,
    links: list[list[str]] | None = None,
    percent: bool = False,
    horizontal: bool = False,
) -> dict:
    """What static/analytics/charts.js draws with Chart.js; `links[d][i]` opens the dossiers behind a bar."""
    return {
        "type": kind,
        "labels": labels,
        "datasets": datasets,
        "links": links or [],
        "percent": percent,
        "horizontal": horizontal,
    }


def trend_chart(filters: Filters, grain: str, rows: list[Row]) -> dict:
    buckets = [bucket_filters(filters, r.key, grain) for r in rows]
    return chart(
        "line",
        [r.label for r in rows],
        [
            {"label": _("Tiếp nhận"), "data": [r.totals.counts["received"] for r in rows]},
            {"label": _("Đã giải quyết"), "data": [r.totals.counts["resolved"] for r in rows]},
            {"label": _("Giải quyết quá hạn"), "data": [r.totals.counts["resolved_late"] for r in rows]},
        ],
        links=[[drill_url(f, m) for f in buckets] for m in ("received", "resolved", "resolved_late")],
    )


def channel_chart(filters: Filters, t: Totals) -> dict:
    metrics = ("received_online", "received_in_person", "received_post")
    return chart(
        "doughnut",
        [str(CHANNELS[c]) for c in CHANNELS],
        [{"label": _("Hồ sơ tiếp nhận"), "data": [t.counts[m] for m in metrics]}],
        links=[[drill_url(filters, m) for m in metrics]],
    )


def outcome_chart(filters: Filters, t: Totals) -> dict:
    metrics = ("resolved_early", "resolved_on_time", "resolved_late")
    return chart(
        "doughnut",
        [_("Trước hạn"), _("Đúng hạn"), _("Quá hạn")],
        [{"label": _("Hồ sơ đã giải quyết"), "data": [t.counts[m] for m in metrics]}],
        links=[[drill_url(filters, m) for m in metrics]],
    )


def rates_chart(rows: list[Row] | list[dict], *, limit: int = 15) -> dict:
    """Online and on-time rates (percent) of the first rows (Rows, or the public page's dicts), as horizontal bars."""
    items = [public_row(r) if isinstance(r, Row) else r for r in rows[:limit]]
    return chart(
        "bar",
        [r["label"] for r in items],
        [
            {"label": _("Tỷ lệ nộp trực tuyến (%)"), "data": [pct(r["online_rate"]) for r in items]},
            {"label": _("Tỷ lệ giải quyết đúng hạn (%)"), "data": [pct(r["on_time_rate"]) for r in items]},
        ],
        percent=True,
        horizontal=True,
    )


def ranking_chart(scores: list[IndexScore], *, limit: int = 15) -> dict:
    scores = scores[:limit]
    return chart(
        "bar",
        [s.label for s in scores],
        [{"label": _("Điểm chỉ số (trên 100)"), "data": [round(s.total, 1) for s in scores]}],
        horizontal=True,
    )


def pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


# --- the public page: no personal data, no dossier codes --------------------------------------------------


def public_row(r: Row) -> dict:
    c = r.totals.counts
    return {
        "key": str(r.key),
        "label": r.label,
        "received": c["received"],
        "received_online": c["received_online"],
        "resolved": c["resolved"],
        "resolved_on_time": c["resolved_early"] + c["resolved_on_time"],
        "online_rate": r.totals.online_rate,
        "on_time_rate": r.totals.on_time_rate,
    }


def public_stats(filters: Filters) -> dict:
    """The province's online and on-time rates, per procedure and per agency: counts and shares only."""
    scope = filters.scope
    t = queries.totals(scope, percentiles=False)
    total = public_row(Row("", _("Toàn tỉnh"), t))
    total["satisfaction_rate"] = t.satisfaction_rate
    return {
        "start": scope.start.isoformat(),
        "end": scope.end.isoformat(),
        "total": total,
        "agencies": [public_row(r) for r in queries.breakdown(scope, "agency", False, "table")],
        "procedures": [public_row(r) for r in queries.breakdown(scope, "procedure", False, "table")],
    }
