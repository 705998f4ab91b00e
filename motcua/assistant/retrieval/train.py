"""Train the ranker (data/ranker.json) on the TUNING part of the development split only.

    python -m motcua.assistant.retrieval.train --beir ../shared/data/alqac_legal_retrieval/derived_beir
    ./manage.py assistant_eval --beir ... --retrain      (the same, then the evaluation)

Two logistic regressions (scikit-learn, pointwise: relevant article vs. the 40 best-fused others of each query):
one for questions with diacritics, one for questions typed without them (the tuning questions, accents removed).
The answer threshold is the 5th percentile of the top hit's cross-validated score over the tuning questions whose
top hit is right: 95 % of the answers the retriever gets right are shown, the rest is "I don't know".
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from .engine import ACCENTED, FEATURES, FOLDED, RANKER_FILE, Config, LinearModel, Ranker, Retriever, _margins
from .evaluation import TUNE, Dataset, load_beir, without_diacritics

NEGATIVES = 10  # per relevant article: the best-fused others of its question
C = 0.01  # inverse regularisation of the pairwise logistic regression
FOLDS = 5
ANSWER_PERCENTILE = 5
CALIBRATION_DEPTH = 10  # calibration over each question's top 10


@dataclass
class Sample:
    qid: str
    x: np.ndarray  # n_docs x n_features
    relevant: np.ndarray  # indices of the relevant articles


def collect(retriever: Retriever, dataset: Dataset, mode: str) -> list[Sample]:
    """Features of every tuning question (accents removed for the folded mode)."""
    samples = []
    for qid, text in dataset.part(TUNE).items():
        query = text if mode == ACCENTED else without_diacritics(text)
        got_mode, x, _refs = retriever.features(query)
        if got_mode != mode:
            continue
        relevant = np.asarray([retriever.by_id[p] for p in dataset.qrels[qid] if p in retriever.by_id], dtype=int)
        if len(relevant):
            samples.append(Sample(qid, x, relevant))
    return samples


def fit(samples: list[Sample], features: tuple[str, ...], c: float = C, negatives: int = NEGATIVES) -> LinearModel:
    """Pairwise logistic regression (RankNet-like, linear): relevant minus each hard negative → 1, the reverse → 0."""
    from sklearn.linear_model import LogisticRegression

    diffs = []
    for s in samples:
        prior = s.x.sum(axis=1)
        rel = set(s.relevant.tolist())
        cand = np.argsort(-prior, kind="stable")[: negatives + len(rel)]
        neg = [i for i in cand.tolist() if i not in rel][:negatives]
        diffs.extend(s.x[r] - s.x[neg] for r in s.relevant)
    d = np.vstack(diffs)
    all_x = np.vstack([s.x for s in samples])
    scale = all_x.std(axis=0)
    scale[scale == 0] = 1.0
    d = d / scale
    x = np.vstack([d, -d])
    y = np.r_[np.ones(len(d)), np.zeros(len(d))]
    lr = LogisticRegression(C=c, max_iter=5000, fit_intercept=False)
    lr.fit(x, y)
    return LinearModel(features, lr.coef_[0].astype(np.float64), 0.0, np.zeros(len(features)), scale)


def ranks(model: LinearModel, samples: list[Sample]) -> tuple[dict[str, float], list[tuple[np.ndarray, list[bool]]]]:
    """MRR@10 and Recall@1/5/10 of a model over samples; per sample, the top logits and whether each is relevant."""
    rr, rec = [], {1: [], 5: [], 10: []}
    tops = []
    for s in samples:
        logit = model.logit(s.x)
        order = np.argsort(-logit, kind="stable")[:10]
        rel = set(s.relevant.tolist())
        rank = next((i for i, d in enumerate(order.tolist(), start=1) if d in rel), None)
        rr.append(1.0 / rank if rank else 0.0)
        for k in rec:
            rec[k].append(len(rel & set(order[:k].tolist())) / len(rel))
        top = order[:CALIBRATION_DEPTH]
        tops.append((np.c_[logit[top], _margins(logit, top)], [d in rel for d in top.tolist()]))
    out = {"mrr@10": statistics.fmean(rr), **{f"recall@{k}": statistics.fmean(v) for k, v in rec.items()}}
    return {k: round(v, 4) for k, v in out.items()}, tops


def fold_of(qid: str) -> int:
    return int(hashlib.sha256(f"fold:{qid}".encode()).hexdigest()[:8], 16) % FOLDS


def cross_validate(
    samples: list[Sample], features: tuple[str, ...], c: float = C, negatives: int = NEGATIVES
) -> tuple[dict[str, float], list[tuple[np.ndarray, list[bool]]]]:
    """Folds by a hash of the query id, within the tuning part: each fold scored by a model trained on the others."""
    folds: dict[int, list[Sample]] = {}
    for s in samples:
        folds.setdefault(fold_of(s.qid), []).append(s)
    all_tops, per = [], []
    for f, test in sorted(folds.items()):
        model = fit([s for g, ss in folds.items() if g != f for s in ss], features, c, negatives)
        m, tops = ranks(model, test)
        per.append((m, len(test)))
        all_tops += tops
    total = sum(n for _m, n in per)
    return {k: round(sum(m[k] * n for m, n in per) / total, 4) for k in per[0][0]}, all_tops


def calibrate(tops: list[tuple[np.ndarray, list[bool]]]) -> tuple[float, float, float]:
    """Logistic calibration of cross-validated (logit, margin) pairs, each question's top 10 → (a, c, b)."""
    from sklearn.linear_model import LogisticRegression

    x = np.vstack([t[0] for t in tops])
    y = np.concatenate([np.asarray(t[1], dtype=int) for t in tops])
    lr = LogisticRegression(C=100.0, max_iter=2000).fit(x, y)
    return float(lr.coef_[0][0]), float(lr.coef_[0][1]), float(lr.intercept_[0])


