"""Read-only views of the facts (they are derived: change the sources, or rebuild), and the citizens' feedback."""

from django.contrib import admin

from .models import DailyFact, DossierFact, Feedback, MonthlyFact, Rating


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DossierFact)
class DossierFactAdmin(ReadOnly):
    list_display = ("dossier", "agency", "channel", "chain", "received_day", "closed_as", "closed_day", "overdue_day")
    list_filter = ("chain", "channel", "closed_as")
    search_fields = ("dossier__code",)
    raw_id_fields = ("dossier",)
    list_select_related = ("dossier", "agency")
    show_full_result_count = False


@admin.register(DailyFact)
class DailyFactAdmin(ReadOnly):
    list_display = ("day", "agency", "procedure", "channel", "chain", "received", "accepted", "resolved_late")
    list_filter = ("chain", "channel")
    date_hierarchy = "day"
    list_select_related = ("agency", "procedure")
    show_full_result_count = False


@admin.register(MonthlyFact)
class MonthlyFactAdmin(ReadOnly):
    list_display = ("month", "agency", "procedure", "channel", "chain", "received", "accepted", "resolved_late")
    list_filter = ("chain", "channel")
    list_select_related = ("agency", "procedure")
    show_full_result_count = False


@admin.register(Rating)
class RatingAdmin(ReadOnly):
    list_display = ("dossier", "satisfied", "created_at")
    list_filter = ("satisfied",)
    search_fields = ("dossier__code",)
    list_select_related = ("dossier",)


@admin.register(Feedback)
class FeedbackAdmin(ReadOnly):
    """Answered from the back office (/dieu-hanh/phan-anh/), never edited here."""

    list_display = ("dossier", "agency", "status", "due_at", "handled_at", "handled_on_time", "applicant_satisfied")
    list_filter = ("status", "handled_on_time", "applicant_satisfied")
    search_fields = ("dossier__code", "text")
    list_select_related = ("dossier", "agency")
