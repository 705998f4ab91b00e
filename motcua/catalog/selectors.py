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


# --- the catalogue's figures for the service-quality index, cached per process ----------------------------------

# (monotonic time it was read, {agency id: {online level: (active offerings, of which published complete)}})
_SUMMARY: list[tuple[float, dict[int, dict[str, tuple[int, int]]]]] = []


def offering_summary() -> dict[int, dict[str, tuple[int, int]]]:
    """Per agency, per online level: the active offerings of active procedures, and how many of them are
    published complete (a publishing decision, steps, result and legal basis, and a current version with its time
    limit and documents). The index's catalogue indicators read it on every operations-centre page.

    One grouped query over the whole catalogue (each procedure judged once, then its offerings), kept by each server
    process for `MOTCUA_CATALOG_CACHE_SECONDS` like the submission targets: the catalogue changes by publishing
    decisions, not by the minute, and the query costs as much as the rest of a page.
    """
    from django.conf import settings

    ttl = getattr(settings, "MOTCUA_CATALOG_CACHE_SECONDS", 60)
    now = time.monotonic()
    if _SUMMARY and now - _SUMMARY[0][0] < ttl:
        return _SUMMARY[0][1]
    summary = _read_offering_summary()
    _SUMMARY[:] = [(now, summary)] if ttl > 0 else []
    return summary


def forget_offering_summary() -> None:
    """Drop the per-process summary (the catalogue loader and tests call it)."""
    _SUMMARY.clear()


def _read_offering_summary() -> dict[int, dict[str, tuple[int, int]]]:
    from django.db import connection

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
    # each procedure judged once (a grouped derived table is not merged into the join), then its offerings
    sql = (
        "SELECT o.agency_id, o.online_level, COUNT(*), SUM(c.ok) "  # noqa: S608
        f"FROM {offerings} o JOIN ("
        f"SELECT p.id, MAX(CASE WHEN {complete} THEN 1 ELSE 0 END) AS ok FROM {procedures} p "
        f"LEFT JOIN {versions} v ON v.procedure_id = p.id AND v.is_current "
        "WHERE p.is_active GROUP BY p.id) c ON c.id = o.procedure_id "
        "WHERE o.is_active GROUP BY o.agency_id, o.online_level"
    )
    out: dict[int, dict[str, tuple[int, int]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql)
        for agency_id, level, n, done in cursor.fetchall():
            out.setdefault(agency_id, {})[level] = (int(n), int(done or 0))
    return out
