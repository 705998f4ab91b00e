"""Second factor (TOTP) for every back-office role: password, then a code; the admin behind the same door."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.utils import timezone
from django_otp.middleware import OTPMiddleware
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from motcua.accounts import two_factor
from motcua.accounts.models import Role, RoleAssignment, User
from motcua.accounts.services import session_is_fully_authenticated
from motcua.accounts.testing import otp_force_login
from motcua.audit.models import AuditRecord
from motcua.catalog.models import Agency, AgencyKind

PASSWORD = "mat-khau-dung-1234"
VERIFY = "/tai-khoan/xac-thuc-2-buoc/"
SETUP = "/tai-khoan/thiet-lap-2-buoc/"


@pytest.fixture
def agency(db) -> Agency:
    return Agency.objects.create(code="000.31.10.H49", name="UBND phường Hạ Long", kind=AgencyKind.COMMUNE)


def make_official(agency: Agency, username: str = "xa.motcua", *, device: bool = True, **extra) -> User:
    user = User.objects.create_user(username, password=PASSWORD, full_name="Nguyễn Thị Hoa", **extra)
    RoleAssignment.objects.create(user=user, agency=agency, role=Role.DESK)
    if device:
        TOTPDevice.objects.create(user=user, name="Điện thoại", confirmed=True)
    return user


@pytest.fixture
def official(agency) -> User:
    return make_official(agency)


def device_of(user: User) -> TOTPDevice:
    return TOTPDevice.objects.get(user=user, confirmed=True)


def current_code(device: TOTPDevice) -> str:
    """What the authenticator app shows now, computed with django-otp's own RFC 6238 function."""
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def password_login(client: Client, username: str, next_url: str = "/can-bo/") -> HttpResponse:
    return client.post(
        "/tai-khoan/dang-nhap/", {"username": username, "password": PASSWORD, "next": next_url}, REMOTE_ADDR="10.1.1.1"
    )


def text(response: HttpResponse) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


# --- the login flow -----------------------------------------------------------------------------------------


def test_official_with_only_a_password_is_sent_to_the_code_page_with_next_kept(official):
    client = Client()
    # when an official types the right password, asking for the desk queue
    response = password_login(client, "xa.motcua", "/can-bo/mot-cua/")
    # then they are logged in but asked for the code, with where they were going kept
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next={quote('/can-bo/mot-cua/', safe='')}"
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Xác thực hai bước" in text(page)
    assert 'name="next" value="/can-bo/mot-cua/"' in page.content.decode()
    # and the back office is still closed to them, each page sending them back to the code
    blocked = client.get("/can-bo/ho-so/")
    assert blocked.status_code == 302 and blocked["Location"] == f"{VERIFY}?next=%2Fcan-bo%2Fho-so%2F"
    # and coming back to the login page leads to the code page too, not into the back office
    again = client.get("/tai-khoan/dang-nhap/?next=/can-bo/")
    assert again.status_code == 302 and again["Location"].startswith(VERIFY)


def test_wrong_code_is_refused_and_the_back_office_stays_closed(official):
    client = Client()
    password_login(client, "xa.motcua")
    right = current_code(device_of(official))
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = client.post(VERIFY, {"code": wrong, "next": "/can-bo/"})
    assert response.status_code == 422
    assert "Mã xác thực không đúng" in text(response)
    assert client.get("/can-bo/").status_code == 302
    assert AuditRecord.objects.filter(action="account.otp_failed", object_id="xa.motcua").exists()


def test_right_code_opens_the_back_office_and_goes_where_the_official_was_going(official):
    client = Client()
    password_login(client, "xa.motcua", "/can-bo/viec-cua-toi/")
    before = client.session.session_key
    # when the current code from the authenticator is typed (with the space some apps show)
    code = current_code(device_of(official))
    response = client.post(VERIFY, {"code": f"{code[:3]} {code[3:]}", "next": "/can-bo/viec-cua-toi/"})
    # then they land where they were going, in a new session key, and the back office works
    assert response.status_code == 302 and response["Location"] == "/can-bo/viec-cua-toi/"
    assert client.session.session_key != before
    assert client.get("/can-bo/").status_code == 200
    assert client.get("/can-bo/ho-so/").status_code == 200
    assert AuditRecord.objects.filter(action="account.otp_verified", actor=official).exists()
    # and the code page now just sends them on
    assert client.get(f"{VERIFY}?next=/can-bo/").status_code == 302


