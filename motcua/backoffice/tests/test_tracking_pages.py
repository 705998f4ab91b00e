"""What officials see of the working-time deadlines: the tracking block and warnings on the dossier page, and the
"Còn lại" column of the lists — for the investment certificate 1.009664 (12 working hours) at the demo's Economic
Zone Board, through the real engine, sweeper and pages."""

from __future__ import annotations

import re
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from motcua.accounts.testing import signed_in_client
from motcua.dossiers import services, tracking
from motcua.dossiers.models import Dossier
from motcua.dossiers.services import sweep
from motcua.dossiers.tests.investment import investment  # noqa: F401  (fixture)
from motcua.portal.tests.helpers import text_of


def _possible_texts(dossier: Dossier, attribute: str, before, after) -> set[str]:
    """The text the page can show for a live reading taken between ``before`` and ``after``."""
    dossier.refresh_from_db()
    return {getattr(tracking.track(dossier, moment), attribute) for moment in (before, after)}


def test_fresh_dossier_page_shows_target_appointment_time_left_and_progress(investment):  # noqa: F811
    # given a 1.009664 dossier just accepted by the Board's desk
    dossier = investment.accept()
    # when the specialist opens it
    before = timezone.now()
    response = signed_in_client(investment.specialist).get(f"/can-bo/ho-so/{dossier.code}/")
    after = timezone.now()
    # then the tracking block states the target, the acceptance, the appointment and the time left
    assert response.status_code == 200
    text = text_of(response)
    assert "Theo dõi thời hạn" in text
    assert "Thời hạn 12 giờ làm việc" in text
    assert f"Tiếp nhận lúc {timezone.localtime(dossier.accepted_at):%H:%M %d/%m/%Y}" in text
    assert f"Hẹn trả kết quả {timezone.localtime(dossier.due_at):%H:%M %d/%m/%Y}" in text
    assert any(left in text for left in _possible_texts(dossier, "left_text", before, after))
    # and an accessible progress bar for the dossier and one for the current step, with its deadline
    html = response.content.decode()
    assert re.search(r'<label for="progress-dossier">[^<]+</label>\s*<progress id="progress-dossier" max="100"', html)
    assert '<progress id="progress-step" max="100"' in html
    assert "Bước hiện tại: Chuyên viên thẩm định hồ sơ dự án" in text
    assert f"Hạn của bước {timezone.localtime(dossier.step_due_at):%H:%M %d/%m/%Y}" in text
    # and no overdue alert
    assert 'role="alert"' not in html


def test_overdue_dossier_shows_the_alert_banner_and_the_list_says_how_late(investment):  # noqa: F811
    # given a dossier accepted three weeks ago (its 12 working hours long gone), and the sweeper has run
    dossier = investment.accepted_at(timezone.now() - timedelta(days=21))
    counts = sweep(now=timezone.now())
    dossier.refresh_from_db()
    assert counts["overdue"] >= 1 and dossier.overdue
    specialist = signed_in_client(investment.specialist)
    # when the specialist opens the dossier
    before = timezone.now()
    response = specialist.get(f"/can-bo/ho-so/{dossier.code}/")
    after = timezone.now()
    # then a prominent alert says it is overdue and by how much working time
    html = response.content.decode()
    alert = re.search(
        r'<div class="deadline-banner deadline-late" role="alert" id="deadline-alert">(.*?)</div>', html, re.S
    )
    assert alert, "the overdue alert banner must be on the page"
    alert_text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", alert.group(1)))
    assert "Hồ sơ đã quá hạn" in alert_text
    late = _possible_texts(dossier, "left_amount_text", before, after)
    assert any(f"Hồ sơ đã quá hạn {amount} so với ngày hẹn trả" in alert_text for amount in late)
    assert any(
        left.startswith("quá hạn ") and left in text_of(response)
        for left in _possible_texts(dossier, "left_text", before, after)
    )
    # and the task list shows it first with "quá hạn …" in the "Còn lại" column
    before = timezone.now()
    tasks = specialist.get("/can-bo/viec-cua-toi/")
    after = timezone.now()
    row = re.search(
        rf'<tr class="row-late">\s*<td><a href="/can-bo/ho-so/{re.escape(dossier.code)}/".*?</tr>',
        tasks.content.decode(),
        re.S,
    )
    assert row, "the overdue dossier's row must be highlighted"
    assert "Còn lại" in text_of(tasks)
    assert any(
        f'<span class="left-late">{short}</span>' in row.group(0)
        for short in _possible_texts(dossier, "left_short", before, after)
    )


