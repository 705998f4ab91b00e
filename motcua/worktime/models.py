"""The official yearly calendar: dates that override the holidays-package default for that date."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DayKind(models.TextChoices):
    OFF = "off", _("Ngày nghỉ")
    WORKING = "working", _("Ngày làm việc (làm bù)")


class CalendarDay(models.Model):
    """One date of the announced schedule. A row decides its date completely (off, or working)."""

    date = models.DateField(_("ngày"), unique=True)
    kind = models.CharField(_("loại ngày"), max_length=10, choices=DayKind.choices)
    name = models.CharField(_("tên ngày"), max_length=200, blank=True, help_text=_("Ví dụ: Tết Nguyên đán"))
    source = models.CharField(
        _("nguồn"), max_length=64, blank=True, default="admin", help_text=_("Ví dụ: official:2026, admin")
    )
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        verbose_name = _("ngày trong lịch làm việc")
        verbose_name_plural = _("lịch nghỉ lễ và làm bù")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} · {self.get_kind_display()} · {self.name}"
