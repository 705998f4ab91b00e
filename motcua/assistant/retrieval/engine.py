"""The retriever: several BM25 fields (bm25s) over the articles, fused by a small learned linear model, with
explicit references first and the answering clause as snippet.

Fields (each its own bm25s index, Lucene BM25, k1/b per field in `Config`):
- ``syl``: syllables of title + text, normalised (NFC, lower case, one tone-mark placement);
- ``bigram``/``trigram``: runs of 2 / 3 syllables ('ma_tuý'), a cheap stand-in for compound words and phrases;
- ``word``: pyvi word segmentation of title + text;
- ``title``: the article title's syllables and pairs;
- ``clause``: each clause (title prepended) as its own unit, an article scored by its best clause;
- ``fsyl``/``fbigram``/``ftitle``/``fclause``: the same without diacritics, for questions typed without accents.

A query gets, for every article, features from these fields (each field's score divided by the query's best score
in that field; the idf-weighted share of the query's syllables and pairs the article contains; the share of the
article's title the question contains; whether the question names the article's law or another law) and a
linear score over them (weights in data/ranker.json, trained by `train.train` on the tuning part of the
development split only). `Hit.score` is the calibrated probability that the article is relevant, comparable
across queries: `confidence(hits)` (the top hit's score) below `Retriever.answer_threshold` means the corpus
probably does not answer. An explicit reference to an existing article ('Điều 39 Luật Viên chức') is placed first
with score 1.0.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import Hit, Passage
from . import clauses as cl
from . import text as vt
from .references import LawIndex, Reference, folded_tokens

RANKER_FILE = vt.DATA_DIR / "ranker.json"
INDEX_FORMAT = 1
ACCENTED = "accented"
FOLDED = "folded"


@dataclass(frozen=True)
class FieldParams:
    k1: float = 1.2
    b: float = 0.75


@dataclass
class Config:
    """What the index is built with and how queries are scored; read from data/ranker.json when present."""

    fields: dict[str, FieldParams] = field(
        default_factory=lambda: {
            # k1/b per field: chosen on the tuning part, each field alone (see docs/assistant.md)
            "syl": FieldParams(0.6, 0.75),
            "bigram": FieldParams(0.4, 0.5),
            "trigram": FieldParams(0.4, 0.6),
            "word": FieldParams(1.2, 0.75),
            "title": FieldParams(2.0, 0.9),
            "clause": FieldParams(0.6, 0.9),
            "fsyl": FieldParams(0.6, 0.75),
            "fbigram": FieldParams(0.4, 0.5),
            "ftitle": FieldParams(2.0, 0.9),
            "fclause": FieldParams(0.6, 0.9),
        }
    )
    drop_question_words: bool = True  # 'đúng hay sai', 'như thế nào' ... out of the query
    dense_weight: float = 1.0  # added to the logit per unit of (cosine / best cosine) when the dense model is on

    def to_json(self) -> dict:
        return {
            "fields": {k: asdict(v) for k, v in self.fields.items()},
            "drop_question_words": self.drop_question_words,
            "dense_weight": self.dense_weight,
        }

    @classmethod
    def from_json(cls, data: dict) -> Config:
        cfg = cls()
        for name, params in data.get("fields", {}).items():
            cfg.fields[name] = FieldParams(**params)
        cfg.drop_question_words = data.get("drop_question_words", cfg.drop_question_words)
        cfg.dense_weight = data.get("dense_weight", cfg.dense_weight)
        return cfg


FEATURES = {
    ACCENTED: (
        "syl", "bigram", "trigram", "word", "title", "fsyl", "fbigram", "clause", "ccov_bigram", "cov_syl",
        "cov_bigram", "tcov_syl", "tcov_bigram", "law_match", "law_other",
    ),
    FOLDED: (
        "fsyl", "fbigram", "ftitle", "fclause", "ccov_bigram", "fcov_syl", "fcov_bigram", "tcov_syl", "tcov_bigram",
        "law_match", "law_other",
    ),
}  # fmt: skip


@dataclass
class LinearModel:
    """A linear ranker over standardised features, logit = ((x - mean) / scale) · coef + intercept, and its
    calibration into a probability of relevance that holds across queries:
    p = sigmoid(a · logit + c · margin + b), margin = logit minus the best logit of the other articles
    (positive for the top hit only), so a clear winner scores higher than the first of several look-alikes."""

    features: tuple[str, ...]
    coef: np.ndarray
    intercept: float
    mean: np.ndarray
    scale: np.ndarray
    calibration: tuple[float, float, float] = (1.0, 0.0, 0.0)  # (a, c, b)

    def logit(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale) @ self.coef + self.intercept

    def probability(self, logit: np.ndarray, margin: np.ndarray) -> np.ndarray:
        a, c, b = self.calibration
        return 1.0 / (1.0 + np.exp(-(a * logit + c * margin + b)))

    def to_json(self) -> dict:
        return {
            "features": list(self.features),
            "coef": [round(float(c), 6) for c in self.coef],
            "intercept": round(float(self.intercept), 6),
            "mean": [round(float(c), 6) for c in self.mean],
            "scale": [round(float(c), 6) for c in self.scale],
            "calibration": [round(float(v), 6) for v in self.calibration],
        }

    @classmethod
    def from_json(cls, data: dict) -> LinearModel:
        a, c, b = data.get("calibration", [1.0, 0.0, 0.0])
        return cls(
            tuple(data["features"]),
            np.asarray(data["coef"], dtype=np.float64),
            float(data["intercept"]),
            np.asarray(data["mean"], dtype=np.float64),
            np.asarray(data["scale"], dtype=np.float64),
            (float(a), float(c), float(b)),
        )

    @classmethod
    def uniform(cls, features: Sequence[str]) -> LinearModel:
        """Before any training: the fields' normalised scores summed (the law and coverage features count too)."""
        n = len(features)
        return cls(tuple(features), np.ones(n), -float(n), np.zeros(n), np.ones(n))