def train(beir_dir: str | Path, out: Path = RANKER_FILE, config: Config | None = None, log=print) -> Ranker:
    dataset = load_beir(beir_dir)
    if config is None:
        config = Ranker.load(out).config if out.exists() else Config()
    retriever = Retriever.build(dataset.passages, ranker=Ranker.untrained(config))
    log(f"index built in {retriever.build_seconds:.1f} s; tuning queries: {len(dataset.part(TUNE))}")
    models: dict[str, LinearModel] = {}
    info: dict = {"trained_at": datetime.now(UTC).replace(microsecond=0).isoformat(), "cv": {}}
    threshold = 0.5
    for mode in (ACCENTED, FOLDED):
        samples = collect(retriever, dataset, mode)
        cv, tops = cross_validate(samples, FEATURES[mode])
        calibration = calibrate(tops)
        model = fit(samples, FEATURES[mode])
        model.calibration = calibration
        models[mode] = model
        info["cv"][mode] = {"queries": len(samples), **cv}
        log(f"{mode}: {len(samples)} tuning queries, {FOLDS}-fold CV {cv}; calibration {calibration}")
        if mode == ACCENTED:
            right = [float(model.probability(t[0][0, 0], t[0][0, 1])) for t in tops if t[1][0]]
            threshold = float(np.percentile(right, ANSWER_PERCENTILE)) if right else 0.5
    info["data"] = f"{Path(beir_dir).name}: the tune part only (sha256(query id) % 100 < 70)"
    info["model"] = f"pairwise logistic regression, C={C}, {NEGATIVES} hard negatives per relevant article"
    info["answer_threshold_rule"] = (
        f"{ANSWER_PERCENTILE}th percentile of the calibrated cross-validated top score over the tuning questions "
        "whose top hit is right"
    )
    ranker = Ranker(config, models, round(threshold, 4), info)
    ranker.save(out)
    log(f"answer threshold {threshold:.4f}; written {out}")
    return ranker


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beir", required=True, help="the development split (BEIR folder)")
    parser.add_argument("--out", default=str(RANKER_FILE))
    args = parser.parse_args(argv)
    train(args.beir, Path(args.out))


if __name__ == "__main__":
    main()
