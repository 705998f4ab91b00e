"""The officials' back office: queues, the dossier page with its actions, the calendar.

Thin: every read goes through the dossier selectors (which authorise and audit), every change through
``services.perform``; a ProblemError is shown as it is, with what the official typed kept on the page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from motcua.accounts.models import Role
from motcua.accounts.services import has_role, is_official, session_is_fully_authenticated
from motcua.accounts.two_factor import second_factor_url
from motcua.audit import services as audit
from motcua.core.errors import NotFound, ProblemError, ValidationFailed
from motcua.dossiers import selectors, services, tracking
from motcua.dossiers.models import Dossier, Status
from motcua.linked import selectors as linked_selectors
from motcua.linked.groups import GroupSpec, all_groups, group_for
from motcua.portal.schema_form import display_rows
from motcua.portal.templatetags.motcua_ui import calendar_admin
from motcua.portal.views import serve_document, version_documents
from motcua.worktime import services as worktime
from motcua.worktime.defaults import parse_schedule_text
from motcua.worktime.models import CalendarDay

PAGE_SIZE = 50
NOTE_REQUIRED_ACTIONS = {"refuse", "request_supplement", "reappoint"}
RETURN_METHODS = [
    ("desk", gettext_lazy("Tại bộ phận một cửa")),
    ("post", gettext_lazy("Qua dịch vụ bưu chính")),
    ("online", gettext_lazy("Trực tuyến (bản điện tử)")),
]
CALENDAR_MAX_BYTES = 1024 * 1024


def official_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Login, then an official role somewhere, then the second factor (TOTP) for this session.

    A citizen gets the 403 page, not a redirect loop; an official who has only typed a password goes to the
    code page (or enrolment) and comes back here afterwards.
    """

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_official(request.user):
            raise PermissionDenied
        if not session_is_fully_authenticated(request):
            return redirect(second_factor_url(request.user, request.get_full_path()))
        return view(request, *args, **kwargs)

    return wrapper


def dossier_or_404(request: HttpRequest, code: str, *, reason: str = "xem hồ sơ") -> Dossier:
    try:
        return selectors.dossier_for(request.user, code, reason=reason)
    except NotFound as exc:
        raise Http404(exc.detail) from exc


def _late(d: Dossier, now) -> bool:
    return bool(d.overdue or (d.due_at and d.due_at < now and d.status == Status.PROCESSING))


def _annotate(rows: list[Dossier], calendars: tracking.Calendars | None = None) -> list[Dossier]:
    """Per-row flags for the queues: overdue / step late / due soon / late acceptance, always as words too; and
    the working time left (``d.tracking``), one calendar per agency and no query per row."""
    now = timezone.now()
    tracked = tracking.track_many(rows, now, calendars)
    for d in rows:
        d.tracking = tracked[d.pk]
        d.is_late = _late(d, now)
        d.step_late = bool(d.step_due_at and d.step_due_at < now)
        d.accept_late = bool(
            d.status == Status.SUBMITTED
            and (d.acceptance_breached or (d.acceptance_due_at and d.acceptance_due_at < now))
        )
    return rows


# --- lists ------------------------------------------------------------------------------------------------


