"""Citizen feedback pages: the applicant's rating page (/danh-gia/<code>/) and the officials' feedback desk
(/dieu-hanh/phan-anh/). Thin: the rules are in feedback.py."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from motcua.backoffice.views import official_required
from motcua.core.errors import NotFound, ProblemError

from . import feedback
from .models import Feedback, FeedbackStatus, Rating

PAGE_SIZE = 50


class RatingForm(forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("Ý kiến khác (nếu có)"),
        required=False,
        max_length=feedback.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    text = forms.CharField(
        label=gettext_lazy("Phản ánh, kiến nghị cần cơ quan trả lời (nếu có)"),
        help_text=gettext_lazy(
            "Cơ quan giải quyết hồ sơ trả lời trong thời hạn quy định; bạn sẽ thấy câu trả lời tại đây."
        ),
        required=False,
        max_length=feedback.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        scores = {
            f"score_{c.code}": forms.TypedChoiceField(
                label=c.label,
                help_text=c.help,
                choices=feedback.SCORES,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": _("Chọn một mức đánh giá.")},
            )
            for c in feedback.CRITERIA
        }
        self.fields = {**scores, **self.fields}

    def scores(self) -> dict[str, int]:
        return {c.code: self.cleaned_data[f"score_{c.code}"] for c in feedback.CRITERIA}


class FeedbackForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Nội dung phản ánh, kiến nghị"),
        max_length=feedback.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class AnswerRatingForm(forms.Form):
    satisfied = forms.TypedChoiceField(
        label=gettext_lazy("Bạn có hài lòng với việc xử lý phản ánh này không?"),
        choices=(("1", gettext_lazy("Hài lòng")), ("0", gettext_lazy("Chưa hài lòng"))),
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=gettext_lazy("Nội dung trả lời"),
        max_length=feedback.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


def _problem(request: HttpRequest, exc: ProblemError) -> None:
    messages.error(request, exc.detail)


# --- the applicant ---------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, code: str) -> HttpResponse:
    """The applicant rates their returned dossier, may send a feedback text, and later rates the answer."""
    try:
        dossier = feedback.rateable_dossier(request.user, code)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    rating = Rating.objects.filter(dossier=dossier).first()
    item = Feedback.objects.filter(dossier=dossier).first()
    rating_form = RatingForm(request.POST if request.POST.get("form") == "rating" else None)
    feedback_form = FeedbackForm(request.POST if request.POST.get("form") == "feedback" else None)
    answer_form = AnswerRatingForm(request.POST if request.POST.get("form") == "answer" else None)
    if request.method == "POST":
        which = request.POST.get("form")
        try:
            if which == "rating" and rating_form.is_valid():
                feedback.rate(
                    request.user,
                    dossier,
                    rating_form.scores(),
                    comment=rating_form.cleaned_data["comment"],
                    text=rating_form.cleaned_data["text"],
                )
                messages.success(request, _("Cảm ơn bạn đã đánh giá."))
                return redirect("analytics_feedback:rate", code=dossier.code)
            if which == "feedback" and feedback_form.is_valid():
                feedback.send_feedback(request.user, dossier, feedback_form.cleaned_data["text"])
                messages.success(request, _("Đã gửi phản ánh, kiến nghị."))
                return redirect("analytics_feedback:rate", code=dossier.code)
            if which == "answer" and item is not None and answer_form.is_valid():
                feedback.rate_answer(request.user, item, answer_form.cleaned_data["satisfied"])
                messages.success(request, _("Cảm ơn bạn đã cho biết ý kiến về việc xử lý."))
                return redirect("analytics_feedback:rate", code=dossier.code)
        except ProblemError as exc:
            _problem(request, exc)
            return redirect("analytics_feedback:rate", code=dossier.code)
    invalid = any(f.is_bound and f.errors for f in (rating_form, feedback_form, answer_form))
    return render(
        request,
        "analytics/feedback/rate.html",
        {
            "dossier": dossier,
            "rating": rating,
            "item": item,
            "returned": dossier.status == "returned",
            "rating_form": rating_form if rating is None else None,
            "feedback_form": feedback_form if item is None and rating is not None else None,
            "answer_form": answer_form
            if item is not None and item.status == FeedbackStatus.ANSWERED and item.applicant_satisfied is None
            else None,
            "criteria": [(c, (rating.scores or {}).get(c.code)) for c in feedback.CRITERIA] if rating else [],
            "score_labels": dict(feedback.SCORES),
            "handling_days": feedback.handling_days(),
        },
        status=422 if invalid else 200,
    )


# --- the agency ------------------------------------------------------------------------------------------------

FILTERS = {
    "cho-xu-ly": gettext_lazy("Chờ xử lý"),
    "qua-han": gettext_lazy("Quá hạn chưa trả lời"),
    "da-tra-loi": gettext_lazy("Đã trả lời"),
    "tat-ca": gettext_lazy("Tất cả"),
}


@official_required
@require_http_methods(["GET"])
def handle_list(request: HttpRequest) -> HttpResponse:
    """The feedback the official may read, the ones to answer first (nearest deadline first)."""
    state = request.GET.get("trang-thai") or "cho-xu-ly"
    if state not in FILTERS:
        state = "cho-xu-ly"
    qs = feedback.visible_feedback(request.user)
    now = timezone.now()
    if state == "cho-xu-ly":
        qs = qs.filter(status=FeedbackStatus.OPEN).order_by("due_at", "pk")
    elif state == "qua-han":
        qs = qs.filter(status=FeedbackStatus.OPEN, due_at__lt=now).order_by("due_at", "pk")
    elif state == "da-tra-loi":
        qs = qs.filter(status=FeedbackStatus.ANSWERED).order_by("-handled_at", "-pk")
    else:
        qs = qs.order_by("-created_at", "-pk")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("trang"))
    return render(
        request,
        "analytics/feedback/list.html",
        {"page": page, "state": state, "filters": FILTERS, "now": now},
    )


@official_required
@require_http_methods(["GET", "POST"])
def handle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One feedback with its dossier, and the answer form for the agency's desk officers and leaders."""
    item = feedback.visible_feedback(request.user).filter(pk=pk).first()
    if item is None:
        raise Http404(_("Không tìm thấy phản ánh."))
    form = AnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            feedback.answer(request.user, item, form.cleaned_data["answer"])
        except ProblemError as exc:
            _problem(request, exc)
        else:
            messages.success(request, _("Đã trả lời phản ánh."))
        return redirect("analytics:feedback_detail", pk=item.pk)
    return render(
        request,
        "analytics/feedback/detail.html",
        {
            "item": item,
            "form": form if feedback.can_answer(request.user, item) else None,
            "rating": Rating.objects.filter(dossier_id=item.dossier_id).first(),
            "now": timezone.now(),
        },
        status=422 if form.is_bound and form.errors else 200,
    )
