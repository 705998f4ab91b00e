"""The chat form and the officials' review form."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from . import conf
from .models import Audience, Intent, Verdict


class AskForm(forms.Form):
    question = forms.CharField(
        label=_("Câu hỏi của bạn"),
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "placeholder": _("Ví dụ: Đăng ký khai sinh cần giấy tờ gì? · Điều kiện đăng ký thường trú?"),
                "autocomplete": "off",
            }
        ),
        help_text=_("Không ghi số định danh, số điện thoại hay thông tin cá nhân vào câu hỏi."),
    )
    audience = forms.ChoiceField(
        label=_("Bạn là"), choices=Audience.choices, widget=forms.RadioSelect, initial=Audience.CITIZEN
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        limit = int(conf.get("MOTCUA_ASSISTANT_MAX_QUESTION"))
        field = self.fields["question"]
        field.max_length = limit
        field.widget.attrs["maxlength"] = str(limit)
        field.validators.append(MaxLengthValidator(limit))


class LogFilterForm(forms.Form):
    loai = forms.ChoiceField(label=_("Loại câu hỏi"), required=False, choices=[("", _("Tất cả")), *Intent.choices])
    doi_tuong = forms.ChoiceField(label=_("Đối tượng"), required=False, choices=[("", _("Tất cả")), *Audience.choices])
    danh_gia = forms.ChoiceField(
        label=_("Đánh giá"),
        required=False,
        choices=[("", _("Tất cả")), ("none", _("Chưa đánh giá")), *Verdict.choices],
    )


class ReviewForm(forms.Form):
    verdict = forms.ChoiceField(label=_("Đánh giá câu trả lời"), choices=Verdict.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Ghi chú"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
