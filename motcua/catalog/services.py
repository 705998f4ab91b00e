"""Catalogue use cases: write the shipped catalogue from the shared sources, load it into the database.

`load_catalog` is idempotent and bulk: procedures are upserted, each gets a current version (hand-made definition
when one exists, else a generated default), and a version is added only when its source definition changed
(compared by hash), so dossiers pinned to older versions keep them.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
from collections.abc import Iterable
from datetime import time
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from motcua.core.errors import NotFound, ValidationFailed
from motcua.core.text import fold

from . import importer
from .agencies import ensure_province_agencies
from .models import Agency, OnlineLevel, Procedure, ProcedureOffering, ProcedureVersion, TimeUnit
from .workflow import default_form_schema, default_workflow, validate_workflow

APP_DIR = Path(__file__).resolve().parent
DATA_FILE = APP_DIR / "data" / "procedures.jsonl.gz"
DEFINITIONS_DIR = APP_DIR / "definitions"
# Procedures the portal scrape lacks (e.g. the Decree 63/2024 death group): same record format, code set here.
LOCAL_FILE = APP_DIR / "data" / "local_procedures.json"
BATCH = 500

# Hand-made procedures offered fully online (Đề án 06 civil status and residence; investment certificate).
FULL_ONLINE = frozenset({"1.001193", "1.000656", "1.004222", "1.003197", "1.009664", "2.000986", "LT.KHAITU"})
# Offered by the economic-zone board and the provincial service centre rather than by level.
PROVINCE_SPECIAL = {"1.009664": ("ban_qlkkt", "service_centre")}

_PROCEDURE_FIELDS = (
    "name", "level", "field", "kind", "decision", "applicants", "implementing_agency", "competent_agency",
    "steps_text", "conditions_text", "result_text", "legal_basis", "channels", "source", "source_url",
)  # fmt: skip
_DEFINITION_KEYS = (
    "time_value", "time_unit", "cutoff", "pause_on_supplement", "supplement_days", "form_schema", "documents",
    "fee_rule", "workflow", "variants",
)  # fmt: skip


def default_shared_dir() -> Path:
    """../shared/data next to the repository (settings.BASE_DIR.parent / 'shared' / 'data')."""
    if override := os.environ.get("MOTCUA_SHARED_DATA"):
        return Path(override)
    return Path(settings.BASE_DIR).parent / "shared" / "data"


# --- the shipped file ----------------------------------------------------------------------------------------


def write_catalog(source_dir: Path | str | None = None, out_path: Path | str | None = None) -> dict[str, int]:
    """Parse the shared sources and write the normalised catalogue, sorted by code, byte-for-byte reproducible."""
    records = importer.read_sources(Path(source_dir or default_shared_dir()))
    out = Path(out_path or DATA_FILE)
    out.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        for record in records:
            gz.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")
    out.write_bytes(buffer.getvalue())
    return importer.coverage(records)


def read_catalog(path: Path | str | None = None) -> list[dict[str, Any]]:
    with gzip.open(Path(path or DATA_FILE), "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def local_records() -> list[dict[str, Any]]:
    """Procedures the portal scrape lacks (same record format), loaded with the shipped catalogue."""
    return json.loads(LOCAL_FILE.read_text(encoding="utf-8")) if LOCAL_FILE.exists() else []


# --- definitions -----------------------------------------------------------------------------------------------


def load_definitions(directory: Path | str | None = None) -> dict[str, dict[str, Any]]:
    """The hand-made definitions (definitions/<code>.json), checked: a broken workflow stops the import."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(Path(directory or DEFINITIONS_DIR).glob("*.json")):
        definition = json.loads(path.read_text(encoding="utf-8"))
        code = definition.get("code") or path.stem
        try:
            validate_workflow(definition.get("workflow"))
            for variant in definition.get("variants") or []:
                if variant.get("workflow"):
                    validate_workflow(variant["workflow"])
        except ValidationFailed as exc:
            raise ValidationFailed(f"Định nghĩa {path.name}: {exc.detail}", errors=exc.errors) from exc
        found[code] = definition
    return found


