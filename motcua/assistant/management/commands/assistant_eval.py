"""Evaluate the legal assistant's retriever against a plain-BM25 baseline, in the same run.

    ./manage.py assistant_eval --beir ../shared/data/alqac_legal_retrieval/derived_beir
    ./manage.py assistant_eval --law-json .../alqac2022_law.json --questions-json .../alqac2022_question.json
    ./manage.py assistant_eval --beir ... --retrain      (re-train data/ranker.json on the tuning part first)

Uses the Retriever only (no database): prints Recall@1/5/10, MRR@10 and per-query latency p50/p95 for each part
(all / tune / heldout on the development split), writes bench/results/assistant_eval_<name>.json.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from motcua.assistant.retrieval import evaluation


class Command(BaseCommand):
    help = "Đánh giá bộ truy hồi điều luật của trợ lý ảo (Recall@k, MRR@10, độ trễ) so với BM25 thuần."

    def add_arguments(self, parser):
        parser.add_argument("--beir", help="thư mục BEIR (corpus.jsonl, queries.jsonl, qrels.tsv): tập phát triển")
        parser.add_argument("--law-json", help="tệp luật định dạng ALQAC (law.json)")
        parser.add_argument("--questions-json", help="tệp câu hỏi định dạng ALQAC (question.json)")
        parser.add_argument("--name", help="tên bộ dữ liệu trong tên tệp kết quả (mặc định alqac_dev / alqac2022)")
        parser.add_argument(
            "--out-of-scope-json",
            help="câu hỏi ALQAC về các luật không có trong kho: đo tỉ lệ trả lời 'không biết'",
        )
        parser.add_argument("--dense-model", help="thư mục mô hình model2vec cục bộ (tùy chọn, không tải về)")
        parser.add_argument("--retrain", action="store_true", help="huấn luyện lại ranker trên phần tune trước")
        parser.add_argument(
            "--out-dir", default=str(Path(settings.BASE_DIR) / "bench" / "results"), help="thư mục ghi kết quả JSON"
        )

    def handle(self, *args, **opts):
        if opts["beir"]:
            if opts["retrain"]:
                from motcua.assistant.retrieval import train

                train.train(opts["beir"], log=self.stdout.write)
                from motcua.assistant.retrieval import engine

                engine.default_ranker.cache_clear()
            dataset = evaluation.load_beir(opts["beir"], name=opts["name"] or "alqac_dev")
        elif opts["law_json"] and opts["questions_json"]:
            if opts["retrain"]:
                raise CommandError("--retrain chỉ dùng với --beir (tập phát triển): không huấn luyện trên tập kiểm tra")
            dataset = evaluation.load_alqac(opts["law_json"], opts["questions_json"], name=opts["name"] or "alqac2022")
        else:
            raise CommandError("cần --beir THƯ_MỤC hoặc --law-json TỆP --questions-json TỆP")
        out_of_scope = None
        if opts["out_of_scope_json"]:
            out_of_scope = evaluation.out_of_scope_questions(opts["out_of_scope_json"], dataset.passages)
        report = evaluation.evaluate(
            dataset, dense_model_path=opts["dense_model"], out_of_scope=out_of_scope, log=self.stdout.write
        )
        path = evaluation.write_report(report, opts["out_dir"], dataset.name)
        self.stdout.write(f"written {path}")
