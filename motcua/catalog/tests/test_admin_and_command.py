"""The admin refuses a broken workflow; the management command stays a thin caller of the services."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from motcua.accounts.testing import otp_force_login
from motcua.catalog.admin import ProcedureVersionForm
from motcua.catalog.models import Procedure, ProcedureVersion
from motcua.catalog.workflow import default_workflow

from .test_services import SHIPPED_CODES, small_catalogue  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def _form(workflow: dict) -> ProcedureVersionForm:
    procedure = Procedure.objects.create(code="9.000002", name="Thủ tục thử")
    data = {
        "procedure": procedure.pk, "number": 1, "is_current": True, "time_value": "5", "time_unit": "working_days",
        "pause_on_supplement": True, "form_schema": '{"type": "object"}', "documents": "[]", "fee_rule": "{}",
        "workflow": json.dumps(workflow), "variants": "[]", "note": "",
    }  # fmt: skip
    return ProcedureVersionForm(data=data)


def test_admin_form_accepts_a_valid_workflow():
    form = _form(default_workflow())
    assert form.is_valid(), form.errors


def test_admin_form_refuses_a_workflow_pointing_nowhere():
    # given a workflow whose action leads to a missing step / when saved in the admin / then it is refused
    broken = default_workflow()
    broken["steps"][0]["actions"][0]["to"] = "khong_co"
    form = _form(broken)
    assert not form.is_valid()
    assert "không tồn tại" in str(form.errors["workflow"])


def test_command_loads_the_given_file(small_catalogue):  # noqa: F811
    out = io.StringIO()
    call_command("import_procedures", "--path", str(small_catalogue), "--no-offerings", stdout=out)
    assert f"procedures_created: {len(SHIPPED_CODES)}" in out.getvalue()
    assert ProcedureVersion.objects.filter(is_current=True).count() == len(SHIPPED_CODES)


def test_command_writes_the_catalogue_from_a_source_dir(tmp_path):
    from .test_importer import shared_or_skip

    source = shared_or_skip()
    out = io.StringIO()
    target = tmp_path / "catalogue.jsonl.gz"
    call_command("import_procedures", "--from-source", str(source), "--write", "--path", str(target), stdout=out)
    assert target.exists() and "with_documents:" in out.getvalue()


def test_admin_pages_render(client, small_catalogue):  # noqa: F811
    # given a loaded catalogue and an administrator
    from django.contrib.auth import get_user_model

    from motcua.catalog import services

    services.load_catalog(small_catalogue)
    admin_user = get_user_model().objects.create_superuser("quan_tri", password="mat-khau-quan-tri-1")
    otp_force_login(client, admin_user)
    version = ProcedureVersion.objects.get(procedure__code="1.009664", is_current=True)
    # when the catalogue's admin pages are opened / then they render
    for url in (
        "/admin/catalog/agency/?kind__exact=commune",
        "/admin/catalog/procedure/?q=khai+sinh",
        f"/admin/catalog/procedure/{version.procedure_id}/change/",
        f"/admin/catalog/procedureversion/{version.pk}/change/",
        "/admin/catalog/procedureoffering/",
    ):
        assert client.get(url).status_code == 200, url
