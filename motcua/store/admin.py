from django.contrib import admin

from .models import StoredDocument, StoreReuse


@admin.register(StoredDocument)
class StoredDocumentAdmin(admin.ModelAdmin):
    list_display = ("title", "owner_personal_id", "kind", "doc_type", "issuer", "status", "created_at")
    list_filter = ("kind", "status", "doc_type")
    search_fields = ("owner_personal_id", "title", "source_ref")
    readonly_fields = [f.name for f in StoredDocument._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(StoreReuse)
class StoreReuseAdmin(admin.ModelAdmin):
    list_display = ("dossier", "document", "doc_code", "reused_at")
    readonly_fields = ("dossier", "document", "doc_code", "reused_at")

    def has_add_permission(self, request):
        return False
