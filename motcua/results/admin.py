from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import services
from .models import EResult, EResultEvent, IssueJob, JobStatus


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(EResult)
class EResultAdmin(ReadOnly):
    """Signed e-results; revoking or replacing goes through the service (`motcua.results.services`), never an edit."""

    list_display = ("number", "title", "dossier", "status", "signer_agency", "signed_at")
    list_filter = ("status", "procedure_code", "template")
    search_fields = ("number", "doc_number", "dossier__code", "sha256")
    readonly_fields = [f.name for f in EResult._meta.fields]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(EResultEvent)
class EResultEventAdmin(ReadOnly):
    list_display = ("at", "result", "kind", "actor", "note")
    list_filter = ("kind",)
    search_fields = ("result__number",)

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(IssueJob)
class IssueJobAdmin(ReadOnly):
    """Filter status = failed for the e-results that could not be signed; the action tries them again now."""

    list_display = ("dossier", "status", "attempts", "next_attempt_at", "last_error", "result")
    list_filter = ("status",)
    search_fields = ("dossier__code",)
    readonly_fields = [f.name for f in IssueJob._meta.fields]
    actions = ["retry_selected"]

    @admin.action(description=_("Phát hành lại ngay"), permissions=["change"])
    def retry_selected(self, request, queryset) -> None:
        issued = 0
        for job in queryset.filter(status__in=[JobStatus.FAILED, JobStatus.PENDING]):
            services.requeue(job)
            if services.process(job.dossier_id) is not None:
                issued += 1
            else:
                job.refresh_from_db()
                self.message_user(request, f"{job.dossier}: {job.last_error}", messages.WARNING)
        if issued:
            self.message_user(request, gettext("Đã phát hành %(n)s kết quả điện tử.") % {"n": issued}, messages.SUCCESS)
