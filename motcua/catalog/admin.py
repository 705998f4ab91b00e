"""Administration of the catalogue: agencies, procedures, their versions and where they are offered."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models

from motcua.core.errors import ValidationFailed

from .models import Agency, Procedure, ProcedureOffering, ProcedureVersion
from .workflow import validate_workflow


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "parent", "province_code", "commune_code", "is_active")
    list_filter = ("kind", "is_active", "province_code")
    search_fields = ("code", "name", "commune_code")
    list_select_related = ("parent",)
    autocomplete_fields = ("parent",)
    ordering = ("code",)


class VersionInline(admin.TabularInline):
    model = ProcedureVersion
    fields = ("number", "is_current", "hand_made", "time_value", "time_unit", "cutoff", "created_at", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ("-number",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ("code", "name", "level", "field", "source", "is_active")
    list_filter = ("level", "field", "source", "is_active")
    search_fields = ("code", "name", "search_text")
    readonly_fields = ("search_text",)
    inlines = (VersionInline,)
    ordering = ("code",)
    show_full_result_count = False


class ProcedureVersionForm(forms.ModelForm):
    class Meta:
        model = ProcedureVersion
        fields = (
            "procedure", "number", "is_current", "hand_made", "time_value", "time_unit", "cutoff",
            "pause_on_supplement", "supplement_days", "form_schema", "documents", "fee_rule", "workflow", "variants",
            "note",
        )  # fmt: skip

    def clean_workflow(self):
        workflow = self.cleaned_data.get("workflow")
        try:
            validate_workflow(workflow)
        except ValidationFailed as exc:
            raise ValidationError(exc.detail) from exc
        return workflow

    def clean_variants(self):
        variants = self.cleaned_data.get("variants") or []
        for variant in variants:
            if isinstance(variant, dict) and variant.get("workflow"):
                try:
                    validate_workflow(variant["workflow"])
                except ValidationFailed as exc:
                    raise ValidationError(f"Trường hợp '{variant.get('code')}': {exc.detail}") from exc
        return variants


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(admin.ModelAdmin):
    form = ProcedureVersionForm
    list_display = ("procedure", "number", "is_current", "hand_made", "time_value", "time_unit", "created_at")
    list_filter = ("is_current", "hand_made", "time_unit")
    search_fields = ("procedure__code", "procedure__name")
    list_select_related = ("procedure",)
    raw_id_fields = ("procedure",)
    readonly_fields = ("created_at", "source_hash")


@admin.register(ProcedureOffering)
class ProcedureOfferingAdmin(admin.ModelAdmin):
    list_display = ("procedure", "agency", "online_level", "accepts_post", "result_by_post", "is_active")
    list_filter = ("online_level", "accepts_post", "is_active", "agency__kind")
    search_fields = ("procedure__code", "procedure__name", "agency__name", "agency__code")
    list_select_related = ("procedure", "agency")
    raw_id_fields = ("procedure", "agency")
