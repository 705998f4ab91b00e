"""Load legal documents into the assistant: a BEIR folder, an ALQAC law.json, or one law as .txt/.docx that is
segmented here (Chương / Mục / Điều; clauses stay in the article). Idempotent; a changed law becomes a new version
in force, the old one kept for the answers that cited it. The search index is rebuilt afterwards."""

from __future__ import annotations

from datetime import date, datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.assistant import engine, ingest
from motcua.assistant.models import LawKind
from motcua.core.errors import ProblemError


def _date(value: str) -> date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise CommandError(f"Ngày không hợp lệ: {value} (YYYY-MM-DD hoặc dd/mm/yyyy).")


class Command(BaseCommand):
    help = "Nạp văn bản pháp luật cho trợ lý ảo (BEIR, ALQAC law.json, hoặc một luật dạng .txt/.docx)."

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--beir", metavar="THƯ_MỤC", help="thư mục BEIR có corpus.jsonl")
        source.add_argument("--alqac-json", metavar="TỆP", help="tệp law.json định dạng ALQAC")
        source.add_argument("--law", metavar="TỆP", help="một văn bản .txt (UTF-8) hoặc .docx, tự tách điều")
        source.add_argument("--demo", action="store_true", help="17 luật mẫu ALQAC 2024 từ ../shared/data")
        law = parser.add_argument_group("thông tin văn bản khi nạp --law (mặc định đọc từ phần đầu văn bản)")
        law.add_argument("--code", default="", help="tên gọi dùng làm mã, ví dụ «Luật Cư trú»")
        law.add_argument("--title", default="")
        law.add_argument("--number", default="", help="số hiệu, ví dụ 68/2020/QH14")
        law.add_argument("--kind", default="", choices=["", *LawKind.values])
        law.add_argument("--issued", type=_date, help="ngày ban hành")
        law.add_argument("--effective", type=_date, help="ngày có hiệu lực")
        parser.add_argument("--no-index", action="store_true", help="không dựng lại chỉ mục tra cứu ngay")

    def handle(self, *args, **o) -> None:
        try:
            if o["demo"]:
                ingest.load_demo_laws(stdout=self.stdout, warm=not o["no_index"])
                return
            if o["beir"]:
                report = ingest.ingest_beir(o["beir"])
            elif o["alqac_json"]:
                report = ingest.ingest_alqac_json(o["alqac_json"])
            else:
                report = ingest.ingest_law_file(
                    o["law"],
                    code=o["code"],
                    title=o["title"],
                    number=o["number"],
                    kind=o["kind"],
                    issued_on=o["issued"],
                    effective_on=o["effective"],
                )
        except ProblemError as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(report.summary())
        for code, status, version in report.laws:
            if status != "unchanged":
                self.stdout.write(f"  {code}: {status} (phiên bản {version})")
        if not o["no_index"]:
            self.stdout.write(f"Chỉ mục tra cứu: {engine.describe(engine.get_retriever())}")
