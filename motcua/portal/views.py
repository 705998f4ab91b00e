"""Citizen pages. Thin: read through selectors, change state through services, turn ProblemError into form
errors or messages. Nothing here decides what a dossier may do next; the dossier engine does.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from motcua.accounts.services import hit_rate_limit, is_official
from motcua.catalog import selectors as catalog
from motcua.catalog.models import OnlineLevel, Procedure, ProcedureOffering
from motcua.catalog.services import current_version
from motcua.core.errors import NotFound, ProblemError, ValidationFailed
from motcua.dossiers import selectors, services
from motcua.dossiers.models import Dossier, Status
from motcua.identity import oidc as eid
from motcua.identity import registry
from motcua.identity import services as identity
from motcua.linked import selectors as linked_selectors
from motcua.linked import services as linked_services
from motcua.store import services as store

from .forms import AgencyForm, DocumentsForm, LookupForm, SearchForm, SupplementForm, UploadForm, WithdrawForm
from .schema_form import build_form_class, display_rows, grouped_rows, restrict_schema

FEATURED = ["1.001193", "1.004222", "1.000656", "1.003197", "1.009664"]
PAGE_SIZE = 20
UPLOAD_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.SUPPLEMENT_REQUESTED)


# --- helpers ----------------------------------------------------------------------------------------------


def client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def procedure_or_404(code: str) -> Procedure:
    try:
        return catalog.procedure_detail(code)
    except NotFound as exc:
        raise Http404(exc.detail) from exc


def version_or_404(procedure: Procedure):
    try:
        return current_version(procedure)
    except NotFound as exc:
        raise Http404(exc.detail) from exc


def offerings_of(procedure: Procedure, *, online_only: bool = False) -> list[ProcedureOffering]:
    """Active offerings (prefetched by ``catalog.selectors.procedure_detail``), by agency name."""
    rows = [
        o
        for o in procedure.offerings.all()
        if o.is_active and o.agency.is_active and not (online_only and o.online_level == OnlineLevel.NONE)
    ]
    return sorted(rows, key=lambda o: o.agency.name)


def own_dossier(request: HttpRequest, code: str) -> Dossier:
    """The caller's own dossier (as applicant), else 404: another person's dossier is never confirmed to exist."""
    dossier = selectors.visible_dossiers(request.user).filter(code=code, applicant_id=request.user.pk).first()
    if dossier is None:
        raise Http404(_("Không tìm thấy hồ sơ."))
    return dossier


def problem_messages(request: HttpRequest, exc: ProblemError, *, level: int = messages.ERROR) -> None:
    messages.add_message(request, level, exc.detail)


def version_documents(dossier: Dossier) -> list[dict]:
    """The documents of the dossier's pinned version, with its variant applied."""
    return list(services.effective_definition(dossier).get("documents") or dossier.version.documents or [])


def attach_uploads(request: HttpRequest, dossier: Dossier, uploads: list[tuple[dict, Any]]) -> int:
    """Attach the chosen files; a file the engine refuses becomes a clear message, never a lost dossier."""
    attached = 0
    for doc, upload in uploads:
        try:
            services.attach_document(
                request.user, dossier, upload, doc_code=str(doc.get("code") or ""), name=str(doc.get("name") or "")
            )
            attached += 1
        except ProblemError as exc:
            messages.warning(
                request,
                _("Không đính kèm được “%(name)s”: %(detail)s")
                % {"name": doc.get("name") or upload.name, "detail": exc.detail},
            )
    return attached


# --- public pages -------------------------------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    """Search, the featured procedures and the public look-up."""
    found = {p.code: p for p in Procedure.objects.filter(code__in=FEATURED, is_active=True)}
    featured = [found[c] for c in FEATURED if c in found]
    return render(
        request,
        "portal/home.html",
        {"search_form": SearchForm(), "lookup_form": LookupForm(), "featured": featured},
    )


@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    """Status by code + PIN, no login, no personal data; rate-limited per client address."""
    form = LookupForm(request.POST or None)
    result = None
    status = 200
    if request.method == "POST" and form.is_valid():
        if hit_rate_limit("lookup", client_ip(request), settings.MOTCUA_LOOKUP_PER_MINUTE):
            form.add_error(None, _("Bạn tra cứu quá nhiều lần. Vui lòng thử lại sau 1 phút."))
            status = 429
        else:
            result = selectors.public_lookup(form.cleaned_data["code"].strip(), form.cleaned_data["pin"].strip())
            if result is None:
                form.add_error(None, _("Mã hồ sơ hoặc mã PIN không đúng."))
                status = 404
    return render(request, "portal/lookup.html", {"form": form, "result": result}, status=status)


