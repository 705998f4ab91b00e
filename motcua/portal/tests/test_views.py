"""Citizen pages through Django's test client, against the real dossier engine."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.timezone import localtime

from motcua.dossiers import services
from motcua.dossiers.models import Dossier, Status

from .helpers import PNG, birth_post, client_for, submit_online, text_of


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# --- public pages -------------------------------------------------------------------------------------------


def test_home_shows_search_featured_procedure_and_lookup(world):
    # when anyone opens the home page
    response = Client().get("/")
    # then it is Vietnamese, has landmarks, a skip link, search, the featured procedure and the look-up form
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="vi">' in html
    assert 'href="#main"' in html and '<main id="main"' in html and "<nav" in html and "<header" in html
    text = text_of(response)
    assert "Cổng dịch vụ công – motcua" in text
    assert "Thủ tục đăng ký khai sinh" in text
    assert "Tra cứu hồ sơ" in text
    assert 'for="id_code"' in html and 'for="id_pin"' in html


def test_page_is_vietnamese_even_when_the_browser_asks_for_english(world):
    # given a browser preferring English (the visitor has not picked English with the switch)
    response = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get("/")
    # then the page is Vietnamese and declared so
    assert '<html lang="vi">' in response.content.decode()


@pytest.mark.parametrize("q", ["khai sinh", "KHAI SINH", "Đăng ký khai sinh", "1.001193"])
def test_catalogue_search_with_or_without_diacritics(world, q):
    # when the citizen searches the catalogue
    response = Client().get("/thu-tuc/", {"q": q})
    # then the birth registration is found
    assert response.status_code == 200
    assert "Thủ tục đăng ký khai sinh" in text_of(response)
    assert "Tìm thấy 1 thủ tục" in text_of(response)


def test_catalogue_search_without_match(world):
    response = Client().get("/thu-tuc/", {"q": "không có thủ tục này"})
    assert response.status_code == 200
    assert "Không tìm thấy thủ tục phù hợp" in text_of(response)


def test_procedure_page_lists_facts_documents_and_agencies(world):
    # when the procedure page is opened
    response = Client().get("/thu-tuc/1.001193/")
    # then it shows time, fee, documents, the agencies and the online button
    assert response.status_code == 200
    text = text_of(response)
    assert "3 ngày làm việc" in text
    assert "Miễn lệ phí" in text
    assert "Giấy chứng sinh" in text
    assert "UBND phường Hạ Long" in text and "UBND phường Bãi Cháy" in text
    assert "Nộp hồ sơ trực tuyến" in text


def test_unknown_procedure_is_404(world):
    response = Client().get("/thu-tuc/9.999999/")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in text_of(response)


# --- the online form ----------------------------------------------------------------------------------------


def test_online_form_needs_login(world):
    response = Client().get("/thu-tuc/1.001193/nop/")
    assert response.status_code == 302
    assert response["Location"].startswith("/tai-khoan/dang-nhap/?next=/thu-tuc/1.001193/nop/")


def test_online_form_is_rendered_from_the_schema(world):
    # when the citizen opens the online form
    response = client_for(world.citizen).get("/thu-tuc/1.001193/nop/", {"agency": world.agency.code})
    # then each schema field has a label bound to its input, the agency is preselected, both buttons are there
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label class="label" for="id_ho_ten_tre">Họ, chữ đệm, tên của trẻ' in html
    assert 'type="date" name="ngay_sinh"' in html
    assert re.search(rf'<option value="{re.escape(world.agency.code)}" selected>', html)
    assert 'value="draft"' in html and 'value="submit"' in html
    assert 'name="doc_TP1"' in html


def test_submit_shows_code_pin_and_appointment_once(world):
    # given the citizen on the online form
    client = client_for(world.citizen)
    # when the form is posted complete
    response = client.post("/thu-tuc/1.001193/nop/", birth_post(world))
    # then a dossier exists and the confirmation page shows its code, the PIN and the appointment date
    assert response.status_code == 302, text_of(response)
    dossier = Dossier.objects.get(applicant=world.citizen)
    assert response["Location"] == f"/ho-so/{dossier.code}/da-nop/"
    page = client.get(response["Location"])
    text = text_of(page)
    assert dossier.code in text
    pin = re.search(r'id="dossier-pin">(\d{6})<', page.content.decode()).group(1)
    assert "Ngày hẹn trả kết quả dự kiến" in text
    assert localtime(dossier.due_at).strftime("%H:%M %d/%m/%Y") in text
    # and the PIN works for the public look-up, and is not shown a second time
    assert "Mã PIN chỉ hiển thị một lần" in text
    assert pin not in text_of(client.get(response["Location"]))
    lookup = Client().post("/tra-cuu/", {"code": dossier.code, "pin": pin})
    assert lookup.status_code == 200
    assert "Chờ tiếp nhận" in text_of(lookup)


def test_invalid_form_is_shown_again_with_errors_on_fields_and_input_kept(world):
    # given a form with a bad ID number and a missing name
    post = birth_post(world, so_dinh_danh_me="12345", ho_ten_tre="")
    # when it is posted
    response = client_for(world.citizen).post("/thu-tuc/1.001193/nop/", post)
    # then nothing is submitted, each error is on its field, and what was typed is still there
    assert response.status_code == 422
    html = response.content.decode()
    assert re.search(r'id="id_so_dinh_danh_me_error"><li>Không đúng định dạng.</li>', html)
    assert 'id="id_ho_ten_tre_error"' in html
    assert 'value="12345"' in html and 'value="Trần Thị Bích"' in html
    assert "Tờ khai còn lỗi" in text_of(response)
    assert not Dossier.objects.exists()


def test_engine_field_errors_come_back_on_the_right_field(world):
    # given a version whose schema has a conditional rule only the engine checks
    world.version.form_schema = {
        **world.version.form_schema,
        "allOf": [
            {
                "if": {"properties": {"gioi_tinh": {"const": "nu"}}, "required": ["gioi_tinh"]},
                "then": {"required": ["so_dinh_danh_me"]},
            }
        ],
    }
    world.version.save()
    post = birth_post(world, gioi_tinh="nu", so_dinh_danh_me="")
    # when the citizen submits without the mother's ID
    response = client_for(world.citizen).post("/thu-tuc/1.001193/nop/", post)
    # then the engine's error is shown on that field, the detail as a message, and the input is kept
    assert response.status_code == 422
    html = response.content.decode()
    assert re.search(r'id="id_so_dinh_danh_me_error"><li>Chưa nhập trường bắt buộc.</li>', html)
    assert "Tờ khai chưa hợp lệ" in text_of(response)
    assert 'value="Nguyễn Minh Khang"' in html
    assert not Dossier.objects.exists()


def test_draft_is_saved_listed_and_submitted_later(world):
    client = client_for(world.citizen)
    # given a half-filled form saved as a draft (invalid values are kept, not refused)
    response = client.post(
        "/thu-tuc/1.001193/nop/",
        {"agency": world.agency.code, "intent": "draft", "ho_ten_tre": "Nguyễn Minh Khang", "so_ban_sao": "x"},
    )
    draft = Dossier.objects.get(status=Status.DRAFT)
    assert response.status_code == 302 and response["Location"].endswith(f"?nhap={draft.pk}")
    assert draft.data == {"ho_ten_tre": "Nguyễn Minh Khang", "so_ban_sao": "x"}
    # then "Hồ sơ của tôi" lists it with "Tiếp tục", and continuing shows what was typed
    mine = client.get("/ho-so/")
    assert "Tiếp tục" in text_of(mine) and f"?nhap={draft.pk}" in mine.content.decode()
    again = client.get(f"/thu-tuc/1.001193/nop/?nhap={draft.pk}")
    assert 'value="Nguyễn Minh Khang"' in again.content.decode()
    # when the completed draft is submitted
    response = client.post("/thu-tuc/1.001193/nop/", birth_post(world, nhap=str(draft.pk)))
    # then it becomes a dossier with a code and the draft is gone
    assert response.status_code == 302
    assert not Dossier.objects.filter(status=Status.DRAFT).exists()
    assert Dossier.objects.get().code


def test_another_citizens_draft_is_not_found(world):
    draft = services.save_draft(world.citizen, procedure_code="1.001193", agency_code=world.agency.code, data={})
    response = client_for(world.other_citizen).get(f"/thu-tuc/1.001193/nop/?nhap={draft.pk}")
    assert response.status_code == 404


def test_documents_are_attached_and_bad_files_refused(world):
    client = client_for(world.citizen)
    # given a text file pretending to be a PDF
    bad = SimpleUploadedFile("giay-chung-sinh.pdf", b"not a pdf at all", content_type="application/pdf")
    response = client.post("/thu-tuc/1.001193/nop/", {**birth_post(world), "doc_TP1": bad})
    # then the form comes back with the reason on the file field and nothing is submitted
    assert response.status_code == 422
    assert "Loại tệp không được chấp nhận" in text_of(response)
    assert not Dossier.objects.exists()
    # when a real PNG is attached
    good = SimpleUploadedFile("giay-chung-sinh.png", PNG, content_type="image/png")
    response = client.post("/thu-tuc/1.001193/nop/", {**birth_post(world), "doc_TP1": good})
    # then the dossier has it, and the citizen can download it from the dossier page
    assert response.status_code == 302
    dossier = Dossier.objects.get()
    doc = dossier.documents.get()
    assert doc.doc_code == "TP1" and doc.content_type == "image/png"
    download = client.get(f"/ho-so/{dossier.code}/giay-to/{doc.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    assert client_for(world.other_citizen).get(f"/ho-so/{dossier.code}/giay-to/{doc.pk}/").status_code == 404


# --- my dossiers ------------------------------------------------------------------------------------------


def test_my_dossiers_lists_status_and_appointment(world):
    dossier = submit_online(world).dossier
    response = client_for(world.citizen).get("/ho-so/")
    assert response.status_code == 200
    text = text_of(response)
    assert dossier.code in text and "Chờ tiếp nhận" in text
    # and another citizen does not see it
    assert dossier.code not in text_of(client_for(world.other_citizen).get("/ho-so/"))


def test_my_dossiers_needs_login(world):
    response = Client().get("/ho-so/")
    assert response.status_code == 302 and "/tai-khoan/dang-nhap/" in response["Location"]


def test_dossier_page_shows_timeline_appointment_and_actions(world):
    dossier = submit_online(world).dossier
    response = client_for(world.citizen).get(f"/ho-so/{dossier.code}/")
    assert response.status_code == 200
    text = text_of(response)
    assert "Quá trình giải quyết" in text and "Nộp hồ sơ" in text
    assert "Ngày hẹn trả kết quả" in text
    assert "Rút hồ sơ" in text
    assert "Họ, chữ đệm, tên của trẻ" in text and "Nguyễn Minh Khang" in text


def test_another_citizens_dossier_is_404_and_anonymous_must_log_in(world):
    dossier = submit_online(world).dossier
    assert client_for(world.other_citizen).get(f"/ho-so/{dossier.code}/").status_code == 404
    response = Client().get(f"/ho-so/{dossier.code}/")
    assert response.status_code == 302


def test_withdraw_needs_confirmation(world):
    dossier = submit_online(world).dossier
    client = client_for(world.citizen)
    # given the withdraw page
    assert "Xác nhận rút hồ sơ" in text_of(client.get(f"/ho-so/{dossier.code}/rut/"))
    # when posted without ticking the confirmation
    response = client.post(f"/ho-so/{dossier.code}/rut/", {"reason": "Nộp nhầm"})
    # then nothing happens and the reason typed is kept
    assert response.status_code == 422
    assert "Đánh dấu ô xác nhận" in text_of(response) and "Nộp nhầm" in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.status == Status.SUBMITTED
    # when confirmed
    response = client.post(f"/ho-so/{dossier.code}/rut/", {"reason": "Nộp nhầm", "confirm": "on"})
    # then the dossier is withdrawn
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == Status.WITHDRAWN
    assert "Đã rút" in text_of(client.get(f"/ho-so/{dossier.code}/"))


def test_supplement_after_a_request(world):
    dossier = submit_online(world).dossier
    services.perform(
        world.desk,
        dossier,
        "request_supplement",
        note="Bổ sung số định danh của mẹ.",
        payload={"missing": ["Giấy chứng sinh"]},
    )
    client = client_for(world.citizen)
    # given the dossier page shows the request and the supplement button
    page = text_of(client.get(f"/ho-so/{dossier.code}/"))
    assert "Bổ sung số định danh của mẹ." in page and "Nộp bổ sung" in page
    # when the citizen corrects the declaration
    form = client.get(f"/ho-so/{dossier.code}/bo-sung/")
    assert 'value="Nguyễn Minh Khang"' in form.content.decode()
    post = {k: v for k, v in birth_post(world).items() if k not in ("agency", "intent")}
    post.update({"ho_ten_tre": "Nguyễn Minh Khôi", "note": "Đã sửa tên."})
    response = client.post(f"/ho-so/{dossier.code}/bo-sung/", post)
    # then the dossier goes back to the desk with the new data
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == Status.SUBMITTED and dossier.data["ho_ten_tre"] == "Nguyễn Minh Khôi"


# --- public look-up -----------------------------------------------------------------------------------------


def test_lookup_shows_status_without_personal_data(world):
    result = submit_online(world)
    response = Client().post("/tra-cuu/", {"code": result.dossier.code, "pin": result.pin})
    assert response.status_code == 200
    text = text_of(response)
    assert "Chờ tiếp nhận" in text and "Ngày hẹn trả kết quả" in text
    assert world.citizen.full_name not in text and "Nguyễn Minh Khang" not in text


def test_lookup_with_wrong_pin_says_so(world):
    result = submit_online(world)
    wrong = "000000" if result.pin != "000000" else "111111"
    response = Client().post("/tra-cuu/", {"code": result.dossier.code, "pin": wrong})
    assert response.status_code == 404
    assert "Mã hồ sơ hoặc mã PIN không đúng" in text_of(response)


def test_lookup_is_rate_limited(world, settings):
    settings.MOTCUA_LOOKUP_PER_MINUTE = 2
    client = Client()
    codes = [client.post("/tra-cuu/", {"code": "X-1", "pin": "123456"}).status_code for _ in range(3)]
    assert codes == [404, 404, 429]


def test_login_page_offers_vneid_soon_and_logs_in(world):
    client = Client()
    page = client.get("/tai-khoan/dang-nhap/")
    assert "Đăng nhập bằng định danh điện tử quốc gia (VNeID) – sắp có" in text_of(page)
    response = client.post("/tai-khoan/dang-nhap/", {"username": "022192004567", "password": "mat-khau-thu-nghiem-1"})
    assert response.status_code == 302
    home = client.get("/")
    assert "Trần Thị Bích" in text_of(home) and "Công dân" in text_of(home)
    # and logging out is a POST form
    assert 'action="/dinh-danh/dang-xuat/"' in home.content.decode()  # logs out here and at the eID provider
    assert client.post("/tai-khoan/dang-xuat/").status_code == 302


def test_an_official_opening_a_citizen_dossier_in_the_portal_goes_to_the_back_office(world):
    dossier = submit_online(world).dossier
    response = client_for(world.desk).get(f"/ho-so/{dossier.code}/")
    assert response.status_code == 302 and response["Location"] == f"/can-bo/ho-so/{dossier.code}/"


@pytest.mark.parametrize("url", ["/", "/thu-tuc/", "/thu-tuc/1.001193/", "/tra-cuu/", "/tai-khoan/dang-nhap/"])
def test_pages_need_no_inline_script_or_style(world, url):
    # the content security policy forbids inline code: every script and style must come from a static file
    html = Client().get(url).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html and " style=" not in html
    assert "/static/motcua/site.css" in html and "/static/motcua/site.js" in html
