"""The pages of linked requests through Django's test client, on the real engine and real simulator servers: the
citizen's one dossier with one timeline and its results, the officials' dossier page, the coordinator's page and
the life-event proposal that turns a finished birth registration into the rest of the birth chain."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from motcua.accounts.models import User
from motcua.accounts.testing import signed_in_client
from motcua.catalog.examples import EXAMPLES
from motcua.dossiers import services as dossiers
from motcua.dossiers.models import Dossier
from motcua.exchange import services as exchange
from motcua.exchange.models import OutboxMessage
from motcua.exchange.services import PORTAL_STATUS_KIND
from motcua.linked.models import ChainStatus, LinkedChain, StepStatus
from motcua.portal.tests.helpers import text_of
from motcua.worktime.services import invalidate_calendars

from .conftest import birth_declaration, birth_partners, process_internal, submit_and_accept

pytestmark = pytest.mark.django_db
COORDINATOR_PAGE = "/can-bo/lien-thong/"


def _run_to_the_end(world) -> tuple[Dossier, LinkedChain, Dossier]:
    """Accepted once; the commune's officials register the birth; the police and social insurance answer."""
    umbrella, chain = submit_and_accept(world)
    exchange.deliver_due()
    sub = Dossier.objects.get(parent=umbrella)
    process_internal(sub, world)
    exchange.deliver_due()
    chain.refresh_from_db()
    umbrella.refresh_from_db()
    return umbrella, chain, sub


def _internal_partners(partners) -> None:
    """Every agency configured, none delivered to: enough for chains that stay open."""
    for code in ("ho-tich", "cong-an", "bhxh"):
        partners(code, kind="internal")


def _fragment(html: str, element_id: str) -> str:
    match = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert match, f"#{element_id} must be on the page"
    return match.group(2)


# --- the citizen's dossier ----------------------------------------------------------------------------------


def test_citizen_sees_one_dossier_one_timeline_and_the_three_results(linked_world, partners):
    # given a birth chain run to the end: the commune inside motcua, the police and social insurance outside
    birth_partners(partners)
    umbrella, chain, sub = _run_to_the_end(linked_world)
    assert chain.status == ChainStatus.COMPLETED
    citizen = signed_in_client(linked_world.citizen)

    # when the parent opens "Hồ sơ của tôi"
    listing = text_of(citizen.get("/ho-so/"))
    # then one dossier for the one request: the commune's sub-dossier is not listed
    assert umbrella.code in listing and sub.code not in listing

    # when she opens the request
    response = citizen.get(f"/ho-so/{umbrella.code}/")
    assert response.status_code == 200
    html = response.content.decode()
    text = text_of(response)
    # then the three procedures with their agencies, status and the agencies' reference numbers
    assert "Các thủ tục liên thông" in text
    steps = {s.code: s for s in chain.steps.all()}
    for step in steps.values():
        assert f'data-step="{step.code}"' in html and step.name in text and step.reference in text
    assert text.count("Đã có kết quả") >= 3
    # and the three results, with readable Vietnamese labels and values
    results = _fragment(html, "ket-qua")
    assert len(re.findall(r'<li class="card" data-step="', results)) == 3
    child_id = steps["khai_sinh"].result["so_dinh_danh"]
    results_text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", results))
    assert f"Số định danh cá nhân {child_id}" in results_text
    assert f"Mã thẻ BHYT {child_id}" in results_text  # the card number is the child's new personal ID
    assert f"Số trích lục {steps['khai_sinh'].result['so_trich_luc']}" in results_text
    assert f"Số thông báo {steps['thuong_tru'].result['so_thong_bao']}" in results_text
    assert "Nơi thường trú" in results_text and "Giá trị sử dụng đến" in results_text
    assert "Ngày sinh 20/11/2026" in results_text  # dates as the citizen writes them
    # and one timeline merging the request's log with what happened at each agency
    timeline = _fragment(html, "dong-thoi-gian")
    assert timeline.count("<li") >= 8
    assert "Bảo hiểm xã hội" in timeline and "Tiếp nhận hồ sơ" in timeline
    assert 'role="alert"' not in html

    # when she opens the commune's sub-dossier
    sub_page = citizen.get(f"/ho-so/{sub.code}/")
    # then it says which request it belongs to, with a link back
    assert f"Hồ sơ này là một phần của yêu cầu liên thông {umbrella.code}" in text_of(sub_page)
    assert f'href="/ho-so/{umbrella.code}/"' in sub_page.content.decode()