def _version_documents(documents: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Catalogue documents → version documents. 'Required' is a guess: not optional ('nếu có') and not per case."""
    out = []
    for doc in documents:
        conditional = "(nếu có)" in doc["name"] or "Trường hợp" in doc.get("case", "")[:40]
        out.append({**doc, "required": not conditional})
    return out


@lru_cache(maxsize=1)
def _default_workflow_json() -> str:
    return json.dumps(default_workflow())


def definition_for(record: dict[str, Any], hand_made: dict[str, Any] | None) -> dict[str, Any]:
    """The version definition for a catalogue record: its hand-made one, else a generated default."""
    if hand_made:
        definition = {key: hand_made.get(key) for key in _DEFINITION_KEYS}
        definition["pause_on_supplement"] = bool(hand_made.get("pause_on_supplement", True))
        definition["variants"] = hand_made.get("variants") or []
        definition["hand_made"] = True
        definition["note"] = (hand_made.get("note") or "")[:255]
        return definition
    return {
        "time_value": record.get("time_value"),
        "time_unit": record.get("time_unit") or TimeUnit.NONE,
        "cutoff": None,
        "pause_on_supplement": True,
        "supplement_days": None,
        "form_schema": default_form_schema(record),
        "documents": _version_documents(record.get("documents") or []),
        "fee_rule": record.get("fee_rule") or {},
        "workflow": json.loads(_default_workflow_json()),
        "variants": [],
        "hand_made": False,
        "note": "",
    }


def definition_hash(definition: dict[str, Any]) -> str:
    payload = json.dumps(definition, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _version_from(procedure_id: int, number: int, definition: dict[str, Any], digest: str) -> ProcedureVersion:
    value = definition["time_value"]
    return ProcedureVersion(
        procedure_id=procedure_id,
        number=number,
        is_current=True,
        hand_made=definition["hand_made"],
        time_value=None if value is None else Decimal(str(value)),
        time_unit=definition["time_unit"] or TimeUnit.NONE,
        cutoff=time.fromisoformat(definition["cutoff"]) if definition["cutoff"] else None,
        pause_on_supplement=definition["pause_on_supplement"],
        supplement_days=definition["supplement_days"],
        form_schema=definition["form_schema"] or {},
        documents=definition["documents"] or [],
        fee_rule=definition["fee_rule"] or {},
        workflow=definition["workflow"] or {},
        variants=definition["variants"] or [],
        note=definition["note"],
        source_hash=digest,
    )


# --- loading -------------------------------------------------------------------------------------------------------


def _chunks(items: list, size: int = BATCH) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _upsert_procedures(records: list[dict[str, Any]]) -> tuple[dict[str, int], dict[str, int]]:
    existing = {p.code: p for p in Procedure.objects.all()}
    to_create, to_update = [], []
    for record in records:
        values = {field: record.get(field) or ([] if field in ("legal_basis", "channels") else "") for field in
                  _PROCEDURE_FIELDS}  # fmt: skip
        values["search_text"] = fold(f"{record['code']} {values['name']} {values['field']}")
        values["is_active"] = True
        procedure = existing.get(record["code"])
        if procedure is None:
            to_create.append(Procedure(code=record["code"], **values))
            continue
        changed = [f for f, v in values.items() if getattr(procedure, f) != v]
        for field in changed:
            setattr(procedure, field, values[field])
        if changed:
            to_update.append(procedure)
    Procedure.objects.bulk_create(to_create, batch_size=BATCH)
    fields = [*_PROCEDURE_FIELDS, "search_text", "is_active"]
    Procedure.objects.bulk_update(to_update, fields, batch_size=BATCH)
    codes = {r["code"] for r in records}
    stale = [p.id for code, p in existing.items() if code not in codes and p.source and p.is_active]
    for chunk in _chunks(stale):
        Procedure.objects.filter(id__in=chunk).update(is_active=False)
    ids = dict(Procedure.objects.values_list("code", "id"))
    return ids, {"created": len(to_create), "updated": len(to_update), "deactivated": len(stale)}


def _ensure_versions(
    records: list[dict[str, Any]], ids: dict[str, int], definitions: dict[str, dict[str, Any]]
) -> dict[str, int]:
    current = {
        pid: (vid, digest)
        for pid, vid, digest in ProcedureVersion.objects.filter(is_current=True).values_list(
            "procedure_id", "id", "source_hash"
        )
    }
    highest = dict(
        ProcedureVersion.objects.values("procedure_id").annotate(n=Max("number")).values_list("procedure_id", "n")
    )
    retire, create = [], []
    for record in records:
        pid = ids[record["code"]]
        definition = definition_for(record, definitions.get(record["code"]))
        digest = definition_hash(definition)
        now = current.get(pid)
        if now is not None and now[1] == digest:
            continue
        if now is not None:
            retire.append(now[0])
        create.append(_version_from(pid, highest.get(pid, 0) + 1, definition, digest))
    for chunk in _chunks(retire):
        ProcedureVersion.objects.filter(id__in=chunk).update(is_current=False)
    ProcedureVersion.objects.bulk_create(create, batch_size=BATCH)
    return {"created": len(create), "replaced": len(retire), "unchanged": len(records) - len(create)}


def _has_channel(record: dict[str, Any], name: str) -> bool:
    return any(c.get("channel") == name for c in record.get("channels") or [])


def _ensure_offerings(records: list[dict[str, Any]], ids: dict[str, int], province_code: int) -> dict[str, int]:
    """Commune-level procedures at every commune, province-level ones at the service centre (see docs)."""
    tree = ensure_province_agencies(province_code)
    codes = tree["codes"]
    agency_ids = dict(Agency.objects.filter(province_code=f"{province_code:02d}").values_list("code", "id"))
    communes = [agency_ids[c] for c in codes["communes"].values()]
    centre = agency_ids[codes["service_centre"]]
    wanted: dict[tuple[int, int], tuple[str, bool]] = {}
    for record in records:
        pid = ids[record["code"]]
        level = fold(record.get("level") or "")
        if record["code"] in FULL_ONLINE:
            online = OnlineLevel.FULL
        elif _has_channel(record, "online"):
            online = OnlineLevel.PARTIAL
        else:
            online = OnlineLevel.NONE
        post = _has_channel(record, "post") or record["code"] in FULL_ONLINE
        targets: list[int] = []
        if record["code"] in PROVINCE_SPECIAL:
            targets = [agency_ids[codes[key]] for key in PROVINCE_SPECIAL[record["code"]]]
        else:
            if "cap xa" in level:
                targets.extend(communes)
            if "cap tinh" in level:
                targets.append(centre)
        for agency_id in targets:
            wanted[(pid, agency_id)] = (online, post)
    existing = {
        (pid, aid): (oid, level, post)
        for oid, pid, aid, level, post in ProcedureOffering.objects.filter(agency_id__in=agency_ids.values())
        .values_list("id", "procedure_id", "agency_id", "online_level", "accepts_post")
        .iterator(chunk_size=5000)
    }
    to_create, to_update = [], []
    for (pid, aid), (online, post) in wanted.items():
        have = existing.get((pid, aid))
        if have is None:
            to_create.append(ProcedureOffering(procedure_id=pid, agency_id=aid, online_level=online, accepts_post=post))
        elif (have[1], have[2]) != (online, post):
            to_update.append(ProcedureOffering(id=have[0], online_level=online, accepts_post=post))
    ProcedureOffering.objects.bulk_create(to_create, batch_size=BATCH * 4, ignore_conflicts=True)
    ProcedureOffering.objects.bulk_update(to_update, ["online_level", "accepts_post"], batch_size=BATCH)
    return {
        "offerings": len(wanted),
        "offerings_created": len(to_create),
        "offerings_updated": len(to_update),
        "agencies": tree["agencies"],
        "agencies_created": tree["created"],
    }


def load_catalog(
    path: Path | str | None = None,
    *,
    offerings_province: int | None = 22,
    definitions_dir: Path | str | None = None,
) -> dict[str, int]:
    """Load the shipped catalogue into the database (idempotent); returns what it did, for the command to print."""
    records = read_catalog(path)
    if path is None:  # the shipped catalogue comes with the local records; a given file is loaded as it is
        known = {r["code"] for r in records}
        records += [r for r in local_records() if r["code"] not in known]
    definitions = load_definitions(definitions_dir)
    with transaction.atomic():
        ids, procedure_counts = _upsert_procedures(records)
        version_counts = _ensure_versions(records, ids, definitions)
        counts: dict[str, int] = {
            "procedures": len(records),
            "procedures_created": procedure_counts["created"],
            "procedures_updated": procedure_counts["updated"],
            "procedures_deactivated": procedure_counts["deactivated"],
            "versions_created": version_counts["created"],
            "versions_replaced": version_counts["replaced"],
            "versions_unchanged": version_counts["unchanged"],
            "hand_made": sum(1 for r in records if r["code"] in definitions),
        }
        if offerings_province:
            counts.update(_ensure_offerings(records, ids, offerings_province))
    from .selectors import forget_offering_summary, forget_submission_targets

    forget_submission_targets()  # this process sees the new versions at once; others within the cache TTL
    forget_offering_summary()
    return counts


# --- reading -------------------------------------------------------------------------------------------------------


def current_version(procedure: Procedure) -> ProcedureVersion:
    """The version new dossiers are received under (uses a prefetched `current_versions` list when present)."""
    prefetched = getattr(procedure, "current_versions", None)
    if prefetched is not None:
        if prefetched:
            return prefetched[0]
    else:
        version = procedure.versions.filter(is_current=True).first()
        if version is not None:
            return version
    raise NotFound(f"Thủ tục {procedure.code} chưa có phiên bản đang hiệu lực.")
