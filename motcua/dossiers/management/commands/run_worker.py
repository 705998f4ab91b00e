"""The in-process background worker for the embedded setup: runs periodic jobs on the same database."""

import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from motcua.dossiers.services import sweep


class Command(BaseCommand):
    help = "Chạy tác vụ nền định kỳ: gửi thông điệp liên thông, gửi thông báo, quét thời hạn hồ sơ."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=int, default=10, help="giây giữa hai vòng (gửi liên thông)")
        parser.add_argument("--sweep-every", type=int, default=300, help="giây giữa hai lần quét thời hạn")
        parser.add_argument("--once", action="store_true")

    def handle(self, *args, interval: int, sweep_every: int, once: bool, **options) -> None:
        from motcua.exchange.services import deliver_due
        from motcua.notifications.services import worker_round as notifications_round
        from motcua.payments.services import run_periodic as payments_round

        stop = {"now": False}
        signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
        last_sweep = float("-inf")
        last_payments = float("-inf")
        while not stop["now"]:
            # Each job has its own guard: one failing must not stop the other; the next round retries.
            if time.monotonic() - last_sweep >= sweep_every or once:
                last_sweep = time.monotonic()
                try:
                    self.stdout.write(f"sweep: {sweep()}")
                except Exception as exc:
                    self.stderr.write(f"sweep failed: {exc!r}")
            try:
                delivered = deliver_due()
                if any(delivered.values()):
                    self.stdout.write(f"exchange: {delivered}")
            except Exception as exc:
                self.stderr.write(f"exchange failed: {exc!r}")
            try:
                notified = notifications_round()  # today's officials' digest when due, then due messages
                if any(notified.values()):
                    self.stdout.write(f"notifications: {notified}")
            except Exception as exc:
                self.stderr.write(f"notifications failed: {exc!r}")
            if time.monotonic() - last_payments >= 60 or once:  # fees: reconcile, expire, refunds, receipts
                last_payments = time.monotonic()
                try:
                    settled = payments_round()
                    if any(settled.values()):
                        self.stdout.write(f"payments: {settled}")
                except Exception as exc:
                    self.stderr.write(f"payments failed: {exc!r}")
            try:  # e-results whose signing failed after the commit: retried with back-off
                from motcua.results.services import retry_due

                reissued = retry_due()
                if any(reissued.values()):
                    self.stdout.write(f"results: {reissued}")
            except Exception as exc:
                self.stderr.write(f"results failed: {exc!r}")
            if once:
                return
            close_old_connections()  # between rounds: do not keep a stale connection through the sleep
            for _ in range(interval):
                if stop["now"]:
                    break
                time.sleep(1)
