"""Local login (officials and, until the national eID arrives, demo citizens) with lock-out, then the second
factor (TOTP) for every back-office role: a code from the authenticator, or enrolment when there is none yet."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from motcua.audit import services as audit

from . import services, two_factor


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Tên đăng nhập hoặc mật khẩu không đúng.",
        "locked": "Tài khoản tạm bị khoá do đăng nhập sai nhiều lần. Vui lòng thử lại sau 15 phút.",
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        if services.login_locked(username, ip):
            raise ValidationError(self.error_messages["locked"], code="locked")
        try:
            cleaned = super().clean()
        except ValidationError:
            services.login_failed(username, ip)
            raise
        services.login_succeeded(username, ip)
        return cleaned


class LoginView(auth_views.LoginView):
    """The password step. An official then goes on to the code (or enrolment), with `next` carried along."""

    template_name = "accounts/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        # A password login is a lower assurance than the national eID: drop any earlier eID level.
        from motcua.identity.services import forget_eid_level

        forget_eid_level(self.request.user, self.request.session)
        return response

    def get_success_url(self) -> str:
        url = super().get_success_url()
        if not services.session_is_fully_authenticated(self.request):
            return two_factor.second_factor_url(self.request.user, url)
        return url


class LogoutView(auth_views.LogoutView):
    pass


# --- second factor ------------------------------------------------------------------------------------------


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Mã xác thực (6 chữ số)"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*", "autofocus": True}
        ),
    )


def _next_url(request: HttpRequest) -> str:
    """The page asked for before the login, if it is ours; else the back office (or the portal for others)."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    if services.is_official(request.user):
        return resolve_url("backoffice:dashboard")
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _wait_message(seconds: int) -> str:
    return ngettext(
        "Bạn đã nhập sai mã nhiều lần. Vui lòng chờ %(n)s giây rồi thử lại.",
        "Bạn đã nhập sai mã nhiều lần. Vui lòng chờ %(n)s giây rồi thử lại.",
        seconds,
    ) % {"n": seconds}


def _posted_code(request: HttpRequest, device, wrong_message: str) -> tuple[CodeForm, int, str]:
    """The code form, checked against the device when posted: (form, HTTP status, outcome), the outcome being
    "shown", "invalid", "ok", "wait" or "wrong".

    django-otp's own throttling answers "wait" (429) after repeated wrong codes; a wrong code is a 422.
    """
    form = CodeForm(request.POST or None)
    if request.method != "POST":
        return form, 200, "shown"
    if not form.is_valid():
        return form, 422, "invalid"
    check = two_factor.check_code(device, form.cleaned_data["code"])
    if check.ok:
        return form, 200, "ok"
    if check.wait_seconds:
        form.add_error(None, _wait_message(check.wait_seconds))
        return form, 429, "wait"
    form.add_error("code", wrong_message)
    return form, 422, "wrong"


def _complete(request: HttpRequest, device, next_url: str) -> HttpResponse:
    """Mark the session verified by this device; a new session key, since the session just gained privileges."""
    otp_login(request, device)
    request.session.cycle_key()
    return redirect(next_url)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Step two of an official's login: the current code from their authenticator app."""
    next_url = _next_url(request)
    user = request.user
    if services.session_is_fully_authenticated(request):
        return redirect(next_url)
    device = two_factor.confirmed_device(user)
    if device is None:
        return redirect(two_factor.second_factor_url(user, next_url))
    form, status, outcome = _posted_code(
        request, device, _("Mã xác thực không đúng hoặc đã hết hạn. Hãy nhập mã mới nhất trong ứng dụng.")
    )
    if outcome == "ok":
        audit.record(actor=user, action="account.otp_verified", obj_type="user", obj_id=user.username)
        return _complete(request, device, next_url)
    if outcome == "wrong":
        audit.record(actor=user, action="account.otp_failed", obj_type="user", obj_id=user.username)
    return render(request, "accounts/otp_verify.html", {"form": form, "next": next_url}, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def otp_setup(request: HttpRequest) -> HttpResponse:
    """First login of an official without an authenticator: scan the QR code (or type the key), confirm a code.

    Only while no confirmed device exists: replacing a lost one goes through an administrator, who deletes the
    old device in the admin site; otherwise a stolen password alone could enrol the thief's phone.
    """
    next_url = _next_url(request)
    user = request.user
    if not services.needs_second_factor(user):
        return redirect(next_url)
    if two_factor.confirmed_device(user) is not None:
        return redirect(two_factor.second_factor_url(user, next_url))
    device = two_factor.pending_device(user)
    form, status, outcome = _posted_code(
        request, device, _("Mã xác thực không đúng. Kiểm tra giờ trên điện thoại và nhập mã mới nhất.")
    )
    if outcome == "ok":
        two_factor.confirm_device(device)
        audit.record(actor=user, action="account.otp_enrolled", obj_type="user", obj_id=user.username)
        return _complete(request, device, next_url)
    secret = two_factor.base32_secret(device)
    context = {
        "form": form,
        "next": next_url,
        "qr_svg": two_factor.qr_svg(device, _("Mã QR để thêm tài khoản vào ứng dụng xác thực")),
        "secret": two_factor.grouped(secret),
    }
    return render(request, "accounts/otp_setup.html", context, status=status)
