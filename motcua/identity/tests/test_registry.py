"""The population registry client, pre-fill and applicant checks, against the real registry simulator."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from motcua.accounts.models import User
from motcua.audit.models import AuditRecord
from motcua.catalog.examples import EXAMPLES
from motcua.catalog.models import Procedure, ProcedureVersion
from motcua.catalog.services import load_definitions
from motcua.core.errors import ValidationFailed
from motcua.identity import registry, services

from .conftest import get_json, post_json

pytestmark = pytest.mark.django_db

BICH, AN = "022192004567", "022090001234"


@pytest.fixture
def birth_version(db) -> ProcedureVersion:
    """1.001193 (birth registration) with its hand-made definition: the x-registry annotations under test."""
    definition = load_definitions()["1.001193"]
    procedure = Procedure.objects.create(code="1.001193", name="Đăng ký khai sinh")
    return ProcedureVersion.objects.create(
        procedure=procedure,
        number=1,
        time_value=0,
        time_unit="working_days",
        form_schema=definition["form_schema"],
        documents=definition["documents"],
        workflow=definition["workflow"],
    )


@pytest.fixture
def bich(db) -> User:
    return User.objects.create_user(BICH, personal_id=BICH, full_name="Trần Thị Bích")


@pytest.fixture
def an(db) -> User:
    return User.objects.create_user(AN, personal_id=AN, full_name="Nguyễn Văn An")


def _bich_declaration(**changes) -> dict:
    return {**EXAMPLES["1.001193"], **changes}


def test_prefill_for_the_mother_fills_her_and_her_husband_as_father(registry_url, bich, birth_version):
    # when Trần Thị Bích opens the birth declaration
    prefill = services.prefill_for(bich, birth_version)
    values = {name: spec["value"] for name, spec in prefill.items()}
    # then she is the requester (read-only) and the mother; her husband Nguyễn Văn An is the father
    assert values["nyc_ho_ten"] == "Trần Thị Bích" and values["nyc_so_dinh_danh"] == BICH
    assert prefill["nyc_ho_ten"]["editable"] is False and prefill["nyc_so_dinh_danh"]["editable"] is False
    assert prefill["nyc_ho_ten"]["source"] == "person.full_name"
    assert (values["me_ho_ten"], values["me_so_dinh_danh"], values["me_nam_sinh"]) == ("Trần Thị Bích", BICH, 1992)
    assert (values["cha_ho_ten"], values["cha_so_dinh_danh"], values["cha_nam_sinh"]) == ("Nguyễn Văn An", AN, 1990)
    assert values["me_dan_toc"] == "Kinh" and values["cha_quoc_tich"] == "Việt Nam"
    assert values["nyc_noi_cu_tru"] == "Số 12, tổ 3, khu 5, Phường Hà Tu, Tỉnh Quảng Ninh"
    assert prefill["cha_ho_ten"]["editable"] is True  # a grandparent may be the requester: parents can be changed
    # and nothing the registry does not know is invented (the child)
    assert "ks_ho_ten" not in prefill and "ks_ngay_sinh" not in prefill


def test_prefill_for_the_father_mirrors_it(registry_url, an, birth_version):
    values = {k: v["value"] for k, v in services.prefill_for(an, birth_version).items()}
    assert values["nyc_ho_ten"] == "Nguyễn Văn An"
    assert values["cha_so_dinh_danh"] == AN and values["me_so_dinh_danh"] == BICH


def test_every_lookup_is_audited_with_who_why_and_for_which_dossier(registry_url, bich, birth_version):
    # when the form is pre-filled (the citizen's own record, then her husband's)
    services.prefill_for(bich, birth_version)
    # then each look-up is in our audit log with the actor and the purpose...
    records = list(AuditRecord.objects.filter(action="registry.persons.lookup").order_by("id"))
    assert [r.object_id for r in records] == [BICH, AN]
    for r in records:
        assert r.actor_id == bich.pk
        assert r.reason == "Điền sẵn tờ khai thủ tục 1.001193 theo đề nghị của công dân"
        assert r.data["dossier"].startswith("chua-co-ma-1.001193-") and r.data["outcome"] == "ok"
    # ...and the registry received the dossier reference and the purpose with every request
    lookups = get_json(f"{registry_url}/__admin/lookups")["lookups"]
    assert [(lk["personal_id"], lk["status"]) for lk in lookups] == [(BICH, 200), (AN, 200)]
    assert all(lk["purpose"] and lk["dossier"].startswith("chua-co-ma-") for lk in lookups)


def test_household_head_is_available(registry_url, bich):
    version = ProcedureVersion(
        form_schema={
            "type": "object",
            "properties": {
                "chu_ho": {"type": "string", "title": "Chủ hộ", "x-registry": "household.head.full_name"},
                "chu_ho_so": {"type": "string", "title": "Số", "x-registry": "household.head.personal_id"},
            },
        }
    )
    values = {k: v["value"] for k, v in services.prefill_for(bich, version).items()}
    assert values == {"chu_ho": "Nguyễn Văn An", "chu_ho_so": AN}
    assert AuditRecord.objects.filter(action="registry.households.lookup", reason__startswith="Điền sẵn").exists()


def test_matching_applicant_is_verified(registry_url, bich, birth_version):
    status = services.verify_applicant(
        bich, data=_bich_declaration(), procedure_code="1.001193", dossier_ref="chua-co-ma-test1"
    )
    assert status == "verified"
    record = AuditRecord.objects.get(action="registry.persons.lookup")
    assert record.reason == "Xác thực thông tin người nộp hồ sơ thủ tục 1.001193"
    assert record.data["dossier"] == "chua-co-ma-test1"


def test_a_name_that_does_not_match_the_registry_is_refused_naming_the_field(registry_url, bich, birth_version):
    with pytest.raises(ValidationFailed) as caught:
        services.verify_applicant(
            bich,
            data=_bich_declaration(nyc_ho_ten="Trần Thị Bính"),
            procedure_code="1.001193",
            dossier_ref="chua-co-ma-test2",
        )
    error = caught.value
    assert error.status == 422
    assert "không khớp với Cơ sở dữ liệu quốc gia về dân cư" in error.detail
    assert "Họ, chữ đệm, tên người yêu cầu" in error.detail
    assert [e["field"] for e in error.errors] == ["nyc_ho_ten"]


def test_someone_elses_personal_id_is_refused(registry_url, bich, birth_version):
    with pytest.raises(ValidationFailed) as caught:
        services.verify_applicant(
            bich,
            data=_bich_declaration(nyc_so_dinh_danh=AN),
            procedure_code="1.001193",
            dossier_ref="chua-co-ma-test3",
        )
    assert [e["field"] for e in caught.value.errors] == ["nyc_so_dinh_danh"]
    assert "Số định danh cá nhân của người yêu cầu" in caught.value.detail


def test_an_unknown_personal_id_is_refused(registry_url, birth_version):
    stranger = User.objects.create_user("022190999999", personal_id="022190999999", full_name="Không Có Thật")
    data = _bich_declaration(nyc_ho_ten="Không Có Thật", nyc_so_dinh_danh="022190999999")
    with pytest.raises(ValidationFailed) as caught:
        services.verify_applicant(stranger, data=data, procedure_code="1.001193", dossier_ref="chua-co-ma-x")
    assert "không có trong Cơ sở dữ liệu quốc gia về dân cư" in caught.value.detail


def test_outage_means_to_verify_and_an_empty_prefill(registry_url, bich, birth_version):
    # given the registry is down
    post_json(f"{registry_url}/__admin/outage", {"down": True})
    # then the applicant is flagged for manual verification rather than refused, and the form is not pre-filled
    status = services.verify_applicant(
        bich, data=_bich_declaration(), procedure_code="1.001193", dossier_ref="chua-co-ma-t"
    )
    assert status == "to_verify"
    assert services.prefill_with_status(bich, birth_version) == ({}, False)
    # and the failed look-ups are audited too
    outcomes = [r.data["outcome"] for r in AuditRecord.objects.filter(action="registry.persons.lookup")]
    assert outcomes == ["unavailable", "unavailable"]


def test_a_slow_registry_times_out_into_to_verify(registry_url, settings, bich, birth_version):
    settings.MOTCUA_REGISTRY_TIMEOUT_SECONDS = 0.3
    post_json(f"{registry_url}/__admin/outage", {"delay": 1.5})
    status = services.verify_applicant(
        bich, data=_bich_declaration(), procedure_code="1.001193", dossier_ref="chua-co-ma-t"
    )
    assert status == "to_verify"


def test_no_registry_configured_degrades_quietly(settings, bich, birth_version):
    settings.MOTCUA_REGISTRY_URL = ""
    assert services.prefill_for(bich, birth_version) == {}
    status = services.verify_applicant(
        bich, data=_bich_declaration(), procedure_code="1.001193", dossier_ref="chua-co-ma-t"
    )
    assert status == "to_verify"
    # a personal ID that is not the account's is still refused: that needs no registry
    with pytest.raises(ValidationFailed):
        services.verify_applicant(
            bich, data=_bich_declaration(nyc_so_dinh_danh=AN), procedure_code="1.001193", dossier_ref="x"
        )


class _Tampering(BaseHTTPRequestHandler):
    """A real man in the middle: passes the registry's answers on with one letter changed, signature kept."""

    upstream = ""

    def do_GET(self):
        try:
            with urllib.request.urlopen(self.upstream + self.path, timeout=5) as response:  # noqa: S310
                body, signature = response.read(), response.headers.get(registry.SIGNATURE_HEADER, "")
        except urllib.error.HTTPError as exc:
            body, signature = exc.read(), ""
        if "/v1/" in self.path:
            body = body.replace("Trần Thị Bích".encode(), "Trần Thị Bính".encode())
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if signature:
            self.send_header(registry.SIGNATURE_HEADER, signature)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def tampering_proxy(registry_url, settings):
    handler = type("Handler", (_Tampering,), {"upstream": registry_url})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    settings.MOTCUA_REGISTRY_URL = f"http://127.0.0.1:{server.server_address[1]}"
    registry.forget_cached_keys()
    yield
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_an_answer_whose_signature_does_not_match_is_not_believed(tampering_proxy, bich, birth_version, caplog):
    # given someone between us and the registry changes the name in the answer
    with caplog.at_level("WARNING", logger="motcua.identity.registry"):
        prefill, available = services.prefill_with_status(bich, birth_version)
        status = services.verify_applicant(
            bich, data=_bich_declaration(nyc_ho_ten="Trần Thị Bính"), procedure_code="1.001193", dossier_ref="x"
        )
    # then nothing from that answer is used: no pre-fill, and the applicant is to be verified by hand
    assert (prefill, available) == ({}, False)
    assert status == "to_verify"
    assert "bad signature" in caplog.text
