"""Public verification API: POST a PDF, get the verdict (no login; rate-limited per client address)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.http import HttpRequest
from ninja import File, Router, Schema
from ninja.files import UploadedFile

from motcua.accounts.services import hit_rate_limit
from motcua.core.api_support import session_or_token
from motcua.core.errors import NotFound, ProblemError

from . import services
from .uploads import read_pdf

router = Router(tags=["results"])


class VerdictOut(Schema):
    status: str  # valid | tampered | revoked | replaced | unknown
    message: str
    sha256: str
    number: str | None
    title: str | None
    procedure: str | None
    signer_agency: str | None
    signer_subject: str | None
    signed_at: datetime | None
    revoked_at: datetime | None
    revoked_reason: str | None
    replaced_by: str | None
    replaced_by_url: str | None
    verify_url: str | None


class ResultOut(Schema):
    number: str
    title: str
    procedure: str
    status: str
    signer_agency: str
    signer_subject: str
    signed_at: datetime
    sha256: str
    revoked_at: datetime | None
    revoked_reason: str | None
    replaced_by: str | None
    download_url: str


def _throttle(request: HttpRequest, scope: str, per_minute: int) -> None:
    if hit_rate_limit(scope, request.META.get("REMOTE_ADDR", ""), per_minute):
        raise ProblemError(
            "Bạn gửi quá nhiều yêu cầu xác minh. Vui lòng thử lại sau 1 phút.", status=429, title="Quá nhiều yêu cầu"
        )


@router.post("/verify", response=VerdictOut, auth=None, summary="Xác minh một tệp PDF kết quả điện tử")
def verify(request: HttpRequest, file: File[UploadedFile]):
    """multipart/form-data with `file` (the PDF as received, ≤ 10 MB). Answers 200 with the verdict whatever it
    is (`valid`, `tampered`, `revoked`, `replaced`, `unknown`); 413 too large, 415 not a PDF, 429 too many."""
    _throttle(request, "verify", settings.MOTCUA_VERIFY_PER_MINUTE)
    return services.verify(read_pdf(file)).as_dict()


@router.get("/{token}", response=ResultOut, auth=None, summary="Trạng thái kết quả điện tử theo mã QR")
def by_token(request: HttpRequest, token: str):
    _throttle(request, "verify_token", 120)
    found = services.lookup(token)
    if found is None:
        raise NotFound("Không tìm thấy kết quả điện tử.")
    return {
        "number": found.number,
        "title": found.title,
        "procedure": found.procedure_code,
        "status": found.status,
        "signer_agency": found.signer_agency.name,
        "signer_subject": found.signer_subject,
        "signed_at": found.signed_at,
        "sha256": found.sha256,
        "revoked_at": found.revoked_at,
        "revoked_reason": found.revoked_reason or None,
        "replaced_by": found.replaced_by.number if found.replaced_by else None,
        "download_url": services.verify_url(found.token) + "tai-ve/",
    }


class ChangeIn(Schema):
    reason: str


class ChangedOut(Schema):
    number: str
    status: str
    verify_url: str
    replaces: str | None


@router.post(
    "/{token}/revoke", response=ChangedOut, auth=session_or_token(), summary="Thu hồi kết quả điện tử (lãnh đạo)"
)
def revoke(request: HttpRequest, token: str, body: ChangeIn):
    """The issuing agency's leader withdraws an e-result; it stays verifiable and says "revoked"."""
    return _changed(services.change(request.user, token, "revoke", body.reason))


@router.post(
    "/{token}/replace", response=ChangedOut, auth=session_or_token(), summary="Thay thế kết quả điện tử (lãnh đạo)"
)
def replace(request: HttpRequest, token: str, body: ChangeIn):
    """A new e-result is signed for the same dossier; the old one stays verifiable and says "replaced"."""
    return _changed(services.change(request.user, token, "replace", body.reason))


def _changed(result) -> dict:
    old = result.replaces.first() if result.status == "valid" else None
    return {
        "number": result.number,
        "status": result.status,
        "verify_url": services.verify_url(result.token),
        "replaces": old.number if old else None,
    }
