"""Retrieval over legal articles, pure Python (no Django): the contract between the index and the assistant.

`Retriever.build(passages)` indexes articles; `Retriever.search(query, k)` returns `Hit`s best first.
The Django side (motcua.assistant.services) turns database rows into `Passage`s and caches one `Retriever`
per process; `assistant_eval` builds one straight from a BEIR folder.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Passage:
    """One article in force: the unit that is indexed and cited."""

    id: str  # the corpus _id, "<law_id>||<article_id>"
    law_id: str  # as the source names it: "Luật Viên chức", "100/2019/NĐ-CP", "01/VBHN-VPQH"
    article_id: str  # "39", "5a"
    title: str  # the article's title ("Phạm vi điều chỉnh")
    text: str  # the article's full text, clauses included
    law_title: str = ""  # the law's full name where known ("Luật Viên chức số 58/2010/QH12")


@dataclass(frozen=True)
class Hit:
    """One ranked article, with the passage (a clause where one stands out) that answers."""

    id: str
    law_id: str
    article_id: str
    title: str
    score: float
    snippet: str
    clause: str | None = None  # "2" when the snippet is clause 2 of the article
    point: str | None = None  # "a" when the snippet is point a) of that clause


_LAZY = {
    "Retriever": "engine",
    "confidence": "engine",
    "Reference": "references",
}
__all__ = ["Hit", "Passage", *_LAZY]


def __getattr__(name: str):
    """`Retriever` and friends are imported on first use, so the dataclasses stay cheap to import."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(name)
