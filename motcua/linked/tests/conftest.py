"""A real slice of the catalogue (the linked groups and their procedures) at a real commune, its officials, and
partners: the commune's civil status processed inside motcua, the other agencies as real simulator servers."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

LINKED_CODES = ("1.001193", "1.000656", "1.004222", "1.003197", "2.000986", "2.000639", "2.000821")
COMMUNE = "06652"


@dataclass
class LinkedWorld:
    commune: object
    desk: object
    specialist: object
    leader: object
    coordinator: object
    citizen: object


@pytest.fixture(scope="session")
def linked_catalogue(tmp_path_factory) -> Path:
    from motcua.catalog import services

    path = tmp_path_factory.mktemp("catalogue") / "procedures.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for record in services.read_catalog() + services.local_records():
            if record["code"] in LINKED_CODES or record["code"].startswith("LT."):
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


@pytest.fixture
def linked_world(db, linked_catalogue, tmp_path, settings) -> LinkedWorld:
    from motcua.accounts.models import Role, RoleAssignment, User
    from motcua.catalog.models import Agency
    from motcua.catalog.services import load_catalog

    settings.MOTCUA_EXCHANGE_KEY_PATH = tmp_path / "exchange-key.pem"
    settings.MOTCUA_EXCHANGE_TIMEOUT_SECONDS = 2
    load_catalog(linked_catalogue, offerings_province=22)
    commune = Agency.objects.get(commune_code=COMMUNE)
    province = commune.parent
    while province.parent_id:
        province = province.parent

    def official(username: str, role: str, where) -> User:
        user = User.objects.create_user(username, password="mat-khau-thu-nghiem-1", full_name=username)
        RoleAssignment.objects.create(user=user, agency=where, role=role)
        return user

    citizen = User.objects.create_user(
        "022192004567", password="mat-khau-thu-nghiem-1", personal_id="022192004567", full_name="Trần Thị Bích"
    )
    return LinkedWorld(
        commune=commune,
        desk=official("desk", Role.DESK, commune),
        specialist=official("specialist", Role.SPECIALIST, commune),
        leader=official("leader", Role.LEADER, commune),
        coordinator=official("coordinator", Role.COORDINATOR, province),
        citizen=citizen,
    )


@pytest.fixture
def partners(db) -> Iterator[Callable]:
    """configure(code, kind="internal"|"http", **simulator kwargs) → the partner (and its running simulator)."""
    from motcua.exchange import signing
    from motcua.exchange.models import ExchangePartner
    from simulators.agency import start_agency_server

    servers = []

    def configure(code: str, kind: str = "http", **kwargs):
        if kind == "internal":
            return ExchangePartner.objects.create(code=code, name=f"{code} (nội bộ)", kind="internal"), None
        server, _thread, base_url = start_agency_server(code=code, motcua_jwk=signing.jwks(), **kwargs)
        servers.append(server)
        partner = ExchangePartner.objects.create(
            code=code, name=server.state.name, kind="http", base_url=base_url, public_jwk=server.state.jwks()
        )
        return partner, server

    yield configure
    for server in servers:
        server.stop()


def birth_declaration(**overrides) -> dict:
    data = {
        "nyc_ho_ten": "Trần Thị Bích",
        "nyc_so_dinh_danh": "022192004567",
        "nyc_noi_cu_tru": "Tổ 3, khu 5, phường Hà Tu, tỉnh Quảng Ninh",
        "nyc_quan_he": "me",
        "ks_ho_ten": "Nguyễn Minh Khang",
        "ks_gioi_tinh": "nam",
        "ks_ngay_sinh": "2026-11-20",
        "ks_noi_sinh": "Bệnh viện Bãi Cháy, tỉnh Quảng Ninh",
        "ks_dan_toc": "Kinh",
        "ks_quoc_tich": "Việt Nam",
        "ks_que_quan": "Quảng Ninh",
        "me_ho_ten": "Trần Thị Bích",
        "me_so_dinh_danh": "022192004567",
        "cha_ho_ten": "Nguyễn Văn An",
        "cha_so_dinh_danh": "022090001234",
        "tt_chu_ho_ho_ten": "Nguyễn Văn An",
        "tt_chu_ho_so_dinh_danh": "022090001234",
        "tt_quan_he_chu_ho": "con",
        "tt_dia_chi_tinh": "22",
        "tt_dia_chi_xa": COMMUNE,
        "tt_dia_chi_so_nha_duong": "Số 12, tổ 3, khu 5",
        "bhyt_noi_kcb_ban_dau": "Trạm y tế phường Hà Tu",
        "hinh_thuc_nhan_ket_qua": "truc_tuyen",
    }
    data.update(overrides)
    return data


def death_declaration(chosen: list[str], **overrides) -> dict:
    data = {
        "nyc_ho_ten": "Trần Thị Bích",
        "nyc_so_dinh_danh": "022192004567",
        "nyc_noi_cu_tru": "Tổ 3, khu 5, phường Hà Tu, tỉnh Quảng Ninh",
        "nyc_quan_he": "con",
        "kt_ho_ten": "Trần Văn Cường",
        "kt_ngay_sinh": "1950-04-02",
        "kt_gioi_tinh": "nam",
        "kt_so_dinh_danh": "022050001111",
        "kt_dan_toc": "Kinh",
        "kt_quoc_tich": "Việt Nam",
        "kt_noi_cu_tru": "Tổ 3, khu 5, phường Hà Tu, tỉnh Quảng Ninh",
        "kt_ngay_chet": "2026-11-25",
        "kt_noi_chet": "Tại nhà riêng",
        "kt_nguyen_nhan_chet": "Bệnh già",
        "thu_tuc_chon": chosen,
        "nhan_tien_so_tai_khoan": "0123456789",
        "nhan_tien_ngan_hang": "Ngân hàng Nông nghiệp và Phát triển Nông thôn",
        "hinh_thuc_nhan_ket_qua": "truc_tuyen",
    }
    data.update(overrides)
    return data


def process_internal(sub, world: LinkedWorld) -> None:
    """The commune's officials work the sub-dossier through its workflow: specialist forwards, leader signs."""
    from motcua.dossiers import services

    for _ in range(5):
        sub.refresh_from_db()
        if sub.status != "processing":
            return
        actor = world.specialist if sub.current_role == "specialist" else world.leader
        forward = [a for a in services.available_actions(actor, sub) if a["kind"] == "forward"]
        services.perform(actor, sub, forward[0]["action"], note="Đủ điều kiện.")
    raise AssertionError(f"{sub.code} did not reach its result")


def submit_and_accept(world: LinkedWorld, procedure_code: str = "2.000986", data: dict | None = None, **payload):
    """The citizen submits a linked request once and the desk accepts it: (umbrella dossier, its chain)."""
    from motcua.dossiers import services
    from motcua.linked.models import LinkedChain

    submitted = services.submit_dossier(
        world.citizen,
        procedure_code=procedure_code,
        agency_code=world.commune.code,
        channel="online",
        data=data or birth_declaration(),
    )
    umbrella = services.perform(world.desk, submitted.dossier, "accept", payload=payload)
    return umbrella, LinkedChain.objects.get(dossier=umbrella)


def birth_partners(partners, *, police: str = "now", insurance: str = "now", **insurance_kwargs) -> tuple:
    """The usual mix: the commune's civil status inside motcua, police and social insurance simulated outside.
    Returns the (police, social insurance) simulator servers."""
    partners("ho-tich", kind="internal")
    _, police_server = partners("cong-an", profile="police", mode=police)
    _, insurance_server = partners("bhxh", profile="social_insurance", mode=insurance, **insurance_kwargs)
    return police_server, insurance_server
