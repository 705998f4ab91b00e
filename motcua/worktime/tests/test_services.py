"""Services against the database: schedule import, overrides, per-agency hours, cache invalidation."""

from __future__ import annotations

import json
import time
from datetime import date, datetime
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command

from motcua.core.errors import ValidationFailed
from motcua.worktime import services
from motcua.worktime.calc import TZ
from motcua.worktime.defaults import shipped_schedule_paths
from motcua.worktime.models import CalendarDay

pytestmark = pytest.mark.django_db


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


def test_import_schedule_is_idempotent():
    # given the shipped 2026 schedule
    path = next(p for p in shipped_schedule_paths() if p.name == "calendar-2026.json")
    days = len(json.loads(path.read_text())["days"])
    # when it is imported twice
    first = services.import_schedule(path)
    second = services.import_schedule(path)
    # then the first run writes every day, the second changes nothing, and there are no duplicates
    assert first == days
    assert second == 0
    assert CalendarDay.objects.count() == days
    tet = CalendarDay.objects.get(date=date(2026, 2, 17))
    assert (tet.kind, tet.source) == ("off", "official:2026")


def test_import_updates_a_changed_day():
    # given a day imported as off
    services.import_schedule({"source": "admin", "days": [{"date": "2026-11-24", "kind": "off", "name": "A"}]})
    # when the same date is imported again as working
    changed = services.import_schedule({"days": [{"date": "24/11/2026", "kind": "working", "name": "B"}]})
    # then the row is updated in place
    assert changed == 1
    row = CalendarDay.objects.get(date=date(2026, 11, 24))
    assert (row.kind, row.name) == ("working", "B")


def test_bad_schedule_writes_nothing():
    # given a schedule whose third day is malformed and fourth kind is unknown
    data = {
        "year": 2027,
        "days": [
            {"date": "2027-01-01", "kind": "off", "name": "Tết Dương lịch"},
            {"date": "2027-02-05", "kind": "off", "name": "Tết"},
            {"date": "2027-02-30", "kind": "off", "name": "Ngày không tồn tại"},
            {"date": "2027-02-06", "kind": "holiday", "name": "?"},
            {"date": "2026-12-31", "kind": "off", "name": "Sai năm"},
        ],
    }
    # when it is imported
    with pytest.raises(ValidationFailed) as exc:
        services.import_schedule(data)
    # then the error is Vietnamese, lists every problem by field, and no row was written
    assert "chưa nạp ngày nào" in exc.value.detail
    fields = {e["field"] for e in exc.value.errors}
    assert {"days[2].date", "days[3].kind", "days[4].date"} <= fields
    assert CalendarDay.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("broken.json", "{not json"),
        ("empty.json", '{"days": []}'),
        ("bad.csv", "ngay,loai\n2026-01-01,off\n"),
        ("calendar.txt", "date,kind\n"),
    ],
)
def test_unreadable_files_are_refused(tmp_path, name, content):
    # given a malformed file on disk
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    # when imported, then it is a ValidationFailed and nothing is written
    with pytest.raises(ValidationFailed):
        services.import_schedule(path)
    assert not CalendarDay.objects.exists()


def test_csv_import(tmp_path):
    # given a CSV exported from a spreadsheet (BOM, Vietnamese dates)
    path = tmp_path / "lich-2027.csv"
    path.write_text("\ufeffdate,kind,name\n01/01/2027,off,Tết Dương lịch\n2027-01-09,working,Làm bù\n", "utf-8")
    # when imported
    # then both rows exist with source "admin"
    assert services.import_schedule(path) == 2
    assert set(CalendarDay.objects.values_list("kind", "source")) == {("off", "admin"), ("working", "admin")}


