"""E-results: issue (render + PAdES-sign), verify, revoke, replace; the transition hook that issues them.

Issuing is queued, not done in the transition's transaction: the hook writes an `IssueJob` in that transaction (so
the intent commits or rolls back with the transition) and signs right after the commit (`transaction.on_commit`);
the worker retries what is left (`retry_due`). A signing failure (no certificate, disk full, a TSA that does not
answer) is recorded on the job and in the audit log; the dossier's transition stands, and nothing half-made is
kept: the e-result row, its event, its audit record and the store deposit are written in one transaction, after
the PDF is signed.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.accounts.models import Role
from motcua.accounts.services import has_role, is_system_admin
from motcua.analytics import services as analytics
from motcua.audit import services as audit
from motcua.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from motcua.core.links import public_url
from motcua.dossiers.models import Dossier, Status
from motcua.worktime.calc import TZ

from . import pki, signing, templates_pdf
from .models import EResult, EResultEvent, EResultStatus, IssueJob, JobStatus, new_token

logger = logging.getLogger("motcua.results")

MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
_TOKEN_IN_PDF = re.compile(rb"/xac-minh/([A-Za-z0-9_-]{16,64})/")


# --- helpers -----------------------------------------------------------------------------------------------


def verify_url(token: str) -> str:
    return public_url(f"/xac-minh/{token}/")


def wants_e_result(dossier: Dossier) -> bool:
    """Every dossier whose result is ready gets one, except a linked request's umbrella: its results are the
    agencies' own (each internal part, e.g. the birth registration, is a dossier that gets its own)."""
    from motcua.linked.groups import group_for

    return bool(dossier.code) and group_for(dossier.procedure.code) is None


def current(dossier: Dossier) -> EResult | None:
    """The dossier's e-result in force, if any."""
    return dossier.e_results.filter(status=EResultStatus.VALID).order_by("-revision").first()


def _event(result: EResult, kind: str, actor: Any, note: str = "", **data: Any) -> EResultEvent:
    return EResultEvent.objects.create(result=result, at=timezone.now(), kind=kind, actor=actor, note=note, data=data)


def _audit(actor: Any, action: str, result: EResult, reason: str = "", **data: Any) -> None:
    audit.record(
        actor=actor,
        action=action,
        obj_type="dossier",
        obj_id=result.dossier.code or str(result.dossier_id),
        reason=reason[:255],
        data={"number": result.number, "sha256": result.sha256, **data},
    )


def _approver(dossier: Dossier) -> str:
    """The official whose action made the result ready (the leader who approved), when one did."""
    row = (
        dossier.actions.filter(to_status=Status.RESULT_READY, undone=False, actor__isnull=False)
        .select_related("actor")
        .order_by("-seq")
        .first()
    )
    return row.actor.display_name if row is not None else ""


def _next_number(dossier: Dossier, now: datetime) -> str:
    from motcua.linked.results import next_number

    year = now.astimezone(TZ).year
    return f"{dossier.agency.code}-KQ{year}-{next_number(dossier.agency_id, 'EKQ', year):06d}"


def _file_name(number: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]", "_", number) + ".pdf"


def _may_change(actor: Any, result: EResult) -> None:
    """Revoking or replacing is the issuing agency's leader's (or a system administrator's) decision."""
    if actor is None:  # the platform itself (e.g. an undone approval)
        return
    if is_system_admin(actor) or has_role(actor, Role.LEADER, result.signer_agency_id):
        return
    raise PermissionDenied(_("Chỉ lãnh đạo cơ quan đã phát hành mới được thu hồi hoặc thay thế kết quả điện tử."))


# --- the citizen's data store ------------------------------------------------------------------------------


def _deposit(result: EResult, content: bytes) -> None:
    """Put the e-result into the applicant's data store (idempotent there on the source reference)."""
    from motcua.store import services as store

    owner = result.dossier.applicant_personal_id
    if not (len(owner or "") == 12 and owner.isdigit()):
        return  # nobody's store to put it in (an in-person applicant without a personal ID number)
    store.deposit(
        owner,
        kind="e_result",
        title=f"{result.title} {result.doc_number or result.number}".strip(),
        issuer=result.signer_agency.name,
        content=content,
        content_type="application/pdf",
        source_ref=result.source_ref,
        valid_from=result.signed_at.astimezone(TZ).date(),
        dossier=result.dossier,
    )


def _store_status(result: EResult, status: str) -> None:
    from motcua.store import services as store

    store.set_status(result.source_ref, status)


# --- issue -------------------------------------------------------------------------------------------------