def procedures(request: HttpRequest) -> HttpResponse:
    """The catalogue, searchable with or without Vietnamese diacritics."""
    form = SearchForm(request.GET or None)
    q = form.cleaned_data["q"].strip() if form.is_valid() else ""
    qs = catalog.search_procedures(q, limit=None)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("trang"))
    return render(request, "portal/procedures.html", {"form": form, "q": q, "page": page})


def procedure(request: HttpRequest, code: str) -> HttpResponse:
    proc = procedure_or_404(code)
    version = version_or_404(proc)
    offerings = offerings_of(proc)
    online = [o for o in offerings if o.online_level != OnlineLevel.NONE]
    return render(
        request,
        "portal/procedure.html",
        {
            "procedure": proc,
            "version": version,
            "offerings": offerings,
            "online_offerings": online,
            "agency_form": AgencyForm(offerings=online, auto_id="nop_%s") if online else None,
        },
    )


# --- the online form ----------------------------------------------------------------------------------------


def _draft_of(request: HttpRequest, procedure: Procedure, raw_id: str | None) -> Dossier | None:
    if not raw_id or not str(raw_id).isdigit():
        return None
    draft = (
        selectors.visible_dossiers(request.user)
        .filter(pk=int(raw_id), applicant_id=request.user.pk, status=Status.DRAFT, procedure=procedure)
        .first()
    )
    if draft is None:
        raise Http404(_("Không tìm thấy bản nháp."))
    return draft


@login_required
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest, code: str) -> HttpResponse:
    """The online declaration rendered from the version's JSON Schema; 'Lưu nháp' or 'Nộp hồ sơ'."""
    proc = procedure_or_404(code)
    version = version_or_404(proc)
    offerings = offerings_of(proc, online_only=True)
    if not offerings:
        messages.error(request, _("Thủ tục này chưa được cung cấp trực tuyến."))
        return redirect("portal:procedure", code=proc.code)
    refusal = _assurance_refusal(request, proc, version)
    if refusal is not None:
        return refusal
    draft = _draft_of(request, proc, request.POST.get("nhap") or request.GET.get("nhap"))
    FormClass = build_form_class(version.form_schema)
    prefill = _prefill(request, version)
    documents, provided = _documents_to_ask(version)
    stored = store.offers_for(request.user, documents)  # "provide once": the citizen's store stands in
    documents = [d for d in documents if str(d.get("code")) not in stored]
    status = 200
    if request.method == "GET":
        agency_code = request.GET.get("agency") or (draft.agency.code if draft else "")
        agency_form = AgencyForm(offerings=offerings, initial={"agency": agency_code})
        form = FormClass(data_dict=draft.data if draft else None, prefill=prefill)
        docs_form = DocumentsForm(documents=documents)
    else:
        agency_form = AgencyForm(request.POST, offerings=offerings)
        form = FormClass(request.POST, prefill=prefill)
        docs_form = DocumentsForm(request.POST, request.FILES, documents=documents)
        intent = request.POST.get("intent", "submit")
        if intent.startswith("add:"):  # one more row in a repeatable group; nothing is checked or saved yet
            form = FormClass(data_dict=form.partial_data(), add_rows=[intent[4:]], prefill=prefill)
            agency_form = AgencyForm(offerings=offerings, initial={"agency": request.POST.get("agency")})
            docs_form = DocumentsForm(documents=documents)
            response = None
        elif intent == "draft":
            response = _save_draft(request, proc, agency_form, form, draft)
        else:
            response = _submit(request, proc, agency_form, form, docs_form, draft, stored)
        if response is not None:
            return response
        status = 200 if intent.startswith("add:") else 422
        if request.FILES:
            messages.info(request, _("Vì lý do an toàn, trình duyệt không giữ tệp đã chọn: vui lòng chọn lại tệp."))
    return render(
        request,
        "portal/apply.html",
        {
            "procedure": proc,
            "version": version,
            "form": form,
            "agency_form": agency_form,
            "docs_form": docs_form,
            "provided_documents": provided,
            "stored_documents": [
                (d, stored[str(d.get("code"))]) for d in version.documents or [] if str(d.get("code")) in stored
            ],
            "draft": draft,
            "form_errors": form.non_field_errors(),
        },
        status=status,
    )


