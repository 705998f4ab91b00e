"""Recompute the analytics facts from the dossiers, their action log and the source tables (set-based SQL)."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from motcua.analytics import services


class Command(BaseCommand):
    help = (
        "Tính lại toàn bộ số liệu thống kê (facts) từ nhật ký xử lý hồ sơ và các bảng nguồn. "
        "--from/--to: chỉ các hồ sơ nhận trong khoảng ngày đó (và mọi số liệu từ --from trở đi). "
        "--catch-up: chỉ đếm các hồ sơ chưa được đếm hoặc đã thay đổi."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--from", dest="start", help="YYYY-MM-DD")
        parser.add_argument("--to", dest="end", help="YYYY-MM-DD")
        parser.add_argument("--catch-up", action="store_true", help="Chỉ các hồ sơ chưa được đếm hoặc đã đổi.")

    def handle(self, *args, start=None, end=None, catch_up=False, **options) -> None:
        if catch_up:
            done = services.catch_up(limit=10**9)
            self.stdout.write(f"Đã đếm lại {done} hồ sơ.")
            return
        try:
            start_d = date.fromisoformat(start) if start else None
            end_d = date.fromisoformat(end) if end else None
        except ValueError as exc:
            raise CommandError(f"Ngày không hợp lệ: {exc}") from None
        if start_d and end_d and end_d < start_d:
            raise CommandError("--to phải sau --from.")
        if end_d and not start_d:
            raise CommandError("--to cần đi kèm --from.")
        verbose = options.get("verbosity", 1) > 1
        result = services.rebuild_facts(start_d, end_d, log=self.stdout.write if verbose else None)
        seconds = sum(result["seconds"].values())
        self.stdout.write(
            f"Xong: {result['dossiers']} hồ sơ, {result['daily_rows']} dòng số liệu theo ngày, {seconds:.1f} giây."
        )