def _structured_result(dossier: Dossier, template: templates_pdf.ResultTemplate) -> dict:
    """The dossier's structured result (register numbers; made once, kept on the dossier) plus what the
    template adds (e.g. the investment project code), kept too so a replacement prints the same numbers."""
    from motcua.linked.results import issue_result

    structured = dict(issue_result(dossier))
    if template.prepare is not None:
        extra = template.prepare(dossier, structured)
        if extra:
            structured.update(extra)
            Dossier.objects.filter(pk=dossier.pk).update(result=structured)
            dossier.result = structured
    return structured


@contextmanager
def _no_orphan_files() -> Iterator[list]:
    """Files written inside the block are removed if the block fails: nothing half-made, no PDF without its row."""
    made: list = []
    try:
        yield made
    except BaseException:
        for file in made:
            file.delete(save=False)
        raise


def _issue_locked(dossier: Dossier, *, actor: Any, note: str, made: list, replaces: EResult | None = None) -> EResult:
    """Render, sign and record one e-result; the caller holds the dossier's row lock inside a transaction and
    removes the file (listed in `made`) if that transaction fails."""
    template = templates_pdf.choose(dossier.procedure.code, dossier.version.number)
    structured = _structured_result(dossier, template)
    identity = pki.identity_for(dossier.agency)
    now = timezone.now().replace(microsecond=0)  # the CMS signing time has whole seconds: print the same value
    number = _next_number(dossier, now)
    token = new_token()
    ri = templates_pdf.RenderInput(
        dossier=dossier,
        result=structured,
        number=number,
        doc_number=str(structured.get("so_trich_luc") or structured.get("so_van_ban") or ""),
        verify_url=verify_url(token),
        signed_at=now,
        signer_name=identity.common_name,
        approver=_approver(dossier),
    )
    unsigned, where = templates_pdf.render(template, ri)
    signed = signing.sign_pdf(
        unsigned,
        identity,
        signing_time=now,
        reason=f"Phát hành {template.title.lower()} {number}",
        location=templates_pdf.place_name(dossier.agency),
        where=where,
    )
    revision = (dossier.e_results.aggregate(m=Max("revision"))["m"] or 0) + 1
    result = EResult(
        dossier=dossier,
        revision=revision,
        number=number,
        doc_number=ri.doc_number,
        title=template.title,
        procedure_code=dossier.procedure.code,
        template=template.code,
        template_version=template.version,
        content={"result": structured, "verify_url": ri.verify_url, "approver": ri.approver},
        size=len(signed),
        sha256=hashlib.sha256(signed).hexdigest(),
        signer_agency=dossier.agency,
        signer_subject=identity.subject[:500],
        signer_fingerprint=identity.fingerprint,
        signer_source=identity.source,
        signed_at=now,
        token=token,
        issued_by=actor,
    )
    result.pdf.save(_file_name(number), ContentFile(signed), save=False)
    made.append(result.pdf)
    result.save()
    analytics.record("result", dossier)  # the facts: e-result issued
    data = {"sha256": result.sha256, "signer": result.signer_fingerprint, "template": template.code}
    if replaces is not None:
        data["replaces"] = replaces.number
    _event(result, "issue", actor, note, **data)
    _audit(actor, "result.issue", result, note, template=f"{template.code}@{template.version}")
    _deposit(result, signed)
    return result


def issue(dossier: Dossier, *, actor: Any = None) -> EResult:
    """The dossier's e-result, issued once: returns the one in force when there is one (idempotent)."""
    found = current(dossier)
    if found is not None:
        return found
    with _no_orphan_files() as made, transaction.atomic():
        dossier = (
            Dossier.objects.select_for_update().select_related("agency", "procedure", "version").get(pk=dossier.pk)
        )
        found = current(dossier)  # a concurrent issuer (the worker, another process) may have finished first
        if found is not None:
            return found
        if dossier.status not in (Status.RESULT_READY, Status.RETURNED):
            raise Conflict(_("Hồ sơ %(code)s chưa có kết quả để phát hành.") % {"code": dossier.code})
        result = _issue_locked(dossier, actor=actor, note="Phát hành kết quả điện tử", made=made)
        IssueJob.objects.filter(dossier=dossier).update(
            status=JobStatus.DONE, result=result, last_error="", updated_at=timezone.now()
        )
        return result


# --- revoke and replace ------------------------------------------------------------------------------------


