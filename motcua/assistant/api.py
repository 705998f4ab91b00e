"""The legal assistant's public API (no login; rate-limited per client address): search the laws, ask a question.

Errors are problem+json in Vietnamese: 422 for a bad field (empty or too long question, k outside 1..50, unknown
audience), 429 for too many requests.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from motcua.accounts.services import hit_rate_limit
from motcua.core.errors import ProblemError

from . import conf, services

router = Router(tags=["assistant"])


class SearchIn(Schema):
    query: str
    k: int = 10


class SearchResult(Schema):
    id: str  # the corpus _id, "<law_id>||<article_id>"
    law_id: str
    article_id: str
    title: str
    score: float
    snippet: str


class SearchOut(Schema):
    results: list[SearchResult]


class AskIn(Schema):
    question: str
    audience: str = "citizen"


class CitationOut(Schema):
    type: str  # law | procedure
    id: str  # corpus _id for a law article, the procedure code for a procedure
    title: str
    url: str


class AskOut(Schema):
    answer: str
    citations: list[CitationOut]
    confidence: float


def throttle(request: HttpRequest) -> None:
    if hit_rate_limit("assistant", request.META.get("REMOTE_ADDR", ""), int(conf.get("MOTCUA_ASSISTANT_PER_MINUTE"))):
        raise ProblemError(
            "Bạn gửi quá nhiều câu hỏi. Vui lòng thử lại sau 1 phút.", status=429, title="Quá nhiều yêu cầu"
        )


@router.post("/search", response=SearchOut, auth=None, summary="Tìm các điều luật liên quan (không cần đăng nhập)")
def search(request: HttpRequest, payload: SearchIn):
    """The k (1..50, default 10) most relevant articles of the laws in force, best first."""
    throttle(request)
    hits = services.search(payload.query, payload.k)
    return {
        "results": [
            {
                "id": h.id,
                "law_id": h.law_id,
                "article_id": h.article_id,
                "title": h.title,
                "score": round(float(h.score), 4),
                "snippet": h.snippet,
            }
            for h in hits
        ]
    }


@router.post("/ask", response=AskOut, auth=None, summary="Hỏi trợ lý ảo pháp luật (không cần đăng nhập)")
def ask(request: HttpRequest, payload: AskIn):
    """An answer for a citizen or an official, with its citations (law articles by corpus id, procedures by code)
    and the evidence strength (0..1). Weak evidence: the answer says so and cites nothing."""
    throttle(request)
    answer = services.ask(
        payload.question, payload.audience, role=services.asker_role(getattr(request, "user", None)), channel="api"
    )
    return answer.as_api()
