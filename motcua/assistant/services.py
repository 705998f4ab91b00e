"""The legal virtual assistant's use cases: search the laws in force, answer a question, log it for review.

`ask` decides between three kinds of answer:
- an explicit article reference ("khoản 2 Điều 20 Luật Cư trú") resolved exactly, from the article in force;
- a procedure question ("đăng ký khai sinh cần giấy tờ gì") answered from the structured catalogue;
- a legal question answered with the most relevant articles, each cited as law + article (+ clause);
and says it does not know when the evidence is weak. An operator may switch on answer writing by a language model
(motcua.assistant.generation); whatever it writes must cite only what was retrieved, else the extractive answer
stands. Every question is logged without personal data (motcua.assistant.privacy).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.core.errors import PermissionDenied, ValidationFailed

from . import conf, engine, evidence, generation, privacy, procedures
from .models import AssistantQuery, Audience, Intent, LegalArticle, Verdict
from .retrieval import Hit

log = logging.getLogger("motcua.assistant")

MAX_K = 50
# Evidence strength (0..1) below which the assistant says it does not know, unless the retriever's ranker
# brings its own calibrated threshold.
MIN_CONFIDENCE = 0.5
# A procedure whose name and the question's words cover each other this well is what a question with a
# procedure cue word ("hồ sơ", "lệ phí", "bao lâu") is about; without one, the question must be almost the
# procedure's name and carry no legal cue ("điều kiện", "quyền", "bị phạt"); else the laws answer first, and the
# procedure only when they have nothing.
PROCEDURE_WITH_CUE = 0.6
PROCEDURE_WITHOUT_CUE = 0.85
LEGAL_HITS = {Audience.CITIZEN: 3, Audience.OFFICIAL: 5}
SNIPPET_FOR_PROMPT = 1500


@dataclass
class Citation:
    type: str  # law | procedure
    id: str  # corpus id "<law>||<article>" or the procedure code
    title: str
    url: str
    snippet: str = ""
    clause: str | None = None
    article_pk: int | None = None
    passage: str = ""  # what a language model is given for this source: the clause, else the article

    def as_api(self) -> dict[str, str]:
        return {"type": self.type, "id": self.id, "title": self.title, "url": self.url}


@dataclass
class Answer:
    answer: str
    citations: list[Citation]
    confidence: float
    intent: str
    generated: bool = False
    note: str = ""
    procedure: dict[str, Any] | None = None  # the structured facts, for the page
    log_id: int | None = None

    def as_api(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "citations": [c.as_api() for c in self.citations],
            "confidence": round(self.confidence, 3),
        }


# --- validation ---------------------------------------------------------------------------------------------------


def clean_text(value: Any, *, field: str = "question") -> str:
    text = " ".join(str(value or "").split())
    limit = int(conf.get("MOTCUA_ASSISTANT_MAX_QUESTION"))
    if not text:
        raise ValidationFailed(_("Vui lòng nhập câu hỏi."), errors=[{"field": field, "message": "Trống."}])
    if len(text) > limit:
        raise ValidationFailed(
            _("Câu hỏi dài quá %(n)s ký tự, vui lòng rút gọn.") % {"n": limit},
            errors=[{"field": field, "message": f"Tối đa {limit} ký tự."}],
        )
    return text


def clean_audience(value: Any) -> str:
    if value in Audience.values:
        return str(value)
    raise ValidationFailed(
        _("Đối tượng phải là «citizen» (người dân) hoặc «official» (cán bộ)."),
        errors=[{"field": "audience", "message": "citizen | official"}],
    )


# --- retrieval ----------------------------------------------------------------------------------------------------


def _threshold(retriever) -> float:
    """Evidence below this and the assistant says it does not know (the ranker's calibrated threshold)."""
    return float(getattr(retriever, "answer_threshold", MIN_CONFIDENCE) or MIN_CONFIDENCE)


def search(query: str, k: int = 10) -> list[Hit]:
    """The k most relevant articles in force, best first ([] when no law is loaded)."""
    query = clean_text(query, field="query")
    if not 1 <= int(k) <= MAX_K:
        raise ValidationFailed(_("k phải từ 1 đến %(n)s.") % {"n": MAX_K}, errors=[{"field": "k", "message": "1..50"}])
    retriever = engine.get_retriever()
    return retriever.search(query, int(k)) if retriever is not None else []


def article_url(article: LegalArticle, clause: str | None = None) -> str:
    url = reverse("assistant:article", args=[article.pk])
    return f"{url}#khoan-{clause}" if clause else url


def _articles_for(ids: list[str]) -> dict[str, LegalArticle]:
    """Article rows in force by corpus id, in one query."""
    pairs = [i.split("||", 1) for i in ids if "||" in i]
    if not pairs:
        return {}
    rows = LegalArticle.objects.filter(
        document__in_force=True,
        document__code__in={p[0] for p in pairs},
        number__in={p[1] for p in pairs},
    ).select_related("document")
    return {a.corpus_id: a for a in rows}


def _law_label(article: LegalArticle, clause: str | None = None, point: str | None = None) -> str:
    """'Điều 20 Luật Cư trú', 'khoản 2 Điều 20 Luật Cư trú', 'điểm a khoản 2 Điều 20 …'."""
    label = f"Điều {article.number} {article.document.title}"
    if clause:
        label = f"khoản {clause} {label}"
        if point:
            label = f"điểm {point} {label}"
    return label[:1].upper() + label[1:]


def _law_citation(article: LegalArticle, snippet: str, clause: str | None, point: str | None = None) -> Citation:
    title = _law_label(article, clause, point)
    if article.heading:
        title = f"{title} — {article.heading}"
    return Citation(
        type="law",
        id=article.corpus_id,
        title=title,
        url=article_url(article, clause),
        snippet=snippet,
        clause=clause,
        article_pk=article.pk,
        passage=(snippet if clause else article.body)[:SNIPPET_FOR_PROMPT],
    )


# --- answers ------------------------------------------------------------------------------------------------------


def _quote(snippet: str) -> str:
    return " ".join(snippet.split())


def _reference_answer(question: str, retriever) -> Answer | None:
    """'khoản 2 Điều 20 Luật Cư trú': the article (clause, point) in force, quoted exactly."""
    from .retrieval.clauses import split_article

    refs = [r for r in retriever.references(question) if r.passage_id]
    if not refs:
        return None
    rows = _articles_for([r.passage_id for r in refs])
    citations = []
    parts_text = []
    for n, ref in enumerate(refs[:5], start=1):
        article = rows.get(ref.passage_id)
        if article is None:
            continue
        text = article.body
        clause, point = ref.clause, ref.point
        if clause:
            parts = split_article(article.title, article.text)
            chosen = next((p for p in parts if p.clause == clause and p.point == point), None)
            chosen = chosen or next((p for p in parts if p.clause == clause and p.point is None), None)
            if chosen is None:
                clause = point = None  # the article has no such clause: quote the whole article
            else:
                text = chosen.text
                point = chosen.point
        citation = _law_citation(article, text, clause, point)
        citations.append(citation)
        parts_text.append(
            f"{_law_label(article, clause, point)} ({article.document.display_name}) quy định: {_quote(text)} [{n}]"
        )
    if not citations:
        return None
    return Answer("\n\n".join(parts_text), citations, 1.0, Intent.REFERENCE)


def _legal_answer(hits: list[Hit], confidence: float, audience: str) -> Answer | None:
    rows = _articles_for([h.id for h in hits])
    top = hits[0].score if hits else 0.0
    chosen = [h for h in hits if h.id in rows and (h.score >= 0.5 * top or h is hits[0])][: LEGAL_HITS[audience]]
    if not chosen:
        return None
    citations = [_law_citation(rows[h.id], h.snippet, h.clause, h.point) for h in chosen]
    first, first_hit = citations[0], chosen[0]
    article = rows[first_hit.id]
    lead = _("Theo %(where)s (%(law)s): «%(text)s» [1]") % {
        "where": _law_label(article, first_hit.clause, first_hit.point),
        "law": article.document.display_name,
        "text": _quote(first.snippet),
    }
    lines = [lead]
    if len(citations) > 1:
        if audience == Audience.OFFICIAL:
            lines.append(_("Các quy định liên quan:"))
            for n, (c, h) in enumerate(zip(citations[1:], chosen[1:], strict=True), start=2):
                lines.append(f"[{n}] {c.title}: «{_quote(h.snippet)}»")
        else:
            others = "; ".join(f"{c.title} [{n}]" for n, c in enumerate(citations[1:], start=2))
            lines.append(_("Xem thêm: %(list)s.") % {"list": others})
    if audience == Audience.CITIZEN:
        lines.append(_("Thông tin chỉ để tham khảo; khi cần, hãy hỏi cán bộ tại bộ phận một cửa."))
    return Answer("\n\n".join(lines), citations, confidence, Intent.LEGAL)


def _procedure_answer(question: str, matches: list[procedures.ProcedureMatch], audience: str) -> Answer:
    best = matches[0]
    close = [m.procedure for m in matches[1:] if m.score >= best.score - 0.2 and m.score > 0]
    built = procedures.answer(question, best.procedure, audience=audience, alternatives=close[:2])
    citations = [
        Citation(
            type="procedure",
            id=p.code,
            title=p.name,
            url=reverse("portal:procedure", args=[p.code]),
            snippet=""
            if p is not built.procedure
            else _("Thời hạn: %(t)s · Phí, lệ phí: %(f)s") % {"t": built.details["time"], "f": built.details["fee"]},
        )
        for p in [built.procedure, *built.alternatives]
    ]
    return Answer(built.text, citations, round(best.score, 3), Intent.PROCEDURE, procedure=built.details)


def _dont_know(confidence: float) -> Answer:
    text = "\n\n".join(
        [
            _(
                "Tôi chưa tìm thấy căn cứ pháp lý hoặc thủ tục hành chính phù hợp để trả lời câu hỏi này trong dữ "
                "liệu hiện có, nên không thể trả lời chắc chắn."
            ),
            _(
                "Bạn có thể hỏi lại cụ thể hơn (nêu tên thủ tục, hoặc điều luật như «Điều 20 Luật Cư trú»), tra cứu "
                "danh mục thủ tục hành chính, hoặc liên hệ bộ phận một cửa để được hướng dẫn."
            ),
        ]
    )
    return Answer(text, [], confidence, Intent.UNKNOWN)


def _with_generation(question: str, answer: Answer) -> Answer:
    """The language model's answer when it is switched on and cites only the retrieved passages."""
    if not generation.enabled() or answer.intent not in (Intent.LEGAL, Intent.REFERENCE) or not answer.citations:
        return answer
    sources = [
        generation.Source(label=c.title, article=c.id.split("||", 1)[-1], text=c.passage or c.snippet)
        for c in answer.citations
    ]
    result = generation.generate(question, sources)
    if result.text is None:
        answer.note = result.note
        return answer
    answer.answer, answer.generated, answer.note = result.text, True, result.note
    return answer


def decide(question: str, audience: str) -> Answer:
    """The answer, without logging (see `ask`)."""
    retriever = engine.get_retriever()
    if retriever is not None and (exact := _reference_answer(question, retriever)) is not None:
        return exact
    matches = procedures.match(question)
    best = matches[0].score if matches else 0.0
    if matches and (
        (procedures.has_cue(question) and best >= PROCEDURE_WITH_CUE)
        or (best >= PROCEDURE_WITHOUT_CUE and not procedures.has_legal_cue(question))
    ):
        return _procedure_answer(question, matches, audience)
    hits = retriever.search(question, 10) if retriever is not None else []
    confidence = float(retriever.confidence(hits)) if hits else 0.0
    threshold = _threshold(retriever) if retriever is not None else MIN_CONFIDENCE
    if hits and confidence >= threshold:
        top = _articles_for([hits[0].id]).get(hits[0].id)
        if top is not None:
            supported = evidence.support(question, top.document.title, top.title, top.text)
            confidence = evidence.weigh(confidence, supported, threshold)
    if confidence >= threshold and (legal := _legal_answer(hits, confidence, audience)) is not None:
        return legal
    if matches and best >= PROCEDURE_WITH_CUE:
        return _procedure_answer(question, matches, audience)
    return _dont_know(confidence)


def ask(question: str, audience: str = Audience.CITIZEN, *, role: str = "anonymous", channel: str = "api") -> Answer:
    """Answer a question for an audience ("citizen" | "official") and log it (scrubbed) for officials' review."""
    started = time.monotonic()
    question = clean_text(question)
    audience = clean_audience(audience)
    scrubbed = privacy.scrub(question)
    answer = decide(privacy.scrub(question, marks=False), audience)
    answer = _with_generation(scrubbed, answer)
    latency = int((time.monotonic() - started) * 1000)
    answer.log_id = _log(scrubbed, audience, role, channel, answer, latency)
    return answer


def _log(question: str, audience: str, role: str, channel: str, answer: Answer, latency_ms: int) -> int | None:
    try:
        with transaction.atomic():
            entry = AssistantQuery.objects.create(
                asked_at=timezone.now(),
                channel=channel[:8],
                audience=audience,
                asker_role=(role or "anonymous")[:20],
                question=question,
                intent=answer.intent,
                answer=privacy.scrub(answer.answer),
                citations=[c.as_api() for c in answer.citations],
                confidence=float(answer.confidence),
                latency_ms=max(0, latency_ms),
                generated=answer.generated,
                generation_note=answer.note[:255],
            )
            pks = [c.article_pk for c in answer.citations if c.article_pk]
            if pks:
                entry.articles.set(pks)
        return entry.pk
    except Exception:  # the log must never cost the citizen their answer
        log.exception("assistant question could not be logged")
        return None


def asker_role(user) -> str:
    """What the log keeps of who asked: a role, never an identity."""
    from motcua.accounts.services import primary_role

    if user is None or not getattr(user, "is_authenticated", False):
        return "anonymous"
    return primary_role(user)


# --- officials' review --------------------------------------------------------------------------------------------


def review(user, entry: AssistantQuery, verdict: str, note: str = "") -> AssistantQuery:
    from motcua.accounts.services import is_official

    if not is_official(user):
        raise PermissionDenied(_("Chỉ cán bộ mới được đánh giá câu trả lời."))
    if verdict not in Verdict.values:
        raise ValidationFailed(_("Đánh giá không hợp lệ."), errors=[{"field": "verdict", "message": "?"}])
    entry.verdict = verdict
    entry.review_note = privacy.scrub(" ".join(str(note or "").split())[:2000])
    entry.reviewed_by = user
    entry.reviewed_at = timezone.now()
    entry.save(update_fields=["verdict", "review_note", "reviewed_by", "reviewed_at"])
    return entry
