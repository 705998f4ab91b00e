"""One dossier's life, written as the services would have written it: the dossier row, its action log, its
payments. Each transition below restates a handler of `motcua.dossiers.services` (same fields changed, same
`before` snapshot, same role, label, note and payload shapes), and the sweeper's work (`services.sweep`, every
five minutes) is replayed at the instants it would have run: overdue marks, due-soon and apology flags, late
acceptance, refusal when a supplement deadline passes.

Times are whole epoch seconds. Events strictly before `as_of` happen; a sweep at `as_of` itself is applied, so
the year ends in a state a real sweep at that instant would leave unchanged.
"""

from __future__ import annotations

import json
import random
from bisect import bisect_left
from math import exp, log

from django.utils.translation import override

from motcua.dossiers.services import APPLICANT_ACTIONS, DESK_ACTIONS, OTHER_ACTIONS

from .fastcal import DAY, EPOCH_ORD, OFFSET, FastCalendar, compute_due, local_ord, step_due
from .world import AgencyInfo, Move, Proc, World

SWEEP = 300  # the worker's sweep period (run_worker --sweep-every)
ONLINE_ACCEPTANCE_SECONDS = 8 * 3600  # services.ONLINE_ACCEPTANCE_HOURS
DUE_SOON_SECONDS = 8 * 3600  # settings.MOTCUA_DUE_SOON_WORKING_HOURS

# --- rates of the model (per dossier) ---------------------------------------------------------------------------
P_DESK_REFUSE = 0.012  # not competent / not eligible, at the desk
P_DESK_SUPPLEMENT = {"online": 0.12, "in_person": 0.06, "post": 0.08}  # incomplete at reception (account holders)
P_PROCESSING_SUPPLEMENT = 0.05  # the specialist finds something missing
P_NEVER_SUPPLEMENTS = 0.1
P_WITHDRAW_BEFORE = 0.004
P_WITHDRAW_PROCESSING = 0.004
P_LEADER_REFUSE = 0.008
P_BACK = 0.04  # the leader sends the file back to the specialist once
P_OTHER = 0.3  # an optional step (consulting other agencies) when the workflow has one
BASE_LATE, BASE_ON_TIME = 0.04, 0.16  # × the agency's and the procedure's factors
P_REAPPOINT = 0.35  # of the dossiers that will be late, when the leader sees it coming (one working day ahead)
P_NEVER_PAYS = 0.02
P_FAILED_PAYMENT = 0.05  # a first online attempt fails (card declined) before the one that pays
P_DESK_PAY_AT_ACCEPTANCE = 0.8

with override("vi"):
    L_SUBMIT = "Nộp hồ sơ"
    L_ACCEPT = str(DESK_ACTIONS["accept"])
    L_SUPPLEMENT_REQUEST = str(DESK_ACTIONS["request_supplement"])
    L_REFUSE = str(DESK_ACTIONS["refuse"])
    L_RETURN = str(DESK_ACTIONS["return_result"])
    L_SUPPLEMENT = str(APPLICANT_ACTIONS["supplement"])
    L_WITHDRAW = str(APPLICANT_ACTIONS["withdraw"])
    L_REAPPOINT = str(OTHER_ACTIONS["reappoint"])
    L_OVERDUE = "Đánh dấu quá hạn"

NOTE_OVERDUE = "Hồ sơ đã quá hạn giải quyết."
NOTE_EXPIRED = "Quá thời hạn bổ sung hồ sơ mà người nộp chưa bổ sung: hồ sơ bị từ chối."
REASON_EXPIRED = "Quá thời hạn bổ sung hồ sơ"
SUPPLEMENT_NOTES = (
    ("Bổ sung bản chụp giấy tờ tùy thân rõ nét, đủ hai mặt.", "Bản chụp giấy tờ tùy thân"),
    ("Bổ sung giấy tờ chứng minh chỗ ở hợp pháp.", "Giấy tờ chứng minh chỗ ở hợp pháp"),
    ("Tờ khai thiếu chữ ký của người yêu cầu; đề nghị bổ sung.", "Tờ khai có chữ ký"),
    ("Bổ sung bản sao có chứng thực giấy tờ theo thành phần hồ sơ.", "Bản sao có chứng thực"),
    ("Thông tin trên tờ khai chưa khớp giấy tờ kèm theo; đề nghị kê khai lại.", "Tờ khai kê khai lại"),
)
REFUSE_NOTES = (
    "Yêu cầu không thuộc thẩm quyền giải quyết của cơ quan.",
    "Hồ sơ không đủ điều kiện giải quyết theo quy định.",
    "Người yêu cầu không đủ điều kiện theo quy định của thủ tục.",
    "Giấy tờ kèm theo không hợp lệ.",
)
LEADER_REFUSE_NOTES = (
    "Kết quả thẩm định: hồ sơ không đủ điều kiện cấp theo quy định.",
    "Không đủ căn cứ pháp lý để giải quyết yêu cầu.",
)
BACK_NOTE = "Đề nghị chuyên viên kiểm tra lại nội dung dự thảo kết quả."
REAPPOINT_NOTE = "Hồ sơ cần thêm thời gian xác minh; cơ quan xin lỗi và hẹn lại ngày trả kết quả."
WITHDRAW_NOTE = "Người nộp đề nghị rút hồ sơ."
DESK_PAID_NOTE = "Đã thu tại bộ phận một cửa."
DESK_PAID_AT_RETURN_NOTE = "Đã thu tại bộ phận một cửa (ghi nhận khi trả kết quả)."

