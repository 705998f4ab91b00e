"""Dossier API. Thin: parse, call a service or selector, shape the answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest
from ninja import File, Form, Header, Query, Router, Schema, Status
from ninja.files import UploadedFile

from motcua.accounts.services import hit_rate_limit
from motcua.core.api_support import session_or_token
from motcua.core.errors import NotFound, ProblemError
from motcua.identity import services as identity

from . import selectors, services
from .models import Dossier

router = Router(tags=["dossiers"], auth=session_or_token())
lookup_router = Router(tags=["lookup"])


class DossierIn(Schema):
    procedure: str
    agency: str
    channel: Literal["online", "in_person", "post"] = "online"
    data: dict[str, Any]
    applicant: dict[str, Any] | None = None


class ActionOut(Schema):
    action: str
    label: str
    kind: str


class HistoryItem(Schema):
    seq: int
    at: datetime
    action: str
    label: str
    actor: str
    actor_role: str
    from_status: str
    to_status: str
    from_step: str
    to_step: str
    note: str
    payload: dict
    undone: bool


class DossierOut(Schema):
    code: str | None
    status: str
    status_label: str
    procedure: str
    procedure_name: str
    version: int
    variant: str
    agency: str
    agency_name: str
    channel: str
    applicant_name: str
    submitted_at: datetime | None
    acceptance_due_at: datetime | None
    accepted_at: datetime | None
    due_at: datetime | None
    original_due_at: datetime | None
    reappointed: bool
    current_step: str
    step_due_at: datetime | None
    result_ready_at: datetime | None
    finished_at: datetime | None
    outcome: str
    overdue: bool
    due_soon: bool
    apology_due: bool
    acceptance_breached: bool
    supplement_count: int
    identity_status: str
    enterprise_tax_code: str
    enterprise_name: str


class DossierCreated(DossierOut):
    pin: str | None = None


class DossierDetail(DossierOut):
    data: dict
    checklist: list
    history: list[HistoryItem]
    available_actions: list[ActionOut]
    documents: list[dict]


class DossierPage(Schema):
    count: int
    results: list[DossierOut]


class ActionIn(Schema):
    action: str
    note: str = ""
    checklist: list[dict] | None = None
    missing: list[str] | None = None
    reasons: list[str] | None = None
    new_due_at: str | None = None
    extra_working_days: int | None = None
    data: dict[str, Any] | None = None
    method: str | None = None
    paid_at_desk: bool | None = None  # return_result: the desk collected the fee (payments.services.guard_return)


class ListParams(Schema):
    status: str | None = None
    scope: Literal["all", "desk", "tasks", "open"] = "all"
    limit: int = 50
    offset: int = 0


def summary(d: Dossier) -> dict:
    return {
        "code": d.code,
        "status": d.status,
        "status_label": d.get_status_display(),
        "procedure": d.procedure.code,
        "procedure_name": d.procedure.name,
        "version": d.version.number,
        "variant": d.variant,
        "agency": d.agency.code,
        "agency_name": d.agency.name,
        "channel": d.channel,
        "applicant_name": d.applicant_name,
        "submitted_at": d.submitted_at,
        "acceptance_due_at": d.acceptance_due_at,
        "accepted_at": d.accepted_at,
        "due_at": d.due_at,
        "original_due_at": d.original_due_at,
        "reappointed": d.reappointed_at is not None,
        "current_step": d.current_step,
        "step_due_at": d.step_due_at,
        "result_ready_at": d.result_ready_at,
        "finished_at": d.finished_at,
        "outcome": d.outcome,
        "overdue": d.overdue,
        "due_soon": d.due_soon,
        "apology_due": d.apology_due,
        "acceptance_breached": d.acceptance_breached,
        "supplement_count": d.supplement_count,
        "identity_status": d.identity_status,
        "enterprise_tax_code": d.enterprise_tax_code,
        "enterprise_name": d.enterprise_name,
    }


def detail_body(user, d: Dossier) -> dict:
    body = summary(d)
    body["data"] = d.data
    body["checklist"] = d.checklist
    body["history"] = [
        {
            "seq": a.seq,
            "at": a.at,
            "action": a.action,
            "label": a.label,
            "actor": a.actor.display_name if a.actor else "Hệ thống",
            "actor_role": a.actor_role,
            "from_status": a.from_status,
            "to_status": a.to_status,
            "from_step": a.from_step,
            "to_step": a.to_step,
            "note": a.note,
            "payload": a.payload,
            "undone": a.undone,
        }
        for a in selectors.history(d)
    ]
    body["available_actions"] = services.available_actions(user, d)
    body["documents"] = [
        {
            "name": doc.name,
            "doc_code": doc.doc_code,
            "size": doc.size,
            "content_type": doc.content_type,
            "sha256": doc.sha256,
        }
        for doc in d.documents.all()
    ]
    return body


@router.post("", response={200: DossierCreated, 201: DossierCreated}, summary="Nộp hồ sơ")
def create(request: HttpRequest, payload: DossierIn, idempotency_key: str | None = Header(None)):
    result = services.submit_dossier(
        request.user,
        procedure_code=payload.procedure,
        agency_code=payload.agency,
        channel=payload.channel,
        data=payload.data,
        applicant=payload.applicant,
        idempotency_key=idempotency_key,
        assurance=lambda: identity.user_assurance(request.user),
    )
    body = summary(result.dossier)
    body["pin"] = result.pin
    return Status(200 if result.replayed else 201, body)


@router.get("", response=DossierPage, summary="Hồ sơ của tôi hoặc của cơ quan tôi")
def list_dossiers(request: HttpRequest, params: Query[ListParams]):
    user = request.user
    qs = {
        "desk": selectors.desk_queue,
        "tasks": selectors.my_tasks,
        "open": selectors.open_dossiers,
    }.get(params.scope, selectors.visible_dossiers)(user)
    if params.status:
        qs = qs.filter(status=params.status)
    if params.scope == "all":
        qs = qs.order_by("-submitted_at", "-id")
    limit = min(max(params.limit, 1), 200)
    offset = max(params.offset, 0)
    rows = list(qs[offset : offset + limit])
    return {"count": qs.count(), "results": [summary(d) for d in rows]}


@router.get("/{code}", response=DossierDetail, summary="Chi tiết hồ sơ, lịch sử và thao tác được phép")
def get_dossier(request: HttpRequest, code: str):
    dossier = selectors.dossier_for(request.user, code)
    return detail_body(request.user, dossier)


@router.post("/{code}/actions", response=DossierDetail, summary="Thực hiện một thao tác trên hồ sơ")
def act(request: HttpRequest, code: str, payload: ActionIn):
    # The action is audited itself; a refused attempt shows no dossier data, so no separate read record.
    dossier = selectors.dossier_for(request.user, code, audit_read=False)
    extra = payload.dict(exclude={"action", "note"}, exclude_none=True)
    dossier = services.perform(request.user, dossier, payload.action, note=payload.note, payload=extra)
    return detail_body(request.user, dossier)


@router.post("/{code}/documents", response={201: dict}, summary="Đính kèm giấy tờ (PDF, JPEG, PNG)")
def upload(
    request: HttpRequest,
    code: str,
    file: File[UploadedFile],
    doc_code: Form[str] = "",
    name: Form[str] = "",
):
    dossier = selectors.dossier_for(request.user, code, audit_read=False)
    doc = services.attach_document(request.user, dossier, file, doc_code=doc_code, name=name)
    return Status(201, {"name": doc.name, "size": doc.size, "content_type": doc.content_type, "sha256": doc.sha256})


class LookupOut(Schema):
    code: str
    procedure: str
    agency: str
    status: str
    status_label: str
    submitted_at: datetime | None
    due_at: datetime | None
    outcome: str


@lookup_router.get("", response=LookupOut, auth=None, summary="Tra cứu hồ sơ bằng mã và mã PIN (không cần đăng nhập)")
def lookup(request: HttpRequest, code: str, pin: str):
    ip = request.META.get("REMOTE_ADDR", "")
    if hit_rate_limit("lookup", ip, settings.MOTCUA_LOOKUP_PER_MINUTE):
        raise ProblemError(
            "Bạn tra cứu quá nhiều lần. Vui lòng thử lại sau 1 phút.", status=429, title="Quá nhiều yêu cầu"
        )
    found = selectors.public_lookup(code.strip(), pin.strip())
    if found is None:
        raise NotFound("Mã hồ sơ hoặc mã PIN không đúng.")
    return found
