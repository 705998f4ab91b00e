"""Dossier use cases: the only place a dossier's state changes.

Every use case checks who may do it, validates, changes state inside one transaction, appends one row to the
action log (with the fields it changed, so an undo can restore them) and one audit record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.module_loading import import_string
from django.utils.translation import override, pgettext_lazy

from motcua.accounts.models import Role, User
from motcua.accounts.services import has_role, is_official
from motcua.audit import services as audit
from motcua.catalog.models import Agency, OnlineLevel, Procedure, ProcedureOffering, ProcedureVersion, TimeUnit
from motcua.catalog.selectors import submission_target
from motcua.catalog.workflow import choose_variant
from motcua.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from motcua.core.identifiers import validate_tax_code
from motcua.exchange import services as exchange
from motcua.identity import services as identity
from motcua.identity.registry import pending_ref
from motcua.worktime.calc import TZ
from motcua.worktime.services import calendar_for

from . import codes
from .models import (
    OPEN_STATUSES,
    Channel,
    Dossier,
    DossierAction,
    DossierDocument,
    IdempotencyKey,
    Outcome,
    Status,
)
from .uploads import inspect_upload, safe_name
from .validation import validate_declaration

ONLINE_ACCEPTANCE_HOURS = 8  # Decree 45/2020: acknowledge or ask for completion within 8 working hours

# Fields restored by an undo: the whole denormalised state of a dossier.
_STATE_FIELDS = (
    "status",
    "current_step",
    "current_role",
    "assignee_id",
    "accepted_at",
    "due_at",
    "original_due_at",
    "reappointed_at",
    "step_started_at",
    "step_due_at",
    "paused_at",
    "supplement_due_at",
    "supplement_count",
    "result_ready_at",
    "finished_at",
    "outcome",
    "due_soon",
    "overdue",
    "apology_due",
    "checklist",
)
_DATETIME_FIELDS = {
    f.attname
    for f in Dossier._meta.concrete_fields
    if f.attname in _STATE_FIELDS and f.get_internal_type() == "DateTimeField"
}

# Labels are kept in Vietnamese in the action log (the record of what happened) and translated where shown.
DESK_ACTIONS = {
    "accept": pgettext_lazy("dossier action", "Tiếp nhận hồ sơ"),
    "request_supplement": pgettext_lazy("dossier action", "Yêu cầu bổ sung hồ sơ"),
    "refuse": pgettext_lazy("dossier action", "Từ chối tiếp nhận, giải quyết"),
    "return_result": pgettext_lazy("dossier action", "Trả kết quả"),
}
APPLICANT_ACTIONS = {
    "supplement": pgettext_lazy("dossier action", "Nộp bổ sung"),
    "withdraw": pgettext_lazy("dossier action", "Rút hồ sơ"),
}
OTHER_ACTIONS = {
    "reappoint": pgettext_lazy("dossier action", "Xin lỗi và hẹn lại ngày trả"),
    "undo": pgettext_lazy("dossier action", "Hoàn tác thao tác vừa làm"),
}


# --- helpers ---------------------------------------------------------------------------------------------


def effective_definition(dossier: Dossier) -> dict:
    """The pinned version's definition, with the dossier's variant applied."""
    cached = getattr(dossier, "_effective", None)
    if cached is None:
        cached = choose_variant(dossier.version, dossier.data or {})
        dossier._effective = cached
    return cached


def _steps(dossier: Dossier) -> dict[str, dict]:
    return {s["code"]: s for s in effective_definition(dossier).get("workflow", {}).get("steps", [])}


def _first_step(dossier: Dossier) -> dict | None:
    steps = effective_definition(dossier).get("workflow", {}).get("steps", [])
    return steps[0] if steps else None


def compute_due(dossier: Dossier, start: datetime) -> datetime | None:
    """The appointment date for work starting at `start`, by the pinned version's statutory time."""
    eff = effective_definition(dossier)
    value, unit = eff.get("time_value"), eff.get("time_unit")
    if value is None or unit in (None, "", TimeUnit.NONE):
        return None
    value = Decimal(str(value))
    cal = calendar_for(dossier.agency)
    cutoff = dossier.version.cutoff
    if unit == TimeUnit.WORKING_DAYS:
        if value != value.to_integral_value():  # half a day → 4 working hours
            return cal.add_working_minutes(start, int(value * 8 * 60))
        return cal.deadline(start, int(value), TimeUnit.WORKING_DAYS, cutoff=cutoff)
    if unit == TimeUnit.WORKING_HOURS:
        return cal.deadline(start, value, TimeUnit.WORKING_HOURS)
    if unit == TimeUnit.DAYS:
        return cal.day_closing((start + timedelta(days=int(value))).astimezone(TZ).date())
    if unit == TimeUnit.MONTHS:
        local = start.astimezone(TZ)
        month = local.month - 1 + int(value)
        year, month = local.year + month // 12, month % 12 + 1
        day = min(local.day, 28)
        return cal.day_closing(local.replace(year=year, month=month, day=day).date())
    return None