# Ratings and feedback (motcua.analytics.feedback): only the applicant with an account rates a returned dossier.
P_RATE = {"online": 0.35, "in_person": 0.12, "post": 0.1}
P_FEEDBACK, P_FEEDBACK_UNSATISFIED = 0.05, 0.35  # a feedback text comes with the rating
P_FEEDBACK_ANSWERED_ON_TIME = 0.88
P_FEEDBACK_RATED = 0.6
FEEDBACK_WORKING_DAYS = 10  # MOTCUA_FEEDBACK_HANDLING_WORKING_DAYS
COMMENTS = (
    "Cán bộ hướng dẫn tận tình.",
    "Thủ tục nhanh gọn.",
    "Nộp trực tuyến thuận tiện, không phải đi lại.",
    "Trả kết quả đúng hẹn.",
)
FEEDBACK_TEXTS = (
    "Đề nghị rút ngắn thời gian chờ tại bộ phận một cửa.",
    "Hồ sơ trả chậm so với ngày hẹn, đề nghị cơ quan xem xét.",
    "Hướng dẫn thành phần hồ sơ chưa rõ, phải bổ sung nhiều lần.",
    "Đề nghị niêm yết công khai mức phí, lệ phí tại bộ phận một cửa.",
)
FEEDBACK_ANSWER = "Cơ quan đã tiếp thu, kiểm tra và chấn chỉnh; cảm ơn ông/bà đã phản ánh."

EARLY, ON_TIME, LATE = "early", "on_time", "late"
DELIVERY = {  # channel → [(delivery choice in the declaration, cumulative probability)]
    "online": (("truc_tuyen", 0.6), ("truc_tiep", 0.9), ("buu_chinh", 1.0)),
    "in_person": (("truc_tiep", 0.85), ("buu_chinh", 0.95), ("truc_tuyen", 1.0)),
    "post": (("buu_chinh", 0.8), ("truc_tiep", 1.0)),
}
RETURN_METHOD = {"truc_tuyen": "online", "buu_chinh": "post", "truc_tiep": "desk"}


# --- formatting ----------------------------------------------------------------------------------------------------

_TOD = [f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]
_DAYS: dict[int, str] = {}


def _day(o: int) -> str:
    text = _DAYS.get(o)
    if text is None:
        from datetime import date

        text = _DAYS[o] = date.fromordinal(o).isoformat()
    return text


_ISO: dict[int, str] = {}
_JISO: dict[int | None, str] = {None: "null"}
_TS_PG: dict[int | None, str | None] = {None: None}
_TS_LITE: dict[int | None, str | None] = {None: None}
_CACHE_LIMIT = 2_000_000


def clear_caches() -> None:
    """The formatting caches hold one entry per distinct instant: emptied between chunks."""
    for cache in (_ISO, _JISO, _TS_PG, _TS_LITE):
        if len(cache) > _CACHE_LIMIT // 4:
            cache.clear()
    _JISO[None] = "null"
    _TS_PG[None] = _TS_LITE[None] = None


def iso(s: int) -> str:
    """The instant as Django's services write it into JSON (datetime.isoformat() in Asia/Ho_Chi_Minh)."""
    text = _ISO.get(s)
    if text is None:
        loc = s + OFFSET
        text = _ISO[s] = f"{_day(loc // DAY + EPOCH_ORD)}T{_TOD[loc % DAY]}+07:00"
    return text


def jiso(s: int | None) -> str:
    text = _JISO.get(s)
    if text is None:
        text = _JISO[s] = f'"{iso(s)}"'
    return text


def ts_postgres(s: int | None) -> str | None:
    """A timestamptz literal PostgreSQL's COPY reads (local time with its offset)."""
    try:
        return _TS_PG[s]
    except KeyError:
        loc = s + OFFSET
        text = _TS_PG[s] = f"{_day(loc // DAY + EPOCH_ORD)} {_TOD[loc % DAY]}+07"
        return text


def ts_sqlite(s: int | None) -> str | None:
    """Django's SQLite storage of an aware datetime: naive UTC text."""
    try:
        return _TS_LITE[s]
    except KeyError:
        text = _TS_LITE[s] = f"{_day(s // DAY + EPOCH_ORD)} {_TOD[s % DAY]}"
        return text


_YYMMDD: dict[int, str] = {}


def dossier_code(agency_code: str, day: int, number: int) -> str:
    """codes.format_code without strftime: `<agency code>-<YYMMDD>-<NNNN>`."""
    text = _YYMMDD.get(day)
    if text is None:
        d = _day(day)
        text = _YYMMDD[day] = f"{d[2:4]}{d[5:7]}{d[8:10]}"
    return f"{agency_code}-{text}-{number:04d}"


def outcome_of(result_at: int, due: int | None) -> str:
    """services._outcome on epoch seconds."""
    if due is None:
        return ON_TIME
    if result_at > due:
        return LATE
    if local_ord(result_at) < local_ord(due):
        return EARLY
    return ON_TIME


def next_sweep(t: int) -> int:
    """The first sweep strictly after t."""
    return t - t % SWEEP + SWEEP


