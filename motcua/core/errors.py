"""Domain errors that every entry point turns into a clear answer (RFC 9457 problem details in the API)."""

from __future__ import annotations

from typing import Any


class ProblemError(Exception):
    """A refusal the user can act on. `detail` is Vietnamese and safe to show; `errors` lists field problems."""

    status: int = 400
    title: str = "Yêu cầu không hợp lệ"

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        title: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        if title is not None:
            self.title = title
        self.errors = errors or []
        self.code = code

    def as_problem(self, instance: str = "") -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"urn:motcua:problem:{self.code or self.status}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = self.errors
        return body


class NotFound(ProblemError):
    status = 404
    title = "Không tìm thấy"


class PermissionDenied(ProblemError):
    status = 403
    title = "Không có quyền"


class Conflict(ProblemError):
    status = 409
    title = "Xung đột trạng thái"


class ValidationFailed(ProblemError):
    status = 422
    title = "Dữ liệu không hợp lệ"
