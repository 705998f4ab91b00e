"""The birth chain (2.000986) end to end through the services: one declaration, three agencies, one result set."""

from __future__ import annotations

from datetime import timedelta

import pytest

from motcua.core.identifiers import validate_personal_id
from motcua.dossiers import services as dossiers
from motcua.dossiers.models import Dossier
from motcua.exchange import services as exchange
from motcua.exchange.models import ExchangePartner, OutboxMessage
from motcua.linked.models import ChainStatus, LinkedChain, StepStatus

from .conftest import birth_declaration, birth_partners, process_internal, submit_and_accept

pytestmark = pytest.mark.django_db


def test_birth_chain_runs_with_internal_civil_status_and_external_police_and_insurance(linked_world, partners):
    # given: civil status processed inside motcua, police answering at once, social insurance by callback later
    birth_partners(partners)
    # when: the parent's one declaration is accepted once at the desk
    umbrella, chain = submit_and_accept(linked_world)
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


def test_seven_working_days_to_supplement_then_refused(linked_world, partners):
    # given: the desk asks once for completion of a linked request
    partners("ho-tich", kind="internal")
    submitted = dossiers.submit_dossier(
        linked_world.citizen,
        procedure_code="2.000986",
        agency_code=linked_world.commune.code,
        channel="online",
        data=birth_declaration(),
    )
    umbrella = dossiers.perform(
        linked_world.desk, submitted.dossier, "request_supplement", note="Thiếu giấy chứng sinh bản điện tử."
    )
    assert umbrella.supplement_due_at is not None
    # when: the sweeper runs before, then after the 7 working days
    assert dossiers.sweep(now=umbrella.supplement_due_at)["supplement_expired"] == 0
    counts = dossiers.sweep(now=umbrella.supplement_due_at + timedelta(minutes=1))
    # then: refused by the system with the reason, once; no chain was ever started
    umbrella.refresh_from_db()
    assert counts["supplement_expired"] == 1 and umbrella.status == "refused"
    last = umbrella.actions.order_by("-seq").first()
    assert last.actor_id is None and last.actor_role == "system" and "Quá thời hạn bổ sung" in last.note
    assert not LinkedChain.objects.filter(dossier=umbrella).exists()
    assert dossiers.sweep(now=umbrella.supplement_due_at + timedelta(days=1))["supplement_expired"] == 0


def test_verification_gives_five_working_days(linked_world, partners):
    # given two requests received at the same time, one needing verification
    birth_partners(partners)
    plain, _ = submit_and_accept(linked_world)
    checked, chain = submit_and_accept(linked_world, verification=True)
    # then: 3 working days for one, 5 for the other, on the official calendar
    from motcua.worktime.services import calendar_for

    cal = calendar_for(linked_world.commune)
    assert cal.working_days_between(plain.due_at.date(), checked.due_at.date()) == 2
    assert chain.verification and chain.due_at == checked.due_at


def test_an_unconfigured_agency_makes_acceptance_fail_cleanly(linked_world, partners):
    # given: the police partner is not configured
    partners("ho-tich", kind="internal")
    partners("bhxh")
    submitted = dossiers.submit_dossier(
        linked_world.citizen,
        procedure_code="2.000986",
        agency_code=linked_world.commune.code,
        channel="online",
        data=birth_declaration(),
    )
    # when / then: a clear refusal naming it, and nothing half-written
    from motcua.core.errors import Conflict

    with pytest.raises(Conflict, match="cong-an"):
        dossiers.perform(linked_world.desk, submitted.dossier, "accept")
    submitted.dossier.refresh_from_db()
    assert submitted.dossier.status == "submitted" and not LinkedChain.objects.exists()
    assert not OutboxMessage.objects.exclude(kind="portal.dossier_status").exists()