def test_a_code_cannot_be_used_twice(official):
    first, second = Client(), Client()
    password_login(first, "xa.motcua")
    password_login(second, "xa.motcua")
    code = current_code(device_of(official))
    assert first.post(VERIFY, {"code": code}).status_code == 302
    # someone who saw the code over the official's shoulder cannot reuse it
    assert second.post(VERIFY, {"code": code}).status_code == 422
    # while the code the device accepts next still works (a second login within the same 30 seconds)
    device = device_of(official)
    device.throttle_reset()
    code, wait = two_factor.next_code(device)
    assert wait == 0
    assert second.post(VERIFY, {"code": code}).status_code == 302


def test_repeated_wrong_codes_make_the_official_wait_longer_and_longer(official):
    client = Client()
    password_login(client, "xa.motcua")
    device = device_of(official)
    right = current_code(device)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    # given five wrong codes, each after the previous wait was over
    for _ in range(5):
        TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=timezone.now() - timedelta(hours=1))
        assert client.post(VERIFY, {"code": wrong}).status_code == 422
    device.refresh_from_db()
    assert device.throttling_failure_count == 5
    # when the right code comes at once
    response = client.post(VERIFY, {"code": right})
    # then it is not even checked: the official is told in Vietnamese how long to wait (2^4 = 16 seconds)
    assert response.status_code == 429
    assert re.search(r"Bạn đã nhập sai mã nhiều lần\. Vui lòng chờ 1[56] giây rồi thử lại\.", text(response))
    assert client.get("/can-bo/").status_code == 302
    # and a malformed code counts as a wrong one
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=timezone.now() - timedelta(hours=1))
    assert client.post(VERIFY, {"code": "abcdef"}).status_code == 422
    device.refresh_from_db()
    assert device.throttling_failure_count == 6
    # when the wait is over, the right code works and the count is cleared
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=timezone.now() - timedelta(hours=1))
    assert client.post(VERIFY, {"code": current_code(device)}).status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 0
    assert client.get("/can-bo/").status_code == 200


def test_official_without_an_authenticator_enrols_with_a_qr_code_and_a_first_code(agency):
    user = make_official(agency, "xa.chuyenvien", device=False)
    client = Client()
    # when the official logs in for the first time
    response = password_login(client, "xa.chuyenvien", "/can-bo/mot-cua/")
    # then they are sent to enrolment, which shows a QR code as inline SVG and the key to type by hand
    assert response["Location"] == f"{SETUP}?next=%2Fcan-bo%2Fmot-cua%2F"
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert re.search(r'<svg role="img" aria-label="[^"]+"[^>]*>.*<path d="M', html, re.S)
    assert "<script" not in html.split("</header>")[1] and " style=" not in html
    pending = TOTPDevice.objects.get(user=user, confirmed=False)
    secret = two_factor.base32_secret(pending)
    assert two_factor.grouped(secret) in html and len(secret) == 32
    # and the same key on a reload (the phone may already hold it)
    client.get(response["Location"])
    assert TOTPDevice.objects.filter(user=user).count() == 1
    # the back office stays closed until a code confirms the device
    assert client.get("/can-bo/").status_code == 302
    wrong = f"{(int(current_code(pending)) + 1) % 1_000_000:06d}"
    refused = client.post(SETUP, {"code": wrong, "next": "/can-bo/mot-cua/"})
    assert refused.status_code == 422 and "Mã xác thực không đúng" in text(refused)
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    # when the first code from the app is typed
    pending.throttle_reset()
    done = client.post(SETUP, {"code": current_code(pending), "next": "/can-bo/mot-cua/"})
    # then the device is confirmed, the session verified, and they go on to the desk
    assert done.status_code == 302 and done["Location"] == "/can-bo/mot-cua/"
    assert TOTPDevice.objects.get(user=user).confirmed
    assert client.get("/can-bo/mot-cua/").status_code == 200
    assert AuditRecord.objects.filter(action="account.otp_enrolled", actor=user).exists()
    # and enrolment is closed now: a stolen password cannot enrol another phone
    again = Client()
    password_login(again, "xa.chuyenvien")
    assert again.get(SETUP).status_code == 302
    assert again.get(SETUP)["Location"].startswith(VERIFY)


