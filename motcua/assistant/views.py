"""The assistant's pages: the public chat (works without JavaScript; enhanced with fetch when available), the article
page every law citation links to, and the officials' review of the question log.

Thin: answers come from services.ask, which validates, answers and logs.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Avg, Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from motcua.accounts.services import hit_rate_limit, is_official
from motcua.backoffice.views import official_required
from motcua.core.errors import ProblemError

from . import conf, services
from .forms import AskForm, LogFilterForm, ReviewForm
from .models import AssistantQuery, Audience, LegalArticle
from .retrieval.clauses import split_article

LOG_PAGE_SIZE = 50


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _default_audience(request: HttpRequest) -> str:
    user = request.user
    return Audience.OFFICIAL if user.is_authenticated and is_official(user) else Audience.CITIZEN


@require_http_methods(["GET", "POST"])
def chat(request: HttpRequest) -> HttpResponse:
    """Ask a question: the answer with its sources panel. A POST from the page's script (header
    X-Requested-With: fetch) gets only the new exchange, to append to the conversation."""
    form = AskForm(request.POST or None, initial={"audience": _default_audience(request)})
    answer = question = None
    status = 200
    if request.method == "POST":
        if hit_rate_limit("assistant", _client_ip(request), int(conf.get("MOTCUA_ASSISTANT_PER_MINUTE"))):
            form.add_error(None, _("Bạn gửi quá nhiều câu hỏi. Vui lòng thử lại sau 1 phút."))
            status = 429
        elif form.is_valid():
            question = form.cleaned_data["question"]
            try:
                answer = services.ask(
                    question,
                    form.cleaned_data["audience"],
                    role=services.asker_role(request.user),
                    channel="web",
                )
            except ProblemError as exc:
                form.add_error("question", exc.detail)
                status = 422
            else:
                form = AskForm(initial={"audience": form.cleaned_data["audience"]})
        else:
            status = 422
    context = {"form": form, "answer": answer, "question": question}
    response = (
        render(request, "assistant/_exchange.html", context, status=status)
        if request.headers.get("X-Requested-With") == "fetch"
        else render(request, "assistant/chat.html", context, status=status)
    )
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def article(request: HttpRequest, pk: int) -> HttpResponse:
    """One article of one version of a law, clause by clause (anchors #khoan-N), with its place and dates; an
    article of a replaced version says so and links to the version in force."""
    row = get_object_or_404(LegalArticle.objects.select_related("document"), pk=pk)
    document = row.document
    current = None
    if not document.in_force:
        current = (
            LegalArticle.objects.filter(document__code=document.code, document__in_force=True, number=row.number)
            .select_related("document")
            .first()
        )
    parts = [p for p in split_article(row.title, row.text) if p.point is None]
    intro = row.body
    if parts:
        first = row.body.find(parts[0].text.split("\n", 1)[0])
        intro = row.body[:first].strip() if first > 0 else ""
    return render(
        request,
        "assistant/article.html",
        {"article": row, "document": document, "current": current, "parts": parts, "intro": intro},
    )


# --- officials' review ----------------------------------------------------------------------------------------------


@official_required
@require_GET
def log_list(request: HttpRequest) -> HttpResponse:
    form = LogFilterForm(request.GET or None)
    rows = AssistantQuery.objects.all()
    if form.is_valid():
        if intent := form.cleaned_data["loai"]:
            rows = rows.filter(intent=intent)
        if audience := form.cleaned_data["doi_tuong"]:
            rows = rows.filter(audience=audience)
        if verdict := form.cleaned_data["danh_gia"]:
            rows = rows.filter(verdict="") if verdict == "none" else rows.filter(verdict=verdict)
    figures = rows.aggregate(
        total=Count("pk"),
        unknown=Count("pk", filter=Q(intent="unknown")),
        generated=Count("pk", filter=Q(generated=True)),
        confidence=Avg("confidence"),
        latency=Avg("latency_ms"),
    )
    page = Paginator(rows.order_by("-asked_at", "-pk"), LOG_PAGE_SIZE).get_page(request.GET.get("trang"))
    query = request.GET.copy()
    query.pop("trang", None)
    return render(
        request,
        "assistant/log_list.html",
        {"form": form, "page": page, "figures": figures, "extra_query": query.urlencode() + "&" if query else ""},
    )


@official_required
@require_http_methods(["GET", "POST"])
def log_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entry = AssistantQuery.objects.filter(pk=pk).select_related("reviewed_by").first()
    if entry is None:
        raise Http404(_("Không tìm thấy câu hỏi."))
    form = ReviewForm(request.POST or None, initial={"verdict": entry.verdict, "note": entry.review_note})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.review(request.user, entry, form.cleaned_data["verdict"], form.cleaned_data["note"])
            except ProblemError as exc:
                form.add_error(None, exc.detail)
                status = 422
            else:
                messages.success(request, _("Đã lưu đánh giá."))
                return redirect("assistant:log_detail", pk=entry.pk)
        else:
            status = 422
    articles = list(entry.articles.select_related("document").order_by("document__code", "position"))
    return render(
        request, "assistant/log_detail.html", {"entry": entry, "form": form, "articles": articles}, status=status
    )