def _assurance_refusal(request: HttpRequest, proc: Procedure, version) -> HttpResponse | None:
    """A page saying the procedure needs a higher eID level, with a way to log in again at that level."""
    need = identity.required_assurance(version)
    have = identity.user_assurance(request.user, session=request.session)
    if identity.assurance_sufficient(have, need):
        return None
    return render(
        request,
        "identity/assurance_required.html",
        {
            "procedure": proc,
            "need": need,
            "need_label": identity.assurance_label(need),
            "have_label": identity.assurance_label(have),
            "eid_enabled": eid.enabled(),
            "next": request.get_full_path(),
        },
        status=403,
    )


def _prefill(request: HttpRequest, version) -> dict[str, dict]:
    """Registry values for a logged-in citizen ("provide once"); empty, with a note, when the registry is down."""
    if not getattr(request.user, "is_citizen", False):
        return {}
    prefill, available = identity.prefill_for_session(request.session, request.user, version)
    if not available and request.method == "GET":
        messages.info(
            request,
            _(
                "Tạm thời chưa lấy được thông tin của bạn từ Cơ sở dữ liệu quốc gia về dân cư: "
                "vui lòng tự điền tờ khai, hồ sơ sẽ được đối chiếu sau."
            ),
        )
    return prefill


def _documents_to_ask(version) -> tuple[list[dict], list[dict]]:
    """(documents the applicant may upload, documents the registry provides): never ask for what it holds."""
    documents = list(version.documents or [])
    if not registry.configured():
        return documents, []
    provided = identity.registry_documents(documents)
    return (
        [d for d in documents if str(d.get("code")) not in provided],
        [d for d in documents if str(d.get("code")) in provided],
    )


def _provenance(request, form, data: dict) -> dict:
    """Where each pre-filled answer came from, and the enterprise a business representative acts for."""
    return {
        "data_sources": identity.data_sources(form.prefill, data) if form.prefill else {},
        "enterprise": identity.session_enterprise(request.session),
    }


def _save_draft(request, proc, agency_form, form, draft) -> HttpResponse | None:
    if not agency_form.is_valid():
        return None
    try:
        draft = services.save_draft(
            request.user,
            procedure_code=proc.code,
            agency_code=agency_form.cleaned_data["agency"],
            data=form.partial_data(),
            draft=draft,
        )
    except ProblemError as exc:
        form.add_problem_errors(exc.errors)
        problem_messages(request, exc)
        return None
    messages.success(request, _("Đã lưu bản nháp. Bạn có thể tiếp tục bất cứ lúc nào trong “Hồ sơ của tôi”."))
    url = reverse("portal:apply", kwargs={"code": proc.code})
    return redirect(f"{url}?nhap={draft.pk}")


def _submit(request, proc, agency_form, form, docs_form, draft, stored=None) -> HttpResponse | None:
    valid = agency_form.is_valid() & form.is_valid() & docs_form.is_valid()
    if not valid:  # the page's error summary lists every problem with a link to its field
        return None
    data = form.to_data()
    agency_code = agency_form.cleaned_data["agency"]
    try:
        if draft is not None:
            draft = services.save_draft(
                request.user, procedure_code=proc.code, agency_code=agency_code, data=data, draft=draft
            )
            result = services.submit_draft(request.user, draft, **_provenance(request, form, data))
        else:
            result = services.submit_dossier(
                request.user,
                procedure_code=proc.code,
                agency_code=agency_code,
                channel="online",
                data=data,
                **_provenance(request, form, data),
            )
    except ProblemError as exc:
        messages.error(request, exc.detail)
        for err in exc.errors:
            if err.get("field") == "agency":
                agency_form.add_error("agency", err.get("message"))
        for text in form.add_problem_errors([e for e in exc.errors if e.get("field") != "agency"]):
            messages.error(request, text)
        return None
    dossier = result.dossier
    if stored and not result.replayed:
        store.reuse(request.user, dossier, stored)
    attach_uploads(request, dossier, docs_form.uploads())
    if result.pin:
        request.session[f"pin:{dossier.code}"] = result.pin
    return redirect("portal:submitted", code=dossier.code)


@login_required
def submitted(request: HttpRequest, code: str) -> HttpResponse:
    """The receipt of an online submission: code, PIN (shown this once) and the expected appointment."""
    dossier = own_dossier(request, code)
    pin = request.session.pop(f"pin:{code}", None)
    return render(request, "portal/submitted.html", {"dossier": dossier, "pin": pin})


# --- my dossiers ------------------------------------------------------------------------------------------


