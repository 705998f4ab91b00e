"""Any change to CalendarDay drops this process's cached calendars (other processes: within the TTL)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from motcua.worktime.models import CalendarDay


@receiver(post_save, sender=CalendarDay, dispatch_uid="worktime-calendar-saved")
@receiver(post_delete, sender=CalendarDay, dispatch_uid="worktime-calendar-deleted")
def _calendar_changed(sender: type, **kwargs: Any) -> None:
    from motcua.worktime.services import note_calendar_write

    note_calendar_write()