def test_a_rejected_step_shows_the_reason_and_the_other_results_are_kept(linked_world, partners):
    # given the police refuse the residence registration
    birth_partners(partners, police="reject")
    umbrella, chain, _ = _run_to_the_end(linked_world)
    assert chain.status == ChainStatus.PARTIAL
    # when the parent opens the request
    response = signed_in_client(linked_world.citizen).get(f"/ho-so/{umbrella.code}/")
    html = response.content.decode()
    # then an alert at the top says which procedure failed and why, in plain words, and that the rest is kept
    alert = re.search(r'<div class="message message-error linked-failures" role="alert"[^>]*>(.*?)</div>', html, re.S)
    assert alert, "a failed step must be announced with role=alert"
    alert_text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", alert.group(1))).strip()
    assert alert_text == (
        "Thủ tục Đăng ký thường trú cho trẻ không thực hiện được: Địa chỉ đăng ký không có trong dữ liệu cư trú. "
        "Các kết quả khác vẫn được giữ."
    )
    assert html.index("linked-failures") < html.index('id="lien-thong"')
    # and the table gives the reason on the refused row; the two other results are there
    assert "Cơ quan từ chối" in text_of(response)
    assert len(re.findall(r'data-step="', _fragment(html, "ket-qua"))) == 2


def test_another_citizen_gets_404(linked_world, partners):
    # given Bích's linked request, and another citizen
    _internal_partners(partners)
    umbrella, _ = submit_and_accept(linked_world)
    other = User.objects.create_user("022090001234", password="mat-khau-thu-nghiem-1", personal_id="022090001234")
    client = signed_in_client(other)
    # when / then: nobody else learns it exists
    assert client.get(f"/ho-so/{umbrella.code}/").status_code == 404
    assert client.get(f"/ho-so/{umbrella.code}/lien-thong-tiep/").status_code == 404
    assert umbrella.code not in text_of(client.get("/ho-so/"))


# --- the officials' dossier page ----------------------------------------------------------------------------


def test_back_office_umbrella_shows_steps_with_sub_dossier_links_and_the_sub_dossier_links_back(linked_world, partners):
    # given a chain whose civil-status part is being processed by the commune
    _internal_partners(partners)
    umbrella, _ = submit_and_accept(linked_world)
    exchange.deliver_due()
    sub = Dossier.objects.get(parent=umbrella)
    desk = signed_in_client(linked_world.desk)
    # when the desk opens the request
    html = desk.get(f"/can-bo/ho-so/{umbrella.code}/").content.decode()
    # then the steps table links to the sub-dossier, and the chain's timeline is there
    steps = _fragment(html, "lien-thong")
    assert f'href="/can-bo/ho-so/{sub.code}/"' in steps
    assert "Chờ kết quả bước trước" in steps
    assert "Chuyển «Đăng ký khai sinh» đến ho-tich (nội bộ)" in _fragment(html, "dong-thoi-gian")
    # and the sub-dossier page links back to its request
    sub_page = desk.get(f"/can-bo/ho-so/{sub.code}/")
    assert f"Hồ sơ này là một phần của yêu cầu liên thông {umbrella.code}" in text_of(sub_page)
    assert f'href="/can-bo/ho-so/{umbrella.code}/"' in sub_page.content.decode()


def test_desk_accepts_a_linked_request_with_verification_from_the_page(linked_world, partners):
    # given a linked request waiting at the desk
    _internal_partners(partners)
    submitted = dossiers.submit_dossier(
        linked_world.citizen,
        procedure_code="2.000986",
        agency_code=linked_world.commune.code,
        channel="online",
        data=birth_declaration(),
    )
    desk = signed_in_client(linked_world.desk)
    page = desk.get(f"/can-bo/ho-so/{submitted.dossier.code}/")
    # then the accept form offers the verification box, with the longer time in its label
    assert "Cần xác minh (thời hạn 05 ngày làm việc)" in text_of(page)
    assert 'name="verification" value="1"' in page.content.decode()
    # when the desk ticks it and accepts
    response = desk.post(f"/can-bo/ho-so/{submitted.dossier.code}/", {"action": "accept", "verification": "1"})
    # then the chain runs with verification (five working days)
    assert response.status_code == 302
    chain = LinkedChain.objects.get(dossier=submitted.dossier)
    assert chain.verification is True
    # and an ordinary dossier's accept form has no such box
    ordinary = dossiers.submit_dossier(
        linked_world.citizen,
        procedure_code="1.001193",
        agency_code=linked_world.commune.code,
        channel="online",
        data=EXAMPLES["1.001193"],
    ).dossier
    assert 'name="verification"' not in desk.get(f"/can-bo/ho-so/{ordinary.code}/").content.decode()


# --- the coordinator's page ---------------------------------------------------------------------------------