@official_required
def dashboard(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    user = request.user
    queue = selectors.desk_queue(user)
    to_accept = queue.filter(status=Status.SUBMITTED)
    tasks = selectors.my_tasks(user)
    late_q = Q(overdue=True) | Q(due_at__lt=now)
    # Two aggregate queries instead of one COUNT per figure (aliases prefixed: some figures share a field's name).
    figures = queue.aggregate(
        n_to_accept=Count("pk", filter=Q(status=Status.SUBMITTED)),
        n_accept_late=Count(
            "pk", filter=Q(status=Status.SUBMITTED) & (Q(acceptance_breached=True) | Q(acceptance_due_at__lt=now))
        ),
        n_to_return=Count("pk", filter=Q(status=Status.RESULT_READY)),
    ) | tasks.aggregate(
        n_tasks=Count("pk"),
        n_overdue=Count("pk", filter=late_q),
        n_step_late=Count("pk", filter=Q(step_due_at__lt=now)),
        n_due_soon=Count("pk", filter=Q(due_soon=True) & ~late_q),
        n_apology_due=Count("pk", filter=Q(apology_due=True)),
    )
    counts = {name.removeprefix("n_"): value for name, value in figures.items()}
    calendars = tracking.Calendars()
    return render(
        request,
        "backoffice/dashboard.html",
        {
            "counts": counts,
            "is_desk": has_role(user, Role.DESK),
            "urgent": _annotate(list(tasks[:5]), calendars),
            "waiting": _annotate(list(to_accept[:5]), calendars),
        },
    )


@official_required
def desk(request: HttpRequest) -> HttpResponse:
    """The one-stop desk: online dossiers to accept (8 working hours) and results to hand back."""
    queue = selectors.desk_queue(request.user)
    return render(
        request,
        "backoffice/desk.html",
        {
            "is_desk": has_role(request.user, Role.DESK),
            "to_accept": _annotate(list(queue.filter(status=Status.SUBMITTED)[:200])),
            "to_return": _annotate(list(queue.filter(status=Status.RESULT_READY)[:200])),
        },
    )


@official_required
def tasks(request: HttpRequest) -> HttpResponse:
    """Dossiers at a step of my role, soonest step deadline first."""
    page = Paginator(selectors.my_tasks(request.user), PAGE_SIZE).get_page(request.GET.get("trang"))
    _annotate(page.object_list)
    return render(request, "backoffice/tasks.html", {"page": page})


class DossierSearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Mã hồ sơ hoặc tên người nộp"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=gettext_lazy("Trạng thái"),
        required=False,
        choices=[("", gettext_lazy("Tất cả"))] + [c for c in Status.choices if c[0] != Status.DRAFT],
    )


@official_required
def dossiers(request: HttpRequest) -> HttpResponse:
    """Every dossier of my agencies, searchable by code or applicant name."""
    form = DossierSearchForm(request.GET or None)
    qs = selectors.visible_dossiers(request.user).exclude(status=Status.DRAFT)
    q = ""
    if form.is_valid():
        q = form.cleaned_data["q"].strip()
        if q:
            qs = qs.filter(Q(code__icontains=q) | Q(applicant_name__icontains=q))
        if form.cleaned_data["status"]:
            qs = qs.filter(status=form.cleaned_data["status"])
    page = Paginator(qs.order_by("-submitted_at", "-id"), PAGE_SIZE).get_page(request.GET.get("trang"))
    _annotate(page.object_list)
    extra = f"status={form.cleaned_data.get('status', '')}&" if form.is_valid() else ""
    return render(request, "backoffice/dossiers.html", {"form": form, "page": page, "q": q, "extra_query": extra})


# --- the dossier page -------------------------------------------------------------------------------------


def _checklist_rows(dossier: Dossier, post: Any = None) -> list[dict]:
    """One row per document of the version: present? original or copy? (prefilled from uploads / POST)."""
    uploaded = set(dossier.documents.values_list("doc_code", flat=True))
    previous = {c.get("doc"): c for c in dossier.checklist or [] if isinstance(c, dict)}
    rows = []
    for i, doc in enumerate(version_documents(dossier)):
        code = str(doc.get("code") or f"TP{i + 1}")
        if post is not None:
            present = post.get(f"present_{code}") == "on"
            original = post.get(f"original_{code}", "1" if doc.get("original") else "0") == "1"
        elif code in previous:
            present, original = bool(previous[code].get("present")), bool(previous[code].get("original"))
        else:
            present, original = code in uploaded, bool(doc.get("original"))
        rows.append(
            {
                "code": code,
                "name": doc.get("name") or code,
                "quantity": doc.get("quantity") or 1,
                "required": bool(doc.get("required")),
                "wants_original": bool(doc.get("original")),
                "present": present,
                "original": original,
                "uploaded": code in uploaded,
            }
        )
    return rows


