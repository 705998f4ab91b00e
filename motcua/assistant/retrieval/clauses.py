"""An article cut into the parts a citizen is pointed to: clauses ('1.', '2.') and their points ('a)', 'b)').

`split_article` keeps the text as written; `best_part` picks the part that shares the most (idf-weighted) words
with the question, favouring a whole clause over one of its points unless the point clearly carries the match.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from . import text as vt

_CLAUSE = re.compile(r"^\s*(\d{1,3})\s*[.)]\s+\S")
_POINT = re.compile(r"^\s*([a-zđ])\s*\)\s+\S")
FALLBACK_CHARS = 300
MAX_SNIPPET_CHARS = 900


@dataclass(frozen=True)
class Part:
    clause: str | None
    point: str | None
    text: str


def split_article(title: str, text: str) -> list[Part]:
    """The clauses of an article (each with its points) and the points on their own; [] when it has no clauses.

    The title line that starts the ALQAC texts ('Phạm vi điều chỉnh\\n\\n...') is not part of any clause, unless
    it is itself clause 1 (the Constitution's articles have no titles).
    """
    body = _body(title, text)
    clauses: list[tuple[str, list[str], list[tuple[str, list[str]]]]] = []
    for line in body.splitlines():
        if not line.strip():
            continue
        if m := _CLAUSE.match(line):
            clauses.append((m.group(1), [line.strip()], []))
        elif clauses and (m := _POINT.match(line)):
            clauses[-1][2].append((m.group(1), [line.strip()]))
            clauses[-1][1].append(line.strip())
        elif clauses:
            clauses[-1][1].append(line.strip())
            if clauses[-1][2]:
                clauses[-1][2][-1][1].append(line.strip())
    parts: list[Part] = []
    for number, lines, points in clauses:
        parts.append(Part(number, None, "\n".join(lines)))
        # a point keeps its clause's opening line, which says what the list is about
        parts.extend(Part(number, letter, "\n".join([lines[0], *plines])) for letter, plines in points)
    return parts


def _body(title: str, text: str) -> str:
    stripped = text.lstrip()
    if (
        title
        and not _CLAUSE.match(title)  # an article without a title: its "title" is clause 1, which stays
        and stripped.startswith(title)
        and stripped[len(title) : len(title) + 1] in ("", "\n", "\r")
    ):
        stripped = stripped[len(title) :]  # the title line the ALQAC texts start with
    return stripped.strip()


def fallback_snippet(title: str, text: str) -> str:
    """The first ~300 characters of the article's body, cut at a word."""
    body = " ".join(_body(title, text).split())
    if len(body) <= FALLBACK_CHARS:
        return body
    cut = body.rfind(" ", 0, FALLBACK_CHARS)
    return body[: cut if cut > 0 else FALLBACK_CHARS] + " …"


def _shorten(snippet: str) -> str:
    if len(snippet) <= MAX_SNIPPET_CHARS:
        return snippet
    cut = snippet.rfind(" ", 0, MAX_SNIPPET_CHARS)
    return snippet[: cut if cut > 0 else MAX_SNIPPET_CHARS] + " …"


def best_part(
    query_terms: set[str],
    parts: list[Part],
    idf: Callable[[str], float],
    *,
    clause_hint: str | None = None,
    words: list[frozenset[str]] | None = None,
) -> Part | None:
    """The part that answers: the clause the question names (clause_hint) or the best-matching one.

    Score = sum of idf of the question's words found in the part, lightly normalised by the part's length so that
    a long clause does not win by size alone. A point replaces the best clause when it scores at least as well
    (it carries the match in fewer words). `words` are the parts' token sets when already known.
    """
    if not parts:
        return None
    if clause_hint is not None:
        for part in parts:
            if part.clause == clause_hint and part.point is None:
                return part
    scored: list[tuple[float, Part]] = []
    if words is None:
        words = [frozenset(vt.tokens(part.text)) for part in parts]
    for part, part_words in zip(parts, words, strict=True):
        overlap = sum(idf(w) for w in query_terms & part_words)
        scored.append((overlap / math.log(math.e + len(part_words) / 20), part))
    best_clause = max((s for s in scored if s[1].point is None), key=lambda s: s[0])
    if best_clause[0] <= 0:
        return None
    best_point = max((s for s in scored if s[1].point is not None), key=lambda s: s[0], default=None)
    if best_point and best_point[0] >= best_clause[0]:
        return best_point[1]
    return best_clause[1]


def snippet_for(part: Part | None, title: str, text: str) -> tuple[str, str | None, str | None]:
    """(snippet, clause, point) for a chosen part, or the article's opening when none was chosen."""
    if part is None:
        return fallback_snippet(title, text), None, None
    return _shorten(part.text), part.clause, part.point
