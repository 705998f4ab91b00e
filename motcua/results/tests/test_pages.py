"""The public verification page and API: no login, CSRF on the form, size and type checked by content, rate
limits, and the page the QR code opens."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from motcua.documents import pdf
from motcua.results import services
from motcua.results.models import EResult
from motcua.results.tests.helpers import flip_byte_in_signed_range, pdf_bytes

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


def _upload(data: bytes, name: str = "ket-qua.pdf", kind: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=kind)


@pytest.fixture
def issued(rworld) -> EResult:
    return EResult.objects.get(dossier=rworld.birth_result())


@pytest.fixture
def browser() -> Client:
    """An anonymous visitor whose browser sends the CSRF token like a real one (checks enforced)."""
    client = Client(enforce_csrf_checks=True)
    page = client.get("/xac-minh/")
    assert page.status_code == 200
    client.token = client.cookies["csrftoken"].value
    return client


def _post(client: Client, data: bytes, **kwargs):
    return client.post("/xac-minh/", {"file": _upload(data, **kwargs), "csrfmiddlewaretoken": client.token})


def test_the_upload_form_works_without_login_and_says_valid(issued, browser):
    # given: an anonymous visitor on the form
    page = browser.get("/xac-minh/")
    body = page.content.decode()
    assert 'enctype="multipart/form-data"' in body and "csrfmiddlewaretoken" in body
    assert page["Cache-Control"] == "no-store"
    # when: they upload the e-result as received
    response = _post(browser, pdf_bytes(issued))
    # then
    text = response.content.decode()
    assert response.status_code == 200
    assert "Hợp lệ: văn bản là bản gốc" in text
    assert issued.number in text and "UBND phường Hà Tu" in text and "Trích lục khai sinh" in text
    assert issued.signed_at.astimezone(services.TZ).strftime("%H:%M:%S %d/%m/%Y") in text


def test_the_page_says_tampered_for_one_flipped_byte(issued, browser):
    response = _post(browser, flip_byte_in_signed_range(pdf_bytes(issued)))
    text = response.content.decode()
    assert response.status_code == 200
    assert "Không hợp lệ: văn bản đã bị sửa đổi" in text
    assert issued.number in text  # which result it pretends to be, with a link to the registered original
    assert f"/xac-minh/{issued.token}/" in text


def test_the_page_says_revoked_and_replaced_by_whom(rworld, issued, browser):
    new = services.replace(issued, rworld.leader, "Sửa quê quán")
    text = _post(browser, pdf_bytes(issued)).content.decode()
    assert "Kết quả đã được thay thế" in text and new.number in text and f"/xac-minh/{new.token}/" in text
    services.revoke(new, rworld.leader, "Quyết định hủy số 7")
    text = _post(browser, pdf_bytes(new)).content.decode()
    assert "Kết quả đã bị thu hồi" in text and "Quyết định hủy số 7" in text


def test_a_pdf_that_is_not_ours_is_unknown(browser, rworld):
    unsigned = pdf.build([pdf.p("Một văn bản bất kỳ")], title="x", author="y")
    text = _post(browser, unsigned).content.decode()
    assert "Không xác minh được" in text


def test_the_form_is_csrf_protected(issued):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/xac-minh/", {"file": _upload(pdf_bytes(issued))})
    assert response.status_code == 403


def test_non_pdf_and_oversized_uploads_get_clear_errors(browser, issued, settings):
    # a PNG named .pdf: judged by its content
    response = _post(browser, PNG, name="gia.pdf")
    assert response.status_code == 415
    assert "Chỉ xác minh được tệp PDF" in response.content.decode()
    # an empty file
    response = _post(browser, b"", name="rong.pdf")
    assert response.status_code == 400
    # over the limit
    settings.MOTCUA_VERIFY_MAX_BYTES = 1024
    response = _post(browser, pdf_bytes(issued))
    assert response.status_code == 413
    assert "Tệp quá lớn" in response.content.decode()


def test_uploads_are_rate_limited_per_address(browser, issued, settings):
    settings.MOTCUA_VERIFY_PER_MINUTE = 2
    data = pdf_bytes(issued)
    assert [_post(browser, data).status_code for _ in range(3)] == [200, 200, 429]
    assert "quá nhiều yêu cầu" in _post(browser, data).content.decode()


def test_the_qr_page_shows_the_status_and_gives_the_original(issued, rworld):
    client = Client()
    # when: the QR code is opened
    page = client.get(f"/xac-minh/{issued.token}/")
    # then
    text = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"] == "no-store" and "noindex" in page["X-Robots-Tag"]
    assert "Kết quả đang có hiệu lực" in text and issued.number in text and issued.sha256 in text
    download = client.get(f"/xac-minh/{issued.token}/tai-ve/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == pdf_bytes(issued)
    # after a revocation the same QR code says so
    services.revoke(issued, rworld.leader, "Nhầm người")
    text = client.get(f"/xac-minh/{issued.token}/").content.decode()
    assert "Kết quả đã bị thu hồi" in text and "Nhầm người" in text
    # an unknown token is simply not found
    assert client.get("/xac-minh/khong-ton-tai-khong-ton-tai/").status_code == 404
    assert client.get("/xac-minh/a/").status_code == 404


def test_the_api_verifies_a_pdf_and_answers_problems_for_bad_input(issued, rworld, settings):
    client = Client()
    # valid
    response = client.post("/api/v1/results/verify", {"file": _upload(pdf_bytes(issued))})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "valid" and body["number"] == issued.number
    assert body["signer_agency"] == "UBND phường Hà Tu" and body["signed_at"]
    # tampered
    body = client.post("/api/v1/results/verify", {"file": _upload(flip_byte_in_signed_range(pdf_bytes(issued)))}).json()
    assert body["status"] == "tampered" and body["number"] == issued.number
    # replaced: says by which number
    new = services.replace(issued, rworld.leader, "Cấp lại")
    body = client.post("/api/v1/results/verify", {"file": _upload(pdf_bytes(issued))}).json()
    assert body["status"] == "replaced" and body["replaced_by"] == new.number
    # bad input: problem+json
    for files, status in (({"file": _upload(PNG)}, 415), ({}, 422)):
        response = client.post("/api/v1/results/verify", files)
        assert response.status_code == status
        assert response["Content-Type"].startswith("application/problem+json")
        assert response.json()["detail"]
    settings.MOTCUA_VERIFY_MAX_BYTES = 1024
    response = client.post("/api/v1/results/verify", {"file": _upload(pdf_bytes(new))})
    assert response.status_code == 413 and response["Content-Type"].startswith("application/problem+json")
    # the status by QR token
    body = client.get(f"/api/v1/results/{new.token}").json()
    assert body["status"] == "valid" and body["download_url"].endswith(f"/xac-minh/{new.token}/tai-ve/")
    assert client.get("/api/v1/results/khong-co-ma-nay-dau-nhe").status_code == 404


def test_the_api_is_rate_limited(issued, settings):
    settings.MOTCUA_VERIFY_PER_MINUTE = 1
    client = Client()
    data = pdf_bytes(issued)
    assert client.post("/api/v1/results/verify", {"file": _upload(data)}).status_code == 200
    response = client.post("/api/v1/results/verify", {"file": _upload(data)})
    assert response.status_code == 429 and response["Content-Type"].startswith("application/problem+json")


def test_the_dossier_partial_lists_its_e_results_with_links(issued):
    from django.template.loader import render_to_string

    html = render_to_string("results/_dossier_results.html", {"dossier": issued.dossier})
    assert issued.number in html and "Còn hiệu lực" in html
    assert f"/xac-minh/{issued.token}/tai-ve/" in html and f"/xac-minh/{issued.token}/" in html
