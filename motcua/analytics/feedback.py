"""Citizen feedback: the applicant rates a returned dossier on the index's satisfaction criteria and may send a
feedback text (phản ánh, kiến nghị) that the agency must answer within a deadline; the applicant then says whether
the answer satisfied them. Every step updates the dossier's facts in the same transaction.

Rules (docs/analytics.md, "Feedback"):
- only the dossier's applicant, signed in, once the dossier is returned; one rating and one feedback per dossier;
- each criterion is scored 1–5 (5 very satisfied … 1 very dissatisfied); the rating counts as satisfied when the
  average is at least MOTCUA_FEEDBACK_SATISFIED_AVERAGE (default 4: "satisfied" or "very satisfied" on average);
- a feedback must be answered within MOTCUA_FEEDBACK_HANDLING_WORKING_DAYS working days (default 10, the usual
  time for handling citizens' feedback on administrative regulations; unconfirmed for this case, so configurable)
  on the agency's calendar; it is handled on time when answered by that deadline;
- the agency's desk officers and leaders answer; the agency's officials and the province's leaders, auditors and
  coordinators may read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.accounts.models import Role, User
from motcua.accounts.services import grants, has_role, is_system_admin
from motcua.audit import services as audit
from motcua.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from motcua.dossiers.models import Dossier, Status

from . import services
from .models import Feedback, FeedbackStatus, Rating


@dataclass(frozen=True)
class Criterion:
    code: str
    label: Any
    help: Any


# The satisfaction criteria of the index's group 5 (what the applicant is asked); the list is our reading of the
# survey the index uses, not a confirmed official list.
CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        "tiep_can",
        gettext_lazy("Tiếp cận dịch vụ"),
        gettext_lazy("Dễ tìm thông tin, dễ nộp hồ sơ (trực tuyến hoặc tại bộ phận một cửa)."),
    ),
    Criterion(
        "thu_tuc",
        gettext_lazy("Thủ tục hành chính"),
        gettext_lazy("Thành phần hồ sơ, mẫu đơn, phí và thời hạn được công khai, rõ ràng, đúng quy định."),
    ),
    Criterion(
        "cong_chuc",
        gettext_lazy("Cán bộ, công chức"),
        gettext_lazy("Thái độ lịch sự, hướng dẫn đầy đủ, một lần; không gây phiền hà."),
    ),
    Criterion(
        "thoi_gian",
        gettext_lazy("Thời gian giải quyết"),
        gettext_lazy("Hồ sơ được giải quyết, trả kết quả đúng hẹn."),
    ),
    Criterion(
        "ket_qua",
        gettext_lazy("Kết quả giải quyết"),
        gettext_lazy("Kết quả đúng, đầy đủ, chính xác."),
    ),
)
SCORES = (
    (5, gettext_lazy("Rất hài lòng")),
    (4, gettext_lazy("Hài lòng")),
    (3, gettext_lazy("Bình thường")),
    (2, gettext_lazy("Không hài lòng")),
    (1, gettext_lazy("Rất không hài lòng")),
)
MAX_TEXT = 4000


def handling_days() -> int:
    return int(getattr(settings, "MOTCUA_FEEDBACK_HANDLING_WORKING_DAYS", 10))


def satisfied_average() -> float:
    return float(getattr(settings, "MOTCUA_FEEDBACK_SATISFIED_AVERAGE", 4))


# --- the applicant ----------------------------------------------------------------------------------------


def rateable_dossier(user: User, code: str) -> Dossier:
    """The caller's own returned dossier (anything else is "not found", never "forbidden")."""
    dossier = (
        Dossier.objects.select_related("agency", "procedure")
        .filter(code=code, applicant_id=getattr(user, "pk", None))
        .first()
        if getattr(user, "is_authenticated", False)
        else None
    )
    if dossier is None:
        raise NotFound(_("Không tìm thấy hồ sơ."))
    return dossier


def can_rate(dossier: Dossier) -> bool:
    return dossier.status == Status.RETURNED and not Rating.objects.filter(dossier=dossier).exists()


def _check_applicant(user: User, dossier: Dossier) -> None:
    if not getattr(user, "is_authenticated", False) or dossier.applicant_id != user.pk:
        raise NotFound(_("Không tìm thấy hồ sơ."))
    if dossier.status != Status.RETURNED:
        raise Conflict(_("Chỉ đánh giá được hồ sơ đã trả kết quả."))


def _clean_scores(scores: dict[str, Any]) -> dict[str, int]:
    clean, errors = {}, []
    for c in CRITERIA:
        raw = (scores or {}).get(c.code)
        try:
            value = int(raw)
        except (TypeError, ValueError):
            value = 0
        if not 1 <= value <= 5:
            errors.append(
                {"field": f"scores.{c.code}", "message": _("Chọn mức từ 1 đến 5 cho “%(c)s”.") % {"c": c.label}}
            )
        clean[c.code] = value
    if errors:
        raise ValidationFailed(_("Cần chấm đủ các tiêu chí."), errors=errors)
    return clean


def rate(user: User, dossier: Dossier, scores: dict[str, Any], *, comment: str = "", text: str = "") -> Rating:
    """The applicant rates a returned dossier (once) and may send a feedback text with it."""
    clean = _clean_scores(scores)
    comment, text = (comment or "").strip()[:MAX_TEXT], (text or "").strip()
    if len(text) > MAX_TEXT:
        raise ValidationFailed(_("Nội dung phản ánh quá dài (tối đa %(n)d ký tự).") % {"n": MAX_TEXT})
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update(of=("self",)).select_related("agency").get(pk=dossier.pk)
        _check_applicant(user, dossier)
        if Rating.objects.filter(dossier=dossier).exists():
            raise Conflict(_("Hồ sơ này đã được đánh giá."))
        now = timezone.now()
        rating = Rating.objects.create(
            dossier=dossier,
            applicant=user,
            scores=clean,
            satisfied=sum(clean.values()) / len(clean) >= satisfied_average(),
            comment=comment,
            created_at=now,
        )
        audit.record(
            actor=user, action="analytics.rate", obj_type="dossier", obj_id=dossier.code, data={"scores": clean}
        )
        services.record("rating", dossier)
        if text:
            _open_feedback(user, dossier, text, now)
    return rating


