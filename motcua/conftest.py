"""Shared fixtures: a small real world (agencies, a procedure version, officials, citizens) built per test."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import time

import pytest

REQUIRE_SERVICES = os.environ.get("MOTCUA_REQUIRE_SERVICES") == "1"

pytest_plugins = ["motcua.browser_fixtures"]

BIRTH_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "title": "Tờ khai đăng ký khai sinh",
    "required": ["ho_ten_tre", "ngay_sinh", "gioi_tinh", "ho_ten_me"],
    "properties": {
        "ho_ten_tre": {
            "type": "string",
            "title": "Họ, chữ đệm, tên của trẻ",
            "minLength": 2,
            "maxLength": 100,
        },
        "ngay_sinh": {"type": "string", "format": "date", "title": "Ngày, tháng, năm sinh"},
        "gioi_tinh": {
            "type": "string",
            "title": "Giới tính",
            "oneOf": [{"const": "nam", "title": "Nam"}, {"const": "nu", "title": "Nữ"}],
        },
        "ho_ten_me": {"type": "string", "title": "Họ, chữ đệm, tên của mẹ"},
        "so_dinh_danh_me": {"type": "string", "title": "Số định danh của mẹ", "pattern": "^[0-9]{12}$"},
        "so_ban_sao": {"type": "integer", "title": "Số bản sao", "minimum": 0, "maximum": 10},
    },
}


def _workflow() -> dict:
    """The catalogue's default workflow: specialist `xu_ly` → leader `phe_duyet` → result, undo allowed."""
    from motcua.catalog.workflow import default_workflow

    return default_workflow()


VALID_BIRTH = {
    "ho_ten_tre": "Nguyễn Minh Khang",
    "ngay_sinh": "2026-11-20",
    "gioi_tinh": "nam",
    "ho_ten_me": "Trần Thị Bích",
    "so_dinh_danh_me": "022192004567",
    "so_ban_sao": 2,
}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 is slow on purpose; tests create many users and do not test the hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_catalog_cache():
    """Each test builds its own catalogue rows and partners; the per-process caches must not outlive them."""
    from motcua.catalog.selectors import forget_offering_summary, forget_submission_targets
    from motcua.exchange.services import forget_portal_partner

    forget_submission_targets()
    forget_offering_summary()
    forget_portal_partner()
    yield
    forget_submission_targets()
    forget_offering_summary()
    forget_portal_partner()


@dataclass
class World:
    agency: object
    other_agency: object
    procedure: object
    version: object
    desk: object
    specialist: object
    leader: object
    other_desk: object
    auditor: object
    citizen: object
    other_citizen: object
    tokens: dict


@pytest.fixture
def world(db) -> World:
    from motcua.accounts.models import Role, RoleAssignment, User
    from motcua.accounts.services import create_api_token
    from motcua.catalog.models import Agency, AgencyKind, Procedure, ProcedureOffering, ProcedureVersion

    province = Agency.objects.create(
        code="000.00.00.H49", name="UBND tỉnh Quảng Ninh", kind=AgencyKind.PROVINCE, province_code="22"
    )
    agency = Agency.objects.create(
        code="000.31.10.H49",
        name="UBND phường Hạ Long",
        kind=AgencyKind.COMMUNE,
        province_code="22",
        commune_code="06652",
        parent=province,
    )
    other = Agency.objects.create(
        code="000.31.11.H49",
        name="UBND phường Bãi Cháy",
        kind=AgencyKind.COMMUNE,
        province_code="22",
        commune_code="06658",
        parent=province,
    )
    procedure = Procedure.objects.create(
        code="1.001193",
        name="Thủ tục đăng ký khai sinh",
        level="Cấp xã",
        field="Hộ tịch",
        search_text="1.001193 thu tuc dang ky khai sinh ho tich",
    )
    version = ProcedureVersion.objects.create(
        procedure=procedure,
        number=1,
        is_current=True,
        time_value=3,
        time_unit="working_days",
        cutoff=time(15, 0),
        pause_on_supplement=True,
        supplement_days=7,
        form_schema=BIRTH_SCHEMA,
        documents=[{"code": "TP1", "name": "Giấy chứng sinh", "quantity": 1, "original": True, "required": True}],
        fee_rule={"kind": "free", "amount": 0, "text": "Miễn lệ phí"},
        workflow=_workflow(),
    )
    for a in (agency, other):
        ProcedureOffering.objects.create(procedure=procedure, agency=a, online_level="full")

    def official(username: str, role: str, where) -> User:
        user = User.objects.create_user(username, password="mat-khau-thu-nghiem-1", full_name=username)
        RoleAssignment.objects.create(user=user, agency=where, role=role)
        return user

    desk = official("desk", Role.DESK, agency)
    specialist = official("specialist", Role.SPECIALIST, agency)
    leader = official("leader", Role.LEADER, agency)
    other_desk = official("other_desk", Role.DESK, other)
    auditor = official("auditor", Role.AUDITOR, province)
    citizen = User.objects.create_user(
        "022192004567",
        password="mat-khau-thu-nghiem-1",
        personal_id="022192004567",
        full_name="Trần Thị Bích",
    )
    other_citizen = User.objects.create_user(
        "022090001234",
        password="mat-khau-thu-nghiem-1",
        personal_id="022090001234",
        full_name="Nguyễn Văn An",
    )
    users = {
        "desk": desk,
        "specialist": specialist,
        "leader": leader,
        "other_desk": other_desk,
        "auditor": auditor,
        "citizen": citizen,
        "other_citizen": other_citizen,
    }
    tokens = {name: create_api_token(u) for name, u in users.items()}
    return World(
        agency,
        other,
        procedure,
        version,
        desk,
        specialist,
        leader,
        other_desk,
        auditor,
        citizen,
        other_citizen,
        tokens,
    )


@pytest.fixture
def admin_client(db, admin_user):
    """pytest-django's admin client, with the second factor the admin site requires already passed."""
    from django.test import Client

    from motcua.accounts.testing import otp_force_login

    return otp_force_login(Client(), admin_user)
