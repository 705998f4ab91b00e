"""Citizen feedback: only the applicant rates a returned dossier, once; a feedback text gets its handling deadline in
working days; the agency's desk or leader answers, on time or not; the applicant rates the answer; the facts follow."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from motcua.accounts.testing import signed_in_client
from motcua.analytics import feedback, queries
from motcua.analytics.models import Feedback, Rating
from motcua.analytics.queries import Scope
from motcua.core.errors import Conflict, NotFound, PermissionDenied
from motcua.worktime.services import calendar_for

from .facts_fixtures import MONDAY, act, clock_fixture, submit, to_result  # noqa: F401 - the fixture `clock`

pytestmark = pytest.mark.django_db

FIVE = {c.code: 5 for c in feedback.CRITERIA}


def _returned(world):
    dossier = submit(world)
    act(world.desk, dossier, "accept")
    dossier = to_result(world, dossier)
    return act(world.desk, dossier, "return_result", method="desk")


def _rating_post(scores: dict[str, int], **extra) -> dict:
    return {"form": "rating", **{f"score_{k}": v for k, v in scores.items()}, **extra}


def test_the_applicant_rates_a_returned_dossier_once_with_a_feedback_and_its_deadline(world, clock):
    # given Bích's returned dossier
    dossier = _returned(world)
    page = signed_in_client(world.citizen)
    url = f"/danh-gia/{dossier.code}/"
    # when she opens the page: one choice per criterion
    html = page.get(url).content.decode()
    assert 'id="form-danh-gia"' in html and html.count('type="radio"') == 5 * len(feedback.CRITERIA)
    # and sends an incomplete rating: refused, with the reason, nothing saved
    response = page.post(url, _rating_post({"tiep_can": 5}))
    assert response.status_code == 422 and "Chọn một mức đánh giá." in response.content.decode()
    assert not Rating.objects.exists()
    # when she rates every criterion (average 3.4: not satisfied) and writes a feedback
    scores = {"tiep_can": 4, "thu_tuc": 4, "cong_chuc": 3, "thoi_gian": 3, "ket_qua": 3}
    response = page.post(url, _rating_post(scores, text="Cán bộ hướng dẫn chưa rõ."))
    assert response.status_code == 302
    rating = Rating.objects.get(dossier=dossier)
    assert rating.scores == scores and rating.satisfied is False
    # then the feedback is due in 10 working days on the agency's calendar
    item = Feedback.objects.get(dossier=dossier)
    assert item.due_at == calendar_for(world.agency).deadline(MONDAY, 10, "working_days")
    assert item.due_at.date() == date(2026, 3, 16)
    # and the page shows them; the form is gone; a second rating is refused
    html = page.get(url).content.decode()
    assert 'id="danh-gia-da-gui"' in html and 'id="form-danh-gia"' not in html and "Cán bộ hướng dẫn chưa rõ." in html
    with pytest.raises(Conflict):
        feedback.rate(world.citizen, dossier, FIVE)
    # and the facts count one rating, not satisfied, and one feedback received
    t = queries.totals(Scope(MONDAY.date(), MONDAY.date()))
    assert (t.counts["rated"], t.counts["rated_satisfied"], t.extra["feedback_received"]) == (1, 0, 1)


def test_only_the_applicant_of_a_returned_dossier_may_rate(world, clock):
    dossier = _returned(world)
    open_one = submit(world)
    url = f"/danh-gia/{dossier.code}/"
    # anonymous: to the login page
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login")) and "next=" in response["Location"]
    # another citizen, or an official: not found (never "forbidden": the dossier's existence is not revealed)
    assert signed_in_client(world.other_citizen).get(url).status_code == 404
    assert signed_in_client(world.desk).get(url).status_code == 404
    with pytest.raises(NotFound):
        feedback.rate(world.other_citizen, dossier, FIVE)
    # the applicant, before the result is returned: the page says so and offers no form
    html = signed_in_client(world.citizen).get(f"/danh-gia/{open_one.code}/").content.decode()
    assert 'id="chua-danh-gia-duoc"' in html and 'id="form-danh-gia"' not in html
    with pytest.raises(Conflict):
        feedback.rate(world.citizen, open_one, FIVE)


def test_the_agency_answers_on_time_and_the_applicant_rates_the_answer(world, clock):
    # given a feedback sent on Monday
    dossier = _returned(world)
    feedback.rate(world.citizen, dossier, FIVE, text="Xin cấp thêm bản sao.")
    item = Feedback.objects.get(dossier=dossier)
    # the neighbouring commune's desk does not see it; a specialist of the agency sees it but may not answer
    assert signed_in_client(world.other_desk).get(f"/dieu-hanh/phan-anh/{item.pk}/").status_code == 404
    specialist = signed_in_client(world.specialist).get(f"/dieu-hanh/phan-anh/{item.pk}/")
    assert specialist.status_code == 200 and 'id="form-tra-loi"' not in specialist.content.decode()
    with pytest.raises(PermissionDenied):
        feedback.answer(world.specialist, item, "Trả lời.")
    # the province's auditor reads every agency's feedback
    listing = signed_in_client(world.auditor).get("/dieu-hanh/phan-anh/").content.decode()
    assert f'data-feedback="{item.pk}"' in listing
    # a citizen is refused the back office
    assert signed_in_client(world.citizen).get("/dieu-hanh/phan-anh/").status_code == 403
    # when the desk answers on Wednesday, within the 10 working days
    clock.advance(days=2)
    desk = signed_in_client(world.desk)
    assert f'data-feedback="{item.pk}"' in desk.get("/dieu-hanh/phan-anh/").content.decode()
    assert desk.post(f"/dieu-hanh/phan-anh/{item.pk}/", {"answer": "Đã cấp thêm 2 bản sao."}).status_code == 302
    item.refresh_from_db()
    assert item.status == "answered" and item.handled_on_time is True and item.handler == world.desk
    # and the applicant says she is satisfied with it
    page = signed_in_client(world.citizen)
    assert "Đã cấp thêm 2 bản sao." in page.get(f"/danh-gia/{dossier.code}/").content.decode()
    assert page.post(f"/danh-gia/{dossier.code}/", {"form": "answer", "satisfied": "1"}).status_code == 302
    item.refresh_from_db()
    assert item.applicant_satisfied is True
    # then the facts: one handled, on time, rated, satisfied — on their own days
    week = Scope(MONDAY.date(), MONDAY.date() + timedelta(days=6))
    extra = queries.totals(week).extra
    assert (extra["feedback_handled"], extra["feedback_on_time"]) == (1, 1)
    assert (extra["feedback_rated"], extra["feedback_satisfied"]) == (1, 1)
    assert [d.pk for d in queries.drilldown(week, "feedback_on_time")] == [dossier.pk]
    with pytest.raises(Conflict):
        feedback.rate_answer(world.citizen, item, False)


def test_an_answer_after_the_deadline_is_handled_late(world, clock):
    # given a feedback sent on Monday 2 March, due Monday 16 March at closing time
    dossier = _returned(world)
    feedback.rate(world.citizen, dossier, FIVE, text="Chậm trả kết quả.")
    item = Feedback.objects.get(dossier=dossier)
    # the back-office list flags it once the deadline has passed
    clock.set(item.due_at + timedelta(minutes=1))
    listing = signed_in_client(world.leader).get("/dieu-hanh/phan-anh/?trang-thai=qua-han").content.decode()
    assert f'data-feedback="{item.pk}"' in listing and "Quá hạn" in listing
    # when the leader answers the next morning
    clock.set(item.due_at + timedelta(hours=15))
    feedback.answer(world.leader, item, "Xin lỗi ông/bà về sự chậm trễ.")
    item.refresh_from_db()
    # then it is handled, late; and the index's indicator 5.1 sees it
    assert item.handled_on_time is False
    t = queries.totals(Scope(date(2026, 3, 17), date(2026, 3, 17)))
    assert (t.extra["feedback_handled"], t.extra["feedback_on_time"]) == (1, 0)
    with pytest.raises(Conflict):
        feedback.answer(world.leader, item, "Lần nữa.")


def test_the_deadline_is_configurable(world, clock, settings):
    settings.MOTCUA_FEEDBACK_HANDLING_WORKING_DAYS = 5
    dossier = _returned(world)
    feedback.rate(world.citizen, dossier, FIVE, text="Góp ý.")
    assert Feedback.objects.get(dossier=dossier).due_at.date() == date(2026, 3, 9)