def test_every_status_change_is_queued_for_the_national_portal(linked_world, partners):
    # given: the national portal configured as a partner
    partners("dvcqg")
    birth_partners(partners)
    # when: a linked request is submitted and accepted, and the worker runs
    umbrella, _ = submit_and_accept(linked_world)
    messages = OutboxMessage.objects.filter(kind="portal.dossier_status", dossier_code=umbrella.code)
    # then: one message per transition, in order, carrying the status and the log sequence
    assert [(m.payload["seq"], m.payload["trang_thai"]) for m in messages.order_by("id")] == [
        (1, "submitted"),
        (2, "processing"),
    ]
    from motcua.linked.selectors import portal_sync_share

    assert portal_sync_share()["share"] == 0
    exchange.deliver_due()  # delivers the request's changes; opens the sub-dossier, whose own change is queued
    assert portal_sync_share() == {"dossiers": 2, "synced": 1, "share": 0.5}
    exchange.deliver_due()
    assert portal_sync_share() == {"dossiers": 2, "synced": 2, "share": 1.0}


def test_the_chain_does_not_care_which_agency_is_internal(linked_world, partners):
    # given the opposite mix: civil status is the Ministry of Justice's external system, while the residence
    # registration is processed inside motcua by the commune's officials
    partners("ho-tich", profile="civil_status", mode="now")
    partners("cong-an", kind="internal")
    partners("bhxh", profile="social_insurance", mode="now")
    umbrella, chain = submit_and_accept(linked_world)
    # when: the external civil-status system registers the birth, then the residence sub-dossier is processed
    exchange.deliver_due()
    birth = chain.steps.get(code="khai_sinh")
    validate_personal_id(birth.result["so_dinh_danh"], gender="nam")
    exchange.deliver_due()
    sub = Dossier.objects.get(parent=umbrella)
    assert sub.procedure.code == "1.004222" and sub.data["so_dinh_danh"] == birth.result["so_dinh_danh"]
    process_internal(sub, linked_world)
    # then: the same chain, the same three results
    chain.refresh_from_db()
    umbrella.refresh_from_db()
    assert chain.status == ChainStatus.COMPLETED and umbrella.status == "returned"
    assert chain.steps.get(code="bhyt").result["ma_the"] == birth.result["so_dinh_danh"]


def test_the_portal_partner_is_looked_up_once_not_on_every_transition(linked_world, partners):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # given the national portal configured, and a first transition that looked it up
    partners("dvcqg")
    birth_partners(partners)
    submit_and_accept(linked_world)
    # when another request goes through submission and acceptance
    with CaptureQueriesContext(connection) as queries:
        submit_and_accept(linked_world)
    # then no transition asked for the partner again, yet every change was queued
    assert not [q for q in queries if 'FROM "exchange_exchangepartner"' in q["sql"] and "dvcqg" in q["sql"]]
    assert OutboxMessage.objects.filter(kind="portal.dossier_status").count() == 4
    # and switching the portal off takes effect at once in this process
    portal = ExchangePartner.objects.get(code="dvcqg")
    portal.active = False
    portal.save()
    submit_and_accept(linked_world)
    assert OutboxMessage.objects.filter(kind="portal.dossier_status").count() == 4


def test_an_apology_with_a_new_date_moves_the_whole_request_and_the_steps_sent_after_it(linked_world, partners):
    # given an accepted birth chain whose first step is still with the commune
    birth_partners(partners)
    umbrella, chain = submit_and_accept(linked_world)
    # when the desk apologises and gives the one new date, 2 working days later
    umbrella = dossiers.perform(
        linked_world.desk, umbrella, "reappoint", note="Chờ xác minh nơi sinh.", payload={"extra_working_days": 2}
    )
    # then the request's deadline is the new one (the coordinator's hours left follow it)
    chain = LinkedChain.objects.select_related("dossier").get(pk=chain.pk)
    assert chain.due_at == umbrella.due_at and umbrella.reappointed_at is not None
    # and the steps sent afterwards may use the extra time
    exchange.deliver_due()
    process_internal(Dossier.objects.get(parent=umbrella), linked_world)
    residence = chain.steps.get(code="thuong_tru")
    assert residence.status == StepStatus.SENT and residence.due_at <= umbrella.due_at
