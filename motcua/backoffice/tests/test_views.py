"""Back-office pages through Django's test client, against the real dossier engine."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from motcua.accounts.models import Role, RoleAssignment, User
from motcua.accounts.testing import signed_in_client as client_for  # officials: password and TOTP both done
from motcua.audit.models import AuditRecord
from motcua.dossiers.models import Dossier, Status
from motcua.portal.tests.helpers import accepted, submit_online, text_of
from motcua.worktime.models import CalendarDay

PAGES = ["/can-bo/", "/can-bo/mot-cua/", "/can-bo/viec-cua-toi/", "/can-bo/ho-so/"]


@pytest.mark.parametrize("url", [*PAGES, "/can-bo/lich/"])
def test_anonymous_is_sent_to_login(world, url):
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(f"/tai-khoan/dang-nhap/?next={url}")


@pytest.mark.parametrize("url", [*PAGES, "/can-bo/lich/"])
def test_citizens_get_403(world, url):
    response = client_for(world.citizen).get(url)
    assert response.status_code == 403
    assert "Không có quyền truy cập" in text_of(response)


@pytest.mark.parametrize("url", PAGES)
def test_officials_see_the_pages_with_their_name_and_role(world, url):
    response = client_for(world.desk).get(url)
    assert response.status_code == 200
    text = text_of(response)
    assert "desk" in text and "Cán bộ một cửa" in text
    assert "Đăng xuất" in text


def test_desk_queue_lists_dossiers_to_accept_with_deadline_and_late_flag(world):
    # given one fresh online dossier and one whose 8 working hours for acceptance have passed
    fresh = submit_online(world).dossier
    late = submit_online(world).dossier
    Dossier.objects.filter(pk=late.pk).update(acceptance_due_at=timezone.now() - timedelta(hours=1))
    # when the desk opens its queue
    response = client_for(world.desk).get("/can-bo/mot-cua/")
    # then both are listed with their deadline, and the late one is flagged in words and with a row class
    text = text_of(response)
    assert fresh.code in text and late.code in text
    assert "Hạn tiếp nhận" in text
    html = response.content.decode()
    late_row = re.search(rf'<tr class="row-late">\s*<td><a href="/can-bo/ho-so/{re.escape(late.code)}/"', html)
    assert late_row, "the late dossier's row must be highlighted"
    assert text.count("Quá hạn tiếp nhận") == 1
    # and the dashboard counts them, with the late one highlighted
    dash = text_of(client_for(world.desk).get("/can-bo/"))
    assert "2 hồ sơ chờ tiếp nhận" in dash and "1 quá hạn tiếp nhận" in dash


def test_my_tasks_sorted_with_overdue_marked_in_words(world):
    # given two dossiers at the specialist's step, one past its appointment date
    on_time = accepted(world)
    overdue = accepted(world)
    Dossier.objects.filter(pk=overdue.pk).update(
        due_at=timezone.now() - timedelta(hours=2), step_due_at=timezone.now() - timedelta(hours=3), overdue=True
    )
    # when the specialist opens "Việc của tôi"
    response = client_for(world.specialist).get("/can-bo/viec-cua-toi/")
    # then the overdue one comes first, highlighted and labelled "Quá hạn"
    html = response.content.decode()
    assert html.index(overdue.code) < html.index(on_time.code)
    assert re.search(rf'<tr class="row-late">\s*<td><a href="/can-bo/ho-so/{re.escape(overdue.code)}/"', html)
    assert "Quá hạn" in text_of(response)
    # and the desk, who holds no specialist role, has no tasks
    assert "Không có hồ sơ nào đang chờ bạn xử lý" in text_of(client_for(world.desk).get("/can-bo/viec-cua-toi/"))


def test_dossier_page_shows_declaration_checklist_actions_and_audits_the_read(world):
    dossier = submit_online(world).dossier
    response = client_for(world.desk).get(f"/can-bo/ho-so/{dossier.code}/")
    assert response.status_code == 200
    text = text_of(response)
    html = response.content.decode()
    # the declaration with the schema's titles and choice labels
    assert "Họ, chữ đệm, tên của trẻ" in text and "Nguyễn Minh Khang" in text and "Nam" in text
    # the reception checklist, one row per document of the version
    assert 'name="present_TP1"' in html and "Giấy chứng sinh" in text
    # every available action as its own form, with a labelled note
    for label in ("Tiếp nhận hồ sơ", "Yêu cầu bổ sung hồ sơ", "Từ chối tiếp nhận, giải quyết"):
        assert label in text
    assert 'for="note-refuse"' in html and 'id="note-refuse"' in html
    # the history
    assert "Quá trình xử lý" in text and "Nộp hồ sơ" in text
    # and the official's read of a citizen's dossier is in the audit log
    assert AuditRecord.objects.filter(action="dossier.read", object_id=dossier.code, actor=world.desk).exists()


def test_full_journey_through_the_pages(world):
    dossier = submit_online(world).dossier
    desk, specialist, leader = client_for(world.desk), client_for(world.specialist), client_for(world.leader)
    url = f"/can-bo/ho-so/{dossier.code}/"
    # when the desk ticks the checklist and accepts
    response = desk.post(url, {"action": "accept", "present_TP1": "on", "original_TP1": "1", "note": ""})
    # then the dossier is processing at the specialist's step with the checklist kept
    assert response.status_code == 302 and response["Location"] == url
    dossier.refresh_from_db()
    assert dossier.status == Status.PROCESSING and dossier.current_step == "xu_ly"
    assert dossier.checklist == [{"doc": "TP1", "name": "Giấy chứng sinh", "present": True, "original": True}]
    assert "Đã thực hiện: Tiếp nhận hồ sơ." in text_of(desk.get(url))
    # when the specialist forwards, the leader approves and the desk returns the result
    assert "Trình lãnh đạo ký" in text_of(specialist.get(url))
    assert specialist.post(url, {"action": "trinh_ky", "note": "Đủ điều kiện"}).status_code == 302
    assert leader.post(url, {"action": "phe_duyet", "note": ""}).status_code == 302
    assert desk.post(url, {"action": "return_result", "method": "desk", "note": ""}).status_code == 302
    # then it is returned with an outcome, and the history tells the story
    dossier.refresh_from_db()
    assert dossier.status == Status.RETURNED and dossier.outcome in ("early", "on_time")
    page = text_of(desk.get(url))
    for label in ("Tiếp nhận hồ sơ", "Trình lãnh đạo ký", "Phê duyệt, ký kết quả", "Trả kết quả", "Đủ điều kiện"):
        assert label in page
    # and the citizen sees "Đã trả kết quả" with the outcome
    mine = text_of(client_for(world.citizen).get("/ho-so/"))
    assert "Đã trả kết quả" in mine and ("Trước hạn" in mine or "Đúng hạn" in mine)


def test_refuse_without_reason_keeps_the_page_and_says_why(world):
    dossier = submit_online(world).dossier
    url = f"/can-bo/ho-so/{dossier.code}/"
    # when the desk refuses without a reason
    response = client_for(world.desk).post(url, {"action": "refuse", "note": "  "})
    # then the engine's reason is shown and nothing changed
    assert response.status_code == 422
    assert "Cần ghi rõ lý do từ chối" in text_of(response)
    dossier.refresh_from_db()
    assert dossier.status == Status.SUBMITTED


def test_failed_action_keeps_what_was_typed(world):
    dossier = accepted(world)
    url = f"/can-bo/ho-so/{dossier.code}/"
    # when the leader asks for a new appointment without saying how many days
    response = client_for(world.leader).post(
        url, {"action": "reappoint", "note": "Cần xác minh thêm với cơ quan khác.", "extra_working_days": ""}
    )
    # then the error is shown and the apology text is still in its box
    assert response.status_code == 422
    assert "Nhập số ngày làm việc gia hạn" in text_of(response)
    assert "Cần xác minh thêm với cơ quan khác.</textarea>" in response.content.decode()


def test_request_supplement_lists_missing_documents(world):
    dossier = submit_online(world).dossier
    response = client_for(world.desk).post(
        f"/can-bo/ho-so/{dossier.code}/",
        {"action": "request_supplement", "missing": ["Giấy chứng sinh"], "note": "Thiếu Giấy chứng sinh."},
    )
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == Status.SUPPLEMENT_REQUESTED
    last = dossier.actions.order_by("-seq").first()
    assert last.payload["missing"] == ["Giấy chứng sinh"]


def test_action_not_offered_is_refused(world):
    dossier = submit_online(world).dossier
    response = client_for(world.specialist).post(f"/can-bo/ho-so/{dossier.code}/", {"action": "accept"})
    assert response.status_code == 409
    assert "Không thể thực hiện" in text_of(response)


def test_other_agency_and_citizens_cannot_open_the_dossier(world):
    dossier = submit_online(world).dossier
    assert client_for(world.other_desk).get(f"/can-bo/ho-so/{dossier.code}/").status_code == 404
    assert client_for(world.citizen).get(f"/can-bo/ho-so/{dossier.code}/").status_code == 403
    assert client_for(world.desk).get("/can-bo/ho-so/000.31.10.H49-260101-9999/").status_code == 404


def test_dossier_search_by_code_and_applicant(world):
    dossier = submit_online(world).dossier
    desk = client_for(world.desk)
    assert dossier.code in text_of(desk.get("/can-bo/ho-so/", {"q": "Trần Thị"}))
    assert dossier.code not in text_of(desk.get("/can-bo/ho-so/", {"q": "không ai"}))
    assert dossier.code not in text_of(client_for(world.other_desk).get("/can-bo/ho-so/"))


# --- calendar -----------------------------------------------------------------------------------------------


@pytest.fixture
def admin_user(world) -> User:
    user = User.objects.create_user("quantri-test", password="mat-khau-thu-nghiem-1", full_name="Quản trị")
    RoleAssignment.objects.create(user=user, agency=world.agency, role=Role.SYSTEM_ADMIN)
    return user


def test_calendar_is_for_administrators_only(world, admin_user):
    assert client_for(world.desk).get("/can-bo/lich/").status_code == 403
    CalendarDay.objects.create(date="2030-01-01", kind="off", name="Tết Dương lịch")
    response = client_for(admin_user).get("/can-bo/lich/", {"nam": "2030"})
    assert response.status_code == 200
    text = text_of(response)
    assert "01/01/2030" in text and "Tết Dương lịch" in text and "Ngày nghỉ" in text


def test_calendar_upload_imports_and_reports_bad_files(world, admin_user):
    client = client_for(admin_user)
    # when a good CSV is uploaded
    good = SimpleUploadedFile("lich-2030.csv", "date,kind,name\n2030-09-02,off,Quốc khánh\n".encode())
    response = client.post("/can-bo/lich/?nam=2030", {"file": good})
    # then the day is in the calendar
    assert response.status_code == 302
    assert CalendarDay.objects.filter(date="2030-09-02", kind="off").exists()
    assert "Đã nạp lịch: 1 ngày" in text_of(client.get(response["Location"]))
    # when a bad one is uploaded
    bad = SimpleUploadedFile("lich.csv", b"date,kind,name\n2030-13-40,nghi,Sai\n")
    response = client.post("/can-bo/lich/?nam=2030", {"file": bad})
    # then every problem is listed and nothing is written
    assert response.status_code == 422
    text = text_of(response)
    assert "Tệp lịch có 2 lỗi" in text and "Ngày không hợp lệ" in text
    assert CalendarDay.objects.count() == 1


# --- second factor ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [*PAGES, "/can-bo/lich/", "/can-bo/ho-so/000.31.10.H49-260101-0001/"])
def test_officials_with_only_a_password_are_sent_to_the_second_factor(world, url):
    # given an official whose session has the password but no code yet (and no authenticator enrolled)
    client = Client()
    client.force_login(world.desk)
    # when any back-office page is asked for
    response = client.get(url)
    # then they are sent to enrol an authenticator, coming back to this page afterwards
    assert response.status_code == 302
    assert response["Location"].startswith("/tai-khoan/thiet-lap-2-buoc/?next=")
    # and once a device exists, to the code page instead
    TOTPDevice.objects.create(user=world.desk, name="Điện thoại", confirmed=True)
    assert client.get(url)["Location"].startswith("/tai-khoan/xac-thuc-2-buoc/?next=")
