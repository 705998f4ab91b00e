"""Verify the audit hash chain; exit non-zero when any row was edited or deleted."""

from django.core.management.base import BaseCommand, CommandError

from motcua.audit.models import AuditRecord
from motcua.audit.services import verify_chain


class Command(BaseCommand):
    help = "Kiểm tra tính toàn vẹn của nhật ký kiểm toán (chuỗi băm)."

    def handle(self, *args, **options) -> None:
        problems = list(verify_chain())
        total = AuditRecord.objects.count()
        if problems:
            for p in problems:
                self.stderr.write(f"Chuỗi {p.shard}, bản ghi #{p.seq}: {p.problem}")
            raise CommandError(f"Nhật ký kiểm toán KHÔNG toàn vẹn: {len(problems)} lỗi trên {total} bản ghi.")
        self.stdout.write(self.style.SUCCESS(f"Nhật ký kiểm toán toàn vẹn: {total} bản ghi."))
