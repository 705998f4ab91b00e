"""Deliver due outbox messages once, or in a loop (`--loop --interval N`)."""

import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from motcua.exchange.services import deliver_due


class Command(BaseCommand):
    help = "Gửi các thông điệp liên thông đến hạn (một lần, hoặc lặp với --loop)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="chạy liên tục")
        parser.add_argument("--interval", type=int, default=10, help="giây giữa hai lượt gửi khi --loop")
        parser.add_argument("--limit", type=int, default=100, help="số thông điệp tối đa mỗi lượt")

    def handle(self, *args, loop: bool, interval: int, limit: int, **options) -> None:
        stop = {"now": False}
        if loop:
            signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
        while True:
            close_old_connections()
            try:
                self.stdout.write(f"exchange: {deliver_due(limit=limit)}")
            except Exception as exc:  # one failed round must not kill the loop; the next retries
                self.stderr.write(f"exchange delivery failed: {exc!r}")
                if not loop:
                    raise
            if not loop:
                return
            for _ in range(max(interval, 1)):
                if stop["now"]:
                    return
                time.sleep(1)
