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


def _value(formula: dict, t: Totals, catalogue: dict[str, float | None], figures: dict[str, int]) -> float | None:
    kind = formula["kind"]
    if kind == "ratio":
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
    figures = t.counts | t.extra
    for g in config["groups"]:
        indicators = []
        for i in g["indicators"]:
            value = _value(i["formula"], t, catalogue, figures)
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


def _catalogue_counts(agency_ids: tuple[int, ...] | None = None) -> dict[int, dict[str, tuple[int, int]]]:
    """Per agency, per online level: (active offerings of active procedures, of which published complete), from the
    catalogue's summary (`catalog.selectors.offering_summary`, one grouped query kept by each process for a
    minute)."""
    from motcua.catalog.selectors import offering_summary

    summary = offering_summary()
    if agency_ids is None:
        return summary
    return {a: summary[a] for a in agency_ids if a in summary}


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
        return [score(key, label, totals(scope, percentiles=False), shares, config)]
    if level not in ("agency", "commune"):
        raise ValueError(f"level: {level!r}")
    rows = breakdown(scope, level, percentiles=False)
    shares = _catalogue_by(rows, level, config)
    out = [score(r.key, r.label, r.totals, shares.get(r.key, {}), config) for r in rows]
    return sorted(out, key=lambda s: (-s.total, s.label))
