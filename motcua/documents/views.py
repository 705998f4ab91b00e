"""Pages that hand out the one-stop forms as PDF: the official's and the applicant's dossier forms, the tracking
book. Thin: authorise through the existing selectors, call `forms`, answer with the bytes."""

from __future__ import annotations

from datetime import date

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.audit import services as audit
from motcua.backoffice.views import dossier_or_404, official_required
from motcua.core.errors import Conflict, ValidationFailed
from motcua.portal.views import own_dossier

from . import forms
from .selectors import book_agencies


def pdf_response(data: bytes, filename: str) -> HttpResponse:
    """Shown in the browser's PDF viewer, never cached on the way (the forms carry personal data)."""
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _form_or_back(request: HttpRequest, dossier, number: str, back: str) -> HttpResponse:
    try:
        data = forms.render(dossier, number)
    except Conflict as exc:  # a stale link: say why on the dossier page
        messages.error(request, exc.detail)
        return redirect(back, code=dossier.code)
    return pdf_response(data, forms.filename(dossier, number))


@official_required
def backoffice_form(request: HttpRequest, code: str, number: str) -> HttpResponse:
    """Forms 01-05 of a dossier the official may see (the read is audited like opening the dossier)."""
    if number not in forms.FORMS:
        raise Http404(_("Không có biểu mẫu này."))
    dossier = dossier_or_404(request, code, reason=f"tải biểu mẫu {number}")
    return _form_or_back(request, dossier, number, "backoffice:dossier")


@login_required
def portal_form(request: HttpRequest, code: str, number: str) -> HttpResponse:
    """Forms 01-04 of the applicant's own dossier."""
    kind = forms.FORMS.get(number)
    if kind is None or not kind.for_applicant:
        raise Http404(_("Không có biểu mẫu này."))
    dossier = own_dossier(request, code)
    return _form_or_back(request, dossier, number, "portal:dossier")


class TrackingBookForm(django_forms.Form):
    co_quan = django_forms.ChoiceField(label=gettext_lazy("Cơ quan"))
    tu = django_forms.DateField(label=gettext_lazy("Từ ngày"), widget=django_forms.DateInput(attrs={"type": "date"}))
    den = django_forms.DateField(label=gettext_lazy("Đến ngày"), widget=django_forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, agencies, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.agencies = {a.code: a for a in agencies}
        self.fields["co_quan"].choices = [(a.code, a.name) for a in agencies]

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("tu"), data.get("den")
        if start and end:
            try:
                forms.book_period(start, end)
            except ValidationFailed as exc:
                self.add_error("den", exc.detail)
        return data


@official_required
def tracking_book(request: HttpRequest) -> HttpResponse:
    """Mẫu 06 for one agency and period: the form, then the PDF. Officials of the agency, auditors of its province."""
    agencies = list(book_agencies(request.user))
    if not agencies:
        raise PermissionDenied
    wanted = request.GET.get("co_quan")
    if wanted and wanted not in {a.code for a in agencies}:
        raise PermissionDenied  # another agency's book: agencies are public, so a plain 403
    today = timezone.localdate()
    initial = {"co_quan": agencies[0].code, "tu": today.replace(day=1), "den": today}
    form = TrackingBookForm(request.GET if wanted else None, agencies=agencies, initial=initial)
    if wanted and form.is_valid():
        agency = form.agencies[form.cleaned_data["co_quan"]]
        start: date = form.cleaned_data["tu"]
        end: date = form.cleaned_data["den"]
        data = forms.tracking_book(agency, start, end)
        audit.record(
            actor=request.user,
            action="documents.tracking_book",
            obj_type="agency",
            obj_id=agency.code,
            reason="in sổ theo dõi hồ sơ",
            data={"from": start.isoformat(), "to": end.isoformat()},
        )
        return pdf_response(data, forms.book_filename(agency, start, end))
    return render(request, "documents/tracking_book.html", {"form": form}, status=422 if form.is_bound else 200)