def _payload(action: str, dossier: Dossier, post: Any) -> dict:
    """The action's extra input from the page, in the shape ``services.perform`` documents."""
    if action == "accept":
        payload: dict[str, Any] = {
            "checklist": [
                {"doc": r["code"], "name": r["name"], "present": r["present"], "original": r["original"]}
                for r in _checklist_rows(dossier, post)
            ]
        }
        if post.get("verification") == "1" and _linked_group(dossier) is not None:
            payload["verification"] = True  # a linked request that needs checking: the longer legal time
        return payload
    if action == "request_supplement":
        return {"missing": [m for m in post.getlist("missing") if m][:50]}
    if action == "refuse":
        note = (post.get("note") or "").strip()
        return {"reasons": [note]} if note else {}
    if action == "reappoint":
        extra = (post.get("extra_working_days") or "").strip()
        if not extra.isdigit() or int(extra) < 1:
            raise ValidationFailed(
                _("Nhập số ngày làm việc gia hạn (số nguyên từ 1)."),
                errors=[{"field": "extra_working_days", "message": _("Nhập số ngày, ví dụ 2.")}],
            )
        return {"extra_working_days": int(extra)}
    if action == "return_result":
        method = post.get("method") or "desk"
        return {"method": method if method in dict(RETURN_METHODS) else "desk"}
    return {}


def _action_forms(user, dossier: Dossier, post: Any = None, failed: str = "") -> list[dict]:
    """Each available action with what its form needs; the failed one keeps its input."""
    out = []
    for a in services.available_actions(user, dossier):
        name = a["action"]
        keep = post if (post is not None and name == failed) else None
        out.append(
            {
                **a,
                "note": (keep.get("note") if keep else "") or "",
                "note_required": name in NOTE_REQUIRED_ACTIONS or (a.get("kind") == "back" and name != "undo"),
                "missing": keep.getlist("missing") if keep else [],
                "extra_working_days": (keep.get("extra_working_days") if keep else "") or "",
                "method": (keep.get("method") if keep else "") or "desk",
                "failed": keep is not None,
            }
        )
    return out


def _linked_group(dossier: Dossier) -> GroupSpec | None:
    """The linked group a dossier is the umbrella of (None for a sub-dossier or an ordinary dossier)."""
    return None if dossier.parent_id else group_for(dossier.procedure.code)


@official_required
@require_http_methods(["GET", "POST"])
def dossier(request: HttpRequest, code: str) -> HttpResponse:
    """Everything an official needs to act on one dossier, and the actions they may take now."""
    post = None
    failed = ""
    error: ProblemError | None = None
    if request.method == "POST":
        action = (request.POST.get("action") or "")[:48]
        d = dossier_or_404(request, code, reason=f"thao tác {action}")
        label = next((a["label"] for a in services.available_actions(request.user, d) if a["action"] == action), "")
        try:
            payload = _payload(action, d, request.POST)
            d = services.perform(request.user, d, action, note=request.POST.get("note", ""), payload=payload)
        except ProblemError as exc:
            error, post, failed = exc, request.POST, action
        else:
            messages.success(request, _("Đã thực hiện: %(label)s.") % {"label": label or action})
            return redirect("backoffice:dossier", code=d.code)
    else:
        d = dossier_or_404(request, code)
    context = {
        "dossier": d,
        "tracking": tracking.track(d, timezone.now()),
        "rows": display_rows(d.version.form_schema, d.data),
        "documents": d.documents.all().order_by("uploaded_at"),
        "history": selectors.history(d),
        "steps": {
            s["code"]: s.get("name") or s["code"]
            for s in services.effective_definition(d).get("workflow", {}).get("steps", [])
        },
        "actions": _action_forms(request.user, d, post, failed),
        "checklist": _checklist_rows(d, post if failed == "accept" else None),
        "return_methods": RETURN_METHODS,
        "error": error,
        "failed": failed,
        "linked": linked_selectors.chain_page(d),
        "linked_group": _linked_group(d),
        "umbrella": d.parent if d.parent_id else None,
        "verification": bool(post is not None and failed == "accept" and post.get("verification") == "1"),
    }
    return render(request, "backoffice/dossier.html", context, status=error.status if error else 200)


