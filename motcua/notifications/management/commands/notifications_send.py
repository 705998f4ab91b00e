"""Send due notifications once, or in a loop (`--loop --interval N`)."""

import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from motcua.notifications.services import deliver_notifications


class Command(BaseCommand):
    help = "Gửi các thông báo đến hạn (thư điện tử, SMS, thông báo đẩy), một lần hoặc lặp với --loop."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="chạy liên tục")
        parser.add_argument("--interval", type=int, default=10, help="giây giữa hai lượt gửi khi --loop")
        parser.add_argument("--limit", type=int, default=100, help="số thông báo tối đa mỗi lượt")

    def handle(self, *args, loop: bool, interval: int, limit: int, **options) -> None:
        stop = {"now": False}
        if loop:
            signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
        while True:
            try:
                self.stdout.write(f"notifications: {deliver_notifications(limit=limit)}")
            except Exception as exc:  # one failed round must not kill the loop; the next retries
                self.stderr.write(f"notifications failed: {exc!r}")
                if not loop:
                    raise
            if not loop:
                return
            close_old_connections()  # between rounds: do not keep a stale connection through the sleep
            for _ in range(max(interval, 1)):
                if stop["now"]:
                    return
                time.sleep(1)