@login_required
def my_dossiers(request: HttpRequest) -> HttpResponse:
    # One dossier per request: the agencies' sub-dossiers of a linked request are shown inside it, not here.
    mine = selectors.visible_dossiers(request.user).filter(applicant_id=request.user.pk, parent__isnull=True)
    drafts = list(mine.filter(status=Status.DRAFT).order_by("-updated_at")[:50])
    submitted_qs = mine.exclude(status=Status.DRAFT).order_by("-submitted_at", "-id")
    page = Paginator(submitted_qs, PAGE_SIZE).get_page(request.GET.get("trang"))
    proposals = linked_selectors.follow_on_proposals(request.user)
    return render(request, "portal/my_dossiers.html", {"drafts": drafts, "page": page, "proposals": proposals})


def _last_action(dossier: Dossier, action: str):
    return dossier.actions.filter(action=action).order_by("-seq").first()


@login_required
def dossier(request: HttpRequest, code: str) -> HttpResponse:
    """The applicant's view of one dossier: where it is, when it is due, what they can do."""
    d = selectors.visible_dossiers(request.user).filter(code=code, applicant_id=request.user.pk).first()
    if d is None:
        if is_official(request.user):
            return redirect("backoffice:dossier", code=code)
        raise Http404(_("Không tìm thấy hồ sơ."))
    actions = {a["action"]: a for a in services.available_actions(request.user, d)}
    supplement_request = _last_action(d, "request_supplement") if d.status == Status.SUPPLEMENT_REQUESTED else None
    refusal = _last_action(d, "refuse") if d.status == Status.REFUSED else None
    linked = linked_selectors.chain_page(d)
    return render(
        request,
        "portal/dossier.html",
        {
            "dossier": d,
            "linked": linked,
            "umbrella": d.parent if d.parent_id else None,
            "pin": request.session.pop(f"pin:{d.code}", None),  # a request confirmed from a proposal lands here
            "history": selectors.history(d) if linked is None else [],
            "rows": display_rows(d.version.form_schema, d.data),
            "documents": d.documents.all().order_by("uploaded_at"),
            "actions": actions,
            "supplement_request": supplement_request,
            "refusal": refusal,
            "upload_form": UploadForm(documents=version_documents(d)) if d.status in UPLOAD_STATUSES else None,
        },
    )