@official_required
def document(request: HttpRequest, code: str, doc_id: int) -> FileResponse:
    return serve_document(dossier_or_404(request, code, reason="tải giấy tờ"), doc_id)


# --- linked requests ----------------------------------------------------------------------------------------


@official_required
def linked(request: HttpRequest) -> HttpResponse:
    """The coordinator's view of open linked requests: where each waits, for which agency, the working time left,
    and the messages that could not be delivered; with the national-portal synchronisation KPI."""
    return render(
        request,
        "backoffice/linked.html",
        {
            "rows": linked_selectors.open_chains(request.user),
            "groups": {code: g.short_name for code, g in all_groups().items()},
            "sync": linked_selectors.portal_sync_share(),
        },
    )


# --- calendar ---------------------------------------------------------------------------------------------


class ScheduleUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Tệp lịch (.json hoặc .csv)"),
        help_text=gettext_lazy("CSV có các cột date,kind,name; kind là off (nghỉ) hoặc working (làm bù)."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > CALENDAR_MAX_BYTES:
            raise forms.ValidationError(_("Tệp lịch quá lớn (tối đa 1 MB)."))
        return upload


@official_required
@require_http_methods(["GET", "POST"])
def calendar(request: HttpRequest) -> HttpResponse:
    """The yearly official schedule (days off, swapped working days) and its import."""
    if not calendar_admin(request.user):
        raise PermissionDenied
    raw_year = request.GET.get("nam") or ""
    year = int(raw_year) if raw_year.isdigit() and 2000 <= int(raw_year) <= 2100 else date.today().year
    form = ScheduleUploadForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                try:
                    text = upload.read().decode("utf-8-sig")
                except UnicodeDecodeError as exc:
                    raise ValidationFailed(_("Tệp lịch phải được mã hóa UTF-8.")) from exc
                changed = worktime.import_schedule(parse_schedule_text(text, upload.name))
            except ProblemError as exc:
                form.add_error("file", exc.detail)
                problems = [f"{e.get('field', '')}: {e.get('message', '')}" for e in exc.errors[:100]]
                status = 422
            else:
                messages.success(request, _("Đã nạp lịch: %(n)s ngày được thêm hoặc cập nhật.") % {"n": changed})
                return redirect(f"{request.path}?nam={year}")
        else:
            status = 422
    days = CalendarDay.objects.filter(date__year=year).order_by("date")
    years = [d.year for d in CalendarDay.objects.dates("date", "year", order="DESC")]
    if year not in years:
        years = sorted({*years, year}, reverse=True)
    return render(
        request,
        "backoffice/calendar.html",
        {"days": days, "year": year, "years": years, "form": form, "problems": problems},
        status=status,
    )


@official_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """The audit trail, read-only, for auditors and system administrators, with an integrity check on demand."""
    if not audit.may_read_audit_log(request.user):
        raise PermissionDenied
    object_id = (request.GET.get("ma") or "").strip()[:64]
    action = (request.GET.get("hanh_dong") or "").strip()[:64]
    problems = None
    if request.GET.get("kiem_tra") == "1":
        problems = list(audit.verify_chain())
    audit.record(
        actor=request.user,
        action="audit.read",
        obj_type="audit",
        obj_id=object_id or "*",
        reason="xem nhật ký kiểm toán",
    )
    return render(
        request,
        "backoffice/audit_log.html",
        {
            "records": audit.search_log(object_id=object_id, action=action),
            "object_id": object_id,
            "action": action,
            "problems": problems,
        },
    )
