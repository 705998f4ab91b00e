from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import ProblemError

from . import services
from .models import DigestRun, Notification, NotificationStatus, NotificationTemplate


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "event", "channel", "recipient", "dossier", "status", "attempts", "delivered_at")
    list_filter = ("status", "channel", "event")
    search_fields = ("key", "recipient", "dossier__code", "provider_id", "message_id")
    list_select_related = ("dossier",)
    date_hierarchy = "created_at"
    actions = ["resend"]
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Gửi lại (thông báo gửi thất bại)"))
    def resend(self, request, queryset):
        done = 0
        for notification in queryset.filter(status=NotificationStatus.FAILED):
            try:
                services.resend(notification, request.user)
                done += 1
            except ProblemError as exc:
                self.message_user(request, exc.detail, messages.WARNING)
        self.message_user(request, _("Đã đưa %(n)d thông báo vào hàng đợi gửi lại.") % {"n": done})


@admin.register(NotificationTemplate)
class NotificationTemplateAdmin(admin.ModelAdmin):
    list_display = ("event", "channel", "procedure_code", "subject", "active", "updated_at")
    list_filter = ("event", "channel", "active")
    search_fields = ("procedure_code", "subject", "body")
    fieldsets = (
        (None, {"fields": ("event", "channel", "procedure_code", "active")}),
        (
            _("Nội dung"),
            {
                "fields": ("subject", "body"),
                "description": _(
                    "Cú pháp mẫu Django. Biến dùng được: code, procedure, procedure_code, agency, applicant, due_at, "
                    "old_due_at, supplement_due_at, note, missing, reasons, amount_vnd, pay_url, url, inbox_url, site. "
                    'Ví dụ: {{ due_at|date:"H:i d/m/Y" }}, {{ amount_vnd|vnd }}. Xem docs/notifications.md.'
                ),
            },
        ),
    )


@admin.register(DigestRun)
class DigestRunAdmin(admin.ModelAdmin):
    list_display = ("day", "at", "officials")