@dataclass
class Ranker:
    config: Config
    models: dict[str, LinearModel]
    answer_threshold: float = 0.5
    info: dict = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = RANKER_FILE) -> Ranker:
        if not path.exists():
            return cls.untrained()
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            Config.from_json(data.get("config", {})),
            {mode: LinearModel.from_json(m) for mode, m in data["models"].items()},
            float(data.get("answer_threshold", 0.5)),
            data.get("info", {}),
        )

    @classmethod
    def untrained(cls, config: Config | None = None) -> Ranker:
        return cls(config or Config(), {mode: LinearModel.uniform(f) for mode, f in FEATURES.items()})

    def to_json(self) -> dict:
        return {
            "config": self.config.to_json(),
            "models": {mode: m.to_json() for mode, m in self.models.items()},
            "answer_threshold": round(self.answer_threshold, 4),
            "info": self.info,
        }

    def save(self, path: Path = RANKER_FILE) -> None:
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


@lru_cache(maxsize=1)
def default_ranker() -> Ranker:
    return Ranker.load()


# Question boilerplate that no article contains on purpose; dropped from the query (not from explicit references).
_QUESTION_PHRASES = tuple(
    vt.normalize(p)
    for p in (
        "đúng hay sai", "là đúng hay sai", "đúng không", "có đúng không", "có phải", "hay không", "được không",
        "như thế nào", "thế nào", "ra sao", "là gì", "những gì", "bao nhiêu", "nào sau đây", "sau đây", "là bao lâu",
    )
)  # fmt: skip


def strip_question_words(normalised: str) -> str:
    out = f" {normalised} "
    for phrase in _QUESTION_PHRASES:
        out = out.replace(f" {phrase} ", " ")
    return out.strip()


@dataclass
class QueryTerms:
    mode: str
    syl: list[str]
    bigram: list[str]
    word: list[str]
    fsyl: list[str]
    fbigram: list[str]
    law_tokens: list[str]


def _clause_units(passages: list[Passage]) -> tuple[list[int], list[str]]:
    """Each article's clauses (title prepended) as separate units, or the whole article when it has none."""
    owners, texts = [], []
    for i, p in enumerate(passages):
        clauses = [part for part in cl.split_article(p.title, p.text) if part.point is None]
        if not clauses:
            owners.append(i)
            texts.append(_article_text(p))
            continue
        for part in clauses:
            owners.append(i)
            texts.append(f"{p.title}\n{part.text}")
    return owners, texts


def _article_text(p: Passage) -> str:
    body = p.text or ""
    if p.title and not body.lstrip().startswith(p.title):
        return f"{p.title}\n\n{body}"
    return body


def _bm25s():
    """bm25s, imported on first use; it sets its logger to DEBUG on import (a line per index built): quiet it."""
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