def test_due_soon_shows_the_softer_notice_with_the_apology_reminder(investment):  # noqa: F811
    # given a dossier due in two working hours, flagged by the sweeper
    dossier = investment.accept()
    now = timezone.now()
    Dossier.objects.filter(pk=dossier.pk).update(due_at=investment.calendar.add_working_hours(now, 2))
    sweep(now=now)
    dossier.refresh_from_db()
    assert dossier.due_soon and dossier.apology_due and not dossier.overdue
    # when the leader opens it
    response = signed_in_client(investment.leader).get(f"/can-bo/ho-so/{dossier.code}/")
    html = response.content.decode()
    # then a notice (not an alert) says it is due soon and reminds of the apology rule
    notice = re.search(
        r'<div class="deadline-banner deadline-soon" role="status" id="deadline-notice">(.*?)</div>', html, re.S
    )
    assert notice and 'role="alert"' not in html
    notice_text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", notice.group(1)))
    assert "Hồ sơ sắp đến hạn" in notice_text and "Chỉ còn" in notice_text
    assert "xin lỗi" in notice_text and "01 ngày làm việc trước ngày hẹn" in notice_text


def test_paused_dossier_says_the_clock_is_stopped(investment):  # noqa: F811
    dossier = investment.accept()
    dossier = services.perform(investment.specialist, dossier, "request_supplement", note="Bổ sung báo cáo tài chính.")
    text = text_of(signed_in_client(investment.specialist).get(f"/can-bo/ho-so/{dossier.code}/"))
    assert "Đồng hồ đang dừng từ" in text and "thời gian chờ không tính vào thời hạn" in text


def test_dossier_page_in_english(investment):  # noqa: F811
    dossier = investment.accept()
    client = signed_in_client(investment.specialist)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    text = text_of(client.get(f"/can-bo/ho-so/{dossier.code}/"))
    assert "Deadline tracking" in text and "12 working hours" in text and "of working time left" in text


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def _accepted_and_resumed(investment):  # noqa: F811
    """Accepted, paused for a supplement and resumed: its past pause is read from the action log."""
    dossier = investment.accept()
    services.perform(investment.specialist, dossier, "request_supplement", note="Bổ sung báo cáo tài chính.")
    return services.perform(investment.citizen, Dossier.objects.get(pk=dossier.pk), "supplement", note="Đã bổ sung.")


def test_the_lists_cost_does_not_grow_with_the_number_of_dossiers(investment, django_assert_max_num_queries):  # noqa: F811
    specialist = signed_in_client(investment.specialist)
    urls = ["/can-bo/", "/can-bo/viec-cua-toi/", "/can-bo/ho-so/"]
    # given one dossier at the specialist's step (once paused and resumed)
    _accepted_and_resumed(investment)
    for url in urls:
        specialist.get(url)  # warm per-process caches (catalogue, calendar) first
    one = {url: _queries(specialist, url) for url in urls}
    # when there are seven, with pauses and an overdue one among them
    _accepted_and_resumed(investment)
    for _ in range(4):
        investment.accept()
    investment.accepted_at(timezone.now() - timedelta(days=21))
    sweep(now=timezone.now())
    # then every list costs no more queries than with one
    for url in urls:
        with django_assert_max_num_queries(one[url]):
            response = specialist.get(url)
        assert response.status_code == 200
    assert text_of(specialist.get("/can-bo/viec-cua-toi/")).count("còn ") >= 6
