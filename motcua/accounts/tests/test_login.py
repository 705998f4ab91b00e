"""Login: wrong passwords lock the account out for a while, across server processes (database cache)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from motcua.accounts.models import User


@pytest.fixture
def official(db):
    return User.objects.create_user("xa.motcua", password="mat-khau-dung-1234", full_name="Nguyễn Thị Hoa")


def login(client: Client, password: str, ip: str = "10.0.0.1"):
    return client.post(reverse("accounts:login"), {"username": "xa.motcua", "password": password}, REMOTE_ADDR=ip)


def test_right_password_logs_in(official):
    response = login(Client(), "mat-khau-dung-1234")
    assert response.status_code == 302


def test_five_failures_lock_the_account_even_with_the_right_password(official, settings):
    settings.MOTCUA_LOGIN_MAX_FAILURES = 5
    client = Client()
    # given five wrong passwords
    for _ in range(5):
        wrong = login(client, "sai-mat-khau")
        assert wrong.status_code == 200
        assert "không đúng" in wrong.content.decode()
    # when the right one comes next, from another address
    locked = login(client, "mat-khau-dung-1234", ip="10.0.0.2")
    # then the account stays locked and says so
    assert locked.status_code == 200
    assert "tạm bị khoá" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_one_address_trying_many_accounts_is_throttled(db, settings):
    settings.MOTCUA_LOGIN_MAX_FAILURES = 2
    client = Client()
    for i in range(8):
        client.post(reverse("accounts:login"), {"username": f"u{i}", "password": "x"}, REMOTE_ADDR="10.9.9.9")
    User.objects.create_user("u99", password="mat-khau-dung-1234")
    blocked = client.post(
        reverse("accounts:login"), {"username": "u99", "password": "mat-khau-dung-1234"}, REMOTE_ADDR="10.9.9.9"
    )
    assert "tạm bị khoá" in blocked.content.decode()


def test_success_clears_the_failure_count(official, settings):
    settings.MOTCUA_LOGIN_MAX_FAILURES = 3
    client = Client()
    login(client, "sai-1")
    login(client, "sai-2")
    assert login(client, "mat-khau-dung-1234").status_code == 302
    client.post(reverse("accounts:logout"))
    login(client, "sai-3")
    assert login(client, "mat-khau-dung-1234").status_code == 302
