from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import ProblemError

from .uploads import read_pdf


class VerifyForm(forms.Form):
    """The public check of an e-result: upload the PDF as received."""

    file = forms.FileField(
        label=_("Tệp kết quả điện tử (PDF)"),
        help_text=_(
            "Tệp PDF có chữ ký số do cơ quan cấp; tối đa 10 MB. Tệp chỉ được dùng để kiểm tra, không được lưu."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
        error_messages={"required": _("Chọn tệp PDF cần xác minh."), "empty": _("Tệp rỗng.")},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.status = 400

    def clean_file(self):
        try:
            self.cleaned_data["data"] = read_pdf(self.cleaned_data["file"])
        except ProblemError as exc:
            self.status = exc.status
            raise forms.ValidationError(exc.detail) from exc
        return self.cleaned_data["file"]
