"""The overdue list says how late a dossier is in working days on its agency's calendar, not in calendar days."""

from datetime import datetime

import pytest

from motcua.analytics.dashboard import _working_days_late
from motcua.catalog.models import Agency
from motcua.dossiers.models import Dossier
from motcua.worktime.calc import TZ

pytestmark = pytest.mark.django_db

FRIDAY_CLOSING = datetime(2026, 11, 27, 17, 0, tzinfo=TZ)


def late(now: datetime) -> int:
    return _working_days_late(Dossier(due_at=FRIDAY_CLOSING, agency=Agency(code="T", name="T")), now)


def test_a_weekend_after_the_appointment_adds_no_delay():
    # given a dossier due at Friday's closing / when it is Sunday evening / then it is one (started) day late
    assert late(datetime(2026, 11, 29, 20, 0, tzinfo=TZ)) == 1


def test_working_days_are_counted_a_started_day_as_one():
    # given the same dossier / when it is Tuesday mid-morning (Monday and part of Tuesday worked) / then 2 days
    assert late(datetime(2026, 12, 1, 10, 0, tzinfo=TZ)) == 2
    # and a whole working week later it is 5, where calendar days would say 7
    assert late(datetime(2026, 12, 4, 17, 0, tzinfo=TZ)) == 5


def test_a_dossier_not_yet_due_is_not_late():
    assert late(datetime(2026, 11, 27, 16, 0, tzinfo=TZ)) == 0
