"""`GET /api/v1/dossiers/{code}/forms/{number}`: a one-stop form of a dossier as PDF (forms 01-05)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router

from motcua.accounts.services import is_official
from motcua.core.api_support import session_or_token
from motcua.core.errors import NotFound, PermissionDenied
from motcua.dossiers import selectors

from . import forms
from .views import pdf_response

router = Router(tags=["forms"], auth=session_or_token())

PDF_RESPONSE = {
    "responses": {
        "200": {
            "description": "Biểu mẫu dạng PDF (Content-Disposition: inline).",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


@router.get(
    "/{code}/forms/{number}",
    summary="Biểu mẫu một cửa của hồ sơ (PDF): 01 tiếp nhận, 02 bổ sung, 03 từ chối, 04 xin lỗi, 05 kiểm soát",
    openapi_extra=PDF_RESPONSE,
)
def dossier_form(request: HttpRequest, code: str, number: str) -> HttpResponse:
    kind = forms.FORMS.get(number)
    if kind is None:
        raise NotFound(f"Không có biểu mẫu số {number}: các mẫu của hồ sơ là 01 đến 05.")
    dossier = selectors.dossier_for(request.user, code, reason=f"tải biểu mẫu {number}")
    if not kind.for_applicant and not is_official(request.user):
        raise PermissionDenied("Phiếu kiểm soát quá trình giải quyết hồ sơ (mẫu 05) chỉ dành cho cán bộ, công chức.")
    return pdf_response(forms.render(dossier, number), forms.filename(dossier, number))
