"""Where the forms are downloaded: the back-office dossier page, the citizen's dossier page, the tracking-book page and
the API; and who may download them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from motcua.accounts.testing import signed_in_client
from motcua.audit.models import AuditRecord
from motcua.dossiers.tests.helpers import Api, assert_problem
from motcua.portal.tests.helpers import client_for, submit_online, text_of

from .states import accepted, pdf_text, reappointed, refused, supplement_requested
from .test_tracking_book import DAY, make_dossiers


def _assert_pdf(response, filename: str) -> str:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{filename}"'
    assert "no-store" in response["Cache-Control"]
    return pdf_text(response.content)


# --- back office --------------------------------------------------------------------------------------------


def test_dossier_page_lists_the_forms_that_apply_and_the_official_downloads_them(world):
    # given a dossier accepted then apologised for (new appointment)
    dossier = reappointed(world)
    desk = signed_in_client(world.desk)
    # when the desk opens the dossier page
    page = desk.get(f"/can-bo/ho-so/{dossier.code}/")
    # then a "Biểu mẫu" section links forms 01, 04 and 05 (and not 02, 03)
    html = page.content.decode()
    assert "Biểu mẫu" in text_of(page)
    for number in ("01", "04", "05"):
        assert f'href="/can-bo/ho-so/{dossier.code}/bieu-mau/{number}/"' in html
    for number in ("02", "03"):
        assert f"/bieu-mau/{number}/" not in html
    # and the link gives the PDF inline, named after the code
    text = _assert_pdf(desk.get(f"/can-bo/ho-so/{dossier.code}/bieu-mau/01/"), f"{dossier.code}-mau-01.pdf")
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text and dossier.code in text
    # and the read of the citizen's dossier is audited with what was downloaded
    assert AuditRecord.objects.filter(action="dossier.read", object_id=dossier.code, reason="tải biểu mẫu 01").exists()


def test_a_province_auditor_downloads_the_process_control_sheet(world):
    dossier = accepted(world)
    response = signed_in_client(world.auditor).get(f"/can-bo/ho-so/{dossier.code}/bieu-mau/05/")
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in _assert_pdf(response, f"{dossier.code}-mau-05.pdf")


def test_another_agencys_official_gets_404(world):
    dossier = accepted(world)
    response = signed_in_client(world.other_desk).get(f"/can-bo/ho-so/{dossier.code}/bieu-mau/01/")
    assert response.status_code == 404


def test_anonymous_is_sent_to_login_and_a_citizen_gets_403_in_the_back_office(world):
    dossier = accepted(world)
    url = f"/can-bo/ho-so/{dossier.code}/bieu-mau/01/"
    response = Client().get(url)
    assert response.status_code == 302 and response["Location"].startswith("/tai-khoan/dang-nhap/")
    assert client_for(world.citizen).get(url).status_code == 403


def test_a_form_that_does_not_apply_sends_the_official_back_with_the_reason(world):
    dossier = accepted(world)
    desk = signed_in_client(world.desk)
    response = desk.get(f"/can-bo/ho-so/{dossier.code}/bieu-mau/03/", follow=True)
    assert response.redirect_chain[-1][0] == f"/can-bo/ho-so/{dossier.code}/"
    assert f"Hồ sơ {dossier.code} không bị từ chối tiếp nhận, giải quyết" in text_of(response)
    assert desk.get(f"/can-bo/ho-so/{dossier.code}/bieu-mau/07/").status_code == 404


# --- citizen portal -----------------------------------------------------------------------------------------


def test_the_applicant_downloads_forms_01_to_04_from_their_dossier_page(world):
    # given the applicant's dossier was refused at the desk
    dossier = refused(world)
    citizen = client_for(world.citizen)
    # when they open their dossier
    page = citizen.get(f"/ho-so/{dossier.code}/")
    # then the refusal form is offered, and it downloads
    assert f'href="/ho-so/{dossier.code}/bieu-mau/03/"' in page.content.decode()
    text = _assert_pdf(citizen.get(f"/ho-so/{dossier.code}/bieu-mau/03/"), f"{dossier.code}-mau-03.pdf")
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN, GIẢI QUYẾT HỒ SƠ" in text


def test_the_applicant_never_gets_the_process_control_sheet(world):
    dossier = accepted(world)
    citizen = client_for(world.citizen)
    assert "/bieu-mau/05/" not in citizen.get(f"/ho-so/{dossier.code}/").content.decode()
    assert f"/ho-so/{dossier.code}/bieu-mau/01/" in citizen.get(f"/ho-so/{dossier.code}/").content.decode()
    assert citizen.get(f"/ho-so/{dossier.code}/bieu-mau/05/").status_code == 404


def test_another_citizen_gets_404_and_anonymous_is_sent_to_login(world):
    dossier = supplement_requested(world)
    url = f"/ho-so/{dossier.code}/bieu-mau/02/"
    assert client_for(world.other_citizen).get(url).status_code == 404
    response = Client().get(url)
    assert response.status_code == 302 and "/tai-khoan/dang-nhap/" in response["Location"]
    assert "PHIẾU YÊU CẦU BỔ SUNG" in _assert_pdf(client_for(world.citizen).get(url), f"{dossier.code}-mau-02.pdf")


# --- API ----------------------------------------------------------------------------------------------------


def test_api_returns_the_pdf_to_those_who_may_see_the_dossier(world):
    dossier = reappointed(world)
    desk = Api(world.tokens["desk"])
    text = _assert_pdf(desk.get(f"/api/v1/dossiers/{dossier.code}/forms/04"), f"{dossier.code}-mau-04.pdf")
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in text
    _assert_pdf(desk.get(f"/api/v1/dossiers/{dossier.code}/forms/05"), f"{dossier.code}-mau-05.pdf")
    _assert_pdf(
        Api(world.tokens["citizen"]).get(f"/api/v1/dossiers/{dossier.code}/forms/01"), f"{dossier.code}-mau-01.pdf"
    )


@pytest.mark.parametrize(
    ("who", "number", "status"),
    [("other_desk", "01", 404), ("other_citizen", "01", 404), ("citizen", "05", 403), ("desk", "03", 409),
     ("desk", "06", 404), (None, "01", 401)],
)  # fmt: skip
def test_api_refusals(world, who, number, status):
    dossier = accepted(world)
    api = Api(world.tokens[who] if who else None)
    assert_problem(api.get(f"/api/v1/dossiers/{dossier.code}/forms/{number}"), status)


def test_api_documents_the_pdf_response(world):
    schema = Client().get("/api/openapi.json").json()
    operation = schema["paths"]["/api/v1/dossiers/{code}/forms/{number}"]["get"]
    assert "application/pdf" in operation["responses"]["200"]["content"]


# --- tracking book ------------------------------------------------------------------------------------------


def test_tracking_book_page_gives_the_form_then_the_pdf(world):
    make_dossiers(world, 5)
    desk = signed_in_client(world.desk)
    page = desk.get("/can-bo/so-theo-doi/")
    assert page.status_code == 200 and "Sổ theo dõi hồ sơ" in text_of(page)
    assert "UBND phường Bãi Cháy" not in text_of(page)  # only the agencies the official may choose
    params = {"co_quan": world.agency.code, "tu": DAY.isoformat(), "den": DAY.isoformat()}
    response = desk.get("/can-bo/so-theo-doi/", params)
    text = _assert_pdf(response, f"so-theo-doi-{world.agency.code}-20261102-20261102.pdf")
    assert "SỔ THEO DÕI HỒ SƠ" in text and "Tổng số hồ sơ tiếp nhận: 5;" in text
    assert AuditRecord.objects.filter(action="documents.tracking_book", object_id=world.agency.code).exists()


def test_tracking_book_is_for_the_agencys_officials_and_the_provinces_auditors(world):
    params = {"co_quan": world.agency.code, "tu": DAY.isoformat(), "den": DAY.isoformat()}
    # another agency's official: 403
    assert signed_in_client(world.other_desk).get("/can-bo/so-theo-doi/", params).status_code == 403
    # the province's auditor: both communes
    auditor = signed_in_client(world.auditor)
    assert auditor.get("/can-bo/so-theo-doi/", params)["Content-Type"] == "application/pdf"
    other = {**params, "co_quan": world.other_agency.code}
    assert auditor.get("/can-bo/so-theo-doi/", other)["Content-Type"] == "application/pdf"
    # citizens and anonymous visitors: no
    assert client_for(world.citizen).get("/can-bo/so-theo-doi/", params).status_code == 403
    assert Client().get("/can-bo/so-theo-doi/", params).status_code == 302


def test_tracking_book_refuses_a_period_backwards_or_longer_than_a_year(world):
    desk = signed_in_client(world.desk)
    backwards = {"co_quan": world.agency.code, "tu": DAY.isoformat(), "den": (DAY - timedelta(days=1)).isoformat()}
    response = desk.get("/can-bo/so-theo-doi/", backwards)
    assert response.status_code == 422 and "Ngày kết thúc phải sau hoặc trùng ngày bắt đầu." in text_of(response)
    too_long = {**backwards, "den": (DAY + timedelta(days=400)).isoformat()}
    response = desk.get("/can-bo/so-theo-doi/", too_long)
    assert response.status_code == 422 and "tối đa 366 ngày" in text_of(response)


def test_submitted_dossier_offers_no_form_yet(world):
    dossier = submit_online(world).dossier
    html = signed_in_client(world.desk).get(f"/can-bo/ho-so/{dossier.code}/").content.decode()
    assert "/bieu-mau/" not in html
