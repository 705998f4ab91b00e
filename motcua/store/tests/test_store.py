"""The citizen's data store: a later procedure reuses a stored result instead of an upload, the reuse is
counted, and an official sees the document only through that dossier, audited."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.test import Client

from motcua.accounts.testing import otp_force_login
from motcua.audit.models import AuditRecord
from motcua.catalog.models import Procedure, ProcedureOffering, ProcedureVersion
from motcua.documents import pdf
from motcua.dossiers import services as dossiers
from motcua.store import services as store
from motcua.store.models import DocStatus, StoredDocument, StoreReuse

pytestmark = pytest.mark.django_db

RESIDENCE_DOCS = [
    {"code": "TP1", "name": "Tờ khai thay đổi thông tin cư trú (mẫu CT01)", "required": True},
    {
        "code": "TP3",
        "name": "Giấy khai sinh (trích lục khai sinh) của trẻ em",
        "required": False,
        "x-store": "trich_luc_khai_sinh",
    },
]


@pytest.fixture
def residence(world):
    """A second procedure whose documents name the stored type that stands for one of them."""
    procedure = Procedure.objects.create(code="1.004222", name="Đăng ký thường trú", level="Cấp xã")
    ProcedureVersion.objects.create(
        procedure=procedure,
        number=1,
        is_current=True,
        time_value=7,
        time_unit="working_days",
        cutoff=time(15, 0),
        form_schema={"type": "object", "properties": {"ghi_chu": {"type": "string", "title": "Ghi chú"}}},
        documents=RESIDENCE_DOCS,
        fee_rule={"kind": "free", "amount": 0},
        workflow=world.version.workflow,
    )
    ProcedureOffering.objects.create(procedure=procedure, agency=world.agency, online_level="full")
    return procedure


@pytest.fixture
def birth_extract(world):
    """Bích's e-birth extract, the result of a finished birth registration, deposited in her store."""
    from motcua.conftest import VALID_BIRTH

    first = dossiers.submit_dossier(
        world.citizen, procedure_code="1.001193", agency_code=world.agency.code, channel="online", data=VALID_BIRTH
    ).dossier
    content = pdf.build([pdf.p("Trích lục khai sinh — Nguyễn Minh Khang")], title="Trích lục", author="motcua")
    return store.deposit(
        world.citizen.personal_id,
        kind="e_result",
        title="Trích lục khai sinh điện tử số 12/2026/TLKS",
        issuer=world.agency.name,
        content=content,
        content_type="application/pdf",
        source_ref=f"test.result:{first.pk}",
        valid_from=date(2026, 11, 28),
        dossier=first,
    )


def test_deposit_is_typed_by_the_issuing_procedure_and_idempotent(world, birth_extract):
    assert birth_extract.doc_type == "trich_luc_khai_sinh" and birth_extract.owner == world.citizen
    again = store.deposit(
        world.citizen.personal_id,
        kind="e_result",
        title="x",
        issuer="y",
        content=b"%PDF-1.7 other",
        content_type="application/pdf",
        source_ref=birth_extract.source_ref,
    )
    assert again.pk == birth_extract.pk and StoredDocument.objects.count() == 1
    assert AuditRecord.objects.filter(action="store.deposit").count() == 1


def test_a_second_procedure_reuses_the_stored_result_without_an_upload(world, residence, birth_extract):
    client = Client()
    client.force_login(world.citizen)
    # given the residence form / then it does not ask for the birth extract: the store provides it
    page = client.get(f"/thu-tuc/1.004222/nop/?agency={world.agency.code}").content.decode()
    assert 'name="doc_TP3"' not in page and 'name="doc_TP1"' in page
    assert 'id="tu-kho-du-lieu"' in page and "Trích lục khai sinh điện tử số 12/2026/TLKS" in page
    # when she submits with no upload at all
    response = client.post(
        "/thu-tuc/1.004222/nop/", {"agency": world.agency.code, "ghi_chu": "Cho con", "intent": "submit"}
    )
    assert response.status_code == 302
    # then the dossier records the reuse, counted once, and the document is offered while it stays valid
    reuse = StoreReuse.objects.get()
    assert reuse.document == birth_extract and reuse.doc_code == "TP3" and reuse.dossier.procedure_id == residence.pk
    assert store.reuse_count() == {"reuses": 1, "dossiers": 1}
    assert AuditRecord.objects.filter(action="store.reuse", object_id=reuse.dossier.code).exists()
    # when the result is revoked, the next form asks for the upload again
    store.set_status(birth_extract.source_ref, DocStatus.REVOKED)
    page = client.get(f"/thu-tuc/1.004222/nop/?agency={world.agency.code}").content.decode()
    assert 'name="doc_TP3"' in page


def test_officials_see_a_stored_document_only_through_the_dossier_and_it_is_audited(world, residence, birth_extract):
    submitted = dossiers.submit_dossier(
        world.citizen, procedure_code="1.004222", agency_code=world.agency.code, channel="online", data={}
    ).dossier
    reuse = store.reuse(world.citizen, submitted, {"TP3": birth_extract})[0]
    url = f"/can-bo/ho-so/{submitted.code}/kho/{reuse.pk}/"
    # the desk of the receiving agency opens it: served, audited with the dossier
    desk = otp_force_login(Client(), world.desk)
    response = desk.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    read = AuditRecord.objects.get(action="store.read")
    assert read.actor_id == world.desk.pk and read.data["dossier"] == submitted.code
    assert f"/kho/{reuse.pk}/" in desk.get(f"/can-bo/ho-so/{submitted.code}/").content.decode()
    # another agency's official, or a reuse id of another dossier: 404, nothing audited
    other = otp_force_login(Client(), world.other_desk)
    assert other.get(url).status_code == 404
    assert desk.get(f"/can-bo/ho-so/{submitted.code}/kho/{reuse.pk + 999}/").status_code == 404
    assert AuditRecord.objects.filter(action="store.read").count() == 1


def test_the_citizen_sees_her_store_and_no_one_else_downloads_from_it(world, birth_extract):
    mine = Client()
    mine.force_login(world.citizen)
    page = mine.get("/kho-du-lieu/").content.decode()
    assert "Trích lục khai sinh điện tử số 12/2026/TLKS" in page
    assert mine.get(f"/kho-du-lieu/{birth_extract.pk}/").status_code == 200
    other = Client()
    other.force_login(world.other_citizen)
    assert other.get(f"/kho-du-lieu/{birth_extract.pk}/").status_code == 404
    assert "12/2026/TLKS" not in other.get("/kho-du-lieu/").content.decode()
    assert Client().get("/kho-du-lieu/").status_code == 302


def test_deposit_refuses_bad_input():
    from motcua.core.errors import ValidationFailed

    for owner, kind, content in (
        ("123", "e_result", b"x"),
        ("022192004567", "khac", b"x"),
        ("022192004567", "receipt", b""),
    ):
        with pytest.raises(ValidationFailed):
            store.deposit(
                owner, kind=kind, title="t", issuer="i", content=content, content_type="application/pdf", source_ref="s"
            )
    assert not StoredDocument.objects.exists()
