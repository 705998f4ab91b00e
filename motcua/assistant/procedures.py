"""Procedure questions ("đăng ký khai sinh cần giấy tờ gì") answered from the structured catalogue.

The procedure is found with the portal's own search (motcua.catalog.selectors.search_procedures: every word, with
or without diacritics) over the question's content words, longest phrase first; each candidate is scored by how
well its name and the question's words cover each other.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from motcua.catalog import selectors as catalog
from motcua.catalog.models import OnlineLevel, Procedure
from motcua.catalog.services import current_version
from motcua.core.errors import NotFound
from motcua.core.text import fold

from .retrieval.text import has_diacritics, normalize

# Folded phrases that say "this is about doing a procedure" (what to bring, how long, how much, where).
CUES = (
    "thu tuc", "ho so", "giay to", "le phi", "phi", "nop o dau", "nop tai dau", "nop o", "o dau", "bao lau",
    "mat bao lau", "bao nhieu ngay", "thoi han giai quyet", "thanh phan", "can gi", "can nhung gi",
    "lam the nao", "lam sao", "nhu the nao", "truc tuyen", "nop", "xin cap",
)  # fmt: skip
# Folded phrases that say "this is about what the law says" (rights, duties, conditions, sanctions).
LEGAL_CUES = (
    "dieu kien", "quyen", "nghia vu", "trach nhiem", "bi phat", "xu phat", "vi pham", "co duoc", "duoc phep",
    "bi cam", "nghiem cam", "hanh vi", "quy dinh", "luat", "bo luat", "dung hay sai", "hien phap",
)  # fmt: skip
# Which part of the answer the question asks for first.
FOCUS = {
    "time": ("bao lau", "thoi han", "bao nhieu ngay", "may ngay", "khi nao co ket qua"),
    "fee": ("le phi", "phi", "bao nhieu tien", "chi phi", "mat tien"),
    "where": ("o dau", "nop tai", "noi nop", "co quan nao", "nop o"),
    "documents": ("giay to", "ho so", "thanh phan", "can gi", "can nhung gi", "chuan bi"),
    "conditions": ("dieu kien", "yeu cau"),
}
CONDITIONS_CHARS = 600
# What carries no procedure name: the cue phrases and question words, removed from the question and from the
# names alike before they are compared (folded phrases, three or two words).
STOP_PHRASES = frozenset(
    (
        "thu tuc", "ho so", "giay to", "le phi", "bao lau", "bao nhieu", "bao gom", "o dau", "tai dau", "thoi han",
        "thoi han giai quyet", "thanh phan", "chuan bi", "truc tuyen", "quy dinh", "vui long", "the nao",
        "nhu the nao", "lam sao", "nhung gi", "can gi", "mat bao lau", "bao nhieu ngay", "bao nhieu tien",
        "chi phi", "co quan nao", "noi nop", "can nhung gi", "gom nhung gi", "la gi", "nhu nao", "mat tien",
    )
)  # fmt: skip
# Single words, with their diacritics (a question typed with them is compared with them).
STOP_ACCENTED = frozenset(
    (
        "nộp", "ở", "phí", "lâu", "mất", "nhiêu", "ngày", "cần", "gì", "những", "làm", "nào", "sao", "xin", "tôi",
        "mình", "em", "anh", "chị", "bạn", "muốn", "hỏi", "cho", "và", "với", "để", "khi", "thì", "có", "không",
        "là", "à", "ạ", "vậy", "nhỉ", "ai", "được", "phải", "các", "một", "về", "tiền", "này", "kia", "đó", "giùm",
        "giúp", "ơi", "nếu", "theo", "gồm", "ra", "vào", "đâu", "bao", "thế", "như", "mấy", "nơi", "đi", "hay",
    )
)  # fmt: skip
# Without diacritics some of them are also common words of procedure names ('co' is 'cơ sở', 'can' is 'căn
# cước', 'dau' is 'đầu tư', 'the' is 'thẻ', 'sao' is 'bản sao'...): those stay.
STOP_FOLDED = frozenset(fold(w) for w in STOP_ACCENTED) - {
    "co", "the", "do", "ban", "mat", "bao", "phi", "de", "dau", "thi", "lam", "sao", "can", "chi", "hoi", "vay",
    "duoc", "may", "noi", "di",
}  # fmt: skip
NAME_NOISE = {"thu", "tuc"}
GOOD_MATCH = 0.6  # below this F1 a procedure is never the answer (motcua.assistant.services)
MAX_QUERIES = 8
LONGEST_NAME_PHRASE = 8  # words of a question tried together at most
INDEX_SECONDS = 300
_WORD = re.compile(r"[a-z0-9]+")
_ANY_WORD = re.compile(r"\w+")


@dataclass
class ProcedureMatch:
    procedure: Procedure
    score: float  # 0..1: F1 of the question's content words against the procedure's name


@dataclass
class ProcedureAnswer:
    procedure: Procedure
    text: str
    details: dict[str, Any] = field(default_factory=dict)
    alternatives: list[Procedure] = field(default_factory=list)


def has_cue(question: str) -> bool:
    folded = f" {' '.join(_WORD.findall(fold(question)))} "
    return any(f" {cue} " in folded for cue in CUES)


def has_legal_cue(question: str) -> bool:
    folded = f" {' '.join(_WORD.findall(fold(question)))} "
    return any(f" {cue} " in folded for cue in LEGAL_CUES)


def focus_of(question: str) -> str | None:
    folded = f" {' '.join(_WORD.findall(fold(question)))} "
    for name, cues in FOCUS.items():
        if any(f" {cue} " in folded for cue in cues):
            return name
    return None


_postings: dict[str, object] = {"at": 0.0, "words": {}}


def postings() -> dict[str, frozenset[str]]:
    """Folded word → codes of the active procedures whose name has it; kept by the process for a few minutes. Only
    used to skip the phrases no procedure name contains: the search itself is the portal's."""
    now = time.monotonic()
    if not _postings["words"] or now - float(_postings["at"]) > INDEX_SECONDS:  # type: ignore[arg-type]
        words: dict[str, set[str]] = {}
        for code, name in Procedure.objects.filter(is_active=True).values_list("code", "name").iterator():
            for word in _WORD.findall(fold(name)):
                words.setdefault(word, set()).add(code)
        _postings.update(at=now, words={w: frozenset(c) for w, c in words.items()})
    return _postings["words"]  # type: ignore[return-value]


