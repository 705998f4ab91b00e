"""Login and logout through the national eID (VNeID). Every refusal is a Vietnamese page with status 400 and
no session: nothing is logged in unless every check of the ID token passed."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from motcua.audit import services as audit

from . import oidc, services
from .models import Assurance

log = logging.getLogger("motcua.identity")


def _safe_next(request: HttpRequest, value: str | None) -> str:
    if value and url_has_allowed_host_and_scheme(value, {request.get_host()}, require_https=request.is_secure()):
        return value
    return reverse(settings.LOGIN_REDIRECT_URL)


def _refuse(request: HttpRequest, message: str, *, reason: str = "", status: int = 400) -> HttpResponse:
    log.warning("eID login refused: %s", reason or message)
    return render(request, "identity/error.html", {"message": message}, status=status)


@require_GET
def login_start(request: HttpRequest) -> HttpResponse:
    """Send the browser to the eID provider; `?muc=loa2` asks for a level-2 login (a procedure needs it)."""
    if not oidc.enabled():
        raise Http404(_("Đăng nhập bằng định danh điện tử quốc gia chưa được bật."))
    assurance = request.GET.get("muc", "")
    if assurance not in (Assurance.LOA1, Assurance.LOA2):
        assurance = ""
    try:
        url = oidc.begin(
            request.session,
            redirect_uri=request.build_absolute_uri(reverse("identity:callback")),
            next_url=_safe_next(request, request.GET.get("next")),
            assurance=assurance,
        )
    except oidc.OidcError as exc:
        return _refuse(request, exc.message, reason=exc.reason, status=503)
    return HttpResponseRedirect(url)


@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    """The provider sends the browser back here with `code` and `state`: validate everything, then log in."""
    if not oidc.enabled():
        raise Http404(_("Đăng nhập bằng định danh điện tử quốc gia chưa được bật."))
    try:
        identity, entry = oidc.complete(request.session, request.GET.dict())
        services.login_citizen(request, identity)
    except oidc.OidcError as exc:
        return _refuse(request, exc.message, reason=exc.reason)
    wanted = entry.get("assurance") or ""
    if wanted and not services.assurance_sufficient(identity.assurance, wanted):
        messages.warning(
            request,
            _("Tài khoản định danh điện tử của bạn ở %(have)s; thủ tục cần %(need)s.")
            % {"have": services.assurance_label(identity.assurance), "need": services.assurance_label(wanted)},
        )
    return redirect(_safe_next(request, entry.get("next")))


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """Log out here, then at the provider (RP-initiated logout) so the next login asks again."""
    id_token = request.session.get(oidc.ID_TOKEN_KEY, "")
    user = request.user if request.user.is_authenticated else None
    if user is not None:
        audit.record(
            actor=user,
            action="identity.logout",
            obj_type="user",
            obj_id=str(user.pk),
            reason="Đăng xuất",
            data={"eid": bool(id_token)},
        )
    logout(request)
    home = request.build_absolute_uri(reverse(settings.LOGOUT_REDIRECT_URL))
    if id_token and oidc.enabled():
        url = oidc.logout_url(id_token, home)
        if url:
            return HttpResponseRedirect(url)
    return HttpResponseRedirect(home)
