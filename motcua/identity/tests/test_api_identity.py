"""Submitting through the API with the population registry behind it: verified, refused on a mismatch, and
accepted with a visible "to be verified" flag when the registry is down."""

from __future__ import annotations

import pytest

from motcua.catalog.examples import EXAMPLES
from motcua.catalog.services import load_definitions
from motcua.dossiers.models import Dossier
from motcua.dossiers.tests.helpers import Api, assert_problem

from .conftest import post_json

BIRTH = load_definitions()["1.001193"]


@pytest.fixture
def real_birth_form(world):
    """The commune's birth registration with the real declaration (its registry annotations included)."""
    world.version.form_schema = BIRTH["form_schema"]
    world.version.save()
    return world


def submit(world, data: dict):
    body = {"procedure": "1.001193", "agency": world.agency.code, "channel": "online", "data": data}
    return Api(world.tokens["citizen"]).post("/api/v1/dossiers", body)


def test_a_declaration_matching_the_registry_is_verified(real_birth_form, registry_url):
    # given Trần Thị Bích states her own name and number, as the registry knows them
    response = submit(real_birth_form, EXAMPLES["1.001193"])
    # then the dossier is received and marked verified
    assert response.status_code == 201, response.content
    assert response.json()["identity_status"] == "verified"


def test_a_mismatch_with_the_registry_is_a_problem_and_saves_nothing(real_birth_form, registry_url):
    # given a declaration whose applicant name is not the one the registry holds for her number
    data = {**EXAMPLES["1.001193"], "nyc_ho_ten": "Trần Thị Bính"}
    response = submit(real_birth_form, data)
    # then it is refused with a Vietnamese problem naming the field, and nothing is saved
    problem = assert_problem(response, 422)
    assert "dân cư" in problem["detail"]
    assert {e["field"] for e in problem["errors"]} == {"nyc_ho_ten"}
    assert not Dossier.objects.exists()


def test_someone_elses_number_is_refused(real_birth_form, registry_url):
    data = {**EXAMPLES["1.001193"], "nyc_so_dinh_danh": "022090001234"}
    assert_problem(submit(real_birth_form, data), 422)
    assert not Dossier.objects.exists()


def test_a_registry_outage_still_accepts_the_dossier_flagged_to_be_verified(real_birth_form, registry_url):
    # given the registry is down
    post_json(f"{registry_url}/__admin/outage", {"down": True})
    try:
        response = submit(real_birth_form, EXAMPLES["1.001193"])
    finally:
        post_json(f"{registry_url}/__admin/outage", {"down": False})
    # then the citizen's dossier is received all the same, flagged for the desk
    assert response.status_code == 201, response.content
    assert response.json()["identity_status"] == "to_verify"
    code = response.json()["code"]
    desk_view = Api(real_birth_form.tokens["desk"]).get(f"/api/v1/dossiers/{code}").json()
    assert desk_view["identity_status"] == "to_verify"
    # and the desk sees the flag on its queue and on the dossier page
    from motcua.accounts.testing import signed_in_client

    desk = signed_in_client(real_birth_form.desk)
    assert "Cần xác minh danh tính" in desk.get("/can-bo/mot-cua/").content.decode()
    assert "Cần xác minh" in desk.get(f"/can-bo/ho-so/{code}/").content.decode()


def test_a_procedure_needing_eid_level_2_refuses_a_password_login_over_the_api(world):
    # given the commune's procedure now requires eID level 2, and the citizen last logged in with a password
    world.version.form_schema = {**world.version.form_schema, "x-min-assurance": "loa2"}
    world.version.save()
    # when she submits through the API
    response = submit(
        world,
        {
            "ho_ten_tre": "Nguyễn Minh Khang",
            "ngay_sinh": "2026-11-20",
            "gioi_tinh": "nam",
            "ho_ten_me": "Trần Thị Bích",
        },
    )
    # then it is refused, saying which level is needed, and nothing is saved
    problem = assert_problem(response, 403)
    assert "mức" in problem["detail"]
    assert not Dossier.objects.exists()
