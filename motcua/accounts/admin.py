from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from . import services, two_factor
from .models import ApiToken, RoleAssignment, User


class MotcuaAdminSite(admin.AdminSite):
    """The admin site behind the same door as the back office: our throttled login, then the TOTP step.

    Django's own admin login form would be a second, unthrottled password form without a second factor, so it
    is never shown: anonymous visitors go to /tai-khoan/dang-nhap/, staff without a verified code to the code.
    """

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and services.session_is_fully_authenticated(request)

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = reverse("admin:index", current_app=self.name)
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(next_url, reverse("accounts:login"))
        if self.has_permission(request):
            return redirect(next_url)
        if user.is_active and user.is_staff and not services.session_is_fully_authenticated(request):
            return redirect(two_factor.second_factor_url(user, next_url))
        # Logged in but not staff: a redirect to the login page would loop back here.
        raise PermissionDenied


# What django-otp's documentation recommends for the default site (admin.site is created before this runs).
admin.site.__class__ = MotcuaAdminSite


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ("agency",)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "full_name", "personal_id", "is_active", "is_staff")
    search_fields = ("username", "full_name", "personal_id", "email")
    fieldsets = (*BaseUserAdmin.fieldsets, ("motcua", {"fields": ("full_name", "personal_id", "phone")}))
    inlines = [RoleInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "revoked")
    readonly_fields = ("key_hash", "prefix", "created_at", "last_used_at")
    list_filter = ("revoked",)
