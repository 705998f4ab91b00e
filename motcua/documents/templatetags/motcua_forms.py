"""`{% dossier_forms dossier "backoffice" as forms %}`: the one-stop forms that exist for a dossier, with links."""

from __future__ import annotations

from django import template
from django.urls import reverse

from motcua.documents import forms as one_stop_forms

register = template.Library()


@register.simple_tag
def dossier_forms(dossier, where: str = "backoffice") -> list[dict]:
    """`where` is "backoffice" (forms 01-05) or "portal" (the applicant's forms 01-04)."""
    kinds = one_stop_forms.applicable(dossier, for_applicant=where == "portal")
    return [
        {
            "number": k.number,
            "label": k.label,
            "url": reverse(f"{where}:dossier_form", args=[dossier.code, k.number]),
            "filename": one_stop_forms.filename(dossier, k.number),
        }
        for k in kinds
    ]
