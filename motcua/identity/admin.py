"""Read-mostly admin views: eID links and enterprises are written by logins, not by hand."""

from django.contrib import admin

from .models import EidAccount, Enterprise, EnterpriseRepresentative


@admin.register(EidAccount)
class EidAccountAdmin(admin.ModelAdmin):
    list_display = ("user", "assurance", "last_login_at")
    list_filter = ("assurance",)
    search_fields = ("user__username", "user__personal_id", "user__full_name")
    readonly_fields = ("user", "sub", "assurance", "acr", "birth_date", "gender", "last_login_at")


class RepresentativeInline(admin.TabularInline):
    model = EnterpriseRepresentative
    extra = 0
    readonly_fields = ("user", "first_seen_at", "last_seen_at")
    can_delete = False


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ("tax_code", "name", "updated_at")
    search_fields = ("tax_code", "name")
    inlines = [RepresentativeInline]
