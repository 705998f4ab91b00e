"""The Decision 766/QĐ-TTg service-quality index, computed from the facts with versioned weights.

The configuration is data (weights/<version>.json): five groups with their official maxima (18/20/22/22/18), and in
each the indicators, their weights, the formula over METRICS, and `confirmed: false` wherever the official weight
or formula is not confirmed (the pages say so). Bands: 90–100 excellent and under 50 weak are official; the
intermediate bands are marked unconfirmed.

Formulas (each gives a value in [0, 1]; points = weight × value):
- ratio: sum(numerator metrics) / sum(denominator metrics), capped at 1; `empty` says what an empty denominator
  is worth ("full": nothing to fail, e.g. no fee to pay, no feedback to handle; "zero");
- time: the average statutory time of the resolved dossiers over their average processing time, capped at 1
  (full points when the agency resolves within the statutory time on average);
- catalogue: not in the facts — taken from the catalogue (docs/analytics.md): "published" is the share of the
  procedures the agency offers whose published record is complete (publishing decision, steps, result, legal
  basis, a current version with its time limit and documents); "online" the share offered online, a partial
  online service counting `levels.partial`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .queries import Group, IndexScore, Indicator, Row, Scope, Totals, breakdown, totals

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
DEFAULT_VERSION = "766-2022-v1"


@dataclass(frozen=True)
class Band:
    code: str
    label: str
    min: float
    confirmed: bool


@lru_cache(maxsize=8)
def load_weights(version: str | None = None) -> dict[str, Any]:
    """The weights configuration of `version` (settings.MOTCUA_INDEX_WEIGHTS, else the default), checked."""
    from django.conf import settings

    version = version or getattr(settings, "MOTCUA_INDEX_WEIGHTS", "") or DEFAULT_VERSION
    path = WEIGHTS_DIR / f"{Path(version).name}.json"
    config = json.loads(path.read_text(encoding="utf-8"))
    problems = []
    if sum(g["max_points"] for g in config["groups"]) != 100:
        problems.append("tổng điểm tối đa các nhóm phải bằng 100")
    for g in config["groups"]:
        weights = sum(i["weight"] for i in g["indicators"])
        if abs(weights - g["max_points"]) > 1e-9:
            problems.append(f"nhóm {g['code']}: tổng trọng số {weights} ≠ {g['max_points']}")
    if problems:
        raise ValueError(f"Cấu hình chỉ số {version} không hợp lệ: " + "; ".join(problems))
    return config


def bands(config: dict | None = None) -> list[Band]:
    config = config or load_weights()
    return sorted((Band(**b) for b in config["bands"]), key=lambda b: -b.min)


def band_of(total: float, config: dict | None = None) -> Band:
    return next(b for b in bands(config) if total >= b.min)


def _value(formula: dict, t: Totals, catalogue: dict[str, float | None]) -> float | None:
    kind = formula["kind"]
    if kind == "ratio":
        figures = {**t.counts, **t.extra}
        num = sum(figures[m] for m in formula["numerator"])
        den = sum(figures[m] for m in formula["denominator"])
        if not den:
            return 1.0 if formula.get("empty") == "full" else 0.0 if formula.get("empty") == "zero" else None
        return min(num / den, 1.0)
    if kind == "time":
        actual, allowed = t.avg_working_days, t.avg_allowed_working_days
        if actual is None or allowed is None:
            return None
        return 1.0 if actual <= allowed else allowed / actual
    if kind == "catalogue":
        return catalogue.get(formula["source"])
    raise ValueError(f"Công thức không hỗ trợ: {kind}")


def score(key: str, label: str, t: Totals, catalogue: dict[str, float | None], config: dict) -> IndexScore:
    """One index from one row of figures (and the catalogue's share for its agencies)."""
    groups = []
    for g in config["groups"]:
        indicators = []
        for i in g["indicators"]:
            value = _value(i["formula"], t, catalogue)
            points = round(i["weight"] * value, 2) if value is not None else 0.0
            indicators.append(
                Indicator(
                    code=i["code"],
                    name=i["name"],
                    value=None if value is None else round(value, 4),
                    weight=float(i["weight"]),
                    points=points,
                    confirmed=bool(i.get("confirmed", False)),
                    metric=i.get("metric"),
                )
            )
        groups.append(
            Group(
                code=g["code"],
                name=g["name"],
                max_points=float(g["max_points"]),
                points=round(sum(x.points for x in indicators), 2),
                indicators=indicators,
            )
        )
    total = round(sum(g.points for g in groups), 2)
    band = band_of(total, config)
    return IndexScore(
        key=key,
        label=label,
        total=total,
        band=band.code,
        band_label=band.label,
        groups=groups,
        weights_version=config["version"],
    )


def catalogue_shares(agency_ids: Iterable[int] | None, config: dict) -> dict[str, float | None]:
    """The catalogue indicators for a set of agencies (None: every agency): published complete, offered online."""
    counts = _catalogue_counts(None if agency_ids is None else tuple(agency_ids))
    ids = counts.keys() if agency_ids is None else agency_ids
    return _shares([counts[a] for a in ids if a in counts], config)


_FEW = 8  # up to this many agencies, the catalogue is read for them only


def _catalogue_counts(agency_ids: tuple[int, ...] | None = None) -> dict[int, dict[str, tuple[int, int]]]:
    """Per agency (every one, or these when they are few), per online level: (active offerings of active
    procedures, of which published complete). One grouped query over the catalogue, kept for the rest of the
    request inside `queries.memo()`."""
    from django.db import connection

    from motcua.catalog.models import Procedure, ProcedureOffering, ProcedureVersion

    from .queries import _MEMO

    if agency_ids is not None and len(agency_ids) > _FEW:
        agency_ids = None
    memo = _MEMO.get()
    key = ("catalogue", agency_ids if agency_ids is None else tuple(sorted(set(agency_ids))))
    if memo is not None:
        for k in (key, ("catalogue", None)):
            if k in memo:
                return memo[k]

    def filled(col: str) -> str:
        # a JSON value is "filled" as Python sees it: not [], {}, "" or null. On PostgreSQL, a value stored in
        # more than 16 bytes is none of those (they take at most 12): its size is read without decompressing it,
        # and only the tiny ones are compared (each comparison decompresses the value again)
        empty = "('[]', '{}', '\"\"', 'null')"
        if connection.vendor == "postgresql":
            return f"(pg_column_size({col}) > 16 OR {col} NOT IN {empty})"
        return f"{col} NOT IN {empty}"

    complete = (
        "p.decision <> '' AND p.steps_text <> '' AND p.result_text <> '' "
        f"AND {filled('p.legal_basis')} AND v.id IS NOT NULL "
        f"AND (v.time_value IS NOT NULL OR v.time_unit = 'none') AND {filled('v.documents')}"
    )
    offerings, procedures = ProcedureOffering._meta.db_table, Procedure._meta.db_table
    versions = ProcedureVersion._meta.db_table
    params: list = []
    if agency_ids is None:
        # each procedure judged once (a grouped derived table is not merged into the join), then its offerings
        sql = (
            "SELECT o.agency_id, o.online_level, COUNT(*), SUM(c.ok) "  # noqa: S608
            f"FROM {offerings} o JOIN ("
            f"SELECT p.id, MAX(CASE WHEN {complete} THEN 1 ELSE 0 END) AS ok FROM {procedures} p "
            f"LEFT JOIN {versions} v ON v.procedure_id = p.id AND v.is_current "
            "WHERE p.is_active GROUP BY p.id) c ON c.id = o.procedure_id "
            "WHERE o.is_active GROUP BY o.agency_id, o.online_level"
        )
    else:
        params = list(agency_ids) or [0]
        sql = (
            f"SELECT o.agency_id, o.online_level, COUNT(*), SUM(CASE WHEN {complete} THEN 1 ELSE 0 END) "  # noqa: S608
            f"FROM {offerings} o JOIN {procedures} p ON p.id = o.procedure_id "
            f"LEFT JOIN {versions} v ON v.procedure_id = p.id AND v.is_current "
            f"WHERE o.is_active AND p.is_active AND o.agency_id IN ({', '.join(['%s'] * len(params))}) "
            "GROUP BY o.agency_id, o.online_level"
        )
    out: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for agency_id, level, n, done in cursor.fetchall():
            out[agency_id][level] = (int(n), int(done or 0))
    out = dict(out)
    if memo is not None:
        memo[key] = out
    return out


def _shares(per_agency: list[dict[str, tuple[int, int]]], config: dict) -> dict[str, float | None]:
    n = sum(x[0] for counts in per_agency for x in counts.values())
    if not n:
        return {"published": None, "online": None}
    levels = _online_levels(config)
    done = sum(x[1] for counts in per_agency for x in counts.values())
    online = sum(levels.get(level, 0.0) * x[0] for counts in per_agency for level, x in counts.items())
    return {"published": done / n, "online": online / n}


def _online_levels(config: dict) -> dict[str, float]:
    for g in config["groups"]:
        for i in g["indicators"]:
            f = i["formula"]
            if f["kind"] == "catalogue" and f["source"] == "online":
                return {k: float(v) for k, v in f.get("levels", {"full": 1.0}).items()}
    return {"full": 1.0}


def _catalogue_by(rows: list[Row], level: str, config: dict) -> dict[str, dict[str, float | None]]:
    """The catalogue shares of every row's agencies."""
    from motcua.catalog.models import Agency

    if level == "agency":
        members = {r.key: {int(r.key)} for r in rows}
    else:
        members = defaultdict(set)
        for agency_id, code in Agency.objects.filter(commune_code__in=[r.key for r in rows]).values_list(
            "id", "commune_code"
        ):
            members[code].add(agency_id)
    counts = _catalogue_counts(tuple({a for ids in members.values() for a in ids}))
    return {key: _shares([counts[a] for a in ids if a in counts], config) for key, ids in members.items()}


def scores(scope: Scope, level: str = "agency", version: str | None = None) -> list[IndexScore]:
    """The index per agency, commune or for the province of the scope, best first (ties by name)."""
    config = load_weights(version)
    if level == "province":
        from motcua.catalog.models import Agency, AgencyKind

        province = Agency.objects.filter(kind=AgencyKind.PROVINCE, parent__isnull=True).order_by("id").first()
        key = province.province_code if province else ""
        label = province.name if province else ""
        shares = catalogue_shares(scope.agency_ids, config)
        return [score(key, label, totals(scope), shares, config)]
    if level not in ("agency", "commune"):
        raise ValueError(f"level: {level!r}")
    rows = breakdown(scope, level)
    shares = _catalogue_by(rows, level, config)
    out = [score(r.key, r.label, r.totals, shares.get(r.key, {}), config) for r in rows]
    return sorted(out, key=lambda s: (-s.total, s.label))
