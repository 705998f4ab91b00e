from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Payment, PaymentEvent, PaymentStatus


class PaymentEventInline(admin.TabularInline):
    model = PaymentEvent
    extra = 0
    can_delete = False
    fields = ("seq", "at", "kind", "source", "from_status", "to_status", "actor", "note", "params")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")  # one query for the log, not one per row


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    """Read-only: payments change through the services. Filter status = 'refunding' for refunds waiting for the
    gateway; 'pending' older than the expiry for payments the gateway could not be asked about."""

    list_display = ("txn_ref", "dossier", "method", "amount_vnd", "status", "created_at", "paid_at", "receipt_no")
    list_filter = ("status", "method", "gateway")
    search_fields = ("txn_ref", "dossier__code", "gateway_txn_no", "receipt_no")
    list_select_related = ("dossier",)
    readonly_fields = [f.name for f in Payment._meta.fields]
    inlines = [PaymentEventInline]
    actions = ["reconcile_selected", "retry_refund"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Đối soát với cổng thanh toán (truy vấn giao dịch)"), permissions=["change"])
    def reconcile_selected(self, request, queryset) -> None:
        now = timezone.now()
        for payment in queryset.filter(status__in=[PaymentStatus.PENDING, PaymentStatus.CREATED]):
            outcome = services._query_and_apply(payment, now, final=False)
            self.message_user(request, f"{payment.txn_ref}: {outcome}", messages.INFO)

    @admin.action(description=_("Thử hoàn tiền lại"), permissions=["change"])
    def retry_refund(self, request, queryset) -> None:
        for payment in queryset.filter(status=PaymentStatus.REFUNDING):
            outcome = services._try_refund(payment.pk, actor=request.user)
            self.message_user(request, f"{payment.txn_ref}: {outcome}", messages.INFO)