def _locked_valid(result: EResult) -> EResult:
    fresh = EResult.objects.select_for_update().select_related("dossier", "signer_agency").get(pk=result.pk)
    if fresh.status != EResultStatus.VALID:
        raise Conflict(
            _("Kết quả %(number)s không còn hiệu lực (%(status)s).")
            % {"number": fresh.number, "status": fresh.get_status_display()}
        )
    return fresh


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Cần ghi rõ lý do."), errors=[{"field": "reason", "message": _("Nhập lý do.")}])
    return reason


def revoke(result: EResult, actor: Any, reason: str) -> EResult:
    """Withdraw an e-result: it stays verifiable and says "revoked" (with when and why)."""
    reason = _require_reason(reason)
    _may_change(actor, result)
    with transaction.atomic():
        result = _locked_valid(result)
        result.status = EResultStatus.REVOKED
        result.revoked_at = timezone.now()
        result.revoked_reason = reason
        result.save(update_fields=["status", "revoked_at", "revoked_reason"])
        _event(result, "revoke", actor, reason)
        _audit(actor, "result.revoke", result, reason)
        _store_status(result, "revoked")
    return result


def may_change(actor: Any, result: EResult) -> bool:
    """Whether the page should offer this official the revoke / replace forms (the services check again)."""
    try:
        _may_change(actor, result)
    except PermissionDenied:
        return False
    return result.status == EResultStatus.VALID


def change(actor: Any, token: str, how: str, reason: str) -> EResult:
    """An official revokes or replaces an e-result of a dossier they may see: the back office's and the API's one
    path. Another agency's result is "not found", never "forbidden"; returns the result now in force (the new one
    after a replacement, the revoked one after a revocation)."""
    from motcua.dossiers.selectors import dossier_for

    result = lookup(token)
    if result is None or actor is None:
        raise NotFound(_("Không tìm thấy kết quả điện tử."))
    dossier_for(actor, result.dossier.code, reason=_("thu hồi hoặc thay thế kết quả điện tử"))
    if how == "revoke":
        return revoke(result, actor, reason)
    if how == "replace":
        return replace(result, actor, reason)
    raise ValidationFailed(_("Thao tác không hợp lệ."), errors=[{"field": "how", "message": _("revoke hoặc replace")}])


def replace(result: EResult, actor: Any, reason: str) -> EResult:
    """Issue a new e-result for the same dossier; the old one stays verifiable and says "replaced by <number>"."""
    reason = _require_reason(reason)
    _may_change(actor, result)
    with _no_orphan_files() as made, transaction.atomic():
        # One issuer per dossier at a time (the same lock `issue` takes), then the result itself.
        dossier = (
            Dossier.objects.select_for_update()
            .select_related("agency", "procedure", "version")
            .get(pk=result.dossier_id)
        )
        old = _locked_valid(result)
        note = f"Thay thế kết quả {old.number}: {reason}"
        new = _issue_locked(dossier, actor=actor, note=note, made=made, replaces=old)
        old.status = EResultStatus.REPLACED
        old.replaced_by = new
        old.replaced_at = new.signed_at
        old.save(update_fields=["status", "replaced_by", "replaced_at"])
        _event(old, "replace", actor, reason, replaced_by=new.number)
        _audit(actor, "result.replace", old, reason, replaced_by=new.number)
        _store_status(old, "replaced")
    return new


# --- the transition hook and the queue ---------------------------------------------------------------------


def on_dossier_transition(dossier: Dossier, action: str, payload: dict, row: Any = None) -> None:
    """Listed in MOTCUA_TRANSITION_HOOKS: runs inside the transition's transaction.

    Result ready → queue the e-result and sign it right after the commit. An undone approval (back from result
    ready) → the e-result issued for it is revoked, and a queued one is cancelled.
    """
    if dossier.status == Status.RESULT_READY:
        if not wants_e_result(dossier) or current(dossier) is not None:
            return
        last = dossier.actions.order_by("-seq").only("actor_id").first()
        IssueJob.objects.update_or_create(
            dossier=dossier,
            defaults={
                "status": JobStatus.PENDING,
                "attempts": 0,
                "last_error": "",
                "next_attempt_at": timezone.now(),
                "actor_id": last.actor_id if last else None,
            },
        )
        dossier_id = dossier.pk
        transaction.on_commit(lambda: process(dossier_id))
    elif action == "undo":
        last = dossier.actions.order_by("-seq").select_related("actor").first()
        actor = last.actor if last else None
        for result in dossier.e_results.filter(status=EResultStatus.VALID):
            revoke(result, None, "Thao tác phê duyệt kết quả đã được hoàn tác" + (f" ({actor})" if actor else ""))
        IssueJob.objects.filter(dossier=dossier, status=JobStatus.PENDING).update(
            status=JobStatus.CANCELLED, updated_at=timezone.now()
        )


