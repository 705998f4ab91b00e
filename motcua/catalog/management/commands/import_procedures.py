"""Load the shipped procedure catalogue into the database, or rebuild it from the shared sources (--write)."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from motcua.catalog import services


class Command(BaseCommand):
    help = (
        "Nạp danh mục thủ tục hành chính (motcua/catalog/data/procedures.jsonl.gz) vào cơ sở dữ liệu; "
        "với --write: tạo lại tệp đó từ dữ liệu nguồn dùng chung."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--from-source",
            nargs="?",
            const="",
            default=None,
            metavar="DIR",
            help="Thư mục dữ liệu nguồn (mặc định ../shared/data cạnh kho mã).",
        )
        parser.add_argument("--write", action="store_true", help="Ghi lại tệp danh mục từ dữ liệu nguồn.")
        parser.add_argument("--path", default=None, help="Tệp danh mục .jsonl.gz (mặc định: tệp đi kèm).")
        parser.add_argument(
            "--offerings-province", type=int, default=22, help="Mã tỉnh để tạo cơ quan và nơi tiếp nhận (mặc định 22)."
        )
        parser.add_argument("--no-offerings", action="store_true", help="Không tạo cơ quan và nơi tiếp nhận.")

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        if options["write"] or options["from_source"] is not None:
            source = Path(options["from_source"]) if options["from_source"] else services.default_shared_dir()
            out = Path(options["path"]) if options["path"] else services.DATA_FILE
            counts = services.write_catalog(source, out)
            self.stdout.write(f"Đã ghi {out} từ {source}")
        else:
            province = None if options["no_offerings"] else options["offerings_province"]
            counts = services.load_catalog(options["path"], offerings_province=province)
        for key, value in counts.items():
            self.stdout.write(f"  {key}: {value}")
        self.stdout.write(self.style.SUCCESS(f"Xong sau {time.perf_counter() - started:.1f} giây."))
