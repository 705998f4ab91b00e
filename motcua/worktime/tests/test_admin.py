"""The admin: changelist with filters, and the schedule import page (upload or shipped files)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from motcua.worktime.models import CalendarDay

pytestmark = [pytest.mark.django_db, pytest.mark.urls("motcua.worktime.tests.urls_admin")]


@pytest.fixture
def import_url() -> str:
    return reverse("admin:worktime_calendarday_import")


def test_changelist_filters_by_year_and_kind(admin_client, import_url):
    # given two days in different years
    CalendarDay.objects.create(date="2025-01-01", kind="off", name="Tết Dương lịch 2025")
    CalendarDay.objects.create(date="2026-01-10", kind="working", name="Làm bù cho ngày 02/01/2026")
    url = reverse("admin:worktime_calendarday_changelist")
    # when filtering by year 2026 and searching by name
    page = admin_client.get(url, {"year": "2026", "q": "Làm bù"})
    # then only the 2026 working Saturday is listed, with the import button
    assert page.status_code == 200
    body = page.content.decode()
    assert "Làm bù cho ngày 02/01/2026" in body
    assert "Tết Dương lịch 2025" not in body
    assert import_url in body


def test_import_page_uploads_a_csv(admin_client, import_url):
    # given a CSV schedule
    upload = SimpleUploadedFile("lich-2027.csv", "date,kind,name\n2027-01-01,off,Tết Dương lịch\n".encode())
    # when posted on the import page
    response = admin_client.post(import_url, {"file": upload})
    # then it redirects to the list and the row exists
    assert response.status_code == 302
    assert CalendarDay.objects.filter(date="2027-01-01", kind="off").exists()


def test_import_page_shows_errors_and_writes_nothing(admin_client, import_url):
    # given a JSON schedule with a bad kind
    upload = SimpleUploadedFile("x.json", b'{"days": [{"date": "2027-01-01", "kind": "nghi"}]}')
    # when posted
    response = admin_client.post(import_url, {"file": upload})
    # then the page is shown again with the Vietnamese error and nothing is written
    assert response.status_code == 200
    assert "days[0].kind" in response.content.decode()
    assert not CalendarDay.objects.exists()


def test_import_page_loads_the_shipped_schedules(admin_client, import_url):
    response = admin_client.post(import_url, {"official": "on"})
    assert response.status_code == 302
    assert CalendarDay.objects.filter(date="2026-01-10", kind="working").exists()
