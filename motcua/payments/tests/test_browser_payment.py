"""In a real browser, on real servers: a citizen pays her dossier's fee through the (simulated) gateway's page; the
gateway's IPN reaches the live server over HTTP; the dossier page says "Đã nộp phí"; the e-receipt downloads and
is in her data store."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from .conftest import status_of, submitted, wait_for

pytestmark = pytest.mark.browser


def test_citizen_pays_online_and_downloads_the_e_receipt(server, gateway, fee_world, browser, shots):
    from playwright.sync_api import expect

    from motcua.payments.models import Payment
    from motcua.store.models import StoredDocument

    # given Bích's online dossier, owing 10.000 đồng, and the gateway sending its IPN to this server
    dossier = submitted(fee_world)
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.set_default_timeout(15000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(f"{m.text} {m.location}") if m.type == "error" else None)

    # when she logs in with her password and opens her dossier
    page.goto(f"{server}/tai-khoan/dang-nhap/?next=/ho-so/{dossier.code}/")
    page.get_by_label("Tên đăng nhập hoặc số định danh cá nhân").fill("022192004567")
    page.get_by_label("Mật khẩu").fill("mat-khau-thu-nghiem-1")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{server}/ho-so/{dossier.code}/")
    # then the page offers to pay the fee online
    pay = page.get_by_role("button", name="Nộp phí, lệ phí trực tuyến: 10.000 đồng")
    expect(pay).to_be_visible()
    page.screenshot(path=str(shots / "pay-1-dossier.png"), full_page=True)

    # when she presses it / then she is on the gateway's page, which shows the amount and who is paid
    pay.click()
    expect(page).to_have_url(re.compile(re.escape(gateway.base) + r"/paymentv2/vpcpay\.html\?"))
    expect(page.locator("#amount")).to_have_text("10.000 VND")
    expect(page.locator("#merchant")).to_contain_text("motcua")
    expect(page.locator("#order-info")).to_contain_text(dossier.code)
    page.screenshot(path=str(shots / "pay-2-gateway.png"), full_page=True)

    # when she pays / then she comes back to our result page
    page.get_by_role("button", name="Thanh toán").click()
    expect(page).to_have_url(re.compile(re.escape(server) + r"/thanh-toan/ket-qua/\?"))
    expect(page.locator("#payment-result h1")).to_have_text("Đã nộp phí, lệ phí thành công")
    page.screenshot(path=str(shots / "pay-3-result.png"), full_page=True)
    # and the gateway's IPN reached the server over HTTP
    payment = Payment.objects.get(dossier=dossier)
    wait_for(lambda: status_of(payment) == "paid")
    wait_for(lambda: any(x["rsp_code"] in ("00", "02") for x in gateway.ipns()))
    wait_for(lambda: Payment.objects.get(pk=payment.pk).receipt_deposited)
    payment.refresh_from_db()

    # when she goes back to her dossier / then it says the fee is paid, with the receipt to download
    page.get_by_role("link", name="Về trang hồ sơ").click()
    expect(page.locator("#fee-status")).to_contain_text("Đã nộp phí")
    expect(page.get_by_role("button", name=re.compile("Nộp phí, lệ phí trực tuyến"))).to_have_count(0)
    page.screenshot(path=str(shots / "pay-4-paid.png"), full_page=True)
    with page.expect_download() as info:
        page.locator("#receipt-link").click()
    content = Path(info.value.path()).read_bytes()
    assert hashlib.sha256(content).hexdigest() == payment.receipt_sha256
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    series, number = payment.receipt_no.split("-")
    assert "BIÊN LAI THU PHÍ, LỆ PHÍ ĐIỆN TỬ" in text and "10.000 đồng" in text
    assert f"Ký hiệu: {series} — Số: {number}" in text

    # and the receipt is in her data store
    stored = StoredDocument.objects.get(source_ref=f"payments.Payment:{payment.pk}")
    assert stored.owner_personal_id == "022192004567" and stored.sha256 == payment.receipt_sha256
    page.goto(f"{server}/kho-du-lieu/")
    expect(page.locator("main")).to_contain_text(payment.receipt_no)
    page.screenshot(path=str(shots / "pay-5-store.png"), full_page=True)
    assert errors == []
