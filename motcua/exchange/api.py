"""The receiving side: other agencies POST signed messages (and callbacks) here; our public keys are published.

Authentication is the message signature (X-Motcua-Signature, checked against the sender partner's JWK), not a
bearer token. Refusals are ProblemError subclasses, answered as problem+json by the API's handlers.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Router

from motcua.accounts.services import hit_rate_limit
from motcua.core.errors import ProblemError

from . import services, signing

router = Router(tags=["exchange"])


@router.post("/inbox", auth=None, summary="Nhận thông điệp liên thông đã ký")
def inbox(request: HttpRequest) -> HttpResponse:
    # Unauthenticated until the signature is checked, and a refusal is written to the audit chain: bounded per
    # client address so that nobody can flood the chain.
    if hit_rate_limit("exchange_inbox", request.META.get("REMOTE_ADDR", ""), settings.MOTCUA_EXCHANGE_INBOX_PER_MINUTE):
        raise ProblemError("Quá nhiều thông điệp. Vui lòng gửi lại sau 1 phút.", status=429, title="Quá nhiều yêu cầu")
    outcome = services.receive(request.headers, request.body)
    body = json.dumps(outcome, ensure_ascii=False).encode("utf-8")
    headers = services.sign_response(request.headers, body, settings.MOTCUA_EXCHANGE_AGENCY_CODE)
    return HttpResponse(body, status=200, content_type="application/json; charset=utf-8", headers=headers)


@router.get("/.well-known/jwks", auth=None, summary="Khóa công khai dùng để kiểm chữ ký của motcua")
def jwks(request: HttpRequest) -> HttpResponse:
    response = JsonResponse(signing.jwks())
    response["Cache-Control"] = "public, max-age=300"
    return response
