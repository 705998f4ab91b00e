"""Mẫu 06, the tracking book: one row per dossier received in the period, column heads on every page, landscape
A4, and a bound on its cost."""

from __future__ import annotations

import io
import time as clock
from datetime import date, datetime, time, timedelta

from pypdf import PdfReader

from motcua.documents import forms
from motcua.dossiers.models import Channel, Dossier, Outcome, Status
from motcua.worktime.calc import TZ

from .states import pdf_pages, pdf_text, returned

DAY = date(2026, 11, 2)  # a Monday
STATES = [
    (Status.RETURNED, Outcome.EARLY),
    (Status.RETURNED, Outcome.ON_TIME),
    (Status.RETURNED, Outcome.LATE),
    (Status.PROCESSING, ""),
    (Status.REFUSED, ""),
]


def make_dossiers(world, n: int, *, start: date = DAY, agency=None, prefix: str = "") -> list[Dossier]:
    """`n` dossiers received on consecutive days from `start` (a few per day), in a mix of states; one INSERT."""
    agency = agency or world.agency
    rows = []
    for i in range(n):
        day = start + timedelta(days=i // 40)
        received = datetime.combine(day, time(8, 0), TZ) + timedelta(minutes=i % 40 * 10)
        status, outcome = STATES[i % len(STATES)]
        due = received + timedelta(days=3)
        rows.append(
            Dossier(
                code=f"{prefix or agency.code}-{day:%y%m%d}-{i:04d}",
                procedure=world.procedure,
                version=world.version,
                agency=agency,
                channel=Channel.IN_PERSON,
                status=status,
                applicant_name=f"Nguyễn Thị Hoà {i}",
                applicant_phone="0912345678",
                data={},
                submitted_at=received,
                accepted_at=received,
                due_at=due,
                original_due_at=due,
                finished_at=received + timedelta(days=2) if status in (Status.RETURNED, Status.REFUSED) else None,
                outcome=outcome,
            )
        )
    return Dossier.objects.bulk_create(rows)


def test_one_row_per_dossier_of_the_period_and_nothing_else(world):
    # given 7 dossiers received on 2 November, one the day before, one the day after, one at another agency
    inside = make_dossiers(world, 7)
    before = make_dossiers(world, 1, start=DAY - timedelta(days=1), prefix="TRUOC")
    after = make_dossiers(world, 1, start=DAY + timedelta(days=1), prefix="SAU")
    elsewhere = make_dossiers(world, 1, agency=world.other_agency)
    # when the book of 2 November is printed
    text = pdf_text(forms.tracking_book(world.agency, DAY, DAY))
    # then each dossier of the day is there exactly once, and only those
    for d in inside:
        assert text.count(d.code) == 1, d.code
    for d in before + after + elsewhere:
        assert d.code not in text
    # with the form's title, period, columns, dates and outcomes in Vietnamese
    for phrase in ("SỔ THEO DÕI HỒ SƠ", "Từ ngày 02/11/2026 đến ngày 02/11/2026", "Hạ Long, ngày 02 tháng 11 năm 2026",
                   "Mã hồ sơ", "Tên thủ tục hành chính", "Tên cá nhân, tổ chức", "Nhận hồ sơ", "Hẹn trả kết quả",
                   "Trả kết quả", "Kết quả giải quyết", "Nguyễn Thị Hoà 0", "Thủ tục đăng ký khai sinh", "02/11/2026",
                   "05/11/2026", "04/11/2026", "Trước hạn", "Đúng hạn", "Trễ hạn", "Đang giải quyết",
                   "Từ chối tiếp nhận, giải quyết", "Tổng số hồ sơ tiếp nhận: 7; đã trả kết quả: 5 (trước hạn 2, "
                   "đúng hạn 2, trễ hạn 1); từ chối: 1; rút hồ sơ: 0; đang giải quyết: 1."):  # fmt: skip
        assert phrase in text, phrase


def test_a_real_dossier_appears_with_its_appointment_and_return(world):
    # given a dossier that went through the whole engine today
    dossier = returned(world)
    today = dossier.submitted_at.astimezone(TZ).date()
    # then today's book has its row
    text = pdf_text(forms.tracking_book(world.agency, today, today))
    assert dossier.code in text
    assert f"{dossier.finished_at.astimezone(TZ):%d/%m/%Y}" in text


def test_many_dossiers_fill_landscape_pages_each_with_the_column_heads(world):
    # given 120 dossiers received over three days
    made = make_dossiers(world, 120)
    # when the book of those days is printed
    data = forms.tracking_book(world.agency, DAY, DAY + timedelta(days=2))
    pages = pdf_pages(data)
    # then it runs over several landscape A4 pages, numbered, the column heads on every one
    assert len(pages) >= 3
    box = PdfReader(io.BytesIO(data)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)
    for number, page in enumerate(pages, 1):
        assert "Mã hồ sơ" in page and "Tên thủ tục hành chính" in page and "Kết quả giải quyết" in page, number
        assert f"Trang {number}" in page
    # and every dossier is one row, once
    text = " ".join(pages)
    assert all(text.count(d.code) == 1 for d in made)
    assert "Tổng số hồ sơ tiếp nhận: 120;" in text


def test_an_empty_period_says_so(world):
    text = pdf_text(forms.tracking_book(world.agency, date(2020, 1, 1), date(2020, 1, 31)))
    assert "Không có hồ sơ nào được tiếp nhận trong kỳ." in text


def test_a_thousand_dossiers_in_under_five_seconds_and_three_queries(world, django_assert_max_num_queries):
    # given 1,000 dossiers received over 25 days
    make_dossiers(world, 1000)
    agency = type(world.agency).objects.get(pk=world.agency.pk)  # nothing cached on the instance
    # when the book of the period is printed
    started = clock.perf_counter()
    with django_assert_max_num_queries(3):  # the dossiers with their procedure; the agency's parent
        data = forms.tracking_book(agency, DAY, DAY + timedelta(days=30))
    elapsed = clock.perf_counter() - started
    # then it took less than 5 seconds on this machine
    print(f"\ntracking book of 1,000 dossiers: {elapsed:.2f} s, {len(data) // 1024} KiB")
    assert elapsed < 5, f"{elapsed:.2f} s"
    assert len(PdfReader(io.BytesIO(data)).pages) > 20