def send_feedback(user: User, dossier: Dossier, text: str) -> Feedback:
    """A feedback text on a returned dossier (one per dossier), with its handling deadline."""
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(
            _("Nhập nội dung phản ánh, kiến nghị."), errors=[{"field": "text", "message": _("Bắt buộc.")}]
        )
    if len(text) > MAX_TEXT:
        raise ValidationFailed(_("Nội dung phản ánh quá dài (tối đa %(n)d ký tự).") % {"n": MAX_TEXT})
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update(of=("self",)).select_related("agency").get(pk=dossier.pk)
        _check_applicant(user, dossier)
        return _open_feedback(user, dossier, text, timezone.now())


def _open_feedback(user: User, dossier: Dossier, text: str, now) -> Feedback:
    from motcua.worktime.services import calendar_for

    if Feedback.objects.filter(dossier=dossier).exists():
        raise Conflict(_("Hồ sơ này đã có phản ánh, kiến nghị đang được theo dõi."))
    due = calendar_for(dossier.agency).deadline(now, handling_days(), "working_days")
    feedback = Feedback.objects.create(
        dossier=dossier, applicant=user, agency=dossier.agency, text=text, created_at=now, due_at=due
    )
    audit.record(
        actor=user,
        action="analytics.feedback",
        obj_type="dossier",
        obj_id=dossier.code,
        data={"due_at": due.isoformat()},
    )
    services.record("feedback", dossier)
    return feedback


def rate_answer(user: User, feedback: Feedback, satisfied: bool) -> Feedback:
    """The applicant says whether the agency's answer satisfied them (once)."""
    with transaction.atomic():
        feedback = Feedback.objects.select_for_update().select_related("dossier").get(pk=feedback.pk)
        if not getattr(user, "is_authenticated", False) or feedback.applicant_id != user.pk:
            raise NotFound(_("Không tìm thấy phản ánh."))
        if feedback.status != FeedbackStatus.ANSWERED:
            raise Conflict(_("Phản ánh chưa được trả lời."))
        if feedback.applicant_satisfied is not None:
            raise Conflict(_("Bạn đã đánh giá việc xử lý phản ánh này."))
        feedback.applicant_satisfied = bool(satisfied)
        feedback.rated_at = timezone.now()
        feedback.save(update_fields=["applicant_satisfied", "rated_at"])
        audit.record(
            actor=user,
            action="analytics.feedback_rated",
            obj_type="dossier",
            obj_id=feedback.dossier.code,
            data={"satisfied": feedback.applicant_satisfied},
        )
        services.record("feedback", feedback.dossier_id)
    return feedback


# --- the agency --------------------------------------------------------------------------------------------

HANDLER_ROLES = (Role.DESK, Role.LEADER)
PROVINCE_READERS = (Role.LEADER, Role.AUDITOR, Role.COORDINATOR)


def visible_feedback(user: User) -> QuerySet[Feedback]:
    """The feedback an official may read: their agencies', or the whole province's for its leaders, auditors and
    coordinators (and system administrators)."""
    from motcua.catalog.models import Agency, AgencyKind

    qs = Feedback.objects.select_related("dossier", "agency", "dossier__procedure", "handler")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if is_system_admin(user):
        return qs
    held = grants(user)
    wide = {g.agency_id for g in held if g.role in PROVINCE_READERS}
    if wide and Agency.objects.filter(id__in=wide, kind=AgencyKind.PROVINCE).exists():
        return qs
    return qs.filter(agency_id__in={g.agency_id for g in held})


def can_answer(user: User, feedback: Feedback) -> bool:
    return feedback.status == FeedbackStatus.OPEN and any(
        has_role(user, role, feedback.agency_id) for role in HANDLER_ROLES
    )


def answer(user: User, feedback: Feedback, text: str) -> Feedback:
    """A desk officer or leader of the dossier's agency answers; on time when by the deadline."""
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(_("Nhập nội dung trả lời."), errors=[{"field": "answer", "message": _("Bắt buộc.")}])
    with transaction.atomic():
        feedback = Feedback.objects.select_for_update().select_related("dossier").get(pk=feedback.pk)
        if not visible_feedback(user).filter(pk=feedback.pk).exists():
            raise NotFound(_("Không tìm thấy phản ánh."))
        if not any(has_role(user, role, feedback.agency_id) for role in HANDLER_ROLES):
            raise PermissionDenied(_("Chỉ bộ phận một cửa hoặc lãnh đạo cơ quan giải quyết hồ sơ được trả lời."))
        if feedback.status != FeedbackStatus.OPEN:
            raise Conflict(_("Phản ánh này đã được trả lời."))
        now = timezone.now()
        feedback.status = FeedbackStatus.ANSWERED
        feedback.handler = user
        feedback.answer = text[:MAX_TEXT]
        feedback.handled_at = now
        feedback.handled_on_time = now <= feedback.due_at
        feedback.save(update_fields=["status", "handler", "answer", "handled_at", "handled_on_time"])
        audit.record(
            actor=user,
            action="analytics.feedback_answered",
            obj_type="dossier",
            obj_id=feedback.dossier.code,
            data={"on_time": feedback.handled_on_time},
        )
        services.record("feedback", feedback.dossier_id)
    return feedback
