"""Issue the queued e-results whose attempt is due (the worker does it every round); --retry-failed puts the ones
that gave up back in line first (after the cause, e.g. a missing certificate, is fixed)."""

from django.core.management.base import BaseCommand

from motcua.results import services
from motcua.results.models import IssueJob, JobStatus


class Command(BaseCommand):
    help = "Phát hành các kết quả điện tử đang chờ (ký số)."

    def add_arguments(self, parser):
        parser.add_argument("--retry-failed", action="store_true", help="thử lại cả các yêu cầu đã dừng vì lỗi")

    def handle(self, *args, retry_failed: bool, **options) -> None:
        if retry_failed:
            for job in IssueJob.objects.filter(status=JobStatus.FAILED):
                services.requeue(job)
        counts = services.retry_due()
        self.stdout.write(f"issued={counts['issued']} failed={counts['failed']}")
        for job in IssueJob.objects.filter(status__in=[JobStatus.PENDING, JobStatus.FAILED]).select_related("dossier"):
            self.stdout.write(f"  {job.dossier.code}: {job.get_status_display()} ({job.attempts}) {job.last_error}")
