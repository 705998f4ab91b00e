"""Admin: the laws and their versions (read-only: laws change by re-ingestion, `assistant_ingest`), and the
question log (read-only: officials review it on /tro-ly-ao/nhat-ky/)."""

from django.contrib import admin

from .models import AssistantQuery, LegalArticle, LegalDocument


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LegalDocument)
class LegalDocumentAdmin(ReadOnly):
    list_display = ("code", "number", "kind", "version", "in_force", "issued_on", "effective_on", "ingested_at")
    list_filter = ("in_force", "kind", "source")
    search_fields = ("code", "number", "title")


@admin.register(LegalArticle)
class LegalArticleAdmin(ReadOnly):
    list_display = ("number", "title", "document", "chapter")
    list_filter = ("document__in_force",)
    search_fields = ("document__code", "number", "title")
    list_select_related = ("document",)


@admin.register(AssistantQuery)
class AssistantQueryAdmin(ReadOnly):
    list_display = ("asked_at", "intent", "audience", "asker_role", "confidence", "latency_ms", "generated", "verdict")
    list_filter = ("intent", "audience", "generated", "verdict", "channel")
    search_fields = ("question",)
    exclude = ("articles",)
