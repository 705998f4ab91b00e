"""The public catalogue API: accent-insensitive search and the procedure detail contract."""

from __future__ import annotations

from motcua.dossiers.tests.helpers import Api, assert_problem


def test_search_with_or_without_diacritics(world):
    api = Api()
    for q in ("khai sinh", "khai sinh", "KHAI SINH", "dang ky khai sinh", "Đăng ký khai sinh"):
        body = api.get("/api/v1/procedures", q=q).json()
        assert [r["code"] for r in body["results"]] == ["1.001193"], q


def test_search_by_code(world):
    assert Api().get("/api/v1/procedures", q="1.001193").json()["results"][0]["code"] == "1.001193"


def test_detail_lists_agencies_and_form_schema(world):
    body = Api().get("/api/v1/procedures/1.001193").json()
    assert body["code"] == "1.001193"
    assert {a["code"] for a in body["agencies"]} == {world.agency.code, world.other_agency.code}
    assert all(set(a) >= {"code", "name"} for a in body["agencies"])
    assert body["form_schema"]["properties"]["ho_ten_tre"]["title"].startswith("Họ")
    assert body["time_unit"] == "working_days"
    assert body["cutoff"] == "15:00"


def test_unknown_procedure_is_a_problem(world):
    assert_problem(Api().get("/api/v1/procedures/9.999999"), 404)


def test_openapi_is_served(db):
    spec = Api().get("/api/openapi.json").json()
    assert "/api/v1/dossiers" in spec["paths"]
    assert "/api/v1/worktime/deadline" in spec["paths"]
