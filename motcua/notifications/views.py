"""The portal inbox (the logged-in user's in-app messages) and the SMS provider's delivery-report callback."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from motcua.core.errors import NotFound

from . import services, sms

PAGE_SIZE = 20


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(services.inbox(request.user), PAGE_SIZE).get_page(request.GET.get("trang"))
    return render(request, "notifications/inbox.html", {"page": page})


def _back(request: HttpRequest, default: str = "notifications:inbox") -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(default)


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.mark_read(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    return _back(request)


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.mark_read(request.user)
    if count:
        messages.success(request, _("Đã đánh dấu %(n)d thông báo là đã đọc.") % {"n": count})
    return _back(request)


@csrf_exempt  # a server-to-server callback, authenticated by its HMAC signature
@require_POST
def sms_delivery_report(request: HttpRequest) -> HttpResponse:
    headers = dict(request.headers.items())
    try:
        outcome = services.handle_delivery_report(headers, request.body)
    except sms.ReportRefused as exc:
        return JsonResponse({"error": "refused", "detail": str(exc)}, status=401)
    except NotFound as exc:
        return JsonResponse({"error": "not_found", "detail": exc.detail}, status=404)
    return JsonResponse({"status": "ok", **outcome})
