"""The in-process background worker for the embedded setup: runs periodic jobs on the same database."""

import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from motcua.dossiers.services import sweep


class Command(BaseCommand):
    help = "Chạy tác vụ nền định kỳ (quét thời hạn hồ sơ)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=int, default=300, help="giây giữa hai lần quét")
        parser.add_argument("--once", action="store_true")

    def handle(self, *args, interval: int, once: bool, **options) -> None:
        stop = {"now": False}
        signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
        while not stop["now"]:
            close_old_connections()
            try:
                self.stdout.write(f"sweep: {sweep()}")
            except Exception as exc:  # a bad sweep must not kill the worker; the next one retries
                self.stderr.write(f"sweep failed: {exc!r}")
            if once:
                return
            for _ in range(interval):
                if stop["now"]:
                    break
                time.sleep(1)
