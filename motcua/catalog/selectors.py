"""Read queries over the catalogue, shared by the portal, the back office and the API."""

from __future__ import annotations

import time

from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When
from django.db.models.functions import Length

from motcua.core.errors import NotFound
from motcua.core.text import fold

from .models import Procedure, ProcedureOffering, ProcedureVersion


def search_procedures(
    q: str, *, limit: int | None = 20, offset: int = 0, offerable_only: bool = False
) -> QuerySet[Procedure]:
    """Active procedures matching every word of q, with or without diacritics; an exact code match comes first,
    then shorter names (the plain procedure before its special cases: 'Đăng ký khai sinh' before '… có yếu tố
    nước ngoài').

    `search_text` is a folded copy of code + name + field, so 'dang ky khai sinh' finds 'Đăng ký khai sinh' on any
    database. limit=None returns the unsliced queryset (for counting and paging by the caller).
    """
    qs = Procedure.objects.filter(is_active=True)
    if offerable_only:
        qs = qs.filter(offerings__is_active=True).distinct()
    folded = fold(q or "")
    if folded:
        for word in folded.split(" "):
            qs = qs.filter(search_text__contains=word)
        code = (q or "").strip()
        qs = qs.annotate(
            code_rank=Case(When(code=code, then=Value(0)), default=Value(1), output_field=IntegerField())
        ).order_by("code_rank", Length("name"), "code")
    else:
        qs = qs.order_by("code")
    if limit is None:
        return qs[offset:] if offset else qs
    return qs[offset : offset + limit]


def procedure_detail(code: str) -> Procedure:
    """One procedure with its active offerings (and their agencies) and its current version prefetched."""
    procedure = (
        Procedure.objects.filter(code=(code or "").strip())
        .prefetch_related(
            Prefetch(
                "offerings",
                queryset=ProcedureOffering.objects.filter(is_active=True)
                .select_related("agency")
                .order_by("agency__code"),
            ),
            Prefetch("versions", queryset=ProcedureVersion.objects.filter(is_current=True), to_attr="current_versions"),
        )
        .first()
    )
    if procedure is None:
        raise NotFound(f"Không tìm thấy thủ tục có mã {code}.")
    return procedure


# --- what a submission needs, cached per process ------------------------------------------------------------

_TARGETS: dict[tuple[str, str], tuple[float, ProcedureOffering, ProcedureVersion]] = {}


def submission_target(procedure_code: str, agency_code: str) -> tuple[ProcedureOffering, ProcedureVersion] | None:
    """The active offering (with its agency and procedure) and the current version, or None.

    Every submission needs these and they change rarely, so each server process keeps them for
    `MOTCUA_CATALOG_CACHE_SECONDS` (a new version or a closed offering takes effect within that time; dossiers
    already received keep the version they pinned). Only the small columns are read: the procedure's long texts
    are not needed to receive a dossier.
    """
    from django.conf import settings

    ttl = getattr(settings, "MOTCUA_CATALOG_CACHE_SECONDS", 60)
    key = (procedure_code, agency_code)
    now = time.monotonic()
    hit = _TARGETS.get(key)
    if hit is not None and now - hit[0] < ttl:
        return hit[1], hit[2]
    offering = (
        ProcedureOffering.objects.select_related("procedure", "agency")
        .only(
            "id", "online_level", "accepts_post", "result_by_post", "is_active",
            "procedure__id", "procedure__code", "procedure__name", "procedure__is_active",
            "agency__id", "agency__code", "agency__name", "agency__work_periods", "agency__is_active",
        )
        .filter(procedure__code=procedure_code, agency__code=agency_code, is_active=True,
                procedure__is_active=True, agency__is_active=True)
        .first()
    )  # fmt: skip
    if offering is None:
        _TARGETS.pop(key, None)
        return None
    version = ProcedureVersion.objects.filter(procedure_id=offering.procedure_id, is_current=True).first()
    if version is None:
        return None
    version.procedure = offering.procedure
    if ttl > 0:
        _TARGETS[key] = (now, offering, version)
    return offering, version


def forget_submission_targets() -> None:
    """Drop the per-process cache (the catalogue loader and tests call it)."""
    _TARGETS.clear()
