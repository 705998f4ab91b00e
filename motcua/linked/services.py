"""The linked-services engine: one request split into one step per agency, run over the exchange outbox.

How a chain runs:
1. The citizen submits the linked procedure (e.g. 2.000986) once; the desk accepts it once (or asks for
   completion once; the sweeper refuses it when the 7-working-day supplement time runs out).
2. `start_chain` (called in the acceptance's transaction) creates the steps the declaration asks for and sends
   every step with nothing to wait for. Sending = an outbox message to the step's partner: an external system
   (police, social insurance…) or an "internal" agency, whose handler here opens a sub-dossier that the agency's
   officials process like any dossier.
3. Each outcome (answer, signed callback, or the officials finishing the sub-dossier) settles the message; the
   outbox calls `_on_settled` in the same transaction, which records the step's result and sends the steps that
   were waiting for it, their payloads built from the declaration and the earlier results (no retyping).
4. A rejection stops the steps that depend on it (blocked) and keeps the others; when nothing is pending the
   umbrella dossier gets its result (all, or part of it) or is refused when nothing could be done.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from motcua.core.errors import Conflict, NotFound, ValidationFailed
from motcua.dossiers import services as dossiers
from motcua.dossiers.models import Dossier, Status
from motcua.exchange import services as exchange
from motcua.exchange.adapters import AcceptedLater, Outcome, Rejected, register_internal
from motcua.exchange.models import ExchangePartner, OutboxMessage
from motcua.worktime.calc import TZ
from motcua.worktime.services import calendar_for

from . import results
from .groups import GroupSpec, all_groups, build_payload, group_for
from .models import ChainEvent, ChainStatus, ChainStep, LinkedChain, StepStatus

log = logging.getLogger("motcua.linked")
M = OutboxMessage.Status
FAILED_STEPS = (StepStatus.REJECTED, StepStatus.BLOCKED, StepStatus.CANCELLED)
META_KEY = "_lien_thong"
BIRTH_GROUP, BIRTH_REGISTRATION = (
    "2.000986",
    "1.001193",
)  # envelope facts added to every step payload (not part of the agency's declaration)


# --- called by the dossier engine ------------------------------------------------------------------------------


def after_transition(dossier: Dossier, action: str, payload: dict, row: Any = None) -> None:
    """React to a dossier's change, inside its transaction: start/stop a chain, or settle a sub-dossier's step."""
    if dossier.parent_id:
        if dossier.status in (Status.RESULT_READY, Status.REFUSED):
            _sub_dossier_settled(dossier)
        return
    group = group_for(dossier.procedure.code)
    if group is not None:
        if action == "accept":
            source = _follow_on_source(dossier)
            done = {group.steps[0].code: {**source.result, "ma_ho_so": source.code}} if source else None
            start_chain(dossier, group, verification=bool(payload.get("verification")), done=done, source=source)
        elif action in ("refuse", "withdraw"):
            chain = LinkedChain.objects.filter(dossier=dossier, status=ChainStatus.OPEN).first()
            if chain is not None:
                cancel_chain(chain, reason=f"Hồ sơ liên thông {dossier.get_status_display().lower()}.")
    elif dossier.status == Status.RESULT_READY and dossier.procedure.code in results.ISSUERS:
        results.issue_result(dossier)  # a stand-alone birth/death registration: its result feeds life events


# --- the life-event trigger: a finished birth registration proposes the rest of the chain ---------------------


def follow_on_declaration(user: Any, source: Dossier) -> dict:
    """The linked declaration pre-filled for the parent: the birth registration's answers and result, the
    household from the population registry when it answers, sensible defaults; the parent only confirms."""
    from motcua.catalog.selectors import submission_target
    from motcua.identity import services as identity

    target = submission_target(BIRTH_GROUP, source.agency.code)
    if target is None:
        raise NotFound("Cơ quan không tiếp nhận thủ tục liên thông khai sinh.")
    version = target[1]
    known = set((version.form_schema or {}).get("properties", {}))
    data = {k: v for k, v in (source.data or {}).items() if k in known}
    data.update(
        {
            "tt_dia_chi_tinh": source.agency.province_code,
            "tt_dia_chi_xa": source.agency.commune_code or "",
            "tt_quan_he_chu_ho": "con",
            "bhyt_noi_kcb_ban_dau": f"Trạm y tế {source.agency.name.removeprefix('UBND ')}",
            "hinh_thuc_nhan_ket_qua": "truc_tuyen",
        }
    )
    for name, spec in identity.prefill_for(user, version).items():
        data.setdefault(name, spec["value"])
        if name.startswith("tt_"):
            data[name] = spec["value"]
    return {k: v for k, v in data.items() if v not in (None, "")}


def confirm_follow_on(user: Any, source_code: str, data: dict) -> dossiers.SubmitResult:
    """The parent confirms the proposal: one linked request whose birth step is the finished registration."""
    from .selectors import follow_on_proposal

    source = follow_on_proposal(user, source_code)
    if source is None:
        raise NotFound("Không có đề xuất nào cho hồ sơ này.")
    return dossiers.submit_dossier(
        user,
        procedure_code=BIRTH_GROUP,
        agency_code=source.agency.code,
        channel="online",
        data=data,
        data_sources={"follow_on_of": source.code},
    )


def _follow_on_source(dossier: Dossier) -> Dossier | None:
    code = (dossier.data_sources or {}).get("follow_on_of")
    if not code:
        return None
    return Dossier.objects.filter(
        code=code, applicant_id=dossier.applicant_id, procedure__code=BIRTH_REGISTRATION, result__has_key="so_dinh_danh"
    ).first()


# --- starting, advancing, finishing ----------------------------------------------------------------------------


def start_chain(
    dossier: Dossier,
    group: GroupSpec,
    *,
    verification: bool = False,
    done: dict[str, dict] | None = None,
    source: Dossier | None = None,
) -> LinkedChain:
    """Create the chain of an accepted umbrella dossier and send the first steps (same transaction).

    `done` gives results already obtained (the life-event trigger reuses a finished birth registration)."""
    now = timezone.now()
    specs = group.selected_steps(dossier.data or {})
    missing = sorted(
        {s.partner for s in specs if s.code not in (done or {})}
        - set(ExchangePartner.objects.filter(active=True).values_list("code", flat=True))
    )
    if missing:
        raise Conflict(f"Chưa cấu hình liên thông với cơ quan: {', '.join(missing)}. Liên hệ quản trị hệ thống.")
    if verification:
        cal = calendar_for(dossier.agency)
        dossier.due_at = cal.deadline(
            dossier.accepted_at or now, group.limit_with_verification, "working_days", cutoff=dossier.version.cutoff
        )
        dossier.original_due_at = dossier.due_at
        Dossier.objects.filter(pk=dossier.pk).update(due_at=dossier.due_at, original_due_at=dossier.due_at)
    chain = LinkedChain.objects.create(
        dossier=dossier,
        group=group.code,
        verification=verification,
        started_at=now,
        source_dossier=source,
    )
    for position, spec in enumerate(specs):
        step = ChainStep.objects.create(
            chain=chain,
            position=position,
            code=spec.code,
            name=spec.name,
            procedure_code=spec.procedure,
            partner_code=spec.partner,
            kind=spec.kind,
            after=list(spec.after),
            result_name=spec.result_name,
        )
        if done and spec.code in done:
            step.status, step.result, step.finished_at = StepStatus.DONE, done[spec.code], now
            step.reference = done[spec.code].get("ma_ho_so", "")
            step.save()
            _event(chain, "reused", f"Dùng lại kết quả đã có: {spec.result_name}", step.code, now)
    names = "; ".join(s.name for s in specs)
    due = timezone.localtime(dossier.due_at, TZ).strftime("%H:%M %d/%m/%Y") if dossier.due_at else "—"
    _event(chain, "started", f"Bắt đầu giải quyết liên thông {len(specs)} thủ tục ({names}); hẹn trả {due}.", "", now)
    _advance(chain, now)
    return chain


def _advance(chain: LinkedChain, now: datetime) -> None:
    """Send every waiting step whose predecessors are done; block those behind a failure; finish when idle."""
    steps = list(chain.steps.select_for_update().order_by("position"))
    by_code = {s.code: s for s in steps}
    umbrella = chain.dossier
    for step in steps:
        if step.status != StepStatus.WAITING:
            continue
        deps = [by_code[c] for c in step.after if c in by_code]
        failed = [d for d in deps if d.status in FAILED_STEPS]
        if failed:
            step.status, step.finished_at = StepStatus.BLOCKED, now
            step.reasons = [
                {
                    "code": "buoc_truoc_khong_thanh",
                    "message": f"Không thực hiện vì bước «{failed[0].name}» không thành.",
                }
            ]
            step.save()
            _event(chain, "blocked", f"Dừng «{step.name}» vì «{failed[0].name}» không thành.", step.code, now)
        elif all(d.status == StepStatus.DONE for d in deps) and chain.status == ChainStatus.OPEN:
            _send(chain, umbrella, step, {d.code: d.result for d in steps if d.status == StepStatus.DONE}, now)
    if chain.status == ChainStatus.OPEN and not any(s.is_pending for s in steps):
        _finish(chain, steps, now)


def _send(chain: LinkedChain, umbrella: Dossier, step: ChainStep, done: dict[str, dict], now: datetime) -> None:
    spec = group_for(chain.group).by_code[step.code]
    payload = build_payload(spec, umbrella.data or {}, done)
    payload[META_KEY] = {
        "ma_ho_so_lien_thong": umbrella.code,
        "nhom": chain.group,
        "buoc": step.code,
        "ma_thu_tuc": step.procedure_code,
        "co_quan_tiep_nhan": umbrella.agency.code,
    }
    cal = calendar_for(umbrella.agency)
    # The step's own time, never after the request's appointment (the umbrella's; a re-appointment moves it).
    own = cal.deadline(now, spec.working_days, "working_days", cutoff=umbrella.version.cutoff)
    step.due_at = min(own, umbrella.due_at) if umbrella.due_at else own
    step.message = exchange.enqueue(
        partner_code=step.partner_code,
        kind=step.kind,
        payload=payload,
        dossier_code=umbrella.code,
        acting_citizen_id=umbrella.applicant_personal_id,
        sender_agency_code=umbrella.agency.code,
    )
    step.status, step.started_at = StepStatus.SENT, now
    step.save()
    partner = ExchangePartner.objects.filter(code=step.partner_code).values_list("name", flat=True).first()
    _event(chain, "sent", f"Chuyển «{step.name}» đến {partner or step.partner_code}.", step.code, now)


def _finish(chain: LinkedChain, steps: list[ChainStep], now: datetime) -> None:
    done = [s for s in steps if s.status == StepStatus.DONE]
    failed = [s for s in steps if s.status in (StepStatus.REJECTED, StepStatus.BLOCKED)]
    chain.status = ChainStatus.COMPLETED if not failed else (ChainStatus.PARTIAL if done else ChainStatus.FAILED)
    chain.finished_at = now
    chain.save(update_fields=["status", "finished_at"])
    umbrella = chain.dossier
    if done:
        text = f"Đã có {len(done)}/{len(steps)} kết quả."
        if failed:
            text += " Không thành: " + "; ".join(f"{s.name} ({_reason_text(s)})" for s in failed)
        _event(chain, "finished", text, "", now)
        umbrella = dossiers.system_action(umbrella, "hoan_tat_lien_thong", note=text)
        if (umbrella.data or {}).get("hinh_thuc_nhan_ket_qua") == "truc_tuyen":
            dossiers.system_action(
                umbrella,
                "return_result",
                note="Trả kết quả điện tử: các kết quả được gửi vào kho dữ liệu của công dân trên Cổng dịch vụ công.",
                payload={"method": "electronic"},
            )
    else:
        reasons = [f"{s.name}: {_reason_text(s)}" for s in failed]
        _event(chain, "failed", "Không thủ tục nào giải quyết được. " + "; ".join(reasons), "", now)
        dossiers.system_action(umbrella, "refuse", note="; ".join(reasons)[:2000], payload={"reasons": reasons})


def _reason_text(step: ChainStep) -> str:
    return step.reasons_text or "không rõ lý do"


def cancel_chain(chain: LinkedChain, *, reason: str) -> None:
    """The umbrella was refused or withdrawn: stop every pending step (results already issued stay)."""
    now = timezone.now()
    chain.status, chain.finished_at = ChainStatus.CANCELLED, now
    chain.save(update_fields=["status", "finished_at"])
    for step in chain.steps.select_for_update(of=("self",)).select_related("sub_dossier").filter(status__in=_PENDING):
        step.status, step.finished_at = StepStatus.CANCELLED, now
        step.save(update_fields=["status", "finished_at"])
        if step.sub_dossier_id and step.sub_dossier.status in (Status.PROCESSING, Status.SUBMITTED):
            dossiers.system_action(step.sub_dossier, "refuse", note=f"Dừng giải quyết: {reason}")
    _event(chain, "cancelled", f"Dừng giải quyết liên thông: {reason}", "", now)


_PENDING = (StepStatus.WAITING, StepStatus.SENT, StepStatus.IN_PROGRESS)


def _event(chain: LinkedChain, kind: str, text: str, step_code: str, at: datetime, data: dict | None = None) -> None:
    ChainEvent.objects.create(chain=chain, kind=kind, text=text[:500], step_code=step_code, at=at, data=data or {})


# --- outcomes of the messages (answers, callbacks, internal sub-dossiers) --------------------------------------


def _on_settled(message: OutboxMessage) -> None:
    """The outbox settled a step's message (same transaction): record it on the step and move the chain on."""
    step = ChainStep.objects.select_for_update(of=("self",)).select_related("chain").filter(message=message).first()
    if step is None:
        return
    chain = LinkedChain.objects.select_for_update(of=("self",)).select_related("dossier").get(pk=step.chain_id)
    now = timezone.now()
    response = message.response or {}
    if message.status == M.ACCEPTED_LATER and step.status == StepStatus.SENT:
        step.status, step.reference = StepStatus.IN_PROGRESS, str(response.get("ticket") or "")[:64]
        step.save(update_fields=["status", "reference"])
        _event(chain, "received", f"Cơ quan đã tiếp nhận «{step.name}», số {step.reference}.", step.code, now)
        return
    if message.status == M.DEAD:
        _event(
            chain,
            "undelivered",
            f"Chưa chuyển được «{step.name}» sau {message.attempts} lần thử; bộ phận kỹ thuật đang xử lý.",
            step.code,
            now,
        )
        return
    if step.status not in (StepStatus.SENT, StepStatus.IN_PROGRESS):
        return  # already settled, or the chain was stopped: the late answer is kept on the message only
    if message.status == M.ACCEPTED:
        step.status, step.result, step.finished_at = StepStatus.DONE, response.get("result") or {}, now
        if not step.reference:
            step.reference = str(response.get("ticket") or step.result.get("so_thong_bao") or "")[:64]
        step.save()
        _event(chain, "done", f"Có kết quả «{step.result_name or step.name}».", step.code, now)
    elif message.status == M.REJECTED:
        step.status, step.reasons, step.finished_at = StepStatus.REJECTED, response.get("reasons") or [], now
        step.save()
        _event(chain, "rejected", f"«{step.name}» bị từ chối: {_reason_text(step)}", step.code, now)
    if chain.status == ChainStatus.OPEN:
        _advance(chain, now)


