"""A real commune of the demo province with the hand-made birth and residence procedures, its officials and a
citizen; e-results signed with a development PKI made once per test session in a temporary directory."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

CODES = ("1.001193", "1.004222", "1.000656")
COMMUNE = "06652"


@pytest.fixture(scope="session")
def session_pki_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pki")


@pytest.fixture(autouse=True)
def dev_pki(settings, session_pki_dir) -> Iterator[Path]:
    """Every test signs with the session's development PKI (never the data dir's), verifying against its root."""
    from motcua.results import pki

    settings.MOTCUA_PKI_DIR = session_pki_dir
    settings.MOTCUA_DEV_PKI = True
    settings.MOTCUA_SIGNING_KEYS = {}
    settings.MOTCUA_SIGNING_TRUST_ROOTS = []
    settings.MOTCUA_TSA_URL = ""
    settings.MOTCUA_PUBLIC_URL = "https://dichvucong.quangninh.example"
    pki.forget_identities()
    yield session_pki_dir
    pki.forget_identities()


@pytest.fixture(scope="session")
def results_catalogue(tmp_path_factory) -> Path:
    from motcua.catalog import services

    path = tmp_path_factory.mktemp("catalogue") / "procedures.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for record in services.read_catalog():
            if record["code"] in CODES:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


@dataclass
class ResultsWorld:
    commune: object
    desk: object
    specialist: object
    leader: object
    citizen: object
    capture: object  # django_capture_on_commit_callbacks

    def submit(self, code: str, data: dict | None = None):
        from motcua.catalog.examples import EXAMPLES
        from motcua.dossiers import services

        return services.submit_dossier(
            self.citizen,
            procedure_code=code,
            agency_code=self.commune.code,
            channel="online",
            data=dict(data or EXAMPLES[code]),
        ).dossier

    def to_result(self, dossier):
        """Accepted by the desk, then every step's forward action by the official holding its role, with the
        commit callbacks run as a real commit would (the e-result is signed right after the commit)."""
        return drive_to_result(dossier, self.desk, {"specialist": self.specialist, "leader": self.leader}, self.capture)

    def birth_result(self):
        return self.to_result(self.submit("1.001193"))


def drive_to_result(dossier, desk, by_role: dict, capture):
    from motcua.dossiers import services

    with capture(execute=True):
        dossier = services.perform(desk, dossier, "accept", note="Hồ sơ đầy đủ.")
    while dossier.status == "processing":
        user = by_role[dossier.current_role]
        action = next(a for a in services.available_actions(user, dossier) if a["kind"] == "forward")
        with capture(execute=True):
            dossier = services.perform(user, dossier, action["action"], note="Đồng ý.")
    return dossier


@pytest.fixture
def rworld(db, results_catalogue, django_capture_on_commit_callbacks) -> ResultsWorld:
    from motcua.accounts.models import Role, RoleAssignment, User
    from motcua.catalog.models import Agency
    from motcua.catalog.services import load_catalog

    load_catalog(results_catalogue, offerings_province=22)
    commune = Agency.objects.get(commune_code=COMMUNE)

    def official(username: str, role: str, full_name: str) -> User:
        user = User.objects.create_user(username, password="mat-khau-thu-nghiem-1", full_name=full_name)
        RoleAssignment.objects.create(user=user, agency=commune, role=role)
        return user

    return ResultsWorld(
        commune=commune,
        desk=official("desk", Role.DESK, "Phạm Thu Trang"),
        specialist=official("specialist", Role.SPECIALIST, "Đỗ Văn Quang"),
        leader=official("leader", Role.LEADER, "Vũ Thị Hương"),
        citizen=User.objects.create_user(
            "022192004567", password="mat-khau-thu-nghiem-1", personal_id="022192004567", full_name="Trần Thị Bích"
        ),
        capture=django_capture_on_commit_callbacks,
    )
