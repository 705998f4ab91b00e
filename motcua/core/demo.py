"""Demo data for `make run`: Quảng Ninh's agencies, the real catalogue, the official calendar, demo people.

Idempotent: running it again updates in place and creates nothing twice.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from motcua.accounts import two_factor
from motcua.accounts.models import Role, RoleAssignment, User
from motcua.catalog.models import Agency, AgencyKind

DEMO_PROVINCE = 22


def demo_password() -> str:
    """Demo accounts only exist in demo databases; a deployment sets its own or loads no demo at all."""
    return os.environ.get("MOTCUA_DEMO_PASSWORD", "motcua-demo-2026")


# Demo officials' authenticator secrets are derived from their usernames, so a bench script (or a person with
# `./manage.py demo_accounts`) can compute their codes. Public on purpose: demo databases only.
DEMO_TOTP_SALT = b"motcua-demo-totp-v1"
DEMO_DEVICE_NAME = "Thiết bị mẫu (demo)"


def demo_totp_key(username: str) -> str:
    """20 bytes (RFC 4226's recommended length) as hex, the form TOTPDevice.key stores."""
    return hmac.new(DEMO_TOTP_SALT, username.encode(), hashlib.sha256).digest()[:20].hex()


def ensure_demo_device(user: User) -> TOTPDevice:
    """A confirmed TOTP device with the derived secret; left alone when already right (keeps its replay state)."""
    key = demo_totp_key(user.username)
    device = TOTPDevice.objects.filter(user=user, name=DEMO_DEVICE_NAME).first()
    if device is None:
        return TOTPDevice.objects.create(user=user, name=DEMO_DEVICE_NAME, key=key, confirmed=True)
    if device.key != key or not device.confirmed:
        device.key, device.confirmed, device.last_t, device.drift = key, True, -1, 0
        device.throttle_reset(commit=False)
        device.save()
    return device


@dataclass(frozen=True)
class DemoOfficial:
    username: str
    full_name: str
    role: str
    agency: str  # "commune" | "investment" | "centre" | "province" | "police" | "social_insurance"


OFFICIALS = [
    DemoOfficial("xa.motcua", "Nguyễn Thị Hoa", Role.DESK, "commune"),
    DemoOfficial("xa.chuyenvien", "Trần Văn Bình", Role.SPECIALIST, "commune"),
    DemoOfficial("xa.lanhdao", "Phạm Quốc Cường", Role.LEADER, "commune"),
    DemoOfficial("kkt.motcua", "Lê Thị Dung", Role.DESK, "investment"),
    DemoOfficial("kkt.chuyenvien", "Hoàng Minh Đức", Role.SPECIALIST, "investment"),
    DemoOfficial("kkt.lanhdao", "Vũ Thị Giang", Role.LEADER, "investment"),
    DemoOfficial("ttpvhcc.motcua", "Đặng Thu Hà", Role.DESK, "centre"),
    DemoOfficial("tinh.lanhdao", "Trịnh Văn Phúc", Role.LEADER, "province"),
    DemoOfficial("tinh.dieuphoi", "Bùi Văn Khánh", Role.COORDINATOR, "province"),
    DemoOfficial("tinh.quantri", "Đỗ Thị Lan", Role.AGENCY_ADMIN, "province"),
    DemoOfficial("quantri", "Ngô Văn Minh", Role.SYSTEM_ADMIN, "province"),
    DemoOfficial("kiemtra", "Dương Thị Ngọc", Role.AUDITOR, "province"),
]

# Structurally valid personal ID numbers: 022 = born-registered in Quảng Ninh, century/gender digit, year.
CITIZENS = [
    ("022090001234", "Nguyễn Văn An", "an.nguyen@example.vn", "0912000001"),
    ("022192004567", "Trần Thị Bích", "bich.tran@example.vn", "0912000002"),
    ("022085007890", "Lê Hoàng Châu", "chau.le@example.vn", "0912000003"),
    ("022301000321", "Phạm Thị Diệu", "dieu.pham@example.vn", "0912000004"),
]


def demo_agencies() -> dict[str, Agency]:
    communes = Agency.objects.filter(kind=AgencyKind.COMMUNE, province_code=f"{DEMO_PROVINCE:02d}")
    # Phường Hà Tu (06652): where the demo family of the population registry lives, so their dossiers reach the
    # demo desk.
    commune = communes.filter(commune_code="06652").first() or communes.order_by("code").first()
    investment = Agency.objects.filter(name__icontains="Khu kinh tế").first()
    return {
        "commune": commune,
        "investment": investment,
        "centre": Agency.objects.filter(kind=AgencyKind.SERVICE_CENTRE).first(),
        "province": Agency.objects.filter(kind=AgencyKind.PROVINCE, province_code=f"{DEMO_PROVINCE:02d}").first(),
        "police": Agency.objects.filter(kind=AgencyKind.POLICE).first(),
        "social_insurance": Agency.objects.filter(kind=AgencyKind.SOCIAL_INSURANCE).first(),
    }


@transaction.atomic
def ensure_people() -> dict[str, int]:
    password = demo_password()
    agencies = demo_agencies()
    created = 0
    for o in OFFICIALS:
        user, was_created = User.objects.get_or_create(username=o.username, defaults={"full_name": o.full_name})
        if was_created:
            user.set_password(password)
            created += 1
        user.full_name = o.full_name
        user.is_staff = o.role in (Role.SYSTEM_ADMIN, Role.AGENCY_ADMIN)
        user.is_superuser = o.role == Role.SYSTEM_ADMIN
        user.save()
        agency = agencies[o.agency]
        if agency is not None:
            RoleAssignment.objects.get_or_create(user=user, agency=agency, role=o.role)
        ensure_demo_device(user)
    for pid, name, email, phone in CITIZENS:
        user, was_created = User.objects.get_or_create(
            personal_id=pid, defaults={"username": pid, "full_name": name, "email": email, "phone": phone}
        )
        if was_created:
            user.set_password(password)
            user.save()
            created += 1
    return {"created": created, "officials": len(OFFICIALS), "citizens": len(CITIZENS)}


# (procedure, agency key, citizen, how far the dossier has gone): a queue and task list that are alive at once.
DEMO_DOSSIERS = [
    ("1.001193", "commune", "022192004567", "submitted"),
    ("1.000656", "commune", "022085007890", "submitted"),
    ("1.001193", "commune", "022090001234", "supplement_requested"),
    ("1.004222", "commune", "022192004567", "specialist"),
    ("1.003197", "commune", "022085007890", "specialist"),
    ("1.001193", "commune", "022301000321", "leader"),
    ("1.000656", "commune", "022090001234", "result_ready"),
    ("1.001193", "commune", "022085007890", "returned"),
    ("1.009664", "investment", "022090001234", "submitted"),
    ("1.009664", "investment", "022192004567", "specialist"),
]
_STAGES = ["submitted", "supplement_requested", "specialist", "leader", "result_ready", "returned"]


def _as_applicant(code: str, citizen: User) -> dict:
    """The example declaration, stated by this citizen: the read-only fields the registry checks are theirs."""
    from motcua.catalog.examples import EXAMPLES
    from motcua.catalog.models import ProcedureVersion

    data = dict(EXAMPLES[code])
    schema = ProcedureVersion.objects.get(procedure__code=code, is_current=True).form_schema
    own = {"person.full_name": citizen.full_name, "person.personal_id": citizen.personal_id}
    for name, spec in schema.get("properties", {}).items():
        if spec.get("x-registry") in own and not spec.get("x-editable"):
            data[name] = own[spec["x-registry"]]
    return data


def ensure_demo_dossiers() -> int:
    """A few dossiers at every stage, made through the real services; only into a database that has none."""
    from motcua.dossiers import services
    from motcua.dossiers.models import Dossier

    if Dossier.objects.exists():
        return 0
    agencies = demo_agencies()
    staff = {u.username: u for u in User.objects.filter(username__contains=".")}
    made = 0
    for code, where, pid, stage in DEMO_DOSSIERS:
        agency = agencies[where]
        if agency is None:
            continue
        prefix = "xa" if where == "commune" else "kkt"
        desk, specialist, leader = (staff[f"{prefix}.{r}"] for r in ("motcua", "chuyenvien", "lanhdao"))
        citizen = User.objects.get(personal_id=pid)
        dossier = services.submit_dossier(
            citizen, procedure_code=code, agency_code=agency.code, channel="online", data=_as_applicant(code, citizen)
        ).dossier
        target = _STAGES.index(stage)
        if stage == "supplement_requested":
            services.perform(desk, dossier, "request_supplement", note="Bổ sung bản chụp giấy tờ rõ nét hơn.")
        elif target >= _STAGES.index("specialist"):
            services.perform(desk, dossier, "accept", note="Hồ sơ đầy đủ.")
            by_role = {"specialist": specialist, "leader": leader}
            stop = {"specialist": "specialist", "leader": "leader"}.get(stage)
            _forward(dossier, by_role, stop_at_role=stop)
            if stage == "returned":
                services.perform(desk, dossier, "return_result", note="Trả kết quả trực tuyến.")
        made += 1
    return made


def _forward(dossier, by_role: dict, stop_at_role: str | None) -> None:
    """Move a dossier along its workflow's forward actions until a role's step, or until the result is ready."""
    from motcua.dossiers import services
    from motcua.dossiers.models import Status

    for _ in range(10):
        dossier.refresh_from_db()
        if dossier.status != Status.PROCESSING or dossier.current_role == stop_at_role:
            return
        actor = by_role[dossier.current_role]
        forward = next(a for a in services.available_actions(actor, dossier) if a["kind"] == "forward")
        dossier = services.perform(actor, dossier, forward["action"], note="Đủ điều kiện, chuyển bước tiếp theo.")


def load_demo(stdout=None) -> dict:
    """Everything `make run` needs, in dependency order."""
    from motcua.catalog.agencies import ensure_province_agencies
    from motcua.catalog.services import load_catalog
    from motcua.worktime.services import load_official_schedules

    def say(msg: str) -> None:
        if stdout is not None:
            stdout.write(msg)

    result = {}
    result["calendar"] = load_official_schedules()
    say(f"Lịch làm việc chính thức: {result['calendar']} ngày điều chỉnh (2025, 2026)")
    result["agencies"] = ensure_province_agencies(DEMO_PROVINCE)
    agencies = result["agencies"]
    say(f"Cơ quan: {agencies.get('agencies')} cơ quan, {agencies.get('communes')} xã/phường")
    result["catalog"] = load_catalog()
    cat = result["catalog"]
    say(
        f"Danh mục thủ tục: {cat.get('procedures')} thủ tục ({cat.get('hand_made')} định nghĩa thủ công), "
        f"{cat.get('offerings')} nơi tiếp nhận; mới: {cat.get('procedures_created')} thủ tục, "
        f"{cat.get('versions_created')} phiên bản"
    )
    result["people"] = ensure_people()
    people = result["people"]
    say(f"Tài khoản mẫu: {people['officials']} cán bộ, {people['citizens']} công dân (mới tạo: {people['created']})")
    result["dossiers"] = ensure_demo_dossiers()
    say(f"Hồ sơ mẫu mới tạo: {result['dossiers']}")
    return result  # the assistant's demo laws: `assistant_ingest --demo` (make run), which also builds the index


def demo_accounts() -> list[dict]:
    """Every demo account; officials with their authenticator secret (base32) and the code it accepts now."""
    rows = []
    devices = {
        d.user.username: d
        for d in TOTPDevice.objects.filter(name=DEMO_DEVICE_NAME, confirmed=True).select_related("user")
    }
    for o in OFFICIALS:
        ra = RoleAssignment.objects.filter(user__username=o.username, role=o.role).select_related("agency").first()
        device = devices.get(o.username)
        rows.append(
            {
                "username": o.username,
                "full_name": o.full_name,
                "role": o.role,
                "agency": ra.agency.code if ra else None,
                "agency_name": ra.agency.name if ra else None,
                "totp_secret_base32": two_factor.base32_secret(device) if device else None,
                "totp_code": two_factor.next_code(device)[0] if device else None,
            }
        )
    for pid, name, _email, _phone in CITIZENS:
        rows.append({"username": pid, "full_name": name, "role": "citizen", "agency": None, "personal_id": pid})
    return rows