def test_calendar_day_overrides_the_package_default():
    # given the package default: 24 Nov 2026 (Ngày Văn hóa Việt Nam) is off, Fri 2 Jan 2026 works
    cal = services.calendar_for()
    assert not cal.is_working_day(date(2026, 11, 24))
    assert cal.is_working_day(date(2026, 1, 2))
    # when the official schedule is loaded and an administrator marks 24 Nov 2026 as a working day
    services.load_official_schedules()
    CalendarDay.objects.create(date=date(2026, 11, 24), kind="working", name="Không nghỉ", source="admin")
    # then the next calendar follows the rows, without waiting for the cache TTL
    cal = services.calendar_for()
    assert cal.is_working_day(date(2026, 11, 24))
    assert not cal.is_working_day(date(2026, 1, 2))
    assert cal.is_working_day(date(2026, 1, 10))
    assert services.compute_deadline(at(2025, 12, 31, 14), 1, "working_days") == at(2026, 1, 5, 17)


def test_deleting_a_row_restores_the_default():
    # given an override
    row = CalendarDay.objects.create(date=date(2026, 3, 10), kind="off", name="Nghỉ đột xuất")
    assert not services.calendar_for().is_working_day(date(2026, 3, 10))
    # when it is deleted, then the default (a Tuesday, working) comes back
    row.delete()
    assert services.calendar_for().is_working_day(date(2026, 3, 10))


def test_calendar_for_uses_agency_periods():
    # given an agency (duck-typed) open 08:00-12:00 and 13:30-17:30
    agency = SimpleNamespace(code="000.00.01.H57", work_periods=[["08:00", "12:00"], ["13:30", "17:30"]])
    # when its calendar is used
    cal = services.calendar_for(agency)
    # then its closing time and hours apply, while agencies without hours get the national default
    assert cal.periods == ((480, 720), (810, 1050))
    assert services.compute_deadline(at(2026, 3, 10, 9), 1, "working_days", agency=agency) == at(2026, 3, 11, 17, 30)
    assert services.compute_deadline(at(2026, 3, 10, 11), 2, "working_hours", agency=agency) == at(2026, 3, 10, 14, 30)
    assert services.calendar_for(SimpleNamespace(work_periods=[])).periods == ((450, 690), (780, 1020))
    assert services.calendar_for(None) is services.calendar_for(SimpleNamespace(work_periods=[]))


def test_bad_agency_periods_are_reported():
    agency = SimpleNamespace(code="X", work_periods=[["13:00", "11:30"]])
    with pytest.raises(ValidationFailed):
        services.calendar_for(agency)


def test_compute_deadline_refuses_bad_input():
    with pytest.raises(ValidationFailed):
        services.compute_deadline(at(2026, 3, 10, 9), 1, "weeks")
    with pytest.raises(ValidationFailed):
        services.compute_deadline(datetime(2026, 3, 10, 9), 1, "working_days")


def test_calendar_build_is_fast():
    # given the holidays-package defaults already generated once in this process
    services.calendar_for()
    services.invalidate_calendars()
    services.load_official_schedules()
    # when a calendar is rebuilt from the database
    t0 = time.perf_counter()
    services.calendar_for()
    elapsed = time.perf_counter() - t0
    # then it takes well under the 50 ms budget (asserted loosely here; the benchmark reports the figure)
    assert elapsed < 0.25


def test_import_calendar_command(tmp_path):
    # given the management command, loading the shipped files twice
    call_command("import_calendar", "--official", stdout=open(tmp_path / "out.txt", "w"))  # noqa: SIM115
    call_command("import_calendar", "--official", stdout=open(tmp_path / "out2.txt", "w"))  # noqa: SIM115
    # then both years are there once
    assert CalendarDay.objects.filter(date__year=2025).exists()
    assert CalendarDay.objects.filter(date__year=2026).exists()
    assert "0 ngày" in (tmp_path / "out2.txt").read_text()
    # and a bad file is a CommandError with the Vietnamese detail
    bad = tmp_path / "bad.json"
    bad.write_text('{"days": [{"date": "x", "kind": "off"}]}')
    with pytest.raises(CommandError, match=r"days\[0\]\.date"):
        call_command("import_calendar", str(bad))
    with pytest.raises(CommandError):
        call_command("import_calendar")
