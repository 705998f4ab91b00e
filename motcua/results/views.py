"""Public verification pages: no login. Upload a PDF to check it, or open what the QR code points to."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from motcua.accounts.services import hit_rate_limit
from motcua.backoffice.views import official_required
from motcua.core.errors import ProblemError

from . import services
from .forms import VerifyForm

TOKEN_PAGE_PER_MINUTE = 120


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _private(response: HttpResponse) -> HttpResponse:
    """Verification pages change with the result's status and name a person's document: never cached or indexed."""
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Upload an e-result PDF: is it ours, unaltered, still in force? (CSRF-protected, rate-limited per address)"""
    form = VerifyForm(request.POST or None, request.FILES or None)
    verdict = throttled = None
    status = 200
    if request.method == "POST":
        if hit_rate_limit("verify", _client_ip(request), settings.MOTCUA_VERIFY_PER_MINUTE):
            form = VerifyForm()
            throttled = _("Bạn gửi quá nhiều yêu cầu xác minh. Vui lòng thử lại sau 1 phút.")
            status = 429
        elif form.is_valid():
            verdict = services.verify(form.cleaned_data["data"])
            form = VerifyForm()
        else:
            status = form.status
    return _private(
        render(
            request, "results/verify.html", {"form": form, "verdict": verdict, "throttled": throttled}, status=status
        )
    )


def _throttled(request: HttpRequest) -> HttpResponse | None:
    if hit_rate_limit("verify_token", _client_ip(request), TOKEN_PAGE_PER_MINUTE):
        message = _("Bạn gửi quá nhiều yêu cầu xác minh. Vui lòng thử lại sau 1 phút.")
        return _private(render(request, "results/result.html", {"throttled": message}, status=429))
    return None


def _result_or_404(token: str):
    result = services.lookup(token)
    if result is None:
        raise Http404(_("Không tìm thấy kết quả điện tử."))
    return result


@require_GET
def result(request: HttpRequest, token: str) -> HttpResponse:
    """What the QR code opens: the registered result's status, and the original to download."""
    if (refused := _throttled(request)) is not None:
        return refused
    found = _result_or_404(token)
    events = list(found.events.order_by("at", "pk"))
    return _private(render(request, "results/result.html", {"result": found, "events": events}))


@require_GET
def download(request: HttpRequest, token: str) -> HttpResponse:
    if (refused := _throttled(request)) is not None:
        return refused
    found = _result_or_404(token)
    response = FileResponse(
        found.pdf.open("rb"),
        as_attachment=True,
        filename=f"{found.number}.pdf",
        content_type="application/pdf",
    )
    return _private(response)


@official_required
@require_POST
def change(request: HttpRequest, token: str, how: str) -> HttpResponse:
    """The back office's "Thu hồi" / "Thay thế" buttons: the issuing agency's leader, with a reason."""
    found = _result_or_404(token)
    try:
        result = services.change(request.user, token, how, request.POST.get("reason", "")[:500])
    except ProblemError as exc:
        messages.error(request, exc.detail)
    else:
        done = (
            _("Đã thu hồi kết quả %(number)s.") if how == "revoke" else _("Đã phát hành kết quả thay thế %(number)s.")
        )
        messages.success(request, done % {"number": result.number})
    return redirect("backoffice:dossier", code=found.dossier.code)