def process(dossier_id: int) -> EResult | None:
    """Issue a queued e-result now. Never raises: a failure is recorded on the job (and audited) for a retry."""
    job = IssueJob.objects.select_related("dossier", "actor").filter(dossier_id=dossier_id).first()
    if job is None or job.status != JobStatus.PENDING:
        return None
    try:
        return issue(job.dossier, actor=job.actor)
    except Exception as exc:
        logger.warning("E-result for dossier %s not issued: %r", job.dossier.code, exc)
        _failed(job, exc)
        return None


def _failed(job: IssueJob, exc: Exception) -> None:
    attempts = job.attempts + 1
    delay = min(BACKOFF_BASE * (2 ** (attempts - 1)), BACKOFF_CAP)
    status = JobStatus.FAILED if attempts >= MAX_ATTEMPTS else JobStatus.PENDING
    detail = getattr(exc, "detail", None) or f"{type(exc).__name__}: {exc}"
    with transaction.atomic():
        IssueJob.objects.filter(pk=job.pk, status=JobStatus.PENDING).update(
            status=status,
            attempts=attempts,
            last_error=str(detail)[:2000],
            next_attempt_at=timezone.now() + delay,
            updated_at=timezone.now(),
        )
        audit.record(
            actor=None,
            action="result.issue_failed",
            obj_type="dossier",
            obj_id=job.dossier.code or str(job.dossier_id),
            reason=str(detail)[:255],
            data={"attempt": attempts, "gave_up": status == JobStatus.FAILED},
        )


def retry_due(now: datetime | None = None, limit: int = 50) -> dict[str, int]:
    """The worker's round: issue every queued e-result whose next attempt is due."""
    now = now or timezone.now()
    due = list(
        IssueJob.objects.filter(status=JobStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("dossier_id", flat=True)[:limit]
    )
    counts = {"issued": 0, "failed": 0}
    for dossier_id in due:
        counts["issued" if process(dossier_id) is not None else "failed"] += 1
    return counts


def requeue(job: IssueJob) -> None:
    """An operator asks for another try of a job that gave up (after fixing its cause)."""
    IssueJob.objects.filter(pk=job.pk, status=JobStatus.FAILED).update(
        status=JobStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), updated_at=timezone.now()
    )


# --- verify ------------------------------------------------------------------------------------------------


class VerdictStatus:
    VALID = "valid"
    TAMPERED = "tampered"
    REVOKED = "revoked"
    REPLACED = "replaced"
    UNKNOWN = "unknown"