class _Field:
    """One bm25s index plus what the features need from it (idf per token, postings for coverage)."""

    def __init__(self, bm25):
        self.bm25 = bm25
        scores = bm25.scores
        self.indptr = scores["indptr"]
        self.indices = scores["indices"]
        self.data = scores["data"]
        self.n_docs = int(scores["num_docs"])
        self.vocab = bm25.vocab_dict
        df = np.diff(self.indptr).astype(np.float64)
        self.idf = np.log(1.0 + (self.n_docs - df + 0.5) / (df + 0.5))
        self.oov_idf = math.log(1.0 + (self.n_docs + 0.5) / 0.5)

    @classmethod
    def build(cls, docs: list[list[str]], params: FieldParams) -> _Field:
        if not any(docs):  # e.g. no article has a title: bm25s needs one token; no query token is ever "\x00"
            docs = [["\x00"] for _ in docs]
        bm25 = _bm25s().BM25(k1=params.k1, b=params.b, method="lucene")
        bm25.index(docs, show_progress=False)
        return cls(bm25)

    def ids(self, toks: Iterable[str]) -> list[int]:
        vocab = self.vocab
        return [vocab[t] for t in toks if t in vocab and t]

    def scores(self, toks: list[str]) -> np.ndarray:
        """BM25 of every article (a repeated query token counts again, as in bm25s' own get_scores).

        Summed with np.bincount over the tokens' postings in bm25s' precomputed score matrix: the same numbers as
        `bm25.get_scores_from_ids`, several times faster than its np.add.at loop."""
        ids = self.ids(toks)
        if not ids:
            return np.zeros(self.n_docs)
        starts, ends = self.indptr[ids], self.indptr[np.asarray(ids) + 1]
        docs = np.concatenate([self.indices[a:b] for a, b in zip(starts, ends, strict=True)])
        data = np.concatenate([self.data[a:b] for a, b in zip(starts, ends, strict=True)])
        return np.bincount(docs, weights=data, minlength=self.n_docs)

    def coverage(self, toks: Iterable[str]) -> np.ndarray:
        """Per article, the idf-weighted share of the distinct query tokens it contains (unknown tokens count)."""
        known = [self.vocab[t] for t in set(toks) if t and t in self.vocab]
        unknown = sum(1 for t in set(toks) if t and t not in self.vocab)
        total = float(self.idf[known].sum()) + unknown * self.oov_idf
        if not known or total <= 0:
            return np.zeros(self.n_docs)
        docs = np.concatenate([self.indices[self.indptr[t] : self.indptr[t + 1]] for t in known])
        weights = np.repeat(self.idf[known], np.diff(self.indptr)[known])
        return np.bincount(docs, weights=weights, minlength=self.n_docs) / total

    def reverse_coverage(self, toks: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
        """Per article, the share of ITS distinct tokens that the query contains: (idf-weighted over syllables,
        plain over pairs). Meant for the title fields: 1.0 when the whole title is in the question."""
        if not hasattr(self, "_rev_totals"):
            syl_total = np.zeros(self.n_docs)
            pair_total = np.zeros(self.n_docs)
            for tok, tid in self.vocab.items():
                if not tok:
                    continue
                docs = self.indices[self.indptr[tid] : self.indptr[tid + 1]]
                if "_" in tok:
                    pair_total[docs] += 1.0
                else:
                    syl_total[docs] += self.idf[tid]
            syl_total[syl_total == 0] = 1.0
            pair_total[pair_total == 0] = 1.0
            self._rev_totals = (syl_total, pair_total)
        distinct = {t for t in toks if t and t in self.vocab}
        out = []
        for chosen, by_idf in (
            ([t for t in distinct if "_" not in t], True),
            ([t for t in distinct if "_" in t], False),
        ):
            ids = np.asarray([self.vocab[t] for t in chosen], dtype=np.int64)
            if not len(ids):
                out.append(np.zeros(self.n_docs))
                continue
            docs = np.concatenate([self.indices[self.indptr[t] : self.indptr[t + 1]] for t in ids])
            weights = np.repeat(self.idf[ids] if by_idf else np.ones(len(ids)), np.diff(self.indptr)[ids])
            out.append(np.bincount(docs, weights=weights, minlength=self.n_docs))
        return out[0] / self._rev_totals[0], out[1] / self._rev_totals[1]

    def token_idf(self, tok: str) -> float:
        tid = self.vocab.get(tok)
        return float(self.idf[tid]) if tid is not None else 0.0


class Retriever:
    """Search over legal articles: `Retriever.build(passages)`, then `search(query, k)`."""

    def __init__(
        self,
        passages: list[Passage],
        fields: dict[str, _Field],
        ranker: Ranker,
        *,
        dense=None,
        dense_vectors: np.ndarray | None = None,
        dense_model_path: str | None = None,
        build_seconds: float = 0.0,
    ):
        self.passages = passages
        self.fields = fields
        self.ranker = ranker
        self.dense = dense
        self.dense_vectors = dense_vectors
        self.dense_model_path = dense_model_path
        self.build_seconds = build_seconds
        self.by_id = {p.id: i for i, p in enumerate(passages)}
        self.laws = LawIndex.build((p.id, p.law_id, p.law_title, p.article_id) for p in passages)
        law_ids = list(self.laws.laws)
        self._law_pos = {law_id: i for i, law_id in enumerate(law_ids)}
        self._doc_law = np.asarray([self._law_pos[p.law_id] for p in passages], dtype=np.int64)
        self._parts: dict[int, tuple[list[cl.Part], list[frozenset[str]], list[frozenset[str]]]] = {}
        self._clause_doc = np.asarray(_clause_units(passages)[0], dtype=np.int64)
        # units are in article order, at least one per article: each article's units start where its owner changes
        self._clause_starts = np.flatnonzero(np.r_[True, np.diff(self._clause_doc) != 0])

    # --- building, saving, loading ---------------------------------------------------------------------------------

    @classmethod
    def build(
        cls, passages: Iterable[Passage], *, dense_model_path: str | None = None, ranker: Ranker | None = None
    ) -> Retriever:
        """Index the passages (pyvi segmentation included: ~15 s for the 2,249 ALQAC articles on one core)."""
        started = time.perf_counter()
        passages = list(passages)
        if not passages:
            raise ValueError("Retriever.build needs at least one passage")
        ranker = ranker or default_ranker()
        texts = [_article_text(p) for p in passages]
        syl = [vt.tokens(t) for t in texts]
        fsyl = [[vt._fold_word(w) for w in toks] for toks in syl]
        titles = [vt.tokens(p.title) for p in passages]
        ftitles = [[vt._fold_word(w) for w in toks] for toks in titles]
        docs = {
            "syl": syl,
            "bigram": [vt.bigrams(t) for t in syl],
            "trigram": [vt.trigrams(t) for t in syl],
            "word": [vt.segment(t) for t in texts],
            "title": [t + vt.bigrams(t) for t in titles],
            "fsyl": fsyl,
            "fbigram": [vt.bigrams(t) for t in fsyl],
            "ftitle": [t + vt.bigrams(t) for t in ftitles],
        }
        _owners, clause_texts = _clause_units(passages)
        clause_syl = [vt.tokens(t) for t in clause_texts]
        clause_fsyl = [[vt._fold_word(w) for w in toks] for toks in clause_syl]
        docs["clause"] = [t + vt.bigrams(t) for t in clause_syl]
        docs["fclause"] = [t + vt.bigrams(t) for t in clause_fsyl]
        fields = {name: _Field.build(d, ranker.config.fields.get(name, FieldParams())) for name, d in docs.items()}
        dense = vectors = None
        if dense_model_path:
            from .dense import DenseEncoder

            dense = DenseEncoder.load(dense_model_path)
            vectors = dense.encode(texts)
        return cls(
            passages,
            fields,
            ranker,
            dense=dense,
            dense_vectors=vectors,
            dense_model_path=dense_model_path,
            build_seconds=time.perf_counter() - started,
        )

    def save(self, directory: str | Path) -> None:
        """Write the index (passages, bm25s fields, dense vectors) to a directory, for `Retriever.load`."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        for name, fld in self.fields.items():
            fld.bm25.save(str(out / name), show_progress=False)
        manifest = {
            "format": INDEX_FORMAT,
            "ranker": self.ranker.to_json(),
            "dense_model_path": self.dense_model_path,
            "build_seconds": round(self.build_seconds, 3),
            "passages": [asdict(p) for p in self.passages],
        }
        if self.dense_vectors is not None:
            np.save(out / "dense.npy", self.dense_vectors, allow_pickle=False)
        (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: str | Path, *, dense_model_path: str | None = None) -> Retriever:
        """Read an index written by `save`; the dense model (when the index has one) is re-opened from its path."""
        bm25s = _bm25s()
        src = Path(directory)
        manifest = json.loads((src / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format") != INDEX_FORMAT:
            raise ValueError(f"index format {manifest.get('format')} is not {INDEX_FORMAT}: rebuild it")
        passages = [Passage(**p) for p in manifest["passages"]]
        ranker = Ranker(
            Config.from_json(manifest["ranker"]["config"]),
            {mode: LinearModel.from_json(m) for mode, m in manifest["ranker"]["models"].items()},
            float(manifest["ranker"].get("answer_threshold", 0.5)),
            manifest["ranker"].get("info", {}),
        )
        fields = {
            name: _Field(bm25s.BM25.load(str(src / name), show_progress=False, verbosity=0))
            for name in ranker.config.fields
            if (src / name).is_dir()
        }
        dense = vectors = None
        model_path = dense_model_path or manifest.get("dense_model_path")
        if model_path and (src / "dense.npy").exists():
            from .dense import DenseEncoder

            dense = DenseEncoder.load(model_path)
            vectors = np.load(src / "dense.npy", allow_pickle=False)
        return cls(
            passages,
            fields,
            ranker,
            dense=dense,
            dense_vectors=vectors,
            dense_model_path=model_path if dense else None,
            build_seconds=float(manifest.get("build_seconds", 0.0)),
        )

    # --- queries ---------------------------------------------------------------------------------------------------

    def query_terms(self, query: str) -> QueryTerms:
        mode = ACCENTED if vt.has_diacritics(query) else FOLDED
        extra = vt.expansions(query)
        norm = vt.normalize(query)
        if self.ranker.config.drop_question_words:
            norm = strip_question_words(norm)
        full = " ".join([norm, *extra])
        syl = vt._WORD.findall(full)
        fsyl = [vt._fold_word(t) for t in syl]
        word = vt.segment(" ".join([query, *extra])) if mode == ACCENTED else []
        return QueryTerms(mode, syl, vt.bigrams(syl), word, fsyl, vt.bigrams(fsyl), folded_tokens(query))

    def features(self, query: str, terms: QueryTerms | None = None) -> tuple[str, np.ndarray, list[Reference]]:
        """(mode, features per article [n_docs x n_features], explicit references) for a query."""
        terms = terms or self.query_terms(query)
        feats: dict[str, np.ndarray] = {}
        names = FEATURES[terms.mode]

        def norm(name: str, toks: list[str]) -> np.ndarray:
            s = self.fields[name].scores(toks).astype(np.float64)
            if name in ("clause", "fclause"):  # the best clause of each article
                s = self._per_doc_max(s)
            top = s.max(initial=0.0)
            return s / top if top > 0 else s

        if terms.mode == ACCENTED:
            feats["syl"] = norm("syl", terms.syl)
            feats["bigram"] = norm("bigram", terms.bigram)
            feats["word"] = norm("word", terms.word)
            feats["title"] = norm("title", terms.syl + terms.bigram)
            feats["fsyl"] = norm("fsyl", terms.fsyl)
            feats["fbigram"] = norm("fbigram", terms.fbigram)
            feats["clause"] = norm("clause", terms.syl + terms.bigram)
            feats["trigram"] = norm("trigram", vt.trigrams(terms.syl))
            feats["ccov_bigram"] = self._per_doc_max(self.fields["clause"].coverage(terms.bigram))
            feats["cov_syl"] = self.fields["syl"].coverage(terms.syl)
            feats["cov_bigram"] = self.fields["bigram"].coverage(terms.bigram)
            feats["tcov_syl"], feats["tcov_bigram"] = self.fields["title"].reverse_coverage(terms.syl + terms.bigram)
        else:
            feats["fsyl"] = norm("fsyl", terms.fsyl)
            feats["fbigram"] = norm("fbigram", terms.fbigram)
            feats["ftitle"] = norm("ftitle", terms.fsyl + terms.fbigram)
            feats["fclause"] = norm("fclause", terms.fsyl + terms.fbigram)
            feats["ccov_bigram"] = self._per_doc_max(self.fields["fclause"].coverage(terms.fbigram))
            feats["fcov_syl"] = self.fields["fsyl"].coverage(terms.fsyl)
            feats["fcov_bigram"] = self.fields["fbigram"].coverage(terms.fbigram)
            feats["tcov_syl"], feats["tcov_bigram"] = self.fields["ftitle"].reverse_coverage(terms.fsyl + terms.fbigram)
        mentions = self.laws.mentions(terms.law_tokens)
        strength = np.zeros(len(self._law_pos))
        for law_id, _s, _e, st in mentions:
            strength[self._law_pos[law_id]] = st
        feats["law_match"] = strength[self._doc_law]
        feats["law_other"] = (strength.max(initial=0.0) > 0) * (feats["law_match"] == 0).astype(np.float64)
        matrix = np.column_stack([feats[n] for n in names])
        return terms.mode, matrix, self.laws.references(query, mentions)

    def _per_doc_max(self, per_clause: np.ndarray) -> np.ndarray:
        return np.maximum.reduceat(per_clause, self._clause_starts)

    def _scores(self, query: str) -> tuple[str, np.ndarray, list[Reference], QueryTerms]:
        terms = self.query_terms(query)
        mode, x, refs = self.features(query, terms)
        logit = self.ranker.models[mode].logit(x)
        if self.dense is not None and self.dense_vectors is not None:
            q = self.dense.encode([query])[0]
            cos = self.dense_vectors @ q
            top = cos.max(initial=0.0)
            if top > 0:
                logit = logit + self.ranker.config.dense_weight * (cos / top)
        return mode, logit, refs, terms

    def search(self, query: str, k: int = 10) -> list[Hit]:
        """The k best articles for a question, best first; explicitly referenced existing articles come first."""
        if not query or not query.strip() or k <= 0:
            return []
        mode, logit, refs, terms = self._scores(query)
        k = min(k, len(self.passages))
        order = np.argpartition(-logit, k - 1)[:k] if k < len(logit) else np.arange(len(logit))
        order = order[np.argsort(-logit[order], kind="stable")]
        ranked: list[tuple[int, float, str | None]] = []
        seen: set[int] = set()
        for ref in refs:
            if ref.passage_id is not None and (idx := self.by_id.get(ref.passage_id)) is not None and idx not in seen:
                ranked.append((idx, 1.0, ref.clause))
                seen.add(idx)
        probs = self.ranker.models[mode].probability(logit[order], _margins(logit, order))
        for idx, p in zip(order.tolist(), probs.tolist(), strict=True):
            if idx not in seen:
                ranked.append((idx, min(float(p), 0.999), None))
                seen.add(idx)
        query_terms = set(terms.syl) if mode == ACCENTED else set(terms.fsyl)
        field_ = self.fields["syl" if mode == ACCENTED else "fsyl"]
        idf = {t: field_.token_idf(t) for t in query_terms}
        return [self._hit(idx, score, query_terms, idf, mode, hint) for idx, score, hint in ranked[:k]]

    def references(self, query: str) -> list[Reference]:
        """The explicit article references in the question, resolved to passage ids where the corpus has them."""
        return self.laws.references(query)

    def confidence(self, hits: Sequence[Hit]) -> float:
        """How sure the top hit answers the question (0..1); below `answer_threshold` the app should say so."""
        return confidence(hits)

    @property
    def answer_threshold(self) -> float:
        return self.ranker.answer_threshold

    # --- snippets --------------------------------------------------------------------------------------------------

    def parts(self, idx: int) -> tuple[list[cl.Part], list[frozenset[str]], list[frozenset[str]]]:
        """An article's clauses and points, with their tokens and folded tokens (cached)."""
        if idx not in self._parts:
            p = self.passages[idx]
            parts = cl.split_article(p.title, p.text)
            words = [frozenset(vt.tokens(x.text)) for x in parts]
            folded = [frozenset(vt._fold_word(w) for w in ws) for ws in words]
            self._parts[idx] = (parts, words, folded)
        return self._parts[idx]

    def _hit(
        self, idx: int, score: float, query_terms: set[str], idf: dict[str, float], mode: str, hint: str | None
    ) -> Hit:
        p = self.passages[idx]
        parts, words, folded = self.parts(idx)
        chosen_words = words if mode == ACCENTED else folded
        part = cl.best_part(query_terms, parts, idf.__getitem__, clause_hint=hint, words=chosen_words)
        snippet, clause, point = cl.snippet_for(part, p.title, p.text)
        return Hit(p.id, p.law_id, p.article_id, p.title, round(score, 6), snippet, clause, point)


def _margins(logit: np.ndarray, order: np.ndarray) -> np.ndarray:
    """For each ranked article, its logit minus the best logit among the other articles."""
    if len(logit) < 2:
        return np.zeros(len(order))
    top2 = np.partition(logit, len(logit) - 2)[-2:]
    best, second = float(top2[1]), float(top2[0])
    chosen = logit[order]
    others_best = np.where(chosen >= best, second, best)
    return chosen - others_best


def confidence(hits: Sequence[Hit]) -> float:
    """The top hit's score: the ranker's probability that it is relevant (1.0 for an explicit reference)."""
    return float(hits[0].score) if hits else 0.0
