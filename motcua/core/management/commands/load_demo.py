"""Load the demo province, catalogue, calendar and accounts (idempotent)."""

from django.core.management.base import BaseCommand

from motcua.core.demo import load_demo


class Command(BaseCommand):
    help = "Nạp dữ liệu mẫu: tỉnh Quảng Ninh, danh mục thủ tục, lịch làm việc, tài khoản mẫu."

    def handle(self, *args, **options) -> None:
        load_demo(stdout=self.stdout)