def test_coordinator_sees_open_chains_waiting_agency_hours_left_and_the_portal_kpi(linked_world, partners):
    # given two open requests, the national portal configured, one request's changes all accepted by the portal
    _internal_partners(partners)
    partners("dvcqg", kind="internal")
    umbrella, chain = submit_and_accept(linked_world)
    other, _ = submit_and_accept(linked_world)
    with transaction.atomic():  # the portal acknowledges them, through the outbox (which keeps the KPI's facts)
        for message in OutboxMessage.objects.select_for_update().filter(
            kind=PORTAL_STATUS_KIND, dossier_code=other.code
        ):
            exchange.complete(message, "accepted")
    coordinator = signed_in_client(linked_world.coordinator)
    # when the coordinator opens the page
    response = coordinator.get(COORDINATOR_PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    row = re.search(rf'<tr data-chain="{re.escape(umbrella.code)}">(.*?)</tr>', html, re.S)
    assert row, "the open chain must have its row"
    row_text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row.group(1)))
    # then the row gives the request, the group, the applicant, where it waits and the working time left
    assert f'href="/can-bo/ho-so/{umbrella.code}/"' in row.group(1)
    assert "Khai sinh liên thông" in row_text and "Trần Thị Bích" in row_text
    assert re.search(r"ho-tich \(nội bộ\) ?: Đăng ký khai sinh Đã chuyển cơ quan", row_text)
    assert re.search(r"\b\d+(,\d)? giờ làm việc", row_text) and "Quá hạn" not in row_text
    assert "0/3" in row_text
    # and the KPI card: one of the two requests fully synchronised with the national portal
    assert "Đồng bộ Cổng DVCQG: 50 % hồ sơ" in text_of(response)
    assert "<caption>" in html and 'scope="col"' in html and 'scope="row"' in html
    # and the back-office menu leads there
    assert f'href="{COORDINATOR_PAGE}" aria-current="page"' in html

    # when the request is late and its message to the civil-status office went to the dead-letter queue
    Dossier.objects.filter(pk=umbrella.pk).update(due_at=timezone.now() - timedelta(days=7))
    OutboxMessage.objects.filter(pk=chain.steps.get(code="khai_sinh").message_id).update(status="dead")
    row_html = re.search(
        rf'<tr class="row-late" data-chain="{re.escape(umbrella.code)}">(.*?)</tr>',
        coordinator.get(COORDINATOR_PAGE).content.decode(),
        re.S,
    )
    # then it is flagged late, and the failed delivery is shown (a link to the queue only for staff)
    assert row_html, "a late chain's row must be highlighted"
    assert "Quá hạn" in row_html.group(1)
    assert "Chưa chuyển được — kiểm tra hàng đợi lỗi" in row_html.group(1)
    assert "/admin/" not in row_html.group(1)
    User.objects.filter(pk=linked_world.coordinator.pk).update(is_staff=True)
    staff_html = signed_in_client(User.objects.get(pk=linked_world.coordinator.pk)).get(COORDINATOR_PAGE)
    assert "/admin/exchange/outboxmessage/?status__exact=dead&amp;q=" in staff_html.content.decode()


def test_coordinator_page_is_for_officials_only(linked_world):
    # anonymous visitors are sent to log in; citizens are refused
    anonymous = Client().get(COORDINATOR_PAGE)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/tai-khoan/dang-nhap/")
    assert signed_in_client(linked_world.citizen).get(COORDINATOR_PAGE).status_code == 403
    # an official who has typed only the password goes to the second factor first
    password_only = Client()
    password_only.force_login(linked_world.coordinator)
    response = password_only.get(COORDINATOR_PAGE)
    assert response.status_code == 302 and COORDINATOR_PAGE.replace("/", "%2F") in response["Location"]


def test_coordinator_page_costs_the_same_with_one_or_five_chains(linked_world, partners, django_assert_max_num_queries):
    # given one open chain
    _internal_partners(partners)
    submit_and_accept(linked_world)
    coordinator = signed_in_client(linked_world.coordinator)
    coordinator.get(COORDINATOR_PAGE)
    invalidate_calendars()  # both measures build the calendar (a cached one is re-checked after its TTL)
    with CaptureQueriesContext(connection) as one:
        assert coordinator.get(COORDINATOR_PAGE).status_code == 200
    # when there are five
    for _ in range(4):
        submit_and_accept(linked_world)
    # then the page costs no more queries, and lists them all
    invalidate_calendars()
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = coordinator.get(COORDINATOR_PAGE)
    assert response.content.decode().count("<tr data-chain=") == 5