@login_required
@require_POST
def upload(request: HttpRequest, code: str) -> HttpResponse:
    d = own_dossier(request, code)
    form = UploadForm(request.POST, request.FILES, documents=version_documents(d))
    if form.is_valid():
        code_ = form.cleaned_data["doc_code"]
        doc = {"code": code_, "name": form.names.get(code_) or ""}
        if attach_uploads(request, d, [(doc, form.cleaned_data["file"])]):
            messages.success(request, _("Đã đính kèm giấy tờ."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("portal:dossier", code=d.code)


@login_required
def document(request: HttpRequest, code: str, doc_id: int) -> FileResponse:
    d = own_dossier(request, code)
    return serve_document(d, doc_id)


def serve_document(d: Dossier, doc_id: int) -> FileResponse:
    """Download a stored document as an attachment (never rendered inline by the browser)."""
    doc = d.documents.filter(pk=doc_id).first()
    if doc is None:
        raise Http404(_("Không tìm thấy giấy tờ."))
    try:
        handle = doc.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("Tệp không còn trên máy chủ.")) from exc
    return FileResponse(handle, as_attachment=True, filename=doc.original_name, content_type=doc.content_type)


def _offered(request: HttpRequest, dossier: Dossier, action: str, otherwise: str) -> bool:
    """Is `action` open to the applicant now? If not, say why (the page then goes back to the dossier)."""
    if action in {a["action"] for a in services.available_actions(request.user, dossier)}:
        return True
    messages.info(request, otherwise)
    return False


@login_required
@require_http_methods(["GET", "POST"])
def supplement(request: HttpRequest, code: str) -> HttpResponse:
    """Answer the single supplement request: correct the declaration, add documents, explain."""
    d = own_dossier(request, code)
    if not _offered(request, d, "supplement", _("Hồ sơ không ở trạng thái chờ bổ sung.")):
        return redirect("portal:dossier", code=d.code)
    FormClass = build_form_class(d.version.form_schema)
    docs = version_documents(d)
    status = 200
    intent = request.POST.get("intent", "")
    if request.method == "POST" and intent.startswith("add:"):
        form = FormClass(data_dict=FormClass(request.POST).partial_data(), add_rows=[intent[4:]])
        note_form = SupplementForm(initial={"note": request.POST.get("note", "")})
        docs_form = DocumentsForm(documents=docs)
    elif request.method == "POST":
        form = FormClass(request.POST)
        note_form = SupplementForm(request.POST)
        docs_form = DocumentsForm(request.POST, request.FILES, documents=docs)
        if form.is_valid() & note_form.is_valid() & docs_form.is_valid():
            attach_uploads(request, d, docs_form.uploads())
            try:
                services.perform(
                    request.user,
                    d,
                    "supplement",
                    note=note_form.cleaned_data["note"],
                    payload={"data": form.to_data()},
                )
            except ProblemError as exc:
                for text in form.add_problem_errors(exc.errors):
                    messages.error(request, text)
                messages.error(request, exc.detail)
            else:
                messages.success(request, _("Đã nộp bổ sung. Hồ sơ được tiếp tục giải quyết."))
                return redirect("portal:dossier", code=d.code)
        status = 422
    else:
        form = FormClass(data_dict=d.data)
        note_form = SupplementForm()
        docs_form = DocumentsForm(documents=docs)
    return render(
        request,
        "portal/supplement.html",
        {
            "dossier": d,
            "form": form,
            "note_form": note_form,
            "docs_form": docs_form,
            "supplement_request": _last_action(d, "request_supplement"),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, code: str) -> HttpResponse:
    """Withdrawing is final, so it takes an explicit confirmation."""
    d = own_dossier(request, code)
    if not _offered(request, d, "withdraw", _("Hồ sơ này không thể rút ở trạng thái hiện tại.")):
        return redirect("portal:dossier", code=d.code)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.perform(request.user, d, "withdraw", note=form.cleaned_data["reason"])
        except ProblemError as exc:
            problem_messages(request, exc)
        else:
            messages.success(request, _("Đã rút hồ sơ %(code)s.") % {"code": d.code})
            return redirect("portal:dossier", code=d.code)
    return render(request, "portal/withdraw.html", {"dossier": d, "form": form}, status=422 if form.errors else 200)


# --- life events: a finished birth registration proposes the rest of the birth chain ----------------------------


def _follow_on_editable(name: str) -> bool:
    """What the parent may still change on the pre-filled request: where the child lives, and the clinic."""
    return name.startswith("tt_") or name == "bhyt_noi_kcb_ban_dau"


@login_required
@require_http_methods(["GET", "POST"])
def follow_on(request: HttpRequest, code: str) -> HttpResponse:
    """Register the child's permanent residence and health-insurance card from a finished birth registration:
    everything known is shown read-only; only the residence and the clinic can be changed; one confirmation."""
    source = linked_selectors.follow_on_proposal(request.user, code)
    if source is None:
        own_dossier(request, code)  # 404 for anyone else's dossier
        messages.info(request, _("Hồ sơ này không còn đề xuất đăng ký tiếp nào."))
        return redirect("portal:dossier", code=code)
    try:
        declaration = linked_services.follow_on_declaration(request.user, source)
    except ProblemError as exc:
        problem_messages(request, exc)
        return redirect("portal:my_dossiers")
    version = catalog.submission_target(linked_selectors.BIRTH_GROUP, source.agency.code)[1]
    schema = version.form_schema or {}
    editable = [k for k in schema.get("properties", {}) if _follow_on_editable(k)]
    FormClass = build_form_class(restrict_schema(schema, editable))
    fixed = {k: v for k, v in declaration.items() if not _follow_on_editable(k)}
    status, leftover = 200, []
    if request.method == "POST":
        form = FormClass(request.POST)
        if form.is_valid():
            try:
                result = linked_services.confirm_follow_on(request.user, source.code, {**fixed, **form.to_data()})
            except ValidationFailed as exc:
                leftover = form.add_problem_errors(exc.errors) or ([] if exc.errors else [exc.detail])
            except ProblemError as exc:
                leftover = [exc.detail]
            else:
                if result.pin:
                    request.session[f"pin:{result.dossier.code}"] = result.pin
                messages.success(
                    request,
                    _("Đã nộp hồ sơ %(code)s: đăng ký thường trú và cấp thẻ BHYT cho bé, dùng lại Giấy khai sinh.")
                    % {"code": result.dossier.code},
                )
                return redirect("portal:dossier", code=result.dossier.code)
        status = 422
    else:
        form = FormClass(data_dict=declaration)
    return render(
        request,
        "portal/follow_on.html",
        {
            "source": source,
            "child_name": (source.data or {}).get("ks_ho_ten") or (source.result or {}).get("ho_ten", ""),
            "procedure": version.procedure,
            "summary": grouped_rows(schema, fixed),
            "form": form,
            "leftover": leftover,
        },
        status=status,
    )
