from __future__ import annotations

import pytest

from motcua.worktime.services import invalidate_calendars


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    """Each test starts and ends with an empty per-process calendar cache (test transactions roll back)."""
    invalidate_calendars()
    yield
    invalidate_calendars()
