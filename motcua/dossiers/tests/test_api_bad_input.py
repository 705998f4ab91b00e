"""Bad input gets a clear Vietnamese problem+json 4xx and leaves the database as it was."""

from __future__ import annotations

import io

import pytest

from motcua.audit.models import AuditRecord
from motcua.conftest import VALID_BIRTH
from motcua.dossiers.models import Dossier, DossierAction, DossierDocument

from .helpers import Api, assert_problem, submit

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def counts() -> tuple[int, int, int, int]:
    return (
        Dossier.objects.count(),
        DossierAction.objects.count(),
        DossierDocument.objects.count(),
        AuditRecord.objects.count(),
    )


@pytest.fixture
def citizen(world) -> Api:
    return Api(world.tokens["citizen"])


def test_malformed_json(world, citizen):
    before = counts()
    body = assert_problem(citizen.post("/api/v1/dossiers", raw='{"procedure": "1.001193", '), 400)
    assert "JSON" in body["detail"]
    assert counts() == before


def test_missing_fields(world, citizen):
    before = counts()
    body = assert_problem(citizen.post("/api/v1/dossiers", {"procedure": "1.001193"}), 422)
    assert {e["field"] for e in body["errors"]} >= {"agency", "data"}
    assert counts() == before


def test_unknown_procedure(world, citizen):
    before = counts()
    body = {"procedure": "9.999999", "agency": world.agency.code, "channel": "online", "data": VALID_BIRTH}
    problem = assert_problem(citizen.post("/api/v1/dossiers", body), 404)
    assert "9.999999" in problem["detail"]
    assert counts() == before


def test_unknown_agency(world, citizen):
    body = {"procedure": "1.001193", "agency": "000.99.99.H00", "channel": "online", "data": VALID_BIRTH}
    assert_problem(citizen.post("/api/v1/dossiers", body), 404)


def test_form_schema_violations_are_listed_per_field(world, citizen):
    before = counts()
    bad = {**VALID_BIRTH, "gioi_tinh": "khac", "so_dinh_danh_me": "12ab", "ngay_sinh": "20/11/2026"}
    del bad["ho_ten_me"]
    problem = assert_problem(submit(citizen, world, bad), 422)
    fields = {e["field"] for e in problem["errors"]}
    assert fields == {"gioi_tinh", "so_dinh_danh_me", "ngay_sinh", "ho_ten_me"}
    assert "Tờ khai" in problem["detail"]
    assert counts() == before


def test_wrong_channel(world, citizen):
    body = {"procedure": "1.001193", "agency": world.agency.code, "channel": "fax", "data": VALID_BIRTH}
    assert_problem(citizen.post("/api/v1/dossiers", body), 422)


def test_bad_token(world):
    before = counts()
    response = submit(Api("mc_not-a-real-token"), world)
    body = assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "đăng nhập" in body["detail"]
    assert counts() == before


def test_no_credentials(world):
    assert_problem(Api().get("/api/v1/dossiers"), 401)


def test_someone_elses_dossier_is_not_found(world, citizen):
    code = submit(citizen, world).json()["code"]
    before = counts()
    for intruder in ("other_citizen", "other_desk"):
        api = Api(world.tokens[intruder])
        assert_problem(api.get(f"/api/v1/dossiers/{code}"), 404)
        assert_problem(api.act(code, "withdraw"), 404)
        assert_problem(api.act(code, "accept"), 404)
    assert counts() == before


def test_unknown_action_is_a_conflict(world, citizen):
    code = submit(citizen, world).json()["code"]
    before = counts()
    assert_problem(Api(world.tokens["desk"]).act(code, "fly_to_the_moon"), 409)
    assert counts() == before


def test_official_cannot_submit_online_as_a_citizen(world):
    assert_problem(submit(Api(world.tokens["desk"]), world), 403)


def test_citizen_cannot_register_in_person_dossiers(world, citizen):
    body = {
        "procedure": "1.001193",
        "agency": world.agency.code,
        "channel": "in_person",
        "data": VALID_BIRTH,
        "applicant": {"name": "X"},
    }
    assert_problem(citizen.post("/api/v1/dossiers", body), 403)


def test_upload_accepts_a_real_pdf(world, citizen, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    code = submit(citizen, world).json()["code"]
    f = io.BytesIO(PDF)
    f.name = "giay-chung-sinh.pdf"
    response = citizen.upload(f"/api/v1/dossiers/{code}/documents", {"file": f}, doc_code="TP1")
    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == "application/pdf"
    assert len(response.json()["sha256"]) == 64


def test_oversize_upload_is_refused(world, citizen, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.MOTCUA_UPLOAD_MAX_BYTES = 1024
    code = submit(citizen, world).json()["code"]
    before = counts()
    f = io.BytesIO(PDF + b"0" * 4096)
    f.name = "lon.pdf"
    body = assert_problem(citizen.upload(f"/api/v1/dossiers/{code}/documents", {"file": f}), 413)
    assert "quá lớn" in body["detail"]
    assert counts() == before
    assert not any(tmp_path.rglob("*.pdf"))


def test_wrong_type_upload_is_refused_whatever_its_name(world, citizen, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    code = submit(citizen, world).json()["code"]
    before = counts()
    f = io.BytesIO(b"#!/bin/sh\necho pwned\n")
    f.name = "giay-to.pdf"
    body = assert_problem(citizen.upload(f"/api/v1/dossiers/{code}/documents", {"file": f}), 415)
    assert "Loại tệp" in body["detail"]
    assert counts() == before
    assert not any(tmp_path.rglob("*"))


def test_unknown_dossier_code(world, citizen):
    assert_problem(citizen.get("/api/v1/dossiers/000.31.10.H49-260101-9999"), 404)


def test_at_least_one_parent_is_named_in_the_error(db):
    # given the real birth declaration schema, which needs the mother's or the father's name
    from motcua.catalog.examples import EXAMPLES
    from motcua.catalog.services import load_definitions
    from motcua.core.errors import ValidationFailed
    from motcua.dossiers.validation import validate_declaration

    schema = load_definitions()["1.001193"]["form_schema"]
    data = {k: v for k, v in EXAMPLES["1.001193"].items() if k not in ("me_ho_ten", "cha_ho_ten")}
    # when neither is given
    with pytest.raises(ValidationFailed) as caught:
        validate_declaration(schema, data)
    # then both fields carry a message that names them
    fields = {e["field"]: e["message"] for e in caught.value.errors}
    assert set(fields) == {"me_ho_ten", "cha_ho_ten"}
    assert "ít nhất một" in fields["me_ho_ten"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/v1/khong-co", 404),
        ("delete", "/api/v1/dossiers", 405),
        ("put", "/api/v1/procedures/1.001193", 405),
    ],
)
def test_errors_django_answers_itself_are_problems_too(world, method, path, status):
    response = getattr(Api(world.tokens["citizen"]).client, method)(path)
    assert_problem(response, status)


def test_form_encoded_body_is_a_problem(world, citizen):
    before = counts()
    response = citizen.client.post(
        "/api/v1/dossiers",
        data="procedure=1.001193",
        content_type="application/x-www-form-urlencoded",
        **citizen.headers,
    )
    assert 400 <= response.status_code < 500
    assert response["Content-Type"].startswith("application/problem+json")
    assert counts() == before
