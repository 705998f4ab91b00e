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
    from motcua.catalog.models import ProcedureOffering

    offerings = ProcedureOffering.objects.filter(is_active=True, procedure__is_active=True)
    if agency_ids is not None:
        offerings = offerings.filter(agency_id__in=list(agency_ids))
    rows = list(offerings.values_list("procedure_id", "online_level"))
    if not rows:
        return {"published": None, "online": None}
    complete = _complete_procedures({p for p, _ in rows})
    levels = _online_levels(config)
    return {
        "published": sum(1 for p, _ in rows if p in complete) / len(rows),
        "online": sum(levels.get(level, 0.0) for _, level in rows) / len(rows),
    }


def _online_levels(config: dict) -> dict[str, float]:
    for g in config["groups"]:
        for i in g["indicators"]:
            f = i["formula"]
            if f["kind"] == "catalogue" and f["source"] == "online":
                return {k: float(v) for k, v in f.get("levels", {"full": 1.0}).items()}
    return {"full": 1.0}


def _complete_procedures(ids: set[int]) -> set[int]:
    """Procedures whose published record is complete (see the module docstring)."""
    from motcua.catalog.models import Procedure, ProcedureVersion

    versions = {
        v["procedure_id"]: v
        for v in ProcedureVersion.objects.filter(procedure_id__in=ids, is_current=True).values(
            "procedure_id", "time_value", "time_unit", "documents"
        )
    }
    out = set()
    for p in Procedure.objects.filter(id__in=ids).values("id", "decision", "steps_text", "result_text", "legal_basis"):
        v = versions.get(p["id"])
        if (
            p["decision"]
            and p["steps_text"]
            and p["result_text"]
            and p["legal_basis"]
            and v is not None
            and (v["time_value"] is not None or v["time_unit"] == "none")
            and v["documents"]
        ):
            out.add(p["id"])
    return out


def _catalogue_by(rows: list[Row], level: str, config: dict) -> dict[str, dict[str, float | None]]:
    """The catalogue shares of every row's agencies (one pass over the offerings)."""
    from motcua.catalog.models import Agency, ProcedureOffering

    if level == "agency":
        members = {r.key: {int(r.key)} for r in rows}
    else:
        members = defaultdict(set)
        for agency_id, code in Agency.objects.filter(commune_code__in=[r.key for r in rows]).values_list(
            "id", "commune_code"
        ):
            members[code].add(agency_id)
    wanted = {a for ids in members.values() for a in ids}
    per_agency: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for agency_id, procedure_id, online in ProcedureOffering.objects.filter(
        is_active=True, procedure__is_active=True, agency_id__in=wanted
    ).values_list("agency_id", "procedure_id", "online_level"):
        per_agency[agency_id].append((procedure_id, online))
    complete = _complete_procedures({p for rows_ in per_agency.values() for p, _ in rows_})
    levels = _online_levels(config)
    out = {}
    for key, ids in members.items():
        offered = [x for a in ids for x in per_agency.get(a, [])]
        if not offered:
            out[key] = {"published": None, "online": None}
            continue
        out[key] = {
            "published": sum(1 for p, _ in offered if p in complete) / len(offered),
            "online": sum(levels.get(level, 0.0) for _, level in offered) / len(offered),
        }
    return out


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