# --- the life event: a finished birth registration proposes the rest -----------------------------------------


def test_a_finished_birth_registration_proposes_residence_and_insurance_prefilled(linked_world, partners):
    # given a stand-alone birth registration (1.001193), processed by the commune to its result
    partners("cong-an", kind="internal")
    partners("bhxh", kind="internal")
    birth = dossiers.submit_dossier(
        linked_world.citizen,
        procedure_code="1.001193",
        agency_code=linked_world.commune.code,
        channel="online",
        data=EXAMPLES["1.001193"],
    ).dossier
    birth = dossiers.perform(linked_world.desk, birth, "accept")
    process_internal(birth, linked_world)
    birth.refresh_from_db()
    child_id = birth.result["so_dinh_danh"]
    citizen = signed_in_client(linked_world.citizen)

    # when the parent opens "Hồ sơ của tôi"
    listing = citizen.get("/ho-so/")
    # then a card proposes the rest of the birth chain
    assert (
        "Bé Nguyễn Minh Khang đã có Giấy khai sinh. Đăng ký thường trú và cấp thẻ BHYT cho bé ngay — "
        "thông tin đã được điền sẵn."
    ) in text_of(listing)
    follow_url = f"/ho-so/{birth.code}/lien-thong-tiep/"
    assert f'href="{follow_url}"' in listing.content.decode()

    # when she follows it
    page = citizen.get(follow_url)
    html = page.content.decode()
    # then what is known is shown read-only with the declaration's titles; only residence and clinic are inputs
    assert page.status_code == 200
    text = text_of(page)
    assert "Họ, chữ đệm, tên người được khai sinh Nguyễn Minh Khang" in text
    assert "Ngày, tháng, năm sinh 20/11/2026" in text
    assert 'name="ks_ho_ten"' not in html and 'name="nyc_so_dinh_danh"' not in html
    assert 'name="tt_dia_chi_so_nha_duong"' in html and 'name="bhyt_noi_kcb_ban_dau"' in html
    assert 'value="06652"' in html  # the commune where the birth was registered, pre-filled
    assert "csrfmiddlewaretoken" in html and "Xác nhận và nộp" in text

    # when she confirms without the house number (required for the residence registration)
    post = {
        "tt_chu_ho_ho_ten": "Nguyễn Văn Hùng",
        "tt_chu_ho_so_dinh_danh": "022090001234",
        "tt_quan_he_chu_ho": "con",
        "tt_dia_chi_xa": "06652",
        "bhyt_noi_kcb_ban_dau": "Trạm y tế phường Hà Tu",
    }
    refused = citizen.post(follow_url, post)
    # then the page comes back with the field's error, nothing submitted
    assert refused.status_code == 422
    assert 'id="error-summary"' in refused.content.decode()
    assert not Dossier.objects.filter(procedure__code="2.000986").exists()

    # when she adds it and confirms
    response = citizen.post(follow_url, {**post, "tt_dia_chi_so_nha_duong": "Số 12, tổ 3, khu 5"})
    # then one linked request is submitted and she lands on it with a success message
    request = Dossier.objects.get(procedure__code="2.000986")
    assert response.status_code == 302 and response["Location"] == f"/ho-so/{request.code}/"
    landed = citizen.get(response["Location"])
    assert f"Đã nộp hồ sơ {request.code}" in text_of(landed)
    assert 'id="dossier-pin"' in landed.content.decode()  # the look-up PIN, shown this once
    assert 'id="dossier-pin"' not in citizen.get(response["Location"]).content.decode()
    assert request.data["ks_ho_ten"] == "Nguyễn Minh Khang" and request.data["tt_dia_chi_so_nha_duong"]
    assert request.data_sources["follow_on_of"] == birth.code
    # and the proposal is gone
    assert "đã có Giấy khai sinh" not in text_of(citizen.get("/ho-so/"))
    assert citizen.get(follow_url).status_code == 302

    # when the desk accepts it once
    dossiers.perform(linked_world.desk, request, "accept")
    chain = LinkedChain.objects.get(dossier=request)
    steps = {s.code: s for s in chain.steps.all()}
    # then the birth step is already done with the registration's result; residence and insurance are sent
    assert steps["khai_sinh"].status == StepStatus.DONE
    assert steps["khai_sinh"].result["so_dinh_danh"] == child_id and steps["khai_sinh"].reference == birth.code
    assert steps["thuong_tru"].status == steps["bhyt"].status == StepStatus.SENT
    assert chain.source_dossier_id == birth.pk
    assert OutboxMessage.objects.get(pk=steps["thuong_tru"].message_id).payload["so_dinh_danh"] == child_id
