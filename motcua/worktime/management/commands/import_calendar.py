"""import_calendar <file.json|file.csv> | --official: load a yearly schedule of days off and working days."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.core.errors import ValidationFailed
from motcua.worktime import services


class Command(BaseCommand):
    help = (
        "Nạp lịch nghỉ lễ/làm bù chính thức từ tệp JSON hoặc CSV (cột date,kind,name), "
        "hoặc --official để nạp các lịch đi kèm mã nguồn. Chạy lại nhiều lần không sinh trùng lặp."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="*", help="Tệp .json hoặc .csv")
        parser.add_argument("--official", action="store_true", help="Nạp lịch chính thức đi kèm (2025, 2026, ...)")

    def handle(self, *args: Any, files: list[str], official: bool, **options: Any) -> None:
        if not files and not official:
            raise CommandError("Cần đường dẫn tệp lịch hoặc --official.")
        try:
            if official:
                n = services.load_official_schedules()
                self.stdout.write(self.style.SUCCESS(f"Lịch chính thức đi kèm: {n} ngày được thêm hoặc cập nhật."))
            for path in files:
                n = services.import_schedule(path)
                self.stdout.write(self.style.SUCCESS(f"{path}: {n} ngày được thêm hoặc cập nhật."))
        except ValidationFailed as exc:
            lines = [exc.detail, *(f"  {e['field']}: {e['message']}" for e in exc.errors)]
            raise CommandError("\n".join(lines)) from exc
