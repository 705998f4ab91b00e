"""Admin for the official calendar: browse and edit days, import a yearly schedule file (thin: services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import ValidationFailed
from motcua.worktime import services
from motcua.worktime.defaults import parse_schedule_text, shipped_schedule_paths
from motcua.worktime.models import CalendarDay

MAX_UPLOAD_BYTES = 1024 * 1024


class YearListFilter(admin.SimpleListFilter):
    title = _("năm")
    parameter_name = "year"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        years = model_admin.get_queryset(request).dates("date", "year", order="DESC")
        return [(str(d.year), str(d.year)) for d in years]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(date__year=int(value))
        return queryset


class ScheduleImportForm(forms.Form):
    file = forms.FileField(
        label=_("Tệp lịch (.json hoặc .csv)"),
        required=False,
        help_text=_("CSV có các cột date,kind,name; kind là off (nghỉ) hoặc working (làm việc/làm bù)."),
    )
    official = forms.BooleanField(label=_("Nạp lịch chính thức đi kèm hệ thống"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        upload = data.get("file")
        if not upload and not data.get("official"):
            raise forms.ValidationError(_("Chọn một tệp lịch hoặc đánh dấu nạp lịch chính thức đi kèm."))
        if upload and upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("Tệp lịch quá lớn (tối đa 1 MB)."))
        return data


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "weekday", "kind", "name", "source", "updated_at")
    list_filter = ("kind", YearListFilter, "source")
    search_fields = ("name",)
    date_hierarchy = "date"
    ordering = ("-date",)
    readonly_fields = ("updated_at",)
    change_list_template = "admin/worktime/calendarday/change_list.html"

    # Calendars are cached per process: every write through the admin drops them (no model signals).
    def save_model(self, request: HttpRequest, obj: CalendarDay, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        services.note_calendar_write()

    def delete_model(self, request: HttpRequest, obj: CalendarDay) -> None:
        super().delete_model(request, obj)
        services.note_calendar_write()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        super().delete_queryset(request, queryset)
        services.note_calendar_write()

    @admin.display(description=_("thứ"))
    def weekday(self, obj: CalendarDay) -> str:
        return ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")[obj.date.weekday()]

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="worktime_calendarday_import",
            )
        ]
        return extra + super().get_urls()

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a schedule file (or load the shipped ones); all validation happens in the service."""
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        form = ScheduleImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                if form.cleaned_data.get("official"):
                    changed = services.load_official_schedules()
                else:
                    upload = form.cleaned_data["file"]
                    try:
                        text = upload.read().decode("utf-8-sig")
                    except UnicodeDecodeError as exc:
                        raise ValidationFailed("Tệp lịch phải được mã hóa UTF-8.") from exc
                    changed = services.import_schedule(parse_schedule_text(text, upload.name))
            except ValidationFailed as exc:
                form.add_error(None, exc.detail)
                for err in exc.errors[:50]:
                    form.add_error(None, f"{err.get('field', '')}: {err.get('message', '')}")
            else:
                self.message_user(request, f"Đã nạp lịch: {changed} ngày được thêm hoặc cập nhật.", messages.SUCCESS)
                return redirect("admin:worktime_calendarday_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Nạp lịch nghỉ lễ, làm bù"),
            "form": form,
            "shipped": [p.name for p in shipped_schedule_paths()],
        }
        return TemplateResponse(request, "admin/worktime/calendarday/import.html", context)
