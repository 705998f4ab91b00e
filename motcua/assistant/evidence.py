"""How much of a question the best article actually covers: the assistant's second check on evidence, beside the
retriever's confidence. Pure Python.

The ranker's score says which article is best *among the corpus*; it can be high for a question the corpus does
not cover at all ("Công thức làm bánh mì" still has a best article). `support` is the share of the question's
content words (diacritics kept when the question has them) found in the article, its title or its law's name. On
the ALQAC development questions whose top hit is right, 97 % have support ≥ 0.6; of ten everyday out-of-scope
questions (cooking, football, weather, gold prices, phones…), nine have less.
"""

from __future__ import annotations

import re

from motcua.core.text import fold

from .retrieval import text as vt
from .retrieval.text import has_diacritics, normalize

MIN_SUPPORT = 0.6
_WORD = re.compile(r"\w+")
# Folded function words and question words: they say nothing about the subject.
STOP = frozenset(
    (
        "la", "cua", "va", "co", "khong", "duoc", "cho", "nhung", "cac", "mot", "nay", "do", "thi", "ma", "o",
        "tai", "voi", "de", "khi", "nao", "gi", "bao", "nhieu", "the", "nhu", "hay", "hoac", "trong", "ra", "vao",
        "len", "dung", "sai", "phai", "neu", "se", "da", "dang", "bi", "boi", "tu", "den", "theo", "ve", "nguoi",
        "sau", "day", "ai", "toi", "ban", "minh", "em", "anh", "chi", "a", "nhi", "vay", "sao", "khac",
    )
)  # fmt: skip


def _words(text: str, accented: bool) -> list[str]:
    words = _WORD.findall(normalize(text))
    return words if accented else [fold(w) for w in words]


def support(question: str, *texts: str) -> float:
    """Share (0..1) of the question's content words that the texts contain; 1.0 for a question of stop words only."""
    accented = has_diacritics(question)
    abbreviations = vt.abbreviations()[0]  # 'cccd' → 'căn cước công dân': the article has the words, not the letters
    asked: set[str] = set()
    for word in _words(question, accented):
        expansion = abbreviations.get(fold(word))
        asked.update(_words(expansion, accented) if expansion else [word])
    asked = {w for w in asked if fold(w) not in STOP}
    if not asked:
        return 1.0
    found = set()
    for text in texts:
        found.update(_words(text or "", accented))
    return len(asked & found) / len(asked)


def weigh(confidence: float, supported: float, threshold: float) -> float:
    """The confidence reported: the retriever's, unless the article covers too little of the question, in which
    case it is capped below the answering threshold, in proportion to the support."""
    if supported >= MIN_SUPPORT:
        return confidence
    return min(confidence, threshold * supported / MIN_SUPPORT)
