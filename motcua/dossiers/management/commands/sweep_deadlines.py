"""Mark due-soon, overdue, apology-due and late-acceptance dossiers once (cron-friendly)."""

from django.core.management.base import BaseCommand

from motcua.dossiers.services import sweep


class Command(BaseCommand):
    help = "Quét thời hạn hồ sơ: sắp đến hạn, quá hạn, cần xin lỗi hẹn lại, quá hạn tiếp nhận."

    def handle(self, *args, **options) -> None:
        self.stdout.write(str(sweep()))
