"""Reconcile pending payments with the gateway, expire lapsed ones, retry refunds and finish receipts."""

import time

from django.core.management.base import BaseCommand

from motcua.payments.services import run_periodic


class Command(BaseCommand):
    help = "Đối soát giao dịch nộp phí với cổng thanh toán, đóng giao dịch hết hạn, hoàn tiền, lập biên lai còn thiếu."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="chạy lặp lại")
        parser.add_argument("--interval", type=int, default=60, help="giây giữa hai vòng (mặc định 60)")

    def handle(self, *args, loop: bool, interval: int, **options) -> None:
        while True:
            self.stdout.write(f"payments: {run_periodic()}")
            if not loop:
                return
            time.sleep(max(interval, 1))