def _step_due(dossier: Dossier, step: dict, start: datetime) -> datetime | None:
    if dossier.due_at is None or dossier.accepted_at is None:
        return None
    cal = calendar_for(dossier.agency)
    total = max(cal.working_seconds_between(dossier.accepted_at, dossier.due_at), 0)
    share = float(step.get("share") or 0)
    due = cal.add_working_minutes(start, int(total * share // 60))
    return min(due, dossier.due_at)


def _outcome(result_at: datetime, due_at: datetime | None) -> str:
    if due_at is None:
        return Outcome.ON_TIME
    if result_at > due_at:
        return Outcome.LATE
    if result_at.astimezone(TZ).date() < due_at.astimezone(TZ).date():
        return Outcome.EARLY
    return Outcome.ON_TIME


def _snapshot(dossier: Dossier) -> dict:
    snap = {}
    for name in _STATE_FIELDS:
        value = getattr(dossier, name)
        snap[name] = value.isoformat() if isinstance(value, datetime) else value
    return snap


def _restore(dossier: Dossier, snap: dict) -> None:
    for name in _STATE_FIELDS:
        if name not in snap:
            continue
        value = snap[name]
        if name in _DATETIME_FIELDS and value:
            value = parse_datetime(value)
        setattr(dossier, name, value)


def _record(
    dossier: Dossier,
    *,
    actor: User | None,
    action: str,
    before: dict,
    from_status: str,
    from_step: str,
    note: str = "",
    payload: dict | None = None,
    role: str = "",
    label: str = "",
) -> DossierAction:
    dossier.action_count += 1
    dossier.save()
    row = DossierAction.objects.create(
        dossier=dossier,
        seq=dossier.action_count,
        at=timezone.now(),
        actor=actor,
        actor_role=role,
        action=action,
        label=label,
        from_status=from_status,
        to_status=dossier.status,
        from_step=from_step,
        to_step=dossier.current_step,
        note=note,
        payload=payload or {},
        before=before,
    )
    audit.record(
        actor=actor,
        action=f"dossier.{action}",
        obj_type="dossier",
        obj_id=dossier.code or str(dossier.pk),
        reason=note[:255],
        data={"from": from_status, "to": dossier.status, "step": dossier.current_step},
    )
    if dossier.code:
        _sync_to_portal(dossier, row)
    return row


def _sync_to_portal(dossier: Dossier, row: DossierAction) -> None:
    """Every status change goes to the National Public Service Portal through the outbox (same transaction)."""
    if exchange.portal_partner() is None:  # cached: no query per transition, no payload built for nothing
        return
    exchange.sync_to_portal(
        dossier_code=dossier.code,
        citizen_id=dossier.applicant_personal_id,
        sender=dossier.agency.code,
        payload={
            "ma_ho_so": dossier.code,
            "ma_thu_tuc": dossier.procedure.code,
            "ma_co_quan": dossier.agency.code,
            "trang_thai": dossier.status,
            "thao_tac": row.action,
            "seq": row.seq,
            "thoi_diem": row.at.isoformat(),
            "han_tra": _iso(dossier.due_at),
            "ket_qua_dung_han": dossier.outcome,
        },
    )


def _locked(dossier: Dossier) -> Dossier:
    # Only the dossier's row: locking its agency, procedure and version too would serialise a whole agency.
    fresh = (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("version", "agency", "procedure")
        .get(pk=dossier.pk)
    )
    return fresh


def _require_note(note: str, what: str) -> str:
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(f"Cần ghi rõ {what}.", errors=[{"field": "note", "message": f"Nhập {what}."}])
    return note


# --- submission ------------------------------------------------------------------------------------------


@dataclass
class SubmitResult:
    dossier: Dossier
    pin: str | None
    replayed: bool = False


def _request_hash(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def _target(procedure_code: str, agency_code: str) -> tuple[ProcedureOffering, ProcedureVersion]:
    """Where and under which version a dossier is received; a clear 404/422 when it cannot be."""
    target = submission_target(procedure_code, agency_code)
    if target is not None:
        return target
    if not Procedure.objects.filter(code=procedure_code, is_active=True).exists():
        raise NotFound(f"Không tìm thấy thủ tục có mã {procedure_code}.")
    if not Agency.objects.filter(code=agency_code, is_active=True).exists():
        raise NotFound(f"Không tìm thấy cơ quan có mã {agency_code}.")
    raise ValidationFailed(
        f"Cơ quan {agency_code} không tiếp nhận thủ tục {procedure_code}.",
        errors=[{"field": "agency", "message": "Cơ quan không tiếp nhận thủ tục này."}],
    )


def _applicant_fields(user: User, channel: str, agency: Agency, applicant: dict | None) -> dict:
    if channel == Channel.ONLINE:
        if not user.is_citizen and is_official(user):
            raise PermissionDenied("Hồ sơ trực tuyến do công dân hoặc doanh nghiệp tự nộp.")
        return {
            "applicant": user,
            "applicant_name": user.display_name,
            "applicant_personal_id": user.personal_id or "",
            "applicant_phone": user.phone,
            "applicant_email": user.email,
        }
    if not has_role(user, Role.DESK, agency.id):
        raise PermissionDenied("Chỉ cán bộ một cửa của cơ quan được nhập hồ sơ nộp trực tiếp hoặc qua bưu chính.")
    applicant = applicant or {}
    name = str(applicant.get("name", "")).strip()
    pid = str(applicant.get("personal_id", "")).strip()
    errors = []
    if not name:
        errors.append({"field": "applicant.name", "message": "Nhập họ tên người nộp."})
    if pid and not (len(pid) == 12 and pid.isdigit()):
        errors.append({"field": "applicant.personal_id", "message": "Số định danh gồm 12 chữ số."})
    if errors:
        raise ValidationFailed("Thông tin người nộp chưa hợp lệ.", errors=errors)
    owner = User.objects.filter(personal_id=pid).first() if pid else None
    return {
        "applicant": owner,
        "applicant_name": name[:200],
        "applicant_personal_id": pid,
        "applicant_phone": str(applicant.get("phone", ""))[:20],
        "applicant_email": str(applicant.get("email", ""))[:254],
    }


def submit_dossier(
    user: User,
    *,
    procedure_code: str,
    agency_code: str,
    channel: str,
    data: dict,
    applicant: dict | None = None,
    idempotency_key: str | None = None,
    data_sources: dict | None = None,
    enterprise: dict | None = None,
    assurance: str | Callable[[], str] | None = None,
) -> SubmitResult:
    """Receive a dossier: validate the declaration, check the applicant against the population registry, give
    it a code and PIN, start the acceptance clock.

    `data_sources` says which answers came from the registry (provide once); `enterprise` ({"tax_code", "name"})
    is the enterprise a business representative acts for, recorded with the person. `assurance` is the eID level
    of the caller's login (or a function giving it, asked only when the procedure requires a level), checked
    against what the procedure requires (None: a trusted internal caller).
    """
    if channel not in Channel.values:
        raise ValidationFailed(
            "Kênh nộp không hợp lệ.", errors=[{"field": "channel", "message": "online, in_person hoặc post."}]
        )
    if idempotency_key is not None and not (0 < len(idempotency_key) <= 128):
        raise ValidationFailed("Idempotency-Key phải có từ 1 đến 128 ký tự.")
    req_hash = _request_hash(procedure_code, agency_code, channel, data, applicant)
    if idempotency_key:
        previous = IdempotencyKey.objects.select_related("dossier").filter(user=user, key=idempotency_key).first()
        if previous is not None:
            return _replay(previous, req_hash)

    offering, version = _target(procedure_code, agency_code)
    agency, procedure = offering.agency, offering.procedure
    if channel == Channel.ONLINE and offering.online_level == OnlineLevel.NONE:
        raise ValidationFailed("Thủ tục này chưa được cung cấp trực tuyến tại cơ quan đã chọn.")
    if channel == Channel.POST and not offering.accepts_post:
        raise ValidationFailed("Cơ quan không nhận hồ sơ thủ tục này qua bưu chính.")
    if assurance is not None and channel == Channel.ONLINE:
        needed = identity.required_assurance(version)
        if needed != "none" and callable(assurance):
            assurance = assurance()
        if needed != "none" and not identity.assurance_sufficient(assurance, needed):
            raise PermissionDenied(
                f"Thủ tục này yêu cầu đăng nhập bằng định danh điện tử mức {identity.assurance_label(needed)}; "
                f"lần đăng nhập hiện tại ở mức {identity.assurance_label(assurance)}."
            )
    validate_declaration(version.form_schema, data, cache_key=f"{version.pk}:{version.number}")
    who = _applicant_fields(user, channel, agency, applicant)
    who.update(_enterprise_fields(enterprise))
    # Outside the transaction: the audit record of the registry look-up stays even when the dossier is refused.
    who["identity_status"] = identity.verify_applicant(
        user,
        data=data,
        procedure_code=procedure.code,
        dossier_ref=pending_ref(procedure.code),
        schema=version.form_schema,
    )
    who["data_sources"] = data_sources or {}

    try:
        with transaction.atomic():
            result = _create_submitted(user, procedure, version, agency, channel, data, who)
            if idempotency_key:
                IdempotencyKey.objects.create(
                    user=user, key=idempotency_key, request_hash=req_hash, dossier=result.dossier
                )
    except IntegrityError:
        # A concurrent request with the same key won the race: answer with its dossier.
        previous = IdempotencyKey.objects.select_related("dossier").filter(user=user, key=idempotency_key).first()
        if previous is None:
            raise
        return _replay(previous, req_hash)
    return result


def _enterprise_fields(enterprise: dict | None) -> dict:
    if not enterprise:
        return {}
    tax_code = str(enterprise.get("tax_code", "")).strip()
    try:
        validate_tax_code(tax_code)
    except ValueError as exc:
        raise ValidationFailed(str(exc), errors=[{"field": "enterprise.tax_code", "message": str(exc)}]) from None
    return {"enterprise_tax_code": tax_code, "enterprise_name": str(enterprise.get("name", ""))[:255]}


def _replay(previous: IdempotencyKey, req_hash: str) -> SubmitResult:
    if previous.request_hash != req_hash:
        raise Conflict("Idempotency-Key này đã được dùng cho một yêu cầu khác.", status=422)
    return SubmitResult(previous.dossier, None, replayed=True)


def _create_submitted(user, procedure, version, agency, channel, data, who) -> SubmitResult:
    now = timezone.now()
    code = codes.new_code(agency.id, agency.code, now.astimezone(TZ).date())
    pin = codes.new_pin()
    dossier = Dossier(
        code=code,
        procedure=procedure,
        version=version,
        agency=agency,
        channel=channel,
        status=Status.SUBMITTED,
        data=data,
        submitted_at=now,
        pin_hash=codes.pin_hash(code, pin),
        current_role=Role.DESK,
        **who,
    )
    dossier.variant = effective_definition(dossier).get("code", "") or ""
    if channel == Channel.ONLINE:
        dossier.acceptance_due_at = calendar_for(agency).deadline(now, ONLINE_ACCEPTANCE_HOURS, "working_hours")
    # The appointment the applicant can expect if accepted now; fixed on the receipt at acceptance.
    dossier.due_at = compute_due(dossier, now)
    row = _record(  # saves (inserts) the dossier too
        dossier,
        actor=user,
        action="submit",
        before={},
        from_status="",
        from_step="",
        payload={"channel": channel},
        role="citizen" if channel == Channel.ONLINE else Role.DESK,
        label="Nộp hồ sơ",
    )
    _after_transition(dossier, "submit", {"channel": channel}, row)
    return SubmitResult(dossier, pin)


def save_draft(
    user: User, *, procedure_code: str, agency_code: str, data: dict, draft: Dossier | None = None
) -> Dossier:
    """Keep an unfinished online form. Drafts have no code and are never counted anywhere."""
    if not isinstance(data, dict):
        raise ValidationFailed("Tờ khai phải là một đối tượng JSON.")
    offering, version = _target(procedure_code, agency_code)
    with transaction.atomic():
        if draft is None:
            draft = Dossier(
                procedure=offering.procedure,
                version=version,
                agency=offering.agency,
                channel=Channel.ONLINE,
                status=Status.DRAFT,
                applicant=user,
                applicant_name=user.display_name,
                applicant_personal_id=user.personal_id or "",
            )
        elif (
            draft.applicant_id != user.id or draft.status != Status.DRAFT or draft.procedure_id != offering.procedure_id
        ):
            raise NotFound("Không tìm thấy bản nháp.")
        else:  # the applicant may have picked another agency, or a newer version may be current
            draft.agency, draft.version = offering.agency, version
        draft.data = data
        draft.save()
    return draft


def submit_draft(
    user: User, draft: Dossier, *, data_sources: dict | None = None, enterprise: dict | None = None
) -> SubmitResult:
    if draft.applicant_id != user.id or draft.status != Status.DRAFT:
        raise NotFound("Không tìm thấy bản nháp.")
    with transaction.atomic():  # the draft disappears exactly when its dossier exists
        result = submit_dossier(
            user,
            procedure_code=draft.procedure.code,
            agency_code=draft.agency.code,
            channel=Channel.ONLINE,
            data=draft.data,
            data_sources=data_sources,
            enterprise=enterprise,
        )
        Dossier.objects.filter(pk=draft.pk, status=Status.DRAFT).delete()
    return result


def attach_document(user: User, dossier: Dossier, upload, *, doc_code: str = "", name: str = "") -> DossierDocument:
    """Store an uploaded file with the dossier after checking its size and real type."""
    from django.core.files.storage import default_storage

    if not (dossier.applicant_id == user.id or has_role(user, Role.DESK, dossier.agency_id)):
        raise NotFound("Không tìm thấy hồ sơ.")
    if dossier.status not in (Status.DRAFT, Status.SUBMITTED, Status.SUPPLEMENT_REQUESTED):
        raise Conflict("Hồ sơ không còn nhận thêm giấy tờ ở trạng thái này.")
    content_type, digest = inspect_upload(upload)
    original = safe_name(upload.name)
    stored = default_storage.save(f"dossiers/{dossier.pk}/{digest[:16]}-{original}", upload)
    try:
        with transaction.atomic():
            doc = DossierDocument.objects.create(
                dossier=dossier,
                doc_code=doc_code[:32],
                name=(name or original)[:500],
                file=stored,
                original_name=original,
                content_type=content_type,
                size=upload.size,
                sha256=digest,
                uploaded_by=user,
            )
            audit.record(
                actor=user,
                action="dossier.upload",
                obj_type="dossier",
                obj_id=dossier.code or str(dossier.pk),
                data={"sha256": digest, "size": upload.size, "type": content_type},
            )
    except Exception:
        default_storage.delete(stored)  # nothing half-written: no orphan file without its row
        raise
    return doc


# --- who may do what -------------------------------------------------------------------------------------


def available_actions(user: User, dossier: Dossier) -> list[dict]:
    """What the caller may do now, for the API and the dossier page."""
    acts: list[dict] = []
    if not user.is_authenticated:
        return acts
    agency_id = dossier.agency_id
    desk = has_role(user, Role.DESK, agency_id)
    st = dossier.status
    if desk:
        if st == Status.SUBMITTED:
            acts.append(_act("accept", "forward"))
            if dossier.supplement_count == 0:
                acts.append(_act("request_supplement", "back"))
            acts.append(_act("refuse", "other"))
        if st == Status.RESULT_READY:
            acts.append(_act("return_result", "forward"))
    if st == Status.PROCESSING:
        step = _steps(dossier).get(dossier.current_step)
        if step and has_role(user, step["role"], agency_id):
            acts.extend(
                {"action": a["action"], "label": a["label"], "kind": a.get("kind", "forward")}
                for a in step.get("actions", [])
                if not a.get("system")  # taken by the platform itself (e.g. when every linked agency answered)
            )
            if dossier.supplement_count == 0:
                acts.append(_act("request_supplement", "back"))
            if step["role"] == Role.LEADER:
                acts.append(_act("refuse", "other"))
    can_reappoint = has_role(user, Role.LEADER, agency_id) or desk
    if (
        st in (Status.PROCESSING, Status.RESULT_READY)
        and not dossier.reappointed_at
        and dossier.due_at
        and can_reappoint
    ):
        acts.append(_act("reappoint", "other"))
    if dossier.applicant_id == user.id and not dossier.parent_id:  # a linked part moves with its request
        if st == Status.SUPPLEMENT_REQUESTED:
            acts.append(_act("supplement", "forward"))
        if st in (Status.SUBMITTED, Status.SUPPLEMENT_REQUESTED, Status.PROCESSING):
            acts.append(_act("withdraw", "other"))
    if _undoable(user, dossier) is not None:
        acts.append(_act("undo", "back"))
    return acts


def _act(name: str, kind: str) -> dict:
    label = DESK_ACTIONS.get(name) or APPLICANT_ACTIONS.get(name) or OTHER_ACTIONS.get(name) or name
    return {"action": name, "label": str(label), "kind": kind}


def _undoable(user: User, dossier: Dossier) -> DossierAction | None:
    """The last action, if the workflow allows undo, it was the caller's, and it was a processing step."""
    if not effective_definition(dossier).get("workflow", {}).get("undo"):
        return None
    if dossier.status not in (Status.PROCESSING, Status.RESULT_READY):
        return None
    last = dossier.actions.order_by("-seq").first() if dossier.pk else None
    if last is None or last.actor_id != user.id or last.undone or last.action in _NOT_UNDOABLE:
        return None
    return last


_NOT_UNDOABLE = {"submit", "undo", "mark_overdue", "supplement", "withdraw", "return_result", "reappoint"}


# --- transitions -----------------------------------------------------------------------------------------


@dataclass
class Entry:
    """What a handler tells `perform` to write in the action log about the change it made."""

    role: str
    label: str
    note: str = ""
    payload: dict | None = None


def perform(user: User, dossier: Dossier, action: str, *, note: str = "", payload: dict | None = None) -> Dossier:
    """Run one action on a dossier the caller can see. Anything not offered to the caller is refused.

    The state before the handler runs is kept in the log row, so any action can be audited and undone; a handler
    that refuses raises before anything is written, and the transaction leaves nothing half-done.
    """
    payload = payload or {}
    with transaction.atomic():
        dossier = _locked(dossier)
        offered = {a["action"] for a in available_actions(user, dossier)}
        if action not in offered:
            raise Conflict(
                f"Không thể thực hiện '{action}' với hồ sơ {dossier.code} ở trạng thái "
                f"'{dossier.get_status_display()}'."
            )
        _apply(dossier, action, _HANDLERS.get(action, _workflow_action), actor=user, note=note, payload=payload)
    return dossier


def _apply(
    dossier: Dossier, action: str, handler: Callable, *, actor: User | None, note: str, payload: dict, role: str = ""
) -> None:
    """Run a handler on a locked dossier and write what it did: one log row with the state before it (so it can
    be audited and undone), one audit record, then the transition hooks — all in the caller's transaction."""
    before, from_status, from_step = _snapshot(dossier), dossier.status, dossier.current_step
    entry = handler(actor, dossier, action, note, payload)
    with override("vi"):  # the log keeps the Vietnamese label whatever language the actor reads
        label = str(entry.label)
    row = _record(
        dossier,
        actor=actor,
        action=action,
        before=before,
        from_status=from_status,
        from_step=from_step,
        note=entry.note,
        payload=entry.payload,
        role=role or entry.role,
        label=label,
    )
    _after_transition(dossier, action, payload, row)


def _after_transition(dossier: Dossier, action: str, payload: dict, row: DossierAction) -> None:
    """Hand the change to the apps that build on dossiers (linked chains, notifications, e-results, …), in the
    transition's transaction, in the order `settings.MOTCUA_TRANSITION_HOOKS` lists them:
    hook(dossier, action, payload, row=row): the request's payload, and the log row just written.

    An explicit, configured list of callables rather than signals: what runs, and in which order, is written in
    one place; each hook defers work outside the database with transaction.on_commit."""
    for hook in _hooks("MOTCUA_TRANSITION_HOOKS"):
        hook(dossier, action, payload, row=row)


@lru_cache(maxsize=4)
def _hooks(setting: str) -> tuple[Callable, ...]:
    return tuple(import_string(path) for path in getattr(settings, setting, ()))


def _accept(user, dossier, action, note, payload) -> Entry:
    checklist = payload.get("checklist") or []
    if not isinstance(checklist, list):
        raise ValidationFailed("Danh mục kiểm tra giấy tờ phải là một danh sách.")
    now = timezone.now()
    dossier.accepted_at = now
    dossier.due_at = compute_due(dossier, now)
    dossier.original_due_at = dossier.due_at
    dossier.checklist = checklist
    dossier.status = Status.PROCESSING
    _enter_step(dossier, _first_step(dossier), now)
    return Entry(Role.DESK, DESK_ACTIONS["accept"], note, {"checklist": checklist, "due_at": _iso(dossier.due_at)})


def _enter_step(dossier: Dossier, step: dict | None, now: datetime) -> None:
    if step is None:
        dossier.status = Status.RESULT_READY
        dossier.current_step = ""
        dossier.current_role = Role.DESK
        dossier.result_ready_at = now
        dossier.step_due_at = None
        return
    dossier.current_step = step["code"]
    dossier.current_role = step["role"]
    dossier.step_started_at = now
    dossier.step_due_at = _step_due(dossier, step, now)
    dossier.assignee = None


def _close(dossier: Dossier, status: str, now: datetime) -> None:
    dossier.status = status
    dossier.current_role = ""
    dossier.finished_at = now
    dossier.paused_at = None
    dossier.due_soon = dossier.overdue = dossier.apology_due = False


def _request_supplement(user, dossier, action, note, payload) -> Entry:
    note = _require_note(note, "các giấy tờ, nội dung cần bổ sung")
    missing = payload.get("missing") or []
    if not isinstance(missing, list):
        raise ValidationFailed("Danh sách giấy tờ cần bổ sung phải là một danh sách.")
    resume_status = dossier.status
    now = timezone.now()
    version = dossier.version
    dossier.supplement_count += 1
    dossier.status = Status.SUPPLEMENT_REQUESTED
    if resume_status == Status.PROCESSING and version.pause_on_supplement:
        dossier.paused_at = now
    if version.supplement_days:
        dossier.supplement_due_at = calendar_for(dossier.agency).deadline(
            now, int(version.supplement_days), "working_days"
        )
    role = Role.DESK if resume_status == Status.SUBMITTED else dossier_role(user, dossier)
    return Entry(role, DESK_ACTIONS["request_supplement"], note, {"missing": missing, "resume_status": resume_status})


def _supplement(user, dossier, action, note, payload) -> Entry:
    request = dossier.actions.filter(action="request_supplement").order_by("-seq").first()
    resume_status = (request.payload or {}).get("resume_status", Status.SUBMITTED) if request else Status.SUBMITTED
    data = payload.get("data")
    if data is not None:
        validate_declaration(dossier.version.form_schema, data)
        dossier.data = data
    now = timezone.now()
    if dossier.paused_at:
        cal = calendar_for(dossier.agency)
        unit = effective_definition(dossier).get("time_unit")
        unit = "working_hours" if unit == TimeUnit.WORKING_HOURS else "working_days"
        if dossier.due_at:
            dossier.due_at = cal.resume_after_pause(dossier.due_at, dossier.paused_at, now, unit)
            dossier.original_due_at = dossier.due_at
        if dossier.step_due_at:
            dossier.step_due_at = min(
                cal.resume_after_pause(dossier.step_due_at, dossier.paused_at, now, "working_hours"),
                dossier.due_at or dossier.step_due_at,
            )
        dossier.paused_at = None
    dossier.status = resume_status
    dossier.supplement_due_at = None
    return Entry("citizen", APPLICANT_ACTIONS["supplement"], note, {"data_changed": data is not None})


def _refuse(user, dossier, action, note, payload) -> Entry:
    note = _require_note(note, "lý do từ chối")
    role = dossier_role(user, dossier)
    _close(dossier, Status.REFUSED, timezone.now())
    return Entry(role, DESK_ACTIONS["refuse"], note, {"reasons": payload.get("reasons") or [note]})


def _return_result(user, dossier, action, note, payload) -> Entry:
    for guard in _hooks("MOTCUA_RETURN_GUARDS"):  # e.g. an unpaid fee: raises Conflict, nothing is written
        guard(dossier, payload)
    now = timezone.now()
    _close(dossier, Status.RETURNED, now)
    dossier.outcome = _outcome(dossier.result_ready_at or now, dossier.due_at)
    return Entry(
        Role.DESK,
        DESK_ACTIONS["return_result"],
        note,
        {"outcome": dossier.outcome, "method": payload.get("method", "desk")},
    )


def _withdraw(user, dossier, action, note, payload) -> Entry:
    _close(dossier, Status.WITHDRAWN, timezone.now())
    return Entry("citizen", APPLICANT_ACTIONS["withdraw"], note)


def _reappoint(user, dossier, action, note, payload) -> Entry:
    """Apology and one new appointment (form 04), at least one working day before the deadline."""
    note = _require_note(note, "lý do chậm trễ (nội dung xin lỗi)")
    cal = calendar_for(dossier.agency)
    now = timezone.now()
    if cal.working_days_between(now.astimezone(TZ).date(), dossier.due_at.astimezone(TZ).date()) < 1:
        raise Conflict("Phải gửi văn bản xin lỗi và hẹn lại chậm nhất 01 ngày làm việc trước ngày hẹn trả.")
    new_due = _new_appointment(cal, dossier.due_at, payload)
    old_due = dossier.due_at
    dossier.due_at = new_due
    dossier.reappointed_at = now
    dossier.apology_due = False
    dossier.overdue = False
    return Entry(
        dossier_role(user, dossier),
        OTHER_ACTIONS["reappoint"],
        note,
        {"old_due_at": _iso(old_due), "new_due_at": _iso(new_due)},
    )


def _new_appointment(cal, due_at: datetime, payload: dict) -> datetime:
    """The new date: given as ISO 8601 (`new_due_at`) or as working days added (`extra_working_days`)."""
    new_due = None
    if payload.get("new_due_at"):
        new_due = parse_datetime(str(payload["new_due_at"]))
        if new_due is None or new_due.tzinfo is None:
            raise ValidationFailed(
                "Ngày hẹn mới phải theo ISO 8601, có múi giờ.",
                errors=[{"field": "new_due_at", "message": "Sai định dạng."}],
            )
    elif payload.get("extra_working_days"):
        try:
            extra = int(payload["extra_working_days"])
        except (TypeError, ValueError):
            extra = 0
        if extra < 1:
            raise ValidationFailed("Số ngày làm việc gia hạn phải ≥ 1.")
        new_due = cal.deadline(due_at, extra, "working_days")
    if new_due is None or new_due <= due_at:
        raise ValidationFailed(
            "Ngày hẹn mới phải sau ngày hẹn hiện tại.",
            errors=[{"field": "new_due_at", "message": "Quá sớm."}],
        )
    return new_due


def _undo(user, dossier, action, note, payload) -> Entry:
    last = _undoable(user, dossier)
    if last is None:
        raise Conflict("Không có thao tác nào có thể hoàn tác.")
    _restore(dossier, last.before)
    DossierAction.objects.filter(pk=last.pk).update(undone=True)
    return Entry(last.actor_role, OTHER_ACTIONS["undo"], note, {"undid_seq": last.seq, "undid_action": last.action})


def _workflow_action(user, dossier, action, note, payload) -> Entry:
    steps = _steps(dossier)
    step = steps.get(dossier.current_step)
    spec = next((a for a in (step or {}).get("actions", []) if a["action"] == action), None)
    if spec is None:
        raise Conflict(f"Bước hiện tại không có thao tác '{action}'.")
    if spec.get("kind") == "back":
        _require_note(note, "lý do trả lại")
    target = spec.get("to")
    _enter_step(dossier, None if target == "result" else steps[target], timezone.now())
    kept = {k: v for k, v in payload.items() if k in ("opinion", "result_summary")}
    return Entry(step["role"], spec.get("label", action), note, kept)


_HANDLERS = {
    "accept": _accept,
    "request_supplement": _request_supplement,
    "supplement": _supplement,
    "refuse": _refuse,
    "return_result": _return_result,
    "withdraw": _withdraw,
    "reappoint": _reappoint,
    "undo": _undo,
}


# --- moves made by the platform itself (linked-services coordination, expired supplement deadlines) -------


def system_action(dossier: Dossier, action: str, *, note: str = "", payload: dict | None = None) -> Dossier:
    """Move a dossier with no user behind it; logged with the role 'system'. Only three moves exist: a workflow
    action marked `"system": true` (e.g. every linked agency has answered), return the result, refuse."""
    payload = payload or {}
    with transaction.atomic():
        dossier = _locked(dossier)
        if action == "return_result" and dossier.status == Status.RESULT_READY:
            handler = _return_result
        elif action == "refuse" and dossier.status in OPEN_STATUSES:
            handler = _system_refuse
        elif dossier.status == Status.PROCESSING and any(
            a["action"] == action and a.get("system")
            for a in _steps(dossier).get(dossier.current_step, {}).get("actions", [])
        ):
            handler = _workflow_action
        else:
            raise Conflict(f"Hệ thống không thể thực hiện '{action}' với hồ sơ {dossier.code} lúc này.")
        _apply(dossier, action, handler, actor=None, note=note, payload=payload, role="system")
    return dossier


def _system_refuse(user, dossier, action, note, payload) -> Entry:
    _close(dossier, Status.REFUSED, timezone.now())
    return Entry("system", DESK_ACTIONS["refuse"], note, {"reasons": payload.get("reasons") or [note]})


def open_linked_subdossier(
    parent: Dossier, *, procedure_code: str, agency_code: str, data: dict, due_at: datetime | None, step_name: str
) -> Dossier:
    """Split one agency's part out of a linked request: a dossier of that procedure, already accepted (the desk
    checked the whole request once), at its first processing step, with the step's deadline and its own code."""
    offering, version = _target(procedure_code, agency_code)
    known = (version.form_schema or {}).get("properties")
    if known:  # the agency's own declaration: the fields its form has, taken from the linked one
        data = {k: v for k, v in data.items() if k in known}
    now = timezone.now()
    with transaction.atomic():
        dossier = Dossier(
            code=codes.new_code(offering.agency_id, offering.agency.code, now.astimezone(TZ).date()),
            procedure=offering.procedure,
            version=version,
            agency=offering.agency,
            channel=parent.channel,
            status=Status.PROCESSING,
            parent=parent,
            applicant=parent.applicant,
            applicant_name=parent.applicant_name,
            applicant_personal_id=parent.applicant_personal_id,
            applicant_phone=parent.applicant_phone,
            applicant_email=parent.applicant_email,
            identity_status=parent.identity_status,
            data=data,
            submitted_at=now,
            accepted_at=now,
        )
        dossier.variant = effective_definition(dossier).get("code", "") or ""
        dossier.due_at = due_at or compute_due(dossier, now)
        dossier.original_due_at = dossier.due_at
        _enter_step(dossier, _first_step(dossier), now)
        _record(
            dossier,
            actor=None,
            action="accept",
            before={},
            from_status="",
            from_step="",
            note=f"Tách từ hồ sơ liên thông {parent.code}: {step_name}",
            payload={"parent": parent.code, "due_at": _iso(dossier.due_at)},
            role="system",
            label="Tiếp nhận hồ sơ liên thông",
        )
    return dossier


def dossier_role(user: User, dossier: Dossier) -> str:
    step = _steps(dossier).get(dossier.current_step)
    if step and has_role(user, step["role"], dossier.agency_id):
        return step["role"]
    for role in (Role.DESK, Role.LEADER, Role.SPECIALIST):
        if has_role(user, role, dossier.agency_id):
            return role
    return ""


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# --- the sweeper -----------------------------------------------------------------------------------------


def _calendars_of_open_dossiers() -> list[tuple[list[int], Any]]:
    """Agencies with dossiers in progress, grouped by their desk hours: one calendar serves each group."""
    from motcua.worktime.services import agency_periods

    groups: dict[Any, list[Agency]] = {}
    for agency in (
        Agency.objects.filter(dossiers__status=Status.PROCESSING).distinct().only("id", "code", "work_periods")
    ):
        groups.setdefault(agency_periods(agency), []).append(agency)
    return [([a.id for a in members], calendar_for(members[0])) for members in groups.values()]


def sweep(now: datetime | None = None) -> dict[str, int]:
    """Mark due-soon, overdue, apology-due and late-acceptance flags. Idempotent; safe to run any time.

    The flags compare `due_at` with one instant per calendar (agencies sharing desk hours share one), not per
    dossier, so a sweep is a handful of UPDATE statements whatever the number of dossiers.
    """
    now = now or timezone.now()
    counts = {"overdue": 0, "due_soon": 0, "apology_due": 0, "acceptance_breached": 0, "supplement_expired": 0}
    open_qs = Dossier.objects.filter(status=Status.PROCESSING, paused_at__isnull=True, due_at__isnull=False)
    with transaction.atomic():
        newly_overdue = list(open_qs.filter(overdue=False, due_at__lt=now).values_list("pk", flat=True))
        counts["overdue"] = open_qs.filter(due_at__lt=now).update(overdue=True, due_soon=False, apology_due=False)
        for agencies, cal in _calendars_of_open_dossiers():
            soon_limit = cal.add_working_hours(now, settings.MOTCUA_DUE_SOON_WORKING_HOURS)
            apology_limit = cal.deadline(now, 1, "working_days")
            mine = open_qs.filter(agency_id__in=agencies, due_at__gte=now)
            counts["due_soon"] += mine.filter(due_at__lte=soon_limit).update(due_soon=True)
            mine.filter(due_at__gt=soon_limit, due_soon=True).update(due_soon=False)
            counts["apology_due"] += mine.filter(reappointed_at__isnull=True, due_at__lte=apology_limit).update(
                apology_due=True
            )
        counts["acceptance_breached"] = Dossier.objects.filter(
            status=Status.SUBMITTED,
            channel=Channel.ONLINE,
            acceptance_breached=False,
            acceptance_due_at__lt=now,
        ).update(acceptance_breached=True)
        for dossier in Dossier.objects.filter(
            status=Status.SUPPLEMENT_REQUESTED, supplement_due_at__lt=now
        ).select_related("agency", "procedure", "version"):
            system_action(
                dossier,
                "refuse",
                note="Quá thời hạn bổ sung hồ sơ mà người nộp chưa bổ sung: hồ sơ bị từ chối.",
                payload={"reasons": ["Quá thời hạn bổ sung hồ sơ"]},
            )
            counts["supplement_expired"] += 1
        for dossier in Dossier.objects.filter(pk__in=newly_overdue).select_related("agency"):
            before = _snapshot(dossier)
            before["overdue"] = False
            _record(
                dossier,
                actor=None,
                action="mark_overdue",
                before=before,
                from_status=dossier.status,
                from_step=dossier.current_step,
                note="Hồ sơ đã quá hạn giải quyết.",
                role="system",
                label="Đánh dấu quá hạn",
            )
    return counts