def _sub_dossier_settled(sub: Dossier) -> None:
    """The officials of an internal agency finished (or refused) the sub-dossier of a step."""
    step = ChainStep.objects.select_for_update().filter(sub_dossier=sub).first()
    if step is None or step.status not in (StepStatus.SENT, StepStatus.IN_PROGRESS) or step.message_id is None:
        return
    message = OutboxMessage.objects.select_for_update().get(pk=step.message_id)
    if sub.status == Status.RESULT_READY:
        result = {**results.issue_result(sub), "ma_ho_so": sub.code}
        dossiers.system_action(
            sub,
            "return_result",
            note=f"Kết quả chuyển về hồ sơ liên thông {sub.parent.code}.",
            payload={"method": "lien_thong"},
        )
        exchange.complete(message, "accepted", result=result)
    else:
        last = sub.actions.filter(action="refuse").order_by("-seq").first()
        note = last.note if last else "Cơ quan từ chối giải quyết."
        exchange.complete(message, "rejected", reasons=[{"code": "tu_choi", "message": note}])


def _open_internal(message: OutboxMessage) -> Outcome:
    """An 'internal' agency: open (once) the sub-dossier its officials will process; the result comes later."""
    try:
        with transaction.atomic():
            step = (
                ChainStep.objects.select_for_update(of=("self",))
                .select_related("chain__dossier__agency", "sub_dossier")
                .filter(message=message)
                .first()
            )
            if step is None:
                return Rejected([{"code": "khong_co_buoc", "message": "Thông điệp không thuộc hồ sơ liên thông nào."}])
            if step.sub_dossier_id:  # a re-delivery after a crash: the same sub-dossier, the same ticket
                return AcceptedLater(ticket=step.sub_dossier.code)
            if not step.procedure_code:
                return Rejected([{"code": "khong_ho_tro", "message": f"«{step.name}» chưa có quy trình nội bộ."}])
            umbrella = step.chain.dossier
            data = {k: v for k, v in message.payload.items() if k != META_KEY}
            sub = dossiers.open_linked_subdossier(
                umbrella,
                procedure_code=step.procedure_code,
                agency_code=umbrella.agency.code,
                data=data,
                due_at=step.due_at,
                step_name=step.name,
            )
            step.sub_dossier, step.reference = sub, sub.code
            step.save(update_fields=["sub_dossier", "reference"])
            return AcceptedLater(ticket=sub.code)
    except (NotFound, ValidationFailed) as exc:
        return Rejected([{"code": "khong_tiep_nhan", "message": str(exc.detail)}])


def _register_kinds() -> None:
    for group in all_groups().values():
        for spec in group.steps:
            exchange.register_settled(spec.kind)(_on_settled)
            register_internal(spec.kind)(_open_internal)


_register_kinds()


# --- reading helpers used by pages and the API ------------------------------------------------------------------


def results_of(chain: LinkedChain) -> list[dict[str, Any]]:
    """The results the citizen receives together: one per finished step, in the chain's order."""
    return [
        {"step": s.code, "name": s.result_name or s.name, "reference": s.reference, "result": s.result}
        for s in chain.steps.all()
        if s.status == StepStatus.DONE
    ]
