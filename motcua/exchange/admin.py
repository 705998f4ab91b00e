from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import ProblemError

from . import services
from .models import ExchangePartner, InboxMessage, OutboxMessage


@admin.register(ExchangePartner)
class ExchangePartnerAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "base_url", "active")
    list_filter = ("kind", "active")
    search_fields = ("code", "name")


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Filter status = 'dead' for the dead-letter queue; the action puts selected dead messages back in line."""

    list_display = ("created_at", "message_id", "partner", "kind", "dossier_code", "status", "attempts", "last_error")
    list_filter = ("status", "partner", "kind")
    search_fields = ("message_id", "dossier_code", "kind")
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    actions = ["replay_selected"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Gửi lại (replay)"), permissions=["change"])
    def replay_selected(self, request, queryset) -> None:
        done = 0
        for message in queryset:
            try:
                services.replay(message.message_id, request.user, reason="Gửi lại từ trang quản trị")
                done += 1
            except ProblemError as exc:
                self.message_user(request, f"{message.message_id}: {exc.detail}", messages.WARNING)
        if done:
            self.message_user(
                request, gettext("Đã đưa %(n)s thông điệp trở lại hàng đợi gửi.") % {"n": done}, messages.SUCCESS
            )


@admin.register(InboxMessage)
class InboxMessageAdmin(admin.ModelAdmin):
    list_display = ("received_at", "message_id", "sender", "kind", "dossier_code")
    list_filter = ("sender", "kind")
    search_fields = ("message_id", "dossier_code")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
