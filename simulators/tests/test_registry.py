"""The population registry simulator: signed answers, purpose-bound look-ups, outages, an access log."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from urllib.parse import quote

import pytest

from simulators.registry.client_contract import verify
from simulators.tests.conftest import REPO, request

Q = "dossier=KS-2026-000123&purpose=" + quote("Đăng ký khai sinh")


def test_a_person_answer_is_signed_and_verifies_against_the_jwks(registry: str):
    # given the registry's published key
    jwks = request("GET", f"{registry}/jwks").json()
    # when the platform looks up a citizen for a dossier
    answer = request("GET", f"{registry}/v1/persons/022090001234?{Q}")
    # then the answer is signed over its exact bytes with a detached ES256 JWS, and says who the citizen is
    assert answer.status == 200
    signature = answer.header("X-Registry-Signature")
    assert re.fullmatch(r"[\w-]+\.\.[\w-]+", signature)
    person = verify(answer.body, answer.headers, jwks)
    assert person["full_name"] == "Nguyễn Văn An"
    assert person["birth_date"] == "1990-05-14" and person["gender"] == "nam"
    assert person["nationality"] == "Việt Nam" and person["ethnicity"] == "Kinh"
    assert person["permanent_residence"] == {
        "province_code": "22",
        "province_name": "Tỉnh Quảng Ninh",
        "commune_code": "06652",
        "commune_name": "Phường Hà Tu",
        "address_line": "Số 12, tổ 3, khu 5",
    }
    assert person["spouse"] == {"personal_id": "022192004567", "full_name": "Trần Thị Bích"}
    assert person["deceased"] is False and person["date_of_death"] is None


def test_a_changed_body_or_a_foreign_key_fails_verification(registry: str, small_population):
    from simulators.registry import start_registry_server

    jwks = request("GET", f"{registry}/jwks").json()
    answer = request("GET", f"{registry}/v1/persons/022090001234?{Q}")
    with pytest.raises(ValueError):
        verify(answer.body.replace("Nguyễn Văn An".encode(), "Nguyễn Văn Ân".encode()), answer.headers, jwks)
    with pytest.raises(ValueError):
        verify(answer.body, {}, jwks)
    other, _t, other_url = start_registry_server(0, population=small_population)
    try:
        with pytest.raises(ValueError):
            verify(answer.body, answer.headers, request("GET", f"{other_url}/jwks").json())
    finally:
        other.stop()


def test_the_deceased_father_and_his_household(registry: str):
    jwks = request("GET", f"{registry}/jwks").json()
    father = verify(*_get(f"{registry}/v1/persons/022040000123?{Q}"), jwks)
    assert father["deceased"] is True and father["date_of_death"] == "2026-11-25"
    son = verify(*_get(f"{registry}/v1/persons/022085007890?{Q}"), jwks)
    assert son["father"] == {"personal_id": "022040000123", "full_name": "Lê Văn Thành"}
    household = verify(*_get(f"{registry}/v1/households/022040000123?{Q}"), jwks)
    assert household["head"]["personal_id"] == "022085007890"
    relationships = {m["personal_id"]: m["relationship"] for m in household["members"]}
    assert relationships["022085007890"] == "chu_ho" and relationships["022040000123"] == "bo"
    assert household["permanent_residence"]["commune_code"] == "06688"


def _get(url: str) -> tuple[bytes, dict]:
    answer = request("GET", url)
    assert answer.status == 200, answer.text
    return answer.body, answer.headers


@pytest.mark.parametrize("query", ["", "dossier=KS-1", "purpose=x", "dossier=&purpose=x"])
def test_dossier_and_purpose_are_required(registry: str, query: str):
    answer = request("GET", f"{registry}/v1/persons/022090001234?{query}")
    assert answer.status == 400
    assert answer.header("Content-Type").startswith("application/problem+json")
    problem = answer.json()
    assert problem["status"] == 400 and problem["code"] == "thieu_tham_so" and "tra cứu" in problem["detail"]


def test_unknown_person_is_404_and_a_malformed_number_is_400(registry: str):
    unknown = request("GET", f"{registry}/v1/persons/022090999999?{Q}")
    assert unknown.status == 404 and unknown.json()["code"] == "khong_tim_thay"
    assert request("GET", f"{registry}/v1/households/022090999999?{Q}").status == 404
    malformed = request("GET", f"{registry}/v1/persons/12345?{Q}")
    assert malformed.status == 400 and malformed.json()["code"] == "sai_dinh_dang"


def test_outage_answers_503_until_restored(registry: str):
    assert request("POST", f"{registry}/__admin/outage", json_body={"down": True}).json()["down"] is True
    down = request("GET", f"{registry}/v1/persons/022090001234?{Q}")
    assert down.status == 503 and down.header("Retry-After")
    assert down.json()["code"] == "ngung_dich_vu"
    request("POST", f"{registry}/__admin/outage", json_body={"down": False})
    assert request("GET", f"{registry}/v1/persons/022090001234?{Q}").status == 200


def test_a_delay_makes_the_registry_hang_past_the_clients_timeout(registry: str):
    request("POST", f"{registry}/__admin/outage", json_body={"delay": 1.0})
    started = time.perf_counter()
    with pytest.raises(TimeoutError):
        request("GET", f"{registry}/v1/persons/022090001234?{Q}", timeout=0.3)
    assert time.perf_counter() - started < 1.0
    assert request("POST", f"{registry}/__admin/outage", json_body={"down": False}).json() == {
        "down": False,
        "delay": 0.0,
    }
    assert request("GET", f"{registry}/v1/persons/022090001234?{Q}", timeout=2).status == 200


def test_bad_outage_settings_are_refused(registry: str):
    assert request("POST", f"{registry}/__admin/outage", json_body={"down": "yes"}).status == 400


def test_every_lookup_is_logged_with_dossier_and_purpose(registry: str):
    request("DELETE", f"{registry}/__admin/lookups")
    request("GET", f"{registry}/v1/persons/022192004567?{Q}")
    request("GET", f"{registry}/v1/households/022192004567?{Q}")
    request("GET", f"{registry}/v1/persons/022192004567")
    lookups = request("GET", f"{registry}/__admin/lookups").json()["lookups"]
    assert [(x["endpoint"], x["personal_id"], x["dossier"], x["purpose"], x["status"]) for x in lookups] == [
        ("persons", "022192004567", "KS-2026-000123", "Đăng ký khai sinh", 200),
        ("households", "022192004567", "KS-2026-000123", "Đăng ký khai sinh", 200),
        ("persons", "022192004567", "", "", 400),
    ]
    assert all(x["at"] for x in lookups)


def test_command_line_starts_a_server_on_a_free_port():
    command = [sys.executable, "-m", "simulators.registry", "--port", "0", "--n", "300"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        base = re.search(r"http://127\.0\.0\.1:\d+", proc.stdout.readline()).group(0)
        assert request("GET", f"{base}/v1/persons/022301000321?{Q}").json()["full_name"] == "Phạm Thị Diệu"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
