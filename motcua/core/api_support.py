"""API plumbing shared by every router: authentication and RFC 9457 problem responses in Vietnamese."""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from motcua.core.errors import ProblemError

logger = logging.getLogger("motcua.api")
PROBLEM = "application/problem+json"

HTTP_MESSAGES = {
    400: ("Yêu cầu không hợp lệ", "Không đọc được nội dung yêu cầu: JSON không hợp lệ."),
    401: ("Chưa xác thực", "Cần đăng nhập hoặc mã truy cập (Bearer token) hợp lệ."),
    403: ("Không có quyền", "Bạn không có quyền thực hiện thao tác này (hoặc thiếu mã CSRF khi dùng phiên đăng nhập)."),
    404: ("Không tìm thấy", "Không tìm thấy địa chỉ hoặc tài nguyên yêu cầu."),
    405: ("Phương thức không được hỗ trợ", "Phương thức HTTP không được hỗ trợ cho địa chỉ này."),
    413: ("Dữ liệu quá lớn", "Nội dung gửi lên vượt quá giới hạn cho phép."),
    429: ("Quá nhiều yêu cầu", "Bạn gửi quá nhiều yêu cầu. Vui lòng thử lại sau ít phút."),
}


def problem(request: HttpRequest, status: int, title: str, detail: str, **extra: Any) -> HttpResponse:
    body = {"type": f"urn:motcua:problem:{status}", "title": title, "status": status, "detail": detail}
    body.update({k: v for k, v in extra.items() if v})
    body["instance"] = request.path
    return JsonResponse(body, status=status, content_type=PROBLEM, json_dumps_params={"ensure_ascii": False})


def _pydantic_errors(exc: ValidationError) -> list[dict]:
    out = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "payload", "query", "path")]
        kind = err.get("type", "")
        message = {
            "missing": "Thiếu trường bắt buộc.",
            "json_invalid": "JSON không hợp lệ.",
        }.get(kind, "Giá trị không hợp lệ.")
        out.append({"field": ".".join(loc) or "body", "message": message})
    return out


def install_problem_handlers(api) -> None:
    @api.exception_handler(ProblemError)
    def _problem(request, exc: ProblemError):
        return problem(request, exc.status, exc.title, exc.detail, errors=exc.errors)

    @api.exception_handler(ValidationError)
    def _validation(request, exc: ValidationError):
        errors = _pydantic_errors(exc)
        names = ", ".join(e["field"] for e in errors[:5])
        return problem(request, 422, "Dữ liệu không hợp lệ", f"Dữ liệu gửi lên chưa hợp lệ: {names}.", errors=errors)

    @api.exception_handler(AuthenticationError)
    def _auth(request, exc):
        response = problem(request, 401, *HTTP_MESSAGES[401])
        response["WWW-Authenticate"] = 'Bearer realm="motcua"'
        return response

    @api.exception_handler(HttpError)
    def _http(request, exc: HttpError):
        title, detail = HTTP_MESSAGES.get(exc.status_code, ("Lỗi", "Yêu cầu không thực hiện được."))
        return problem(request, exc.status_code, title, detail)

    @api.exception_handler(Http404)
    def _404(request, exc):
        return problem(request, 404, *HTTP_MESSAGES[404])

    @api.exception_handler(Exception)
    def _unexpected(request, exc):
        logger.exception("Unhandled API error on %s", request.path)
        return problem(
            request, 500, "Lỗi hệ thống", "Hệ thống gặp lỗi ngoài dự kiến. Dữ liệu của bạn không bị thay đổi."
        )


class BearerAuth(HttpBearer):
    """`Authorization: Bearer mc_...` tokens made by `./manage.py create_api_token`."""

    def authenticate(self, request: HttpRequest, token: str):
        from motcua.accounts.services import user_for_token

        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


class VerifiedSessionAuth(SessionAuth):
    """The session cookie (with ninja's CSRF check), once the session has every factor its account needs
    (officials: the TOTP code). Bearer tokens are machine credentials made by an administrator: no TOTP."""

    def authenticate(self, request: HttpRequest, key):
        from motcua.accounts.services import session_is_fully_authenticated

        return request.user if session_is_fully_authenticated(request) else None


def session_or_token():
    return [BearerAuth(), VerifiedSessionAuth()]
