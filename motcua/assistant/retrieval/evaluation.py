"""Evaluation of the retriever: data loaders (BEIR folder, ALQAC 2022 files), the fixed tuning/held-out split,
metrics (Recall@1/5/10, MRR@10), per-query latency, and the plain-BM25 baseline measured in the same run.

The development split (derived_beir) is cut by a hash of the query id: ~70 % 'tune' (every choice, the ranker's
weights and the answer threshold come from these only) and ~30 % 'heldout' (reported, never looked at while
tuning). The 2022 set is a second, untouched check on another corpus.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import re
import statistics
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from motcua.core.text import strip_diacritics

from . import Passage

TUNE = "tune"
HELDOUT = "heldout"
TUNE_PERCENT = 70
KS = (1, 5, 10)


def split_of(query_id: str) -> str:
    """'tune' for ~70 % of query ids, 'heldout' for the rest; fixed forever (sha256 of the id)."""
    bucket = int(hashlib.sha256(query_id.encode("utf-8")).hexdigest()[:8], 16) % 100
    return TUNE if bucket < TUNE_PERCENT else HELDOUT


@dataclass
class Dataset:
    name: str
    passages: list[Passage]
    queries: dict[str, str]  # query id → text
    qrels: dict[str, set[str]]  # query id → relevant passage ids
    split: bool = True  # whether the tune/heldout split applies (the development set) or not (a second check)
    extra: dict = field(default_factory=dict)

    def part(self, which: str) -> dict[str, str]:
        if which == "all":
            return dict(self.queries)
        return {q: t for q, t in self.queries.items() if split_of(q) == which}


def load_beir(folder: str | Path, name: str = "alqac_dev") -> Dataset:
    """A BEIR folder: corpus.jsonl ({_id, law_id, article_id, title, text}), queries.jsonl, qrels.tsv."""
    folder = Path(folder)
    passages = []
    with (folder / "corpus.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                passages.append(
                    Passage(
                        id=d["_id"],
                        law_id=d.get("law_id") or d["_id"].split("||")[0],
                        article_id=str(d.get("article_id") or d["_id"].split("||")[-1]),
                        title=d.get("title") or "",
                        text=d.get("text") or "",
                        law_title=d.get("law_title") or "",
                    )
                )
    queries = {}
    with (folder / "queries.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                queries[d["_id"]] = d["text"]
    qrels: dict[str, set[str]] = {}
    with (folder / "qrels.tsv").open(encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 3 and float(parts[2]) > 0:
                qrels.setdefault(parts[0], set()).add(parts[1])
    queries = {q: t for q, t in queries.items() if q in qrels}
    return Dataset(name, passages, queries, qrels, split=True)


def _title_of(text: str) -> str:
    first = text.strip().split("\n", 1)[0].strip()
    return first if len(first) <= 200 else ""


def load_alqac_laws(law_json: str | Path) -> list[Passage]:
    """ALQAC law file: [{id, articles: [{id, text: "<title>\\n\\n<body>"}]}]."""
    data = json.loads(Path(law_json).read_text(encoding="utf-8"))
    return [
        Passage(
            id=f"{law['id']}||{art['id']}",
            law_id=str(law["id"]),
            article_id=str(art["id"]),
            title=_title_of(art["text"]),
            text=art["text"],
        )
        for law in data
        for art in law["articles"]
    ]


def load_alqac_questions(questions_json: str | Path) -> tuple[dict[str, str], dict[str, set[str]]]:
    """ALQAC questions (2022: {id, text, relevant_articles}; 2023+: {question_id, ...})."""
    data = json.loads(Path(questions_json).read_text(encoding="utf-8"))
    queries, qrels = {}, {}
    for q in data:
        qid = str(q.get("question_id") or q.get("id"))
        queries[qid] = q["text"]
        qrels[qid] = {f"{r['law_id']}||{r['article_id']}" for r in q.get("relevant_articles", [])}
    return queries, qrels


def load_alqac(law_json: str | Path, questions_json: str | Path, name: str = "alqac2022") -> Dataset:
    passages = load_alqac_laws(law_json)
    queries, qrels = load_alqac_questions(questions_json)
    known = {p.id for p in passages}
    keep = {q for q, rel in qrels.items() if rel & known}
    return Dataset(
        name,
        passages,
        {q: t for q, t in queries.items() if q in keep},
        {q: qrels[q] for q in keep},
        split=False,
        extra={"questions_without_a_known_article": len(queries) - len(keep)},
    )


def without_diacritics(text: str) -> str:
    """The question as typed without Vietnamese input: 'Điều 39 Luật Viên chức' → 'Dieu 39 Luat Vien chuc'."""
    return strip_diacritics(text)


# --- the baseline ---------------------------------------------------------------------------------------------------

_PLAIN = re.compile(r"\w+")


def plain_tokens(text: str) -> list[str]:
    return _PLAIN.findall(unicodedata.normalize("NFC", text).lower())


class PlainBM25:
    """The baseline: bm25s Lucene BM25, k1=1.2 b=0.75, lower-cased syllable tokens, no segmentation, nothing else."""

    def __init__(self, passages: list[Passage]):
        from .engine import _bm25s

        bm25s = _bm25s()
        started = time.perf_counter()
        self.ids = [p.id for p in passages]
        self.bm25 = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
        self.bm25.index([plain_tokens(f"{p.text}") for p in passages], show_progress=False)
        self.build_seconds = time.perf_counter() - started

    def search_ids(self, query: str, k: int = 10) -> list[str]:
        import numpy as np

        ids = self.bm25.get_tokens_ids(plain_tokens(query))
        if not ids:
            return []
        scores = self.bm25.get_scores_from_ids(ids)
        order = np.argsort(-scores, kind="stable")[:k]
        return [self.ids[i] for i in order if scores[i] > 0]


# --- metrics --------------------------------------------------------------------------------------------------------


def metrics(rankings: dict[str, list[str]], qrels: dict[str, set[str]]) -> dict[str, float]:
    """Recall@1/5/10 (share of each query's relevant articles found, averaged) and MRR@10, over the given queries."""
    if not rankings:
        return {}
    out: dict[str, float] = {}
    for k in KS:
        out[f"recall@{k}"] = statistics.fmean(len(set(r[:k]) & qrels[q]) / len(qrels[q]) for q, r in rankings.items())
    rr = []
    for q, r in rankings.items():
        rank = next((i for i, pid in enumerate(r[:10], start=1) if pid in qrels[q]), None)
        rr.append(1.0 / rank if rank else 0.0)
    out["mrr@10"] = statistics.fmean(rr)
    out["queries"] = len(rankings)
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in out.items()}


