"""Plain forms of the citizen portal (the declaration form itself is built by schema_form)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import ProblemError
from motcua.dossiers.uploads import inspect_upload

UPLOAD_HELP = _("PDF, JPEG hoặc PNG; tối đa 10 MB.")
LABEL_MAX = 220


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Tìm thủ tục hành chính"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Ví dụ: khai sinh, thường trú, 1.001193")}),
    )


class LookupForm(forms.Form):
    """Public look-up: the dossier code from the receipt and the 6-digit PIN given at submission."""

    code = forms.CharField(
        label=_("Mã hồ sơ"),
        max_length=48,
        help_text=_("Ghi trên giấy tiếp nhận, ví dụ 000.31.10.H49-260105-0001."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    pin = forms.CharField(
        label=_("Mã PIN"),
        max_length=12,
        validators=[RegexValidator(r"^\d{4,12}$", _("Mã PIN gồm các chữ số."))],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class AgencyForm(forms.Form):
    """Where to submit: only the agencies offering this procedure online."""

    agency = forms.ChoiceField(label=_("Cơ quan tiếp nhận hồ sơ"))

    def __init__(self, *args: Any, offerings: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(o.agency.code, o.agency.name) for o in offerings]
        if len(choices) != 1:
            choices = [("", _("— Chọn cơ quan —")), *choices]
        self.fields["agency"].choices = choices


def _check_upload(upload: Any) -> None:
    """Size and real type checked before anything is submitted, with the engine's own rules and words."""
    try:
        inspect_upload(upload)
    except ProblemError as exc:
        raise forms.ValidationError(exc.detail) from exc


class DocumentsForm(forms.Form):
    """One optional file per document of the procedure version (the desk checks paper originals)."""

    def __init__(self, *args: Any, documents: list[dict], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.documents = {}
        for i, doc in enumerate(documents or []):
            code = str(doc.get("code") or f"TP{i + 1}")
            name = f"doc_{code}"
            self.documents[name] = doc
            label = str(doc.get("name") or code)
            if len(label) > LABEL_MAX:
                label = label[: LABEL_MAX - 1].rstrip() + "…"
            if doc.get("required"):
                label += " " + str(_("(thành phần bắt buộc)"))
            case = str(doc.get("case") or "").strip()
            help_text = f"{case}. {UPLOAD_HELP}" if case else UPLOAD_HELP
            self.fields[name] = forms.FileField(label=label, required=False, help_text=help_text)
            self.fields[name].widget.attrs["accept"] = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name, upload in list(data.items()):
            if upload:
                try:
                    _check_upload(upload)
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
        return data

    def uploads(self) -> list[tuple[dict, Any]]:
        """(document definition, uploaded file) for every file chosen."""
        return [(self.documents[n], f) for n, f in self.cleaned_data.items() if f]


class UploadForm(forms.Form):
    """Add one document to a submitted dossier (or one waiting for a supplement)."""

    doc_code = forms.ChoiceField(label=_("Thành phần hồ sơ"), required=False)
    file = forms.FileField(label=_("Tệp"), help_text=UPLOAD_HELP)

    def __init__(self, *args: Any, documents: list[dict], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.names = {str(d.get("code") or ""): str(d.get("name") or "")[:LABEL_MAX] for d in documents or []}
        self.fields["doc_code"].choices = [("", _("Giấy tờ khác")), *self.names.items()]
        self.fields["file"].widget.attrs["accept"] = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        _check_upload(upload)
        return upload


class SupplementForm(forms.Form):
    note = forms.CharField(
        label=_("Nội dung bổ sung, giải trình"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do rút hồ sơ"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    confirm = forms.BooleanField(
        label=_("Tôi xác nhận rút hồ sơ này. Hồ sơ đã rút sẽ không được tiếp tục giải quyết."),
        required=True,
        error_messages={"required": _("Đánh dấu ô xác nhận để rút hồ sơ.")},
    )
