"""Explicit references in a question: 'Điều 39 Luật Viên chức', 'khoản 2 Điều 5 Nghị định 100/2019/NĐ-CP',
'điều 12 BLLĐ', and plain law mentions ('theo Bộ luật Dân sự 2015').

Everything is matched on folded tokens (no diacritics, lower case) in which law numbers stay whole
('100/2019/nd-cp') and known abbreviations are spelt out ('blds' → 'bo luat dan su'). A law is recognised by its
number (the 'number/year' part is enough: 'NĐ 100/2019') or by its name after 'luật'/'bộ luật'/'nghị định',
fuzzily (a typo or a missing word still matches); the names come from the passages' law_id and law_title and from
the shipped table data/laws.tsv, which names laws the corpus knows only by number.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache

from . import text as vt

_TOKEN = re.compile(r"\d+\s*/\s*\d{4}(?:\s*/\s*[a-z0-9]+(?:\s*-\s*[a-z0-9]+)*)?|\d+\s*/\s*vbhn\s*-\s*[a-z]+|\w+")
_LAW_NUMBER = re.compile(r"^(\d+)/(\d{4}|vbhn)")
_HEADS = ("bo luat", "luat", "nghi dinh", "phap lenh", "thong tu")
_LAW_WORDS = frozenset({"luat", "nghi", "hien", "phap", "thong"})
_GLUE = frozenset({"cua", "trong", "thuoc", "theo", "tai", "o", "quy", "dinh", "nam", "so", "ve", "va", "moi"})
FUZZY_MIN = 0.85  # a law name matches when its folded words are this close (difflib ratio) to the question's


@dataclass(frozen=True)
class Reference:
    """One explicit reference to an article found in a question, resolved where the corpus has it."""

    text: str  # the words as found, folded: "khoan 2 dieu 5 nghi dinh 100/2019/nd-cp"
    article_id: str  # "5", "5a"
    clause: str | None = None  # "2"
    point: str | None = None  # "a"
    law_id: str | None = None  # the corpus law it names, when one matches
    passage_id: str | None = None  # "<law_id>||<article_id>" when that article exists


@dataclass
class Law:
    law_id: str
    names: list[tuple[str, ...]] = field(default_factory=list)  # folded word tuples, head included
    numbers: set[str] = field(default_factory=set)  # "91/2015/qh13" and "91/2015"
    is_constitution: bool = False


def folded_tokens(text: str) -> list[str]:
    """Folded tokens with law numbers whole and abbreviations spelt out in place."""
    words, _, _ = vt.abbreviations()
    folded = vt.fold(text)
    out: list[str] = []
    for m in _TOKEN.finditer(folded):
        tok = re.sub(r"\s+", "", m.group(0))
        expansion = words.get(tok)
        if expansion and not tok.isdigit():
            out.extend(vt.fold(expansion).split())
        else:
            out.append(tok)
    return out


@lru_cache(maxsize=1)
def known_laws() -> list[tuple[str, str]]:
    """data/laws.tsv as (folded number, folded name)."""
    rows = []
    with (vt.DATA_DIR / "laws.tsv").open(encoding="utf-8") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            if not row or row[0].startswith("#"):
                continue
            number = "".join(folded_tokens(row[0])) if row[0].strip() else ""
            rows.append((number, " ".join(folded_tokens(row[1]))))
    return rows


def _numbers_in(tokens: list[str]) -> set[str]:
    out = set()
    for tok in tokens:
        if m := _LAW_NUMBER.match(tok):
            out.add(tok)
            out.add(f"{m.group(1).lstrip('0') or '0'}/{m.group(2)}")
    return out


def _strip_year(tokens: list[str]) -> tuple[str, ...]:
    """A name without a trailing year or 'năm 2013' ('hien phap nam 2013' → 'hien phap')."""
    toks = list(tokens)
    while toks and (toks[-1].isdigit() or toks[-1] == "nam"):
        toks.pop()
    return tuple(toks)


class LawIndex:
    """The corpus laws with their names and numbers, and the matching of questions against them."""

    def __init__(self, laws: dict[str, Law], articles: dict[tuple[str, str], str]):
        self.laws = laws
        self.articles = articles

    @classmethod
    def build(cls, items: Iterable[tuple[str, str, str, str]]) -> LawIndex:
        """From (passage_id, law_id, law_title, article_id) tuples."""
        laws: dict[str, Law] = {}
        articles: dict[tuple[str, str], str] = {}
        for passage_id, law_id, law_title, article_id in items:
            articles.setdefault((law_id, _norm_article(article_id)), passage_id)
            if law_id in laws:
                continue
            law = laws[law_id] = Law(law_id)
            for label in (law_id, law_title):
                if not label:
                    continue
                toks = folded_tokens(label)
                law.numbers |= _numbers_in(toks)
                name = _strip_year([t for t in toks if not _LAW_NUMBER.match(t)])
                if name and _split_head(name)[1] and name not in law.names:
                    law.names.append(name)
            for number, name in known_laws():
                name_toks = tuple(name.split())
                if (number and number in law.numbers) or name_toks in law.names:
                    if number:
                        law.numbers |= _numbers_in([number])
                    if name_toks not in law.names:
                        law.names.append(name_toks)
            law.is_constitution = any(n[:2] == ("hien", "phap") for n in law.names)
        return cls(laws, articles)

    # --- law mentions --------------------------------------------------------------------------------------------

    def mentions(self, toks: list[str]) -> list[tuple[str, int, int, float]]:
        """Laws named in the tokens as (law_id, start, end, strength 0..1), best first, one per law."""
        positions: dict[str, list[int]] = {}
        for i, tok in enumerate(toks):
            positions.setdefault(tok, []).append(i)
        numbers = {i: _numbers_in([t]) for i, t in enumerate(toks) if _LAW_NUMBER.match(t)}
        best: dict[str, tuple[str, int, int, float]] = {}
        for law in self.laws.values():
            for start, end, strength in self._law_spans(law, toks, positions, numbers):
                if law.law_id not in best or strength > best[law.law_id][3]:
                    best[law.law_id] = (law.law_id, start, end, strength)
        return sorted(best.values(), key=lambda m: (-m[3], m[1]))

    def _law_spans(
        self, law: Law, toks: list[str], positions: dict[str, list[int]], numbers: dict[int, set[str]]
    ) -> Iterable[tuple[int, int, float]]:
        for i, nums in numbers.items():
            if nums & law.numbers:
                yield i, i + 1, 1.0
        for name in law.names:
            head, core = _split_head(name)
            target = " ".join(core)
            exact_only = not head or len(target) < 8  # 'du lich', 'cu tru': too short to be fuzzy safely
            starts = positions.get(head[0], []) if head else positions.get(core[0], [])
            if head == ("bo", "luat"):
                starts = sorted(set(starts) | set(positions.get("luat", [])))
            for i in starts:
                if head and toks[i : i + len(head)] == list(head):
                    after = i + len(head)
                elif head == ("bo", "luat") and toks[i] == "luat":  # 'Luật Dân sự' for 'Bộ luật Dân sự'
                    after = i + 1
                elif head:
                    continue
                else:
                    after = i
                if toks[after : after + len(core)] == list(core):
                    yield i, after + len(core), 1.0
                    continue
                if exact_only or not set(core) & set(toks[after : after + len(core) + 1]):
                    continue  # a typo still leaves one word of the name intact
                for width in (len(core) - 1, len(core), len(core) + 1):
                    window = toks[after : after + width]
                    if not window or window[-1] in _GLUE:
                        continue
                    ratio = SequenceMatcher(None, " ".join(window), target).ratio()
                    if ratio >= FUZZY_MIN:
                        yield i, after + len(window), ratio

    # --- explicit references -------------------------------------------------------------------------------------

    def references(self, query: str, mentions: list[tuple[str, int, int, float]] | None = None) -> list[Reference]:
        """The 'Điều N' references of a question, each resolved to its law and passage where possible."""
        toks = folded_tokens(query)
        if mentions is None:
            mentions = self.mentions(toks)
        out: list[Reference] = []
        i = 0
        while i < len(toks):
            if toks[i] != "dieu" or i + 1 >= len(toks) or not re.fullmatch(r"\d+[a-z]?", toks[i + 1]):
                i += 1
                continue
            start, article = i, toks[i + 1]
            clause = point = None
            if start >= 2 and toks[start - 2] == "khoan" and toks[start - 1].isdigit():
                start, clause = start - 2, toks[start - 1]
                if start >= 2 and toks[start - 2] == "diem" and len(toks[start - 1]) == 1:
                    start, point = start - 2, toks[start - 1]
            tail_end = i + 2
            while tail_end < len(toks) and tail_end < i + 16 and toks[tail_end] != "dieu":
                tail_end += 1
            law_id, law_end = self._law_of_tail(toks, i + 2, tail_end, mentions)
            article = _norm_article(article)
            passage_id = self.articles.get((law_id, article)) if law_id else None
            out.append(
                Reference(
                    text=" ".join(toks[start : max(law_end, i + 2)]),
                    article_id=article,
                    clause=clause,
                    point=point,
                    law_id=law_id,
                    passage_id=passage_id,
                )
            )
            i += 2
        return out

    def _law_of_tail(
        self, toks: list[str], start: int, end: int, mentions: list[tuple[str, int, int, float]]
    ) -> tuple[str | None, int]:
        """The law named right after 'Điều N' (within a few glue words), else the one law the question names."""
        lead = start
        while lead < end and toks[lead] in _GLUE:
            lead += 1
        here = [m for m in mentions if lead <= m[1] <= lead + 2 and m[1] < end + 2]
        if here:
            best = max(here, key=lambda m: (m[3], -m[1]))
            return best[0], best[2]
        names_a_law = any(t in _LAW_WORDS or _LAW_NUMBER.match(t) for t in toks[lead : min(end, lead + 3)])
        if names_a_law:  # a law the corpus does not have: unresolved, never guessed
            return None, end
        if len(mentions) >= 1 and len({m[0] for m in mentions}) == 1:
            return mentions[0][0], start
        if len(self.laws) == 1:
            return next(iter(self.laws)), start
        return None, start


def _split_head(name: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """('bo', 'luat', 'dan', 'su') → (('bo', 'luat'), ('dan', 'su')); a name without a known head is all core."""
    for head in _HEADS:
        h = tuple(head.split())
        if name[: len(h)] == h:
            return h, name[len(h) :]
    return (), name if name[:2] == ("hien", "phap") else ()


def _norm_article(article_id: str) -> str:
    """'039' → '39', '5A' → '5a': article ids compared as the corpus writes them, folded."""
    a = vt.fold(str(article_id)).strip()
    m = re.fullmatch(r"0*(\d+)([a-z]?)", a)
    return f"{m.group(1)}{m.group(2)}" if m else a
