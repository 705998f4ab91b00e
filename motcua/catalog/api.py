"""Public catalogue API: search procedures and read one, with where to submit and the online form."""

from __future__ import annotations

from ninja import Query, Router, Schema

from . import selectors
from .models import ProcedureVersion
from .services import current_version

router = Router(tags=["procedures"])


class ProcedureItem(Schema):
    code: str
    name: str
    level: str
    field: str
    time_value: float | None = None
    time_unit: str = ""


class ProcedureList(Schema):
    count: int
    results: list[ProcedureItem]


class AgencyRef(Schema):
    code: str
    name: str
    online_level: str
    result_by_post: bool


class ProcedureDetail(ProcedureItem):
    kind: str
    applicants: str
    legal_basis: list[dict]
    channels: list[dict]
    documents: list[dict]
    fee_rule: dict
    cutoff: str | None
    version: int
    agencies: list[AgencyRef]
    form_schema: dict
    variants: list[dict]
    source_url: str


class SearchParams(Schema):
    q: str = ""
    limit: int = 20
    offset: int = 0


@router.get("", response=ProcedureList, auth=None, summary="Tìm thủ tục (có dấu hoặc không dấu)")
def search(request, params: Query[SearchParams]):
    limit = min(max(params.limit, 1), 100)
    offset = max(params.offset, 0)
    qs = selectors.search_procedures(params.q, limit=None).only("id", "code", "name", "level", "field")
    rows = list(qs[offset : offset + limit])
    versions = {
        v.procedure_id: v
        for v in ProcedureVersion.objects.filter(procedure_id__in=[p.id for p in rows], is_current=True).only(
            "procedure_id", "time_value", "time_unit"
        )
    }
    return {"count": qs.count(), "results": [_item(p, versions.get(p.id)) for p in rows]}


def _item(procedure, version) -> dict:
    time_value = version.time_value if version is not None else None
    return {
        "code": procedure.code,
        "name": procedure.name,
        "level": procedure.level,
        "field": procedure.field,
        "time_value": float(time_value) if time_value is not None else None,
        "time_unit": version.time_unit if version is not None else "",
    }


@router.get("/{code}", response=ProcedureDetail, auth=None, summary="Chi tiết thủ tục")
def detail(request, code: str):
    procedure = selectors.procedure_detail(code)
    version = current_version(procedure)
    offerings = procedure.offerings.filter(is_active=True).select_related("agency").order_by("agency__code")
    return {
        "code": procedure.code,
        "name": procedure.name,
        "level": procedure.level,
        "field": procedure.field,
        "kind": procedure.kind,
        "applicants": procedure.applicants,
        "legal_basis": procedure.legal_basis,
        "channels": procedure.channels,
        "documents": version.documents,
        "fee_rule": version.fee_rule,
        "time_value": float(version.time_value) if version.time_value is not None else None,
        "time_unit": version.time_unit,
        "cutoff": version.cutoff.strftime("%H:%M") if version.cutoff else None,
        "version": version.number,
        "agencies": [
            {
                "code": o.agency.code,
                "name": o.agency.name,
                "online_level": o.online_level,
                "result_by_post": o.result_by_post,
            }
            for o in offerings
        ],
        "form_schema": version.form_schema,
        "variants": [{"code": v.get("code"), "name": v.get("name"), "when": v.get("when")} for v in version.variants],
        "source_url": procedure.source_url,
    }
