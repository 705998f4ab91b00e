"""The whole journey in a real browser against the real server: citizen submits online, desk accepts,
specialist forwards, leader signs, desk returns, citizen sees the result. Officials pass the second factor
(TOTP) with the code computed from their demo secret.

Drives Debian's chromium through Playwright (never `playwright install`). Skipped when chromium is missing,
unless MOTCUA_REQUIRE_SERVICES=1 (CI), where a missing browser is a failure.
"""

from __future__ import annotations

import re
import time
from base64 import b32decode
from datetime import timedelta

import pytest
from django.utils import timezone

pytestmark = pytest.mark.browser


def totp_code(username: str, secret_base32: str) -> str:
    """The code from the demo secret (RFC 6238, as the official's phone computes it), for the time step the
    device accepts next: an official logging in twice within 30 seconds cannot reuse a code (replay protection),
    so the second login types the next step's code, or waits for it."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from motcua.accounts.two_factor import code_at, next_code

    device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    assert device.bin_key == b32decode(secret_base32 + "=" * (-len(secret_base32) % 8))
    code, wait = next_code(device)
    if wait:
        time.sleep(wait)
        code, _ = next_code(device)
    t_now = (int(time.time()) - device.t0) // device.step + device.drift
    assert code in {code_at(device, t) for t in range(t_now - 1, t_now + 2)}
    return code


def test_online_birth_registration_from_submission_to_returned_result(server, browser, shots):
    from playwright.sync_api import expect

    from motcua.core.demo import demo_accounts, demo_agencies, demo_password, load_demo

    # given the demo world: Quảng Ninh's agencies, the catalogue, the 2026 calendar, demo officials and citizens
    load_demo()
    commune = demo_agencies()["commune"]
    password = demo_password()
    base = server
    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    secrets = {a["username"]: a.get("totp_secret_base32") for a in demo_accounts()}

    def login(username: str) -> None:
        page.goto(f"{base}/tai-khoan/dang-nhap/")
        expect(page.get_by_text("Đăng nhập bằng định danh điện tử quốc gia (VNeID) – sắp có")).to_be_visible()
        page.get_by_label("Tên đăng nhập hoặc số định danh cá nhân").fill(username)
        page.get_by_label("Mật khẩu").fill(password)
        page.get_by_role("button", name="Đăng nhập").click()
        if secrets.get(username):  # officials: the second factor, typed like an authenticator app shows it
            expect(page.get_by_role("heading", level=1)).to_have_text("Xác thực hai bước")
            page.get_by_label("Mã xác thực (6 chữ số)").fill(totp_code(username, secrets[username]))
            page.get_by_role("button", name="Xác nhận").click()
        expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()

    def logout() -> None:
        page.get_by_role("button", name="Đăng xuất").click()
        expect(page.get_by_role("link", name="Đăng nhập")).to_be_visible()

    # --- the citizen finds the procedure and submits online ---------------------------------------------
    login("022090001234")
    expect(page.locator("header")).to_contain_text("Nguyễn Văn An")
    page.get_by_label("Tìm thủ tục hành chính").fill("khai sinh")
    page.get_by_role("button", name="Tìm kiếm").click()
    expect(page.locator("main")).to_contain_text("thủ tục cho “khai sinh”")
    page.get_by_role("link", name="Thủ tục đăng ký khai sinh", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thủ tục đăng ký khai sinh")
    expect(page.locator("main")).to_contain_text("1.001193")
    page.get_by_label("Cơ quan tiếp nhận hồ sơ").select_option(commune.code)
    page.get_by_role("button", name="Nộp hồ sơ trực tuyến").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nộp hồ sơ trực tuyến")

    born = (timezone.localdate() - timedelta(days=10)).isoformat()
    page.get_by_label("Họ, chữ đệm, tên người yêu cầu").fill("Nguyễn Văn An")
    page.get_by_label("Số định danh cá nhân của người yêu cầu").fill("022090001234")
    page.get_by_label("Nơi cư trú của người yêu cầu").fill("Tổ 5, khu 3, phường Hạ Long, Quảng Ninh")
    page.get_by_label("Quan hệ với người được khai sinh").select_option("cha")
    page.get_by_label("Họ, chữ đệm, tên người được khai sinh").fill("Nguyễn Minh Khang")
    page.get_by_role("group", name="Giới tính").get_by_label("Nam").check()
    page.get_by_label("Ngày, tháng, năm sinh").fill(born)
    page.get_by_label("Nơi sinh").fill("Bệnh viện Sản Nhi Quảng Ninh")
    page.get_by_label("Quê quán").fill("Hạ Long, Quảng Ninh")
    page.get_by_label("Họ, chữ đệm, tên người mẹ").fill("Trần Thị Bích")
    page.get_by_label("Họ, chữ đệm, tên người cha").fill("Nguyễn Văn An")
    page.get_by_role("button", name="Nộp hồ sơ", exact=True).click()

    expect(page.get_by_role("heading", name="Đã nộp hồ sơ thành công")).to_be_visible()
    code = page.locator("#dossier-code").inner_text().strip()
    assert re.fullmatch(rf"{re.escape(commune.code)}-\d{{6}}-\d{{4}}", code), code
    expect(page.locator("#dossier-pin")).to_have_text(re.compile(r"^\d{6}$"))
    expect(page.locator("#due-at")).to_have_text(re.compile(r"\d{2}:\d{2} \d{2}/\d{2}/\d{4}"))
    expect(page.locator("main")).to_contain_text("Chờ tiếp nhận")
    page.screenshot(path=str(shots / "1-citizen-submitted.png"), full_page=True)
    logout()

    # --- the desk accepts it, with the checklist ticked ---------------------------------------------------
    login("xa.motcua")
    page.get_by_role("link", name="Một cửa điện tử (cán bộ)").click()
    expect(page.locator("main")).to_contain_text("hồ sơ chờ tiếp nhận")
    page.get_by_role("navigation", name="Một cửa điện tử").get_by_role("link", name="Một cửa").click()
    expect(page.locator("main")).to_contain_text(code)
    page.get_by_role("link", name=code).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hồ sơ {code}")
    expect(page.locator("main")).to_contain_text("Nguyễn Minh Khang")
    for doc in ("TP1", "TP2", "TP6"):
        page.locator(f"#present-{doc}").check()
    page.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    expect(page.locator(".messages")).to_contain_text("Đã thực hiện: Tiếp nhận hồ sơ.")
    expect(page.locator("main")).to_contain_text("Đang xử lý")
    page.screenshot(path=str(shots / "2-desk-accepted.png"), full_page=True)
    logout()

    # --- the specialist forwards it -------------------------------------------------------------------------
    login("xa.chuyenvien")
    page.goto(f"{base}/can-bo/")
    page.get_by_role("link", name="Việc của tôi").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Việc của tôi")
    page.get_by_role("link", name=code).click()
    page.get_by_label("Ghi chú, ý kiến").fill("Hồ sơ đầy đủ, đủ điều kiện đăng ký khai sinh.")
    page.get_by_role("button", name="Trình lãnh đạo UBND xã ký Giấy khai sinh").click()
    expect(page.locator(".messages")).to_contain_text("Đã thực hiện: Trình lãnh đạo UBND xã ký Giấy khai sinh.")
    logout()

    # --- the leader signs -----------------------------------------------------------------------------------
    login("xa.lanhdao")
    page.goto(f"{base}/can-bo/viec-cua-toi/")
    page.get_by_role("link", name=code).click()
    expect(page.locator("main")).to_contain_text("Hồ sơ đầy đủ, đủ điều kiện đăng ký khai sinh.")
    page.get_by_role("button", name="Ký Giấy khai sinh").click()
    expect(page.locator(".messages")).to_contain_text("Đã thực hiện: Ký Giấy khai sinh.")
    expect(page.locator("main")).to_contain_text("Chờ trả kết quả")
    logout()

    # --- the desk returns the result ------------------------------------------------------------------------
    login("xa.motcua")
    page.goto(f"{base}/can-bo/mot-cua/")
    expect(page.locator("#tra-ket-qua")).to_contain_text("Chờ trả kết quả")  # ours among the demo dossiers
    page.get_by_role("link", name=code).click()
    page.get_by_role("button", name="Trả kết quả").click()
    expect(page.locator(".messages")).to_contain_text("Đã thực hiện: Trả kết quả.")
    expect(page.locator("main")).to_contain_text("Đã trả kết quả")
    page.screenshot(path=str(shots / "3-desk-returned.png"), full_page=True)
    logout()

    # --- the citizen sees the result and whether it was on time ---------------------------------------------
    login("022090001234")
    page.get_by_role("link", name="Hồ sơ của tôi").click()
    row = page.get_by_role("row").filter(has_text=code)
    expect(row).to_contain_text("Đã trả kết quả")
    expect(row).to_contain_text(re.compile("Trước hạn|Đúng hạn"))
    row.get_by_role("link", name=code).click()
    expect(page.locator(".timeline")).to_contain_text("Trả kết quả")
    page.screenshot(path=str(shots / "4-citizen-result.png"), full_page=True)

    # and nothing on the way broke the page's scripts or the content security policy
    assert errors == [], errors
    context.close()