def forget() -> None:
    _postings.update(at=0.0, words={})


def _tokens(text: str, accented: bool) -> list[str]:
    """Lower-case words with their diacritics (tone marks in one place: 'hoà' = 'hòa'), or folded."""
    return [w if accented else fold(w) for w in _ANY_WORD.findall(normalize(text))]


def _content(text: str, accented: bool) -> list[str]:
    """The words of a question or a name without cue phrases and question words."""
    words = _tokens(text, accented)
    folded = [fold(w) for w in words]
    keep = [True] * len(words)
    for size in (3, 2):
        for i in range(len(words) - size + 1):
            if " ".join(folded[i : i + size]) in STOP_PHRASES:
                keep[i : i + size] = [False] * size
    stop = STOP_ACCENTED if accented else STOP_FOLDED
    return [w for w, k in zip(words, keep, strict=True) if k and w not in stop]


def content_words(text: str, *, accented: bool = False) -> list[str]:
    """The question's words that may belong to a procedure's name (no question words, no names of people)."""
    known = postings()
    return [w for w in _content(text, accented) if fold(w) in known]


def _score(asked: set[str], procedure: Procedure, accented: bool) -> float:
    """F1 of the question's words against the name's: with diacritics when the question has them, so that
    'đang' (being) is not 'đăng' (register)."""
    name = {w for w in _content(procedure.name, accented) if fold(w) not in NAME_NOISE}
    if not asked or not name:
        return 0.0
    common = len(asked & name)
    if not common:
        return 0.0
    recall, precision = common / len(asked), common / len(name)
    return 2 * recall * precision / (recall + precision)


def _named_somewhere(words: list[str]) -> bool:
    """Does some procedure name have all these words? (from the postings, without a query)"""
    known = postings()
    codes: frozenset[str] | None = None
    for word in words:
        found = known.get(fold(word), frozenset())
        codes = found if codes is None else codes & found
        if not codes:
            return False
    return True


def match(question: str, *, limit: int = 3) -> list[ProcedureMatch]:
    """The procedures the question names, best first (the portal's search over its content words)."""
    accented = has_diacritics(question)
    words = content_words(question, accented=accented)
    if not words:
        return []
    asked = set(words)
    found: dict[str, ProcedureMatch] = {}
    queries = 0
    for size in range(min(len(words), LONGEST_NAME_PHRASE), 0, -1):
        recall = size / len(asked)
        if 2 * recall / (1 + recall) < GOOD_MATCH:
            break  # even a name of exactly these words would cover too little of the question
        for start in range(len(words) - size + 1):
            window = words[start : start + size]
            if queries >= MAX_QUERIES or not _named_somewhere(window):
                continue
            queries += 1
            for procedure in catalog.search_procedures(" ".join(window), limit=5):
                if procedure.code not in found:
                    found[procedure.code] = ProcedureMatch(procedure, _score(asked, procedure, accented))
        if any(m.score >= GOOD_MATCH for m in found.values()):
            break  # the longest phrases that name a procedure well win
    ranked = sorted(found.values(), key=lambda m: (-m.score, len(m.procedure.name), m.procedure.code))
    return ranked[:limit]


# --- the answer ---------------------------------------------------------------------------------------------------


