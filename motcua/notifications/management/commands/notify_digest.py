"""Queue and send today's digest to every official with due-soon or overdue dossiers (once per official per day)."""

from django.core.management.base import BaseCommand

from motcua.notifications.digest import queue_digests
from motcua.notifications.services import deliver_notifications


class Command(BaseCommand):
    help = "Gửi thư tổng hợp hồ sơ sắp đến hạn, quá hạn cho từng cán bộ (mỗi người một thư mỗi ngày)."

    def add_arguments(self, parser):
        parser.add_argument("--no-send", action="store_true", help="chỉ đưa vào hàng đợi, để tiến trình nền gửi")

    def handle(self, *args, no_send: bool, **options) -> None:
        queued = queue_digests()
        self.stdout.write(f"digest: {queued} thư mới")
        if not no_send:
            self.stdout.write(f"notifications: {deliver_notifications()}")
