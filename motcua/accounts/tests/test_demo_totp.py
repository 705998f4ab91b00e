"""Demo officials' second factor: known secrets, printed by `demo_accounts`, codes by `totp_code`."""

from __future__ import annotations

import io
import json
from base64 import b32decode

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from motcua.accounts.models import User
from motcua.catalog.models import Agency, AgencyKind
from motcua.core.demo import OFFICIALS, demo_password, demo_totp_key, ensure_people


@pytest.fixture(autouse=True)
def demo_places(db) -> None:
    """The two agencies the commune's and the province's demo officials hold their roles in."""
    Agency.objects.create(
        code="000.00.00.H49", name="UBND tỉnh Quảng Ninh", kind=AgencyKind.PROVINCE, province_code="22"
    )
    Agency.objects.create(code="000.31.10.H49", name="UBND phường Hạ Long", kind=AgencyKind.COMMUNE, province_code="22")


def _accounts() -> list[dict]:
    out = io.StringIO()
    call_command("demo_accounts", "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.django_db
def test_every_demo_official_has_one_confirmed_device_with_the_derived_secret_idempotently():
    ensure_people()
    ensure_people()
    for o in OFFICIALS:
        devices = TOTPDevice.objects.filter(user__username=o.username)
        assert devices.count() == 1, o.username
        device = devices.get()
        assert device.confirmed and device.key == demo_totp_key(o.username)
    # distinct secrets, 20 bytes each
    keys = {demo_totp_key(o.username) for o in OFFICIALS}
    assert len(keys) == len(OFFICIALS) and all(len(bytes.fromhex(k)) == 20 for k in keys)
    # citizens get none
    assert not TOTPDevice.objects.filter(user__personal_id__isnull=False).exists()


@pytest.mark.django_db
def test_demo_accounts_json_gives_the_secret_and_a_login_works_with_a_code_computed_from_it():
    ensure_people()
    rows = {r["username"]: r for r in _accounts()}
    assert all(rows[o.username]["totp_secret_base32"] for o in OFFICIALS)
    assert rows["022090001234"].get("totp_secret_base32") is None
    # a bench script: base32 secret → RFC 6238 code, as any authenticator app computes it
    secret = rows["xa.motcua"]["totp_secret_base32"]
    key = b32decode(secret + "=" * (-len(secret) % 8))
    client = Client()
    client.post("/tai-khoan/dang-nhap/", {"username": "xa.motcua", "password": demo_password()})
    response = client.post("/tai-khoan/xac-thuc-2-buoc/", {"code": f"{totp(key):06d}", "next": "/can-bo/"})
    assert response.status_code == 302 and response["Location"] == "/can-bo/"
    assert client.get("/can-bo/").status_code == 200


@pytest.mark.django_db
def test_demo_accounts_text_tells_how_to_get_a_code():
    ensure_people()
    out = io.StringIO()
    call_command("demo_accounts", stdout=out)
    text = out.getvalue()
    assert "totp_code" in text and "khóa TOTP:" in text and "mã hiện tại:" in text


@pytest.mark.django_db
def test_totp_code_prints_a_code_the_login_accepts_even_twice_in_the_same_step():
    ensure_people()
    for _ in range(2):
        out = io.StringIO()
        call_command("totp_code", "xa.lanhdao", stdout=out)
        code = out.getvalue().strip()
        assert len(code) == 6 and code.isdigit()
        client = Client()
        client.post("/tai-khoan/dang-nhap/", {"username": "xa.lanhdao", "password": demo_password()})
        response = client.post("/tai-khoan/xac-thuc-2-buoc/", {"code": code, "next": "/can-bo/viec-cua-toi/"})
        assert response.status_code == 302 and response["Location"] == "/can-bo/viec-cua-toi/"
        assert client.get("/can-bo/viec-cua-toi/").status_code == 200


@pytest.mark.django_db
def test_totp_code_explains_a_missing_account_or_device():
    User.objects.create_user("khong-thiet-bi", password="mat-khau-dai-12345")
    with pytest.raises(CommandError, match="Không có tài khoản"):
        call_command("totp_code", "khong-ai")
    with pytest.raises(CommandError, match="chưa thiết lập"):
        call_command("totp_code", "khong-thiet-bi")
