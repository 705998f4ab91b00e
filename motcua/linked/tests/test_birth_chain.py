"""The birth chain (2.000986) end to end through the services: one declaration, three agencies, one result set."""

from __future__ import annotations

import pytest

from motcua.core.identifiers import validate_personal_id
from motcua.dossiers import services as dossiers
from motcua.dossiers.models import Dossier
from motcua.exchange import services as exchange
from motcua.exchange.models import OutboxMessage
from motcua.linked.models import ChainStatus, LinkedChain, StepStatus

from .conftest import birth_declaration, process_internal

pytestmark = pytest.mark.django_db


def _submit_and_accept(world, data=None, **accept_payload):
    result = dossiers.submit_dossier(
        world.citizen,
        procedure_code="2.000986",
        agency_code=world.commune.code,
        channel="online",
        data=data or birth_declaration(),
    )
    umbrella = dossiers.perform(world.desk, result.dossier, "accept", payload=accept_payload)
    return umbrella, LinkedChain.objects.get(dossier=umbrella)


def test_birth_chain_runs_with_internal_civil_status_and_external_police_and_insurance(linked_world, partners):
    # given: civil status processed inside motcua, police answering at once, social insurance by callback later
    partners("ho-tich", kind="internal")
    partners("cong-an", mode="now")
    partners("bhxh", mode="now")
    # when: the parent's one declaration is accepted once at the desk
    umbrella, chain = _submit_and_accept(linked_world)
    # then: only the birth registration is sent; residence and insurance wait for its result
    steps = {s.code: s for s in chain.steps.all()}
    assert steps["khai_sinh"].status == StepStatus.SENT
    assert steps["thuong_tru"].status == steps["bhyt"].status == StepStatus.WAITING
    assert umbrella.current_step == "lien_thong" and umbrella.due_at is not None

    # when: the worker delivers: the internal agency opens a sub-dossier for its officials
    exchange.deliver_due()
    sub = Dossier.objects.get(parent=umbrella)
    assert sub.procedure.code == "1.001193" and sub.status == "processing" and sub.code != umbrella.code
    assert "tt_dia_chi_xa" not in sub.data and sub.data["ks_ho_ten"] == "Nguyễn Minh Khang"
    assert sub.due_at <= umbrella.due_at

    # when: the commune's specialist and leader finish it
    process_internal(sub, linked_world)
    steps = {s.code: s for s in chain.steps.all()}
    birth = steps["khai_sinh"].result
    validate_personal_id(birth["so_dinh_danh"], gender="nam")
    assert steps["khai_sinh"].status == StepStatus.DONE
    # then: residence and insurance are sent with the child's new personal ID, not retyped
    assert steps["thuong_tru"].status == steps["bhyt"].status == StepStatus.SENT
    residence = OutboxMessage.objects.get(pk=steps["thuong_tru"].message_id)
    assert residence.payload["so_dinh_danh"] == birth["so_dinh_danh"]
    assert residence.payload["so_trich_luc_khai_sinh"] == birth["so_trich_luc"]

    # when: the worker delivers to the police and social insurance
    exchange.deliver_due()
    chain.refresh_from_db()
    umbrella.refresh_from_db()
    # then: all three results, one returned dossier
    assert chain.status == ChainStatus.COMPLETED
    assert umbrella.status == "returned" and umbrella.outcome in ("early", "on_time")
    assert [s.status for s in chain.steps.all()] == [StepStatus.DONE] * 3
