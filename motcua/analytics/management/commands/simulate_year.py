"""simulate_year --province 22 --dossiers N [--seed S] [--end YYYY-MM-DD] [--purge]: a synthetic year of dossiers."""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from motcua.analytics.simulate import CHUNK, purge, simulate_year


class Command(BaseCommand):
    help = (
        "Sinh một năm hồ sơ mô phỏng (mã hồ sơ, nhật ký xử lý, phí, lệ phí) cho trung tâm điều hành và chỉ số "
        "766; chạy lại sẽ thay năm mô phỏng cũ, không đụng tới hồ sơ thật."
    )

    def add_arguments(self, parser):
        parser.add_argument("--province", type=int, default=22, help="mã tỉnh (mặc định 22, Quảng Ninh)")
        parser.add_argument("--dossiers", type=int, default=20_000, help="số hồ sơ trong năm")
        parser.add_argument("--seed", type=int, default=22, help="cùng seed → cùng dữ liệu")
        parser.add_argument("--end", type=date.fromisoformat, default=None,
                            help="năm mô phỏng là 365 ngày trước ngày này (mặc định: hôm nay)")  # fmt: skip
        parser.add_argument("--chunk", type=int, default=CHUNK, help="số hồ sơ mỗi giao dịch ghi")
        parser.add_argument("--no-rebuild", action="store_true", help="không dựng lại bảng số liệu sau khi sinh")
        parser.add_argument("--purge", action="store_true", help="chỉ xóa năm mô phỏng hiện có")
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="giữ nguyên nếu đã có năm mô phỏng cùng số hồ sơ, seed và ngày kết thúc (dùng cho make run)",
        )
        parser.add_argument("--json", action="store_true", help="in báo cáo dạng JSON")

    def handle(self, *args, **o) -> None:
        if o["purge"]:
            purge(stdout=self.stdout)
            return
        try:
            report = simulate_year(
                province=o["province"],
                dossiers=o["dossiers"],
                seed=o["seed"],
                end=o["end"],
                chunk=o["chunk"],
                rebuild=not o["no_rebuild"],
                if_missing=o["if_missing"],
                stdout=None if o["json"] else self.stdout,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if o["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