def test_next_pointing_elsewhere_is_ignored(official):
    client = Client()
    password_login(client, "xa.motcua")
    response = client.post(VERIFY, {"code": current_code(device_of(official)), "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/can-bo/"


# --- the admin site -------------------------------------------------------------------------------------------


@pytest.fixture
def staff(db) -> User:
    user = User.objects.create_superuser("quantri", password=PASSWORD, full_name="Ngô Văn Minh")
    TOTPDevice.objects.create(user=user, name="Điện thoại", confirmed=True)
    return user


def test_admin_needs_the_second_factor_even_for_a_superuser(staff):
    client = Client()
    client.force_login(staff)
    # a password-only session is not enough
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    to_code = client.get(response["Location"])
    assert to_code.status_code == 302 and to_code["Location"] == f"{VERIFY}?next=%2Fadmin%2F"
    assert client.get("/admin/accounts/user/").status_code == 302
    # after the code, the admin opens
    assert client.post(VERIFY, {"code": current_code(device_of(staff)), "next": "/admin/"})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 200


def test_admin_login_form_is_never_shown_anonymous_visitors_use_the_throttled_login(db):
    response = Client().get("/admin/login/?next=/admin/catalog/agency/")
    assert response.status_code == 302
    assert response["Location"] == "/tai-khoan/dang-nhap/?next=/admin/catalog/agency/"
    assert Client().get("/admin/login/?next=https://evil.example/")["Location"] == "/tai-khoan/dang-nhap/?next=/admin/"


def test_admin_refuses_logged_in_non_staff_without_a_loop(official, db):
    citizen = User.objects.create_user("022192004567", password=PASSWORD, personal_id="022192004567")
    for user in (citizen, official):
        client = otp_force_login(Client(), user)
        assert client.get("/admin/").status_code == 302
        assert client.get("/admin/login/?next=/admin/").status_code == 403


def test_password_login_of_staff_goes_to_the_code_then_the_admin(staff):
    client = Client()
    response = password_login(client, "quantri", "/admin/")
    assert response["Location"] == f"{VERIFY}?next=%2Fadmin%2F"
    assert client.post(VERIFY, {"code": current_code(device_of(staff)), "next": "/admin/"}).status_code == 302
    assert client.get("/admin/").status_code == 200


# --- citizens, the switch, the API session check -------------------------------------------------------


def test_citizens_are_not_asked_for_a_code(db):
    User.objects.create_user("022192004567", password=PASSWORD, personal_id="022192004567")
    client = Client()
    response = password_login(client, "022192004567", "/ho-so/")
    assert response.status_code == 302 and response["Location"] == "/ho-so/"
    assert client.get("/ho-so/").status_code == 200
    # and the code pages have nothing to ask them
    assert client.get(f"{SETUP}?next=/ho-so/")["Location"] == "/ho-so/"
    assert client.get(f"{VERIFY}?next=/ho-so/")["Location"] == "/ho-so/"
    assert not TOTPDevice.objects.exists()


def test_the_switch_for_a_closed_bench_lets_officials_in_with_a_password(official, staff, settings):
    settings.MOTCUA_REQUIRE_OFFICIAL_2FA = False
    client = Client()
    response = password_login(client, "xa.motcua", "/can-bo/mot-cua/")
    assert response["Location"] == "/can-bo/mot-cua/"
    assert client.get("/can-bo/mot-cua/").status_code == 200
    admin_client = Client()
    admin_client.force_login(staff)
    assert admin_client.get("/admin/").status_code == 200


def _request_with_session_of(client: Client):
    """A request as the API sees it: the session cookie's user, wrapped by django-otp's middleware."""
    request = RequestFactory().get("/api/v1/dossiers")
    request.session = client.session
    AuthenticationMiddleware(lambda r: HttpResponse()).process_request(request)
    OTPMiddleware(lambda r: HttpResponse())(request)
    return request


def test_session_is_fully_authenticated_for_api_calls(official, settings):
    citizen = User.objects.create_user("022192004567", password=PASSWORD, personal_id="022192004567")
    # anonymous: no
    assert not session_is_fully_authenticated(_request_with_session_of(Client()))
    # a citizen's session: yes, no second factor is asked of citizens here
    citizen_client = Client()
    citizen_client.force_login(citizen)
    assert session_is_fully_authenticated(_request_with_session_of(citizen_client))
    # an official after the password only: no
    half = Client()
    password_login(half, "xa.motcua")
    assert not session_is_fully_authenticated(_request_with_session_of(half))
    # an official after the code: yes
    half.post(VERIFY, {"code": current_code(device_of(official))})
    request = _request_with_session_of(half)
    assert session_is_fully_authenticated(request)
    # and also when request.user was replaced after the middleware ran (as login() does)
    request.user = User.objects.get(pk=official.pk)
    assert session_is_fully_authenticated(request)
    request.session = Client().session
    assert not session_is_fully_authenticated(request)
    # a device that is no longer confirmed does not count
    verified = _request_with_session_of(half)
    TOTPDevice.objects.filter(user=official).update(confirmed=False)
    assert not session_is_fully_authenticated(verified)
    # the closed-bench switch
    settings.MOTCUA_REQUIRE_OFFICIAL_2FA = False
    assert session_is_fully_authenticated(_request_with_session_of(half))
