"""Secure headers Django does not set by itself."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

# Everything is served from our own origin: no inline scripts, no third-party hosts.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)
# The interactive API docs page loads its own inline bootstrap script.
CSP_DOCS = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = CSP_DOCS if request.path.startswith(("/api/docs", "/admin/")) else CSP
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


class LanguageChoiceMiddleware(LocaleMiddleware):
    """Vietnamese first: English only when the visitor chose it with the language switch (its cookie).

    Many citizens' phones are set to English; a public service must not switch language behind their back, so
    the browser's Accept-Language is ignored.
    """

    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class ApiProblemMiddleware:
    """Under /api/, any error Django answers by itself (unknown URL, wrong method, body too large, CSRF) becomes
    application/problem+json with a Vietnamese detail, like the errors our endpoints raise."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith(("application/problem+json", "application/json"))
        ):
            from motcua.core.api_support import HTTP_MESSAGES, problem

            title, detail = HTTP_MESSAGES.get(response.status_code, ("Lỗi", "Yêu cầu không thực hiện được."))
            replaced = problem(request, response.status_code, title, detail)
            if response.has_header("Allow"):
                replaced["Allow"] = response["Allow"]
            return replaced
        return response