def _documents(version) -> list[dict]:
    return [
        {
            "name": str(d.get("name") or ""),
            "quantity": d.get("quantity") or 1,
            "original": bool(d.get("original")),
            "required": bool(d.get("required", True)),
            "form": str(d.get("form") or ""),
        }
        for d in (version.documents or [])
        if d.get("name")
    ]


def _document_line(d: dict) -> str:
    kind = _("bản chính") if d["original"] else _("bản sao")
    extra = "" if d["required"] else _(", nếu có")
    return f"• {d['name']} ({d['quantity']} {kind}{extra})"


def _clip(text: str, limit: int = CONDITIONS_CHARS) -> str:
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > 0 else limit] + " …"


def answer(question: str, procedure: Procedure, *, audience: str, alternatives: list[Procedure]) -> ProcedureAnswer:
    """The procedure, its documents, time, fee and where to submit, and the link to apply online."""
    from motcua.portal.templatetags.motcua_ui import fee_text, time_limit

    procedure = catalog.procedure_detail(procedure.code)
    try:
        version = current_version(procedure)
    except NotFound:
        version = None
    offerings = sorted(
        (o for o in procedure.offerings.all() if o.is_active and o.agency.is_active), key=lambda o: o.agency.name
    )
    online = [o for o in offerings if o.online_level != OnlineLevel.NONE]
    page_url = reverse("portal:procedure", args=[procedure.code])
    apply_url = reverse("portal:apply", args=[procedure.code]) if online and version else None
    time_text = time_limit(version) if version else _("Không quy định")
    fee = fee_text(version.fee_rule) if version else _("Không quy định")
    documents = _documents(version) if version else []
    places = [o.agency.name for o in offerings]
    where = ", ".join(places[:5]) + (_(" và %(n)s nơi khác") % {"n": len(places) - 5} if len(places) > 5 else "")
    where = where or procedure.implementing_agency or _("Chưa có cơ quan tiếp nhận trên hệ thống.")
    name = f"{procedure.name} ({_('mã')} {procedure.code})"
    lead = {
        "time": _("Thời hạn giải quyết %(name)s: %(time)s.") % {"name": name, "time": time_text},
        "fee": _("Phí, lệ phí của %(name)s: %(fee)s.") % {"name": name, "fee": fee},
        "where": _("Nơi tiếp nhận hồ sơ %(name)s: %(where)s.") % {"name": name, "where": where},
        "documents": _("Hồ sơ %(name)s gồm %(n)s loại giấy tờ:") % {"name": name, "n": len(documents)},
        "conditions": (
            _("Yêu cầu, điều kiện của %(name)s: %(text)s") % {"name": name, "text": _clip(procedure.conditions_text)}
            if procedure.conditions_text.strip()
            else _("%(name)s không quy định yêu cầu, điều kiện riêng.") % {"name": name}
        ),
    }.get(focus_of(question) or "", _("Về %(name)s:") % {"name": name})
    lines = [lead, ""] if focus_of(question) == "documents" else [lead, "", _("Thành phần hồ sơ:")]
    lines += [_document_line(d) for d in documents] or [_("• Không quy định.")]
    lines += [
        _("Thời hạn giải quyết: %(time)s.") % {"time": time_text},
        _("Phí, lệ phí: %(fee)s.") % {"fee": fee},
        _("Nơi tiếp nhận: %(where)s.") % {"where": where},
    ]
    if apply_url:
        lines.append(_("Nộp hồ sơ trực tuyến: %(url)s") % {"url": apply_url})
    else:
        lines.append(_("Thủ tục này chưa nộp trực tuyến được; vui lòng nộp tại bộ phận một cửa."))
    legal = [str(b.get("number") or b.get("title") or "") for b in (procedure.legal_basis or []) if isinstance(b, dict)]
    legal = [x for x in legal if x]
    if audience == "official":
        if procedure.level or procedure.field:
            lines.append(
                _("Cấp thực hiện: %(level)s; lĩnh vực: %(field)s.")
                % {"level": procedure.level or "—", "field": procedure.field or "—"}
            )
        if legal:
            lines.append(_("Căn cứ pháp lý: %(basis)s.") % {"basis": "; ".join(legal[:6])})
    if alternatives:
        lines.append(
            _("Thủ tục gần giống: %(list)s.") % {"list": "; ".join(f"{p.name} ({p.code})" for p in alternatives)}
        )
    details = {
        "code": procedure.code,
        "name": procedure.name,
        "documents": documents,
        "time": time_text,
        "fee": fee,
        "where": places[:10],
        "where_more": max(0, len(places) - 10),
        "url": page_url,
        "apply_url": apply_url,
        "legal_basis": legal[:6] if audience == "official" else [],
        "conditions": _clip(procedure.conditions_text),
    }
    return ProcedureAnswer(procedure, "\n".join(lines), details, alternatives)