def _j(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


# --- the rows ------------------------------------------------------------------------------------------------------

DOSSIER_COLUMNS = (
    "id", "code", "procedure_id", "version_id", "variant", "agency_id", "channel", "status", "applicant_id",
    "applicant_name", "applicant_personal_id", "applicant_phone", "applicant_email", "enterprise_tax_code",
    "enterprise_name", "identity_status", "data_sources", "data", "checklist", "current_step", "current_role",
    "assignee_id", "created_at", "updated_at", "submitted_at", "acceptance_due_at", "acceptance_breached",
    "accepted_at", "due_at", "original_due_at", "reappointed_at", "step_started_at", "step_due_at", "paused_at",
    "supplement_due_at", "supplement_count", "result_ready_at", "finished_at", "outcome", "due_soon", "overdue",
    "apology_due", "pin_hash", "action_count", "parent_id", "result",
)  # fmt: skip
ACTION_COLUMNS = (
    "dossier_id", "seq", "at", "actor_id", "actor_role", "action", "label", "from_status", "to_status", "from_step",
    "to_step", "note", "payload", "before", "undone",
)  # fmt: skip
PAYMENT_COLUMNS = (
    "id", "dossier_id", "method", "gateway", "status", "amount_vnd", "purpose", "fee", "txn_ref", "idempotency_key",
    "payer_id", "created_at", "expires_at", "paid_at", "closed_at", "updated_at", "request_params", "confirmed_by",
    "gateway_txn_no", "bank_code", "bank_txn_no", "card_type", "response_code", "transaction_status",
    "gateway_paid_at", "gateway_amount_vnd", "note", "refund_reason", "refund_attempts", "refund_txn_no",
    "refunded_at", "receipt", "receipt_no", "receipt_sha256", "receipt_issued_at", "receipt_deposited",
    "last_queried_at", "event_count",
)  # fmt: skip
EVENT_COLUMNS = (
    "payment_id", "seq", "at", "kind", "source", "from_status", "to_status", "actor_id", "params", "note",
)  # fmt: skip
RATING_COLUMNS = ("dossier_id", "applicant_id", "scores", "satisfied", "comment", "created_at")
FEEDBACK_COLUMNS = (
    "dossier_id", "applicant_id", "agency_id", "text", "status", "created_at", "due_at", "handler_id", "answer",
    "handled_at", "handled_on_time", "applicant_satisfied", "rated_at",
)  # fmt: skip


class Chunk:
    """The rows of a batch of dossiers, in the column orders above."""

    def __init__(self) -> None:
        self.dossiers: list[tuple] = []
        self.actions: list[tuple] = []
        self.payments: list[tuple] = []  # payment ids are given by the writer: the tuple's first item is None
        self.events: list[tuple] = []  # (payment index in this chunk, ...) until the writer knows the ids
        self.ratings: list[tuple] = []
        self.feedback: list[tuple] = []


# --- a dossier -----------------------------------------------------------------------------------------------------


class Life:
    """One dossier, from submission to its state at `as_of`. Build with the header, then `run()`."""

    def __init__(self, world: World, chunk: Chunk, rng: random.Random, ts, hasher) -> None:
        self.w = world
        self.chunk = chunk
        self.rng = rng
        self.ts = ts
        self.pin_hash = hasher
        self.as_of = world.as_of

    # --- state ----------------------------------------------------------------------------------------------------
    def _reset(self, dossier_id: int, agency: AgencyInfo, proc: Proc, channel: str) -> None:
        self.id = dossier_id
        self.agency = agency
        self.cal: FastCalendar = agency.cal
        self.proc = proc
        self.channel = channel
        self.status = "submitted"
        self.step = ""
        self.role = ""
        self.accepted = self.due = self.original_due = self.reappointed = None
        self.step_started = self.step_due = self.paused = self.supplement_due = None
        self.supplement_count = 0
        self.result_ready = self.finished = None
        self.outcome = ""
        self.due_soon = self.overdue = self.apology_due = False
        self.acceptance_due = None
        self.breached = False
        self.action_count = 0
        self.last = 0
        self.proc_since = 0
        self.resume_status = "submitted"
        self.actions = self.chunk.actions

    def snapshot(self, overdue: bool | None = None) -> str:
        return (
            f'{{"status":"{self.status}","current_step":"{self.step}","current_role":"{self.role}",'
            f'"assignee_id":null,"accepted_at":{jiso(self.accepted)},"due_at":{jiso(self.due)},'
            f'"original_due_at":{jiso(self.original_due)},"reappointed_at":{jiso(self.reappointed)},'
            f'"step_started_at":{jiso(self.step_started)},"step_due_at":{jiso(self.step_due)},'
            f'"paused_at":{jiso(self.paused)},"supplement_due_at":{jiso(self.supplement_due)},'
            f'"supplement_count":{self.supplement_count},"result_ready_at":{jiso(self.result_ready)},'
            f'"finished_at":{jiso(self.finished)},"outcome":"{self.outcome}",'
            f'"due_soon":{"true" if self.due_soon else "false"},'
            f'"overdue":{"true" if (self.overdue if overdue is None else overdue) else "false"},'
            f'"apology_due":{"true" if self.apology_due else "false"},"checklist":[]}}'
        )

    def record(self, t, actor, role, action, label, before, from_status, from_step, note="", payload="{}") -> None:
        self.action_count += 1
        self.last = t
        self.actions.append(
            (self.id, self.action_count, self.ts(t), actor, role, action, label, from_status, self.status, from_step,
             self.step, note, payload, before, False)
        )  # fmt: skip

    # --- the sweeper ----------------------------------------------------------------------------------------------
    def _flags(self, s: int) -> None:
        """What a sweep at instant s sets on a dossier in processing (not paused)."""
        due = self.due
        if due is None:
            return
        if due < s:
            self.overdue, self.due_soon, self.apology_due = True, False, False
            return
        self.due_soon = due <= self.cal.add_working_seconds(s, DUE_SOON_SECONDS)
        if self.reappointed is None and due <= self.cal.add_working_days(s, 1):
            self.apology_due = True

    def advance(self, t: int) -> bool:
        """Let the sweeps between the last event and t act on a dossier in processing; False when t is past the
        end of the year (the dossier stays as the sweep at `as_of` leaves it)."""
        if self.status == "processing" and self.paused is None and self.due is not None:
            if not self.overdue:
                s = next_sweep(max(self.due, self.proc_since))
                if s <= t and s <= self.as_of:
                    self.overdue, self.due_soon, self.apology_due = True, False, False
                    before = self.snapshot(overdue=False)
                    self.record(s, None, "system", "mark_overdue", L_OVERDUE, before, self.status, self.step,
                                NOTE_OVERDUE)  # fmt: skip
            s = min(t, self.as_of)
            s -= s % SWEEP
            if s > self.proc_since:
                self._flags(s)
        return t < self.as_of

    def advance_submitted(self, t_from: int, t: int) -> bool:
        """Status submitted over (t_from, t]: a sweep flags an online dossier not acknowledged in time."""
        if self.acceptance_due is not None and not self.breached:
            s = next_sweep(max(self.acceptance_due, t_from))
            if s <= t and s <= self.as_of:
                self.breached = True
        return t < self.as_of

    # --- the transitions (services.py handlers) -------------------------------------------------------------------
    def enter_step(self, code: str | None, t: int) -> None:
        if code is None:
            self.status = "result_ready"
            self.step = ""
            self.role = "desk"
            self.result_ready = t
            self.step_due = None
            return
        step = self.proc.steps[code]
        self.step = code
        self.role = step.role
        self.step_started = t
        self.step_due = step_due(self.cal, self.accepted, self.due, step.share, t)

    def close(self, status: str, t: int) -> None:
        self.status = status
        self.role = ""
        self.finished = t
        self.paused = None
        self.due_soon = self.overdue = self.apology_due = False

    def submit(self, t: int, actor: int, role: str) -> None:
        self.role = "desk"
        if self.channel == "online":
            self.acceptance_due = self.cal.add_working_seconds(t, ONLINE_ACCEPTANCE_SECONDS)
        p = self.proc
        self.due = compute_due(self.cal, p.time_value, p.time_unit, p.cutoff, t)
        self.record(t, actor, role, "submit", L_SUBMIT, "{}", "", "", "", f'{{"channel":"{self.channel}"}}')

    def accept(self, t: int) -> None:
        before, frm, frm_step = self.snapshot(), self.status, self.step
        p = self.proc
        self.accepted = t
        self.due = compute_due(self.cal, p.time_value, p.time_unit, p.cutoff, t)
        self.original_due = self.due
        self.status = "processing"
        self.proc_since = t
        if self.owes_online and self.pay_delay is not None:
            self.pay_time = t + self.pay_delay
        self.enter_step(p.first_step, t)
        self.record(t, self.agency.staff["desk"], "desk", "accept", L_ACCEPT, before, frm, frm_step, "",
                    f'{{"checklist":[],"due_at":{jiso(self.due)}}}')  # fmt: skip

    def move(self, m: Move, t: int) -> None:
        before, frm, frm_step = self.snapshot(), self.status, self.step
        role = self.proc.steps[self.step].role
        self.enter_step(None if m.to == "result" else m.to, t)
        self.record(t, self.agency.staff[role], role, m.action, m.label, before, frm, frm_step,
                    BACK_NOTE if m.kind == "back" else "")  # fmt: skip

    def request_supplement(self, t: int) -> None:
        before, frm, frm_step = self.snapshot(), self.status, self.step
        self.resume_status = self.status
        self.supplement_count += 1
        self.status = "supplement_requested"
        if self.resume_status == "processing" and self.proc.pause_on_supplement:
            self.paused = t
        if self.proc.supplement_days:
            self.supplement_due = self.cal.add_working_days(t, int(self.proc.supplement_days))
        role = "desk" if self.resume_status == "submitted" else self.role
        note, missing = self.rng.choice(SUPPLEMENT_NOTES)
        self.record(t, self.agency.staff.get(role, self.agency.staff["desk"]), role, "request_supplement",
                    L_SUPPLEMENT_REQUEST, before, frm, frm_step, note,
                    f'{{"missing":[{_j(missing)}],"resume_status":"{self.resume_status}"}}')  # fmt: skip

    def supplement(self, t: int, actor: int) -> None:
        before, frm, frm_step = self.snapshot(), self.status, self.step
        if self.paused is not None:
            unit = "working_hours" if self.proc.time_unit == "working_hours" else "working_days"
            if self.due is not None:
                self.due = self.cal.resume_after_pause(self.due, self.paused, t, unit)
                self.original_due = self.due
            if self.step_due is not None:
                resumed = self.cal.resume_after_pause(self.step_due, self.paused, t, "working_hours")
                self.step_due = min(resumed, self.due if self.due is not None else self.step_due)
            self.paused = None
        self.status = self.resume_status
        self.supplement_due = None
        if self.status == "processing":
            self.proc_since = t
        self.record(t, actor, "citizen", "supplement", L_SUPPLEMENT, before, frm, frm_step, "",
                    '{"data_changed":false}')  # fmt: skip

    def refuse(self, t: int, actor: int | None, role: str, note: str, reason: str | None = None) -> None:
        before, frm, frm_step = self.snapshot(), self.status, self.step
        self.close("refused", t)
        self.record(t, actor, role, "refuse", L_REFUSE, before, frm, frm_step, note,
                    f'{{"reasons":[{_j(reason or note)}]}}')  # fmt: skip

    def withdraw(self, t: int, actor: int) -> None:
        before, frm, frm_step = self.snapshot(), self.status, self.step
        self.close("withdrawn", t)
        self.record(t, actor, "citizen", "withdraw", L_WITHDRAW, before, frm, frm_step, WITHDRAW_NOTE)

    def reappoint(self, t: int, extra_days: int) -> None:
        before, frm, frm_step = self.snapshot(), self.status, self.step
        old = self.due
        self.due = self.cal.add_working_days(old, extra_days)
        self.reappointed = t
        self.apology_due = False
        self.overdue = False
        self.record(t, self.agency.staff["leader"], "leader", "reappoint", L_REAPPOINT, before, frm, frm_step,
                    REAPPOINT_NOTE, f'{{"old_due_at":{jiso(old)},"new_due_at":{jiso(self.due)}}}')  # fmt: skip

    def return_result(self, t: int, method: str) -> None:
        before, frm, frm_step = self.snapshot(), self.status, self.step
        self.close("returned", t)
        self.outcome = outcome_of(self.result_ready if self.result_ready is not None else t, self.due)
        self.record(t, self.agency.staff["desk"], "desk", "return_result", L_RETURN, before, frm, frm_step, "",
                    f'{{"outcome":"{self.outcome}","method":"{method}"}}')  # fmt: skip

    # --- timing ---------------------------------------------------------------------------------------------------
    def lognormal(self, median: float, sigma: float) -> float:
        return exp(log(median) + sigma * self.rng.gauss(0, 1))

    def working_later(self, t: int, median: float, sigma: float, minimum: int = 60) -> int:
        return self.cal.add_working_seconds(t, max(minimum, int(self.lognormal(median, sigma))))

    def outcome_class(self) -> str:
        r = self.rng.random()
        late = min(0.5, BASE_LATE * self.agency.late_factor * self.proc.late_factor)
        if r < late:
            return LATE
        if r < late + min(0.6, BASE_ON_TIME * self.agency.ontime_factor):
            return ON_TIME
        return EARLY

    def target(self, t_from: int, cls: str) -> int:
        """When the result will be ready, starting from t_from, for an outcome class against the current due."""
        cal, due = self.cal, self.due
        if due is None:
            return self.working_later(t_from, 2 * 3600, 0.9)
        p_from = cal.position(t_from)
        od = local_ord(due)
        day_start = cal.position(cal.opening(od))
        early_lo, early_hi = p_from + 300, day_start
        ontime_lo, ontime_hi = max(p_from + 60, day_start), cal.position(due)
        if cls == ON_TIME and ontime_hi <= ontime_lo:
            cls = EARLY
        if cls == EARLY and early_hi - early_lo < 600:
            cls = ON_TIME if ontime_hi > ontime_lo else LATE
        if cls == EARLY:
            return cal.instant(early_lo + int((early_hi - early_lo) * self.rng.betavariate(1.2, 2.8)))
        if cls == ON_TIME:
            return cal.instant(ontime_lo + int((ontime_hi - ontime_lo) * self.rng.random()) + 1)
        return self.working_later(max(due, t_from), 8 * 3600, 1.2)

    def plan_moves(self, code: str) -> list[Move | None]:
        """The workflow actions from step `code` to the result (None: the leader refuses instead)."""
        steps, rng = self.proc.steps, self.rng
        moves: list[Move | None] = []
        detoured = False
        for _ in range(4 * len(steps) + 4):
            st = steps[code]
            if st.role == "leader" and rng.random() < P_LEADER_REFUSE:
                moves.append(None)
                return moves
            if st.other is not None and not detoured and rng.random() < P_OTHER:
                m, detoured = st.other, True
            elif st.back is not None and not detoured and rng.random() < P_BACK:
                m, detoured = st.back, True
            else:
                m = st.forward
            moves.append(m)
            if m.to == "result":
                return moves
            code = m.to
        raise RuntimeError(f"workflow of {self.proc.code} does not reach a result")  # pragma: no cover

    def schedule(self, t_from: int, moves: list, cls: str) -> list[int]:
        """Times of the moves: the working time to the target shared by the steps' shares (with some noise)."""
        cal = self.cal
        p0 = cal.position(t_from)
        p1 = max(cal.position(self.target(t_from, cls)), p0 + 60 * len(moves))
        weights = [max(0.05, 0.3 if m is None else m.share) * self.lognormal(1.0, 0.5) for m in moves]
        total, acc, times, prev = sum(weights), 0.0, [], t_from
        for i, w in enumerate(weights):
            acc += w
            pos = p1 if i == len(weights) - 1 else p0 + max(i + 1, int((p1 - p0) * acc / total))
            t = cal.instant(pos) if pos > 0 else t_from
            if t <= prev:
                t = prev + 1
            times.append(t)
            prev = t
        return times

    # --- the whole life -------------------------------------------------------------------------------------------
    def run(self, dossier_id, t0, agency, proc, channel, code, person, enterprise) -> None:
        self._reset(dossier_id, agency, proc, channel)
        _w, rng, people = self.w, self.rng, self.w.people
        citizen = people.user_id[person]
        online = channel == "online"
        submitter = citizen if online else agency.staff["desk"]
        self.code = code
        self.payment_plan()
        self.submit(t0, submitter, "citizen" if online else "desk")
        delivery = None
        if proc.delivery_field:
            r = rng.random()
            delivery = next(v for v, c in DELIVERY[channel] if r <= c)
        self.delivery = delivery or "truc_tiep"
        self.desk_phase(t0, citizen)
        self.rows(t0, channel, code, person, enterprise, delivery)
        self.payments(citizen)
        if self.status == "returned" and citizen is not None and rng.random() < P_RATE[channel]:
            self.rate(citizen)

    def desk_phase(self, t0: int, citizen: int | None) -> None:
        rng, ch = self.rng, self.channel
        if ch == "online":
            t1 = self.working_later(t0, 1.5 * 3600, 1.0)
        elif ch == "post":
            t1 = self.working_later(t0, 3600, 0.8)
        else:
            t1 = t0 + rng.randint(60, 900)
        if citizen is not None and rng.random() < P_WITHDRAW_BEFORE:
            tw = t0 + int((t1 - t0) * rng.random()) + 1
            if self.advance_submitted(t0, tw):
                self.withdraw(tw, citizen)
            return
        if not self.advance_submitted(t0, t1):
            return
        r = rng.random()
        if r < P_DESK_REFUSE:
            self.refuse(t1, self.agency.staff["desk"], "desk", rng.choice(REFUSE_NOTES))
            return
        if citizen is not None and r < P_DESK_REFUSE + P_DESK_SUPPLEMENT[ch]:
            self.request_supplement(t1)
            t2 = self.await_supplement(t1, citizen)
            if t2 is None:
                return
            t3 = self.working_later(t2, 1.5 * 3600, 1.0)
            if not self.advance_submitted(t2, t3):
                return
            if rng.random() < P_DESK_REFUSE:
                self.refuse(t3, self.agency.staff["desk"], "desk", rng.choice(REFUSE_NOTES))
                return
            t1 = t3
        self.accept(t1)
        self.processing_phase(t1, citizen)

    def await_supplement(self, t_req: int, citizen: int) -> int | None:
        """The applicant supplements (returns when), or never does: refused by the sweep when the supplement
        deadline passes, or withdrawn, or still waiting at the end of the year."""
        rng = self.rng
        never = rng.random() < P_NEVER_SUPPLEMENTS
        t_sup = None if never else t_req + max(600, int(self.lognormal(1.5 * DAY, 0.9)))
        if self.supplement_due is not None:
            s = next_sweep(max(self.supplement_due, t_req))
            if (t_sup is None or s <= t_sup) and s <= self.as_of:
                self.refuse(s, None, "system", NOTE_EXPIRED, REASON_EXPIRED)
                return None
        if t_sup is None:
            tw = t_req + int(self.lognormal(10 * DAY, 0.5))
            if rng.random() < 0.5 and tw < self.as_of:
                self.withdraw(tw, citizen)
            return None
        if t_sup >= self.as_of:
            return None
        self.supplement(t_sup, citizen)
        return t_sup

    def processing_phase(self, ta: int, citizen: int | None) -> None:
        rng = self.rng
        cls = self.outcome_class()
        moves = self.plan_moves(self.step)
        times = self.schedule(ta, moves, cls)
        supplement = citizen is not None and rng.random() < P_PROCESSING_SUPPLEMENT
        reappoint = cls == LATE and self.due is not None and rng.random() < P_REAPPOINT
        withdraw_at = None
        if citizen is not None and rng.random() < P_WITHDRAW_PROCESSING:
            withdraw_at = ta + int((times[-1] - ta) * rng.random()) + 1
        t_prev = ta
        i = 0
        while i < len(moves):
            te = times[i]
            if supplement and i == 0:
                supplement = False
                ts = t_prev + max(1, int((te - t_prev) * rng.random()))
                if not self.advance(ts):
                    return
                self.request_supplement(ts)
                t2 = self.await_supplement(ts, citizen)
                if t2 is None:
                    return
                times = self.schedule(t2, moves[i:], cls)
                moves, i, t_prev = moves[i:], 0, t2
                withdraw_at = None
                continue
            if reappoint and i == len(moves) - 1 and self.due is not None:
                reappoint = False
                t_ap = self.reappoint_time(t_prev)
                if t_ap is not None and t_ap < te:
                    if not self.advance(t_ap):
                        return
                    self.reappoint(t_ap, rng.choice((2, 3, 3, 5, 7)))
                    cls = EARLY if rng.random() < 0.35 else (ON_TIME if rng.random() < 0.7 else LATE)
                    times = self.schedule(t_ap, moves[i:], cls)
                    moves, i, t_prev = moves[i:], 0, t_ap
                    continue
            if withdraw_at is not None and withdraw_at < te:
                if self.advance(withdraw_at):
                    self.withdraw(withdraw_at, citizen)
                return
            if not self.advance(te):
                return
            m = moves[i]
            if m is None:
                self.refuse(te, self.agency.staff["leader"], "leader", rng.choice(LEADER_REFUSE_NOTES))
                return
            self.move(m, te)
            t_prev = te
            i += 1
        self.result_phase()

    def reappoint_time(self, t_from: int) -> int | None:
        """An instant on the working day before the due date (the apology must come a working day ahead)."""
        cal = self.cal
        od = local_ord(self.due)
        wd = cal.working_days
        k = bisect_left(wd, od) - 1
        if k < 0:
            return None
        start = cal.position(cal.opening(wd[k]))
        t = cal.instant(start + 1 + int(self.rng.random() * (cal.seconds_per_day - 1)))
        if t <= t_from or cal.working_days_between(local_ord(t), od) < 1:
            return None
        return t

    def result_phase(self) -> None:
        tr = self.result_ready
        method = RETURN_METHOD[self.delivery]
        if method == "online":
            t_ret = self.working_later(tr, 1200, 0.8)
        elif method == "post":
            t_ret = self.working_later(tr, 3 * 3600, 0.8)
        else:
            t_ret = self.working_later(tr, 8 * 3600, 1.0)
        if self.owes_online:
            if self.pay_time is None:
                return  # the fee is never paid: the result waits at the desk
            if self.pay_time >= t_ret:
                t_ret = self.working_later(self.pay_time, 1800, 0.8)
        if t_ret >= self.as_of:
            return
        self.return_result(t_ret, method)

    # --- money ----------------------------------------------------------------------------------------------------
    def payment_plan(self) -> None:
        amount, fee_json, _ = self.proc.fee[self.channel]
        self.amount, self.fee_json = amount, fee_json
        self.owes_online = amount > 0 and self.channel == "online"
        self.pay_time = self.pay_delay = None
        if self.owes_online and self.rng.random() >= P_NEVER_PAYS:
            self.pay_delay = int(self.lognormal(8 * 3600, 1.2)) + 120
        self.paid_at_acceptance = amount > 0 and not self.owes_online and self.rng.random() < P_DESK_PAY_AT_ACCEPTANCE

    def payments(self, citizen: int | None) -> None:
        """The fee's payments, as payments.services writes them (status paid, with its events)."""
        if self.amount <= 0 or self.accepted is None:
            return
        rng = self.rng
        open_until = self.finished if self.status in ("refused", "withdrawn") else self.as_of
        if self.owes_online:
            if self.pay_time is None or self.pay_time >= open_until:
                return
            if rng.random() < P_FAILED_PAYMENT:
                self._online_payment(self.pay_time - rng.randint(600, 7200), citizen, paid=False)
            self._online_payment(self.pay_time, citizen, paid=True)
            return
        if self.status == "returned" and not self.paid_at_acceptance:
            self._desk_payment(self.finished, None, DESK_PAID_AT_RETURN_NOTE)
        elif self.paid_at_acceptance and self.accepted + 60 < open_until:
            self._desk_payment(self.accepted + rng.randint(60, 300), self.agency.staff["desk"], DESK_PAID_NOTE)

    def _purpose(self) -> str:
        return f"Phí, lệ phí hồ sơ {self.code}: {self.proc.name}"[:255]

    def _ref(self, t: int) -> str:
        loc = t + OFFSET
        day = _day(loc // DAY + EPOCH_ORD)
        return f"{day[2:4]}{day[5:7]}{day[8:10]}{self.rng.getrandbits(48):012X}"

    def _online_payment(self, t_paid: int, payer: int | None, *, paid: bool) -> None:
        ts, chunk = self.ts, self.chunk
        created = t_paid - self.rng.randint(60, 400)
        ref = self._ref(created)
        amount = self.amount
        key = f"pay-{self.rng.getrandbits(64):016x}"
        bank_txn = f"VNP{self.rng.getrandbits(32):010d}"
        gateway_no = f"{self.rng.getrandbits(26):08d}"
        redirect = (f'{{"vnp_Amount":"{amount * 100}","vnp_Command":"pay","vnp_CurrCode":"VND",'
                    f'"vnp_TxnRef":"{ref}","vnp_OrderType":"other"}}')  # fmt: skip
        status = "paid" if paid else "failed"
        code = "00" if paid else "51"
        index = len(chunk.payments)
        chunk.payments.append(
            (None, self.id, "online", "vnpay", status, amount, self._purpose(), self.fee_json, ref, key, payer,
             ts(created), ts(created + 900), ts(t_paid) if paid else None, ts(t_paid), ts(t_paid), redirect,
             "ipn", gateway_no, "NCB", bank_txn, "ATM", code, code, ts(t_paid), amount, "", "", 0, "", None, "",
             "" if not paid else "#receipt", "", None, False, None, 3)
        )  # fmt: skip
        ipn = (f'{{"vnp_Amount":"{amount * 100}","vnp_BankCode":"NCB","vnp_ResponseCode":"{code}",'
               f'"vnp_TransactionNo":"{gateway_no}","vnp_TransactionStatus":"{code}",'
               f'"vnp_TxnRef":"{ref}"}}')  # fmt: skip
        note = "" if paid else f"Cổng thanh toán báo không thành công (mã {code})."
        chunk.events.append((index, 1, ts(created), "created", "citizen", "", "created", payer, self.fee_json, ""))
        chunk.events.append((index, 2, ts(created), "redirected", "citizen", "created", "pending", payer, redirect,
                             "Chuyển người nộp sang cổng thanh toán."))  # fmt: skip
        chunk.events.append((index, 3, ts(t_paid), "paid" if paid else "failed", "ipn", "pending", status, None,
                             ipn, note))  # fmt: skip

    def _desk_payment(self, t: int, actor: int | None, note: str) -> None:
        ts, chunk = self.ts, self.chunk
        ref = "QUAY" + self._ref(t)
        index = len(chunk.payments)
        chunk.payments.append(
            (None, self.id, "desk", "", "paid", self.amount, self._purpose(), self.fee_json, ref,
             f"desk:{self.rng.getrandbits(64):016x}", None, ts(t), None, ts(t), ts(t), ts(t), "{}", "desk", "", "",
             "", "", "", "", None, None, note, "", 0, "", None, "", "#receipt", "", None, False, None, 1)
        )  # fmt: skip
        chunk.events.append((index, 1, ts(t), "paid_at_desk", "desk", "", "paid", actor, "{}", note))

    # --- the applicant's rating and feedback -------------------------------------------------------------------
    def rate(self, citizen: int) -> None:
        """feedback.rate (and _open_feedback, answer, rate_answer) as the applicant and the agency would."""
        rng, ts, chunk = self.rng, self.ts, self.chunk
        t = self.finished + max(300, int(self.lognormal(DAY, 1.2)))
        if t >= self.as_of:
            return
        base = 4.6 if rng.random() < self.agency.satisfaction else 3.0
        scores = {}
        for criterion in ("tiep_can", "thu_tuc", "cong_chuc", "thoi_gian", "ket_qua"):
            mean = base - (1.5 if criterion == "thoi_gian" and self.outcome == LATE else 0.0)
            scores[criterion] = min(5, max(1, round(rng.gauss(mean, 0.6))))
        satisfied = sum(scores.values()) / len(scores) >= 4
        comment = rng.choice(COMMENTS) if satisfied and rng.random() < 0.2 else ""
        chunk.ratings.append((self.id, citizen, json.dumps(scores), satisfied, comment, ts(t)))
        if rng.random() >= (P_FEEDBACK if satisfied else P_FEEDBACK_UNSATISFIED):
            return
        due = self.cal.add_working_days(t, FEEDBACK_WORKING_DAYS)
        text = FEEDBACK_TEXTS[1] if self.outcome == LATE else rng.choice(FEEDBACK_TEXTS)
        if rng.random() < P_FEEDBACK_ANSWERED_ON_TIME:
            handled = self.cal.add_working_seconds(t, int(self.cal.working_seconds_between(t, due) * rng.random()) + 60)
        else:
            handled = self.working_later(due, 3 * 8 * 3600, 0.8)
        if handled >= self.as_of:
            chunk.feedback.append((self.id, citizen, self.agency.id, text, "open", ts(t), ts(due), None, "", None,
                                   None, None, None))  # fmt: skip
            return
        rated_at, pleased = None, None
        if rng.random() < P_FEEDBACK_RATED:
            rated = handled + max(600, int(self.lognormal(DAY, 1.0)))
            if rated < self.as_of:
                rated_at, pleased = rated, rng.random() < (0.8 if handled <= due else 0.45)
        handler = self.agency.staff["leader" if rng.random() < 0.3 else "desk"]
        chunk.feedback.append((self.id, citizen, self.agency.id, text, "answered", ts(t), ts(due), handler,
                               FEEDBACK_ANSWER, ts(handled), handled <= due, pleased, ts(rated_at)))  # fmt: skip

    # --- the dossier row -------------------------------------------------------------------------------------------
    def rows(self, t0, channel, code, person, enterprise, delivery) -> None:
        w, proc, ppl = self.w, self.proc, self.w.people
        name, pid = ppl.name[person], ppl.pid[person]
        if proc.template is None:
            data = (
                f'{{"ho_ten":{ppl.name_json[person]},"so_dinh_danh":"{pid}","dien_thoai":"{ppl.phone[person]}",'
                f'"dia_chi":{ppl.address_json[person]},"noi_dung":"Đề nghị giải quyết thủ tục theo quy định.",'
                f'"hinh_thuc_nhan_ket_qua":"{delivery or "truc_tiep"}"}}'
            )
        else:
            filled = dict(proc.template)
            for field, source in proc.registry_fields.items():
                filled[field] = {"name": name, "pid": pid, "address": ppl.address[person]}[source]
            if proc.delivery_field and delivery:
                filled[proc.delivery_field] = delivery
            data = json.dumps(filled, ensure_ascii=False)
        citizen = ppl.user_id[person]
        if channel == "online":
            identity = "verified" if self.rng.random() < 0.99 else "to_verify"
        else:
            identity = "verified" if proc.registry_fields and citizen is not None else "to_verify"
        ent_code, ent_name = ("", "") if enterprise is None else enterprise
        ts = self.ts
        self.chunk.dossiers.append(
            (self.id, code, proc.procedure_id, proc.version_id, proc.variant, self.agency.id, channel, self.status,
             citizen, name, pid, ppl.phone[person], ppl.email[person], ent_code, ent_name, identity,
             w.marker, data, "[]", self.step, self.role, None, ts(t0),
             ts(self.last), ts(t0), ts(self.acceptance_due), self.breached, ts(self.accepted), ts(self.due),
             ts(self.original_due), ts(self.reappointed), ts(self.step_started), ts(self.step_due), ts(self.paused),
             ts(self.supplement_due), self.supplement_count, ts(self.result_ready), ts(self.finished), self.outcome,
             self.due_soon, self.overdue, self.apology_due, self.pin_hash(code), self.action_count, None, "{}")
        )  # fmt: skip