def latency(ms: list[float]) -> dict[str, float]:
    if not ms:
        return {}
    ordered = sorted(ms)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]

    return {"p50_ms": round(pct(50), 2), "p95_ms": round(pct(95), 2), "max_ms": round(ordered[-1], 2)}


def run_queries(search: Callable[[str], list[str]], queries: dict[str, str]) -> tuple[dict[str, list[str]], list]:
    """Each query once, one at a time, timed alone (perf_counter around the search call only)."""
    rankings, times = {}, []
    for qid, text in queries.items():
        started = time.perf_counter()
        rankings[qid] = search(text)
        times.append((time.perf_counter() - started) * 1000)
    return rankings, times


def pin_to_one_core() -> int | None:
    """Run on one CPU (the first this process may use), so latencies are per core; None where unsupported."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[0]})
        return cpus[0]
    except (AttributeError, OSError):
        return None


def machine() -> dict:
    return {
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
    }


def evaluate(
    dataset: Dataset,
    *,
    dense_model_path: str | None = None,
    out_of_scope: dict[str, str] | None = None,
    log: Callable[[str], None] = lambda _m: None,
) -> dict:
    """Build both systems, run every query through each, return the report (metrics per part, latency, build)."""
    from .engine import Retriever

    core = pin_to_one_core()
    log(f"{dataset.name}: {len(dataset.passages)} articles, {len(dataset.queries)} queries; pinned to CPU {core}")
    retriever = Retriever.build(dataset.passages, dense_model_path=dense_model_path)
    log(f"  our index built in {retriever.build_seconds:.1f} s")
    baseline = PlainBM25(dataset.passages)
    log(f"  baseline built in {baseline.build_seconds:.1f} s")
    systems: dict[str, Callable[[str], list[str]]] = {
        "ours": lambda q: [h.id for h in retriever.search(q, 10)],
        "plain_bm25": lambda q: baseline.search_ids(q, 10),
    }
    parts = ["all", TUNE, HELDOUT] if dataset.split else ["all"]
    report: dict = {
        "benchmark": f"assistant.retrieval.{dataset.name}",
        "timestamp": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "machine": machine(),
        "conditions": (
            "one process pinned to one CPU, queries run one at a time after the index is built, each timed alone "
            "(search call only, k=10, snippets included for ours); the machine's 2 cores are shared with other work, "
            "so latencies are noisy"
        ),
        "pinned_cpu": core,
        "corpus": {"articles": len(dataset.passages), "laws": len({p.law_id for p in dataset.passages})},
        "queries": {p: len(dataset.part(p)) for p in parts},
        "split": (
            f"sha256(query id) % 100 < {TUNE_PERCENT} → tune, else heldout; every choice and the trained ranker use "
            "the tune part only"
            if dataset.split
            else "none: a second check, never tuned on"
        ),
        "build_seconds": {"ours": round(retriever.build_seconds, 2), "plain_bm25": round(baseline.build_seconds, 2)},
        "ranker": retriever.ranker.info,
        "answer_threshold": retriever.answer_threshold,
        "systems": {},
        **dataset.extra,
    }
    for name, search in systems.items():
        rankings, times = run_queries(search, dataset.queries)
        entry = {p: metrics({q: rankings[q] for q in dataset.part(p)}, dataset.qrels) for p in parts}
        entry["latency"] = latency(times)
        report["systems"][name] = entry
        log(f"  {name}: " + "; ".join(f"{p} {_fmt(entry[p])}" for p in parts) + f"; latency {_fmt(entry['latency'])}")
    # Questions typed without diacritics (the same questions, accents removed)
    folded_part = HELDOUT if dataset.split else "all"
    folded = {q: without_diacritics(t) for q, t in dataset.part(folded_part).items()}
    for name, search in systems.items():
        rankings, times = run_queries(search, folded)
        entry = metrics(rankings, dataset.qrels)
        entry["latency"] = latency(times)
        report["systems"][name][f"{folded_part}_without_diacritics"] = entry
        log(f"  {name} ({folded_part}, typed without diacritics): {_fmt(entry)}")
    report["answerability"] = answerability(retriever, dataset, out_of_scope)
    log(f"  answerability: {_fmt(report['answerability'])}")
    return report


def answerability(retriever, dataset: Dataset, out_of_scope: dict[str, str] | None) -> dict:
    """How the confidence threshold splits in-scope questions (answered, top-1 right when answered) and, when given,
    questions the corpus does not cover (share refused)."""
    threshold = retriever.answer_threshold
    part = HELDOUT if dataset.split else "all"
    answered = correct_answered = correct = 0
    queries = dataset.part(part)
    for qid, text in queries.items():
        hits = retriever.search(text, 1)
        ok = bool(hits) and hits[0].id in dataset.qrels[qid]
        correct += ok
        if retriever.confidence(hits) >= threshold:
            answered += 1
            correct_answered += ok
    out = {
        "threshold": threshold,
        "part": part,
        "in_scope_answered": round(answered / len(queries), 4) if queries else None,
        "top1_right_when_answered": round(correct_answered / answered, 4) if answered else None,
        "top1_right_overall": round(correct / len(queries), 4) if queries else None,
    }
    if out_of_scope:
        refused = sum(retriever.confidence(retriever.search(t, 1)) < threshold for t in out_of_scope.values())
        out["out_of_scope_questions"] = len(out_of_scope)
        out["out_of_scope_refused"] = round(refused / len(out_of_scope), 4)
    return out


def out_of_scope_questions(questions_json: str | Path, passages: Iterable[Passage]) -> dict[str, str]:
    """ALQAC questions whose articles belong to laws the corpus does not have (matched by number or known name)."""
    from .references import LawIndex, folded_tokens

    index = LawIndex.build((p.id, p.law_id, p.law_title, p.article_id) for p in passages)
    queries, qrels = load_alqac_questions(questions_json)

    def in_corpus(law_id: str) -> bool:
        if law_id in index.laws:
            return True
        return any(index.mentions(folded_tokens(law_id)))

    return {q: t for q, t in queries.items() if not any(in_corpus(r.split("||")[0]) for r in qrels[q])}


def _fmt(d: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in d.items() if k != "queries")


def write_report(report: dict, out_dir: str | Path, name: str) -> Path:
    out = Path(out_dir) / f"assistant_eval_{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return out


__all__ = [
    "HELDOUT",
    "TUNE",
    "Dataset",
    "PlainBM25",
    "evaluate",
    "load_alqac",
    "load_beir",
    "metrics",
    "split_of",
]
