"""The online form with the national systems behind it: pre-filled read-only fields, documents never asked for
twice, and procedures that need a higher eID level."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from motcua.catalog.examples import EXAMPLES
from motcua.catalog.models import Agency, AgencyKind, Procedure, ProcedureOffering, ProcedureVersion
from motcua.catalog.services import load_definitions
from motcua.dossiers.models import Dossier
from motcua.identity import services

from .conftest import post_json
from .helpers import eid_login

pytestmark = pytest.mark.django_db

BICH = "022192004567"
DEFINITIONS = load_definitions()


@pytest.fixture
def commune(db) -> Agency:
    province = Agency.objects.create(
        code="000.00.00.H49", name="UBND tỉnh Quảng Ninh", kind=AgencyKind.PROVINCE, province_code="22"
    )
    return Agency.objects.create(
        code="000.31.10.H49",
        name="UBND phường Hà Tu",
        kind=AgencyKind.COMMUNE,
        province_code="22",
        commune_code="06652",
        parent=province,
    )


def _offer(code: str, agency: Agency) -> ProcedureVersion:
    definition = DEFINITIONS[code]
    procedure = Procedure.objects.create(code=code, name=definition["form_schema"]["title"])
    version = ProcedureVersion.objects.create(
        procedure=procedure,
        number=1,
        time_value=definition["time_value"],
        time_unit=definition["time_unit"],
        form_schema=definition["form_schema"],
        documents=definition["documents"],
        workflow=definition["workflow"],
        variants=definition.get("variants") or [],
    )
    ProcedureOffering.objects.create(procedure=procedure, agency=agency, online_level="full")
    return version


@pytest.fixture
def birth(commune) -> ProcedureVersion:
    return _offer("1.001193", commune)


@pytest.fixture
def residence(commune) -> ProcedureVersion:
    return _offer("1.004222", commune)


def _input(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html)
    assert match, f"no input {name}"
    return match.group(0)


def test_the_form_is_prefilled_read_only_with_a_visible_source(eid, registry_url, birth, commune):
    # given Bích logged in through the eID
    client = Client()
    eid_login(client, BICH)
    # when she opens the birth declaration
    page = client.get("/thu-tuc/1.001193/nop/", {"agency": commune.code})
    html = page.content.decode()
    assert page.status_code == 200
    # then her name and number are filled from the registry, read-only, with the source shown
    name_input = _input(html, "nyc_ho_ten")
    assert 'value="Trần Thị Bích"' in name_input and "readonly" in name_input
    assert "id_nyc_ho_ten_nguon" in name_input  # the badge describes the field for screen readers
    assert "Từ CSDL quốc gia về dân cư" in html
    # and her husband is the father, editable
    father = _input(html, "cha_ho_ten")
    assert 'value="Nguyễn Văn An"' in father and "readonly" not in father
    # and the documents the registry holds are not asked for
    assert 'name="doc_TP1"' in html and 'name="doc_TP6"' not in html and 'name="doc_TP7"' not in html
    assert "Giấy tờ không phải nộp" in html


def test_a_posted_read_only_value_is_replaced_by_the_registry_value(eid, registry_url, birth, commune):
    client = Client()
    eid_login(client, BICH)
    client.get("/thu-tuc/1.001193/nop/", {"agency": commune.code})
    # when the browser posts another name in the read-only field (a forged request)
    post = {k: str(v) for k, v in EXAMPLES["1.001193"].items()}
    post.update({"nyc_ho_ten": "Người Giả Mạo", "agency": commune.code, "intent": "submit"})
    response = client.post("/thu-tuc/1.001193/nop/", post)
    # then the dossier is received with the registry's value
    assert response.status_code == 302, response.content.decode()[:2000]
    dossier = Dossier.objects.get()
    assert dossier.data["nyc_ho_ten"] == "Trần Thị Bích"
    assert dossier.data["cha_ho_ten"] == "Nguyễn Văn Hùng"  # editable: the citizen's answer is kept


def test_the_form_still_works_when_the_registry_is_down(eid, registry_url, birth, commune):
    client = Client()
    eid_login(client, BICH)
    post_json(f"{registry_url}/__admin/outage", {"down": True})
    page = client.get("/thu-tuc/1.001193/nop/", {"agency": commune.code})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Tạm thời chưa lấy được thông tin của bạn từ Cơ sở dữ liệu quốc gia về dân cư" in html
    assert "readonly" not in _input(html, "nyc_ho_ten")


def test_a_procedure_needing_level_2_refuses_a_lower_login_and_offers_a_new_one(eid, residence, commune):
    assert services.required_assurance(residence) == "loa2"
    # given a citizen logged in at level 1
    client = Client()
    eid_login(client, BICH, level="1")
    # when she opens the residence registration form
    page = client.get("/thu-tuc/1.004222/nop/")
    html = page.content.decode()
    # then she is told why and offered a level-2 login that brings her back here
    assert page.status_code == 403
    assert "Cần đăng nhập bằng định danh điện tử mức cao hơn" in html
    assert "Định danh điện tử mức 2" in html and "Định danh điện tử mức 1" in html
    assert 'href="/dinh-danh/dang-nhap/?muc=loa2&amp;next=/thu-tuc/1.004222/nop/"' in html
    # and submitting is refused the same way
    assert client.post("/thu-tuc/1.004222/nop/", {"intent": "submit"}).status_code == 403
    # when she logs in again at level 2, the form opens
    eid_login(client, BICH, level="2")
    assert client.get("/thu-tuc/1.004222/nop/").status_code == 200


def test_a_password_login_does_not_reach_a_level_2_procedure(residence, commune, settings):
    from motcua.accounts.models import User

    settings.MOTCUA_OIDC_ISSUER = ""
    citizen = User.objects.create_user(BICH, personal_id=BICH, full_name="Trần Thị Bích")
    client = Client()
    client.force_login(citizen)
    page = client.get("/thu-tuc/1.004222/nop/")
    assert page.status_code == 403
    assert "chưa được bật" in page.content.decode()


def test_data_sources_say_where_each_prefilled_answer_came_from():
    prefill = {
        "nyc_ho_ten": {"value": "Trần Thị Bích", "source": "person.full_name", "editable": False},
        "cha_ho_ten": {"value": "Nguyễn Văn An", "source": "couple.male.full_name", "editable": True},
        "me_nam_sinh": {"value": 1992, "source": "couple.female.birth_year", "editable": True},
    }
    data = {"nyc_ho_ten": "Trần Thị Bích", "cha_ho_ten": "Nguyễn Văn Hùng", "me_nam_sinh": 1992}
    assert services.data_sources(prefill, data) == {
        "nyc_ho_ten": {"source": "registry", "registry_path": "person.full_name"},
        "cha_ho_ten": {"source": "citizen", "registry_path": "couple.male.full_name"},
        "me_nam_sinh": {"source": "registry", "registry_path": "couple.female.birth_year"},
    }
