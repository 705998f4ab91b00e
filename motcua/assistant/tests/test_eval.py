"""assistant_eval and its pieces: the fixed split, the metrics, the command on a small corpus written here, and
the retriever against the plain-BM25 baseline on the real development split (held-out part)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from motcua.assistant.retrieval import evaluation as ev
from motcua.catalog.services import default_shared_dir

from .test_retrieval import ARTICLES

QUESTIONS = {
    "q1": ("Viên chức đơn phương chấm dứt hợp đồng làm việc phải báo trước bao nhiêu ngày?", "Luật Viên chức||29"),
    "q2": ("Mục đích của đánh giá viên chức là gì?", "Luật Viên chức||39"),
    "q3": ("Người điều khiển xe ô tô chạy quá tốc độ bị phạt bao nhiêu?", "100/2019/NĐ-CP||5"),
    "q4": ("Ai phải tham gia bảo hiểm y tế?", "Luật Bảo hiểm y tế||12"),
    "q5": ("Hoà giải tranh chấp đất đai ở đâu?", "Luật Đất đai||202"),
    "q6": ("Công dân bao nhiêu tuổi phải làm thẻ căn cước?", "Luật Căn cước||18"),
    "q7": ("Sổ quản lý lao động phải xuất trình khi nào?", "45/2019/QH14||12"),
    "q8": ("Quy hoạch thuỷ lợi phải phù hợp với gì?", "Luật Thuỷ lợi||8"),
}


def write_beir(folder):
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "corpus.jsonl").open("w", encoding="utf-8") as fh:
        for p in ARTICLES:
            row = {"_id": p.id, "law_id": p.law_id, "article_id": p.article_id, "title": p.title, "text": p.text}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    with (folder / "queries.jsonl").open("w", encoding="utf-8") as fh:
        for qid, (text, _) in QUESTIONS.items():
            fh.write(json.dumps({"_id": qid, "text": text}, ensure_ascii=False) + "\n")
    with (folder / "qrels.tsv").open("w", encoding="utf-8") as fh:
        fh.write("query-id\tcorpus-id\tscore\n")
        for qid, (_, pid) in QUESTIONS.items():
            fh.write(f"{qid}\t{pid}\t1\n")


def test_split_is_fixed_and_about_seventy_thirty():
    ids = [f"train_alqac25_{i}" for i in range(2000)]
    parts = [ev.split_of(q) for q in ids]
    assert parts == [ev.split_of(q) for q in ids]  # deterministic
    share = parts.count(ev.TUNE) / len(parts)
    assert 0.66 < share < 0.74
    assert set(parts) == {ev.TUNE, ev.HELDOUT}


def test_metrics_by_hand():
    rankings = {"a": ["x", "y", "z"], "b": ["p", "q", "r", "s", "t", "u"], "c": ["n"]}
    qrels = {"a": {"x"}, "b": {"t", "zz"}, "c": {"m"}}
    m = ev.metrics(rankings, qrels)
    assert m["recall@1"] == round((1 + 0 + 0) / 3, 4)
    assert m["recall@5"] == round((1 + 0.5 + 0) / 3, 4)
    assert m["mrr@10"] == round((1 + 1 / 5 + 0) / 3, 4)
    assert ev.latency([1.0, 2.0, 3.0, 4.0, 100.0]) == {"p50_ms": 3.0, "p95_ms": 100.0, "max_ms": 100.0}


def test_baseline_is_plain_lowercased_syllables():
    assert ev.plain_tokens("Hòa GIẢI, 100/2019") == ["hòa", "giải", "100", "2019"]
    base = ev.PlainBM25(ARTICLES)
    assert base.search_ids("quy hoạch thuỷ lợi", 1) == ["Luật Thuỷ lợi||8"]


def test_command_on_a_beir_folder_writes_the_report(tmp_path):
    # given a small BEIR folder
    write_beir(tmp_path / "beir")
    out = StringIO()
    # when the command runs on it
    call_command(
        "assistant_eval", "--beir", str(tmp_path / "beir"), "--name", "tiny", "--out-dir", str(tmp_path), stdout=out
    )
    # then both systems are reported per part, with latency, in the JSON file
    report = json.loads((tmp_path / "assistant_eval_tiny.json").read_text(encoding="utf-8"))
    for system in ("ours", "plain_bm25"):
        entry = report["systems"][system]
        assert set(entry) >= {"all", "tune", "heldout", "latency", "heldout_without_diacritics"}
        assert entry["all"]["queries"] == len(QUESTIONS)
        assert entry["latency"]["p95_ms"] >= entry["latency"]["p50_ms"] > 0
    assert report["systems"]["ours"]["all"]["recall@1"] == 1.0
    assert report["queries"]["tune"] + report["queries"]["heldout"] == len(QUESTIONS)
    assert "ours:" in out.getvalue() and "plain_bm25:" in out.getvalue()


def test_command_on_alqac_2022_format(tmp_path):
    # given the 2022 layout (law.json + question.json)
    laws: dict[str, list] = {}
    for p in ARTICLES:
        laws.setdefault(p.law_id, []).append({"id": p.article_id, "text": p.text})
    (tmp_path / "law.json").write_text(
        json.dumps([{"id": k, "articles": v} for k, v in laws.items()], ensure_ascii=False), encoding="utf-8"
    )
    questions = [
        {
            "id": qid,
            "text": text,
            "relevant_articles": [dict(zip(("law_id", "article_id"), pid.split("||"), strict=True))],
        }
        for qid, (text, pid) in QUESTIONS.items()
    ]
    (tmp_path / "q.json").write_text(json.dumps(questions, ensure_ascii=False), encoding="utf-8")
    call_command(
        "assistant_eval", "--law-json", str(tmp_path / "law.json"), "--questions-json", str(tmp_path / "q.json"),
        "--name", "tiny2022", "--out-dir", str(tmp_path), stdout=StringIO(),
    )  # fmt: skip
    report = json.loads((tmp_path / "assistant_eval_tiny2022.json").read_text(encoding="utf-8"))
    assert set(report["systems"]["ours"]) == {"all", "latency", "all_without_diacritics"}
    assert report["systems"]["ours"]["all"]["mrr@10"] >= report["systems"]["plain_bm25"]["all"]["mrr@10"]


def test_training_writes_a_ranker_from_the_tuning_part_only(tmp_path):
    # given a small BEIR folder
    from motcua.assistant.retrieval import Retriever, train
    from motcua.assistant.retrieval.engine import FEATURES, Ranker

    write_beir(tmp_path / "beir")
    tuning = {q for q in QUESTIONS if ev.split_of(q) == ev.TUNE}
    # when the ranker is trained into a file of its own
    ranker = train.train(tmp_path / "beir", out=tmp_path / "ranker.json", log=lambda _m: None)
    # then it holds one model per mode, counted over the tuning questions only, and a retriever can use it
    loaded = Ranker.load(tmp_path / "ranker.json")
    assert set(loaded.models) == {"accented", "folded"}
    assert loaded.models["accented"].features == FEATURES["accented"]
    assert loaded.info["cv"]["accented"]["queries"] == len(tuning) == ranker.info["cv"]["accented"]["queries"]
    assert 0.0 < loaded.answer_threshold < 1.0
    hits = Retriever.build(ARTICLES, ranker=loaded).search(QUESTIONS["q1"][0], 1)
    assert hits[0].id == QUESTIONS["q1"][1]


def test_command_needs_a_dataset():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("assistant_eval", stdout=StringIO())


# --- the real development split ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dev():
    folder = default_shared_dir() / "alqac_legal_retrieval" / "derived_beir"
    if not (folder / "corpus.jsonl").exists():
        pytest.skip("../shared/data/alqac_legal_retrieval is not present")
    from motcua.assistant.retrieval import Retriever

    dataset = ev.load_beir(folder)
    return dataset, Retriever.build(dataset.passages), ev.PlainBM25(dataset.passages)


def test_retriever_beats_plain_bm25_on_the_held_out_part(dev):
    dataset, retriever, baseline = dev
    heldout = dataset.part(ev.HELDOUT)
    assert 130 < len(heldout) < 190  # ~30 % of 510
    ours, _ = ev.run_queries(lambda q: [h.id for h in retriever.search(q, 10)], heldout)
    base, _ = ev.run_queries(lambda q: baseline.search_ids(q, 10), heldout)
    ours_m, base_m = ev.metrics(ours, dataset.qrels), ev.metrics(base, dataset.qrels)
    assert ours_m["mrr@10"] > base_m["mrr@10"] + 0.05
    assert ours_m["recall@10"] >= base_m["recall@10"]


def test_held_out_questions_typed_without_diacritics_still_work(dev):
    dataset, retriever, _ = dev
    heldout = {q: ev.without_diacritics(t) for q, t in dataset.part(ev.HELDOUT).items()}
    folded, _ = ev.run_queries(lambda q: [h.id for h in retriever.search(q, 10)], heldout)
    assert ev.metrics(folded, dataset.qrels)["mrr@10"] > 0.8