@dataclass
class Verdict:
    status: str
    message: str
    sha256: str
    result: EResult | None = None  # the registered e-result the document is, or claims to be
    signer_agency: str = ""
    signer_subject: str = ""
    signed_at: datetime | None = None
    replaced_by: EResult | None = None
    signatures: list[signing.SignatureCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == VerdictStatus.VALID

    def as_dict(self) -> dict[str, Any]:
        r = self.result
        return {
            "status": self.status,
            "message": self.message,
            "sha256": self.sha256,
            "number": r.number if r else None,
            "title": r.title if r else None,
            "procedure": r.procedure_code if r else None,
            "signer_agency": self.signer_agency or None,
            "signer_subject": self.signer_subject or None,
            "signed_at": self.signed_at.isoformat() if self.signed_at else None,
            "revoked_at": r.revoked_at.isoformat() if r and r.revoked_at else None,
            "revoked_reason": (r.revoked_reason or None) if r else None,
            "replaced_by": self.replaced_by.number if self.replaced_by else None,
            "replaced_by_url": verify_url(self.replaced_by.token) if self.replaced_by else None,
            "verify_url": verify_url(r.token) if r else None,
        }


def _claimed(data: bytes) -> EResult | None:
    """The registered e-result a document names by its verification link (present even if it was altered)."""
    tokens = {m.group(1).decode() for m in _TOKEN_IN_PDF.finditer(data)}
    if not tokens:
        return None
    return EResult.objects.select_related("signer_agency", "replaced_by").filter(token__in=tokens).first()


def _with_status(verdict: Verdict, record: EResult) -> Verdict:
    local = record.signed_at.astimezone(TZ)
    if record.status == EResultStatus.REVOKED:
        verdict.status = VerdictStatus.REVOKED
        verdict.message = _(
            "Chữ ký số hợp lệ nhưng kết quả %(number)s đã bị thu hồi ngày %(when)s. Lý do: %(reason)s"
        ) % {
            "number": record.number,
            "when": record.revoked_at.astimezone(TZ).strftime("%d/%m/%Y") if record.revoked_at else "",
            "reason": record.revoked_reason,
        }
    elif record.status == EResultStatus.REPLACED and record.replaced_by is not None:
        verdict.status = VerdictStatus.REPLACED
        verdict.replaced_by = record.replaced_by
        verdict.message = _(
            "Chữ ký số hợp lệ nhưng kết quả %(number)s đã được thay thế bằng kết quả %(new)s. Hãy dùng bản mới."
        ) % {"number": record.number, "new": record.replaced_by.number}
    else:
        verdict.status = VerdictStatus.VALID
        verdict.message = _(
            "Văn bản là bản gốc: chữ ký số của %(agency)s hợp lệ (ký lúc %(when)s), nội dung không bị thay đổi, "
            "kết quả đang có hiệu lực."
        ) % {"agency": record.signer_agency.name, "when": local.strftime("%H:%M:%S %d/%m/%Y")}
    return verdict


def verify(data: bytes) -> Verdict:
    """Is this PDF one of our e-results, unaltered, and still in force? Never raises for a bad file."""
    digest = hashlib.sha256(data).hexdigest()
    verdict = Verdict(status=VerdictStatus.UNKNOWN, message="", sha256=digest)
    check = signing.check_pdf(data)
    verdict.signatures = check.signatures
    qs = EResult.objects.select_related("signer_agency", "replaced_by")
    record = qs.filter(sha256=digest).first()
    if record is None and check.signatures:
        revisions = {s.signed_revision_sha256 for s in check.signatures if s.signed_revision_sha256}
        record = qs.filter(sha256__in=revisions).first()
    claimed = record or _claimed(data)
    verdict.result = claimed
    if claimed is not None:
        verdict.signer_agency = claimed.signer_agency.name
        verdict.signer_subject = claimed.signer_subject
        verdict.signed_at = claimed.signed_at

    def tampered(message: str) -> Verdict:
        verdict.status = VerdictStatus.TAMPERED
        verdict.message = message
        return verdict

    def unknown(message: str) -> Verdict:
        verdict.status = VerdictStatus.UNKNOWN
        verdict.message = message
        return verdict

    if not check.readable:
        if claimed is not None:
            return tampered(
                _("Tệp mang mã xác minh của kết quả %(number)s nhưng không còn là một tệp PDF nguyên vẹn.")
                % {"number": claimed.number}
            )
        return unknown(_("Không đọc được tệp: đây không phải một tệp PDF hợp lệ."))
    if not check.signatures:
        if claimed is not None:
            return tampered(
                _("Văn bản mang mã xác minh của kết quả %(number)s nhưng không có chữ ký số: không phải bản gốc.")
                % {"number": claimed.number}
            )
        return unknown(_("Văn bản không có chữ ký số và không có trong sổ kết quả điện tử của hệ thống."))

    sig = next(
        (s for s in check.signatures if claimed and s.signer_fingerprint == claimed.signer_fingerprint),
        check.signatures[0],
    )
    if claimed is None:
        verdict.signer_subject = sig.signer_subject
        verdict.signer_agency = sig.signer_common_name
        verdict.signed_at = sig.signing_time
    if not sig.sound:
        if not (sig.intact and sig.valid):
            why = _("nội dung đã bị thay đổi sau khi ký (chữ ký không còn khớp với văn bản)")
        else:
            why = _("văn bản đã bị sửa thêm sau khi ký")
        if claimed is not None:
            return tampered(
                _("Văn bản đã bị sửa đổi: %(why)s. Đây không phải bản gốc của kết quả %(number)s.")
                % {"why": why, "number": claimed.number}
            )
        return tampered(_("Văn bản đã bị sửa đổi: %(why)s.") % {"why": why})
    if not sig.trusted:
        if claimed is not None:
            return tampered(
                _("Chữ ký số trên văn bản không phải của cơ quan đã phát hành kết quả %(number)s.")
                % {"number": claimed.number}
            )
        return unknown(
            _("Chữ ký số còn nguyên vẹn nhưng chứng thư của người ký (%(subject)s) không thuộc hệ thống tin cậy.")
            % {"subject": sig.signer_subject}
        )
    if record is None:
        return unknown(
            _("Chữ ký số hợp lệ nhưng văn bản không có trong sổ kết quả điện tử của hệ thống (không khớp bản đã lưu).")
        )
    return _with_status(verdict, record)


def lookup(token: str) -> EResult | None:
    """The registered e-result behind a QR code, or None."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", token or ""):
        return None
    return EResult.objects.select_related("signer_agency", "replaced_by", "dossier").filter(token=token).first()
