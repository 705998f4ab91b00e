"""The death chain (LT.KHAITU): the applicant picks 2, 3 or 4 procedures and the declaration adapts."""

from __future__ import annotations

import pytest

from motcua.core.errors import ValidationFailed
from motcua.dossiers import services as dossiers
from motcua.dossiers.models import Dossier
from motcua.exchange import services as exchange
from motcua.exchange.models import OutboxMessage
from motcua.linked.models import ChainStatus, LinkedChain, StepStatus

from .conftest import birth_partners, death_declaration, process_internal

pytestmark = pytest.mark.django_db

ALL = ["xoa_thuong_tru", "tro_cap_mai_tang", "ho_tro_mai_tang"]


@pytest.fixture
def death_partners(partners):
    birth_partners(partners)
    partners("tro-giup-xa-hoi", profile="social_assistance", mode="now")


def _run(world, chosen):
    submitted = dossiers.submit_dossier(
        world.citizen,
        procedure_code="LT.KHAITU",
        agency_code=world.commune.code,
        channel="online",
        data=death_declaration(chosen),
    )
    umbrella = dossiers.perform(world.desk, submitted.dossier, "accept")
    exchange.deliver_due()  # the death registration goes to the commune's own civil-status officers
    process_internal(Dossier.objects.get(parent=umbrella), world)
    exchange.deliver_due()  # the chosen agencies get the e-death extract
    umbrella.refresh_from_db()
    return umbrella, LinkedChain.objects.get(dossier=umbrella)


@pytest.mark.parametrize(
    "chosen",
    [["xoa_thuong_tru"], ["tro_cap_mai_tang", "ho_tro_mai_tang"], ALL],
    ids=["2-procedures", "3-procedures", "4-procedures"],
)
def test_death_chain_with_two_three_or_four_procedures(linked_world, death_partners, chosen):
    # given the applicant's choice / when the chain runs to the end
    umbrella, chain = _run(linked_world, chosen)
    # then exactly the chosen procedures (plus the death registration) ran, each with a result, one returned dossier
    steps = {s.code: s for s in chain.steps.all()}
    assert sorted(steps) == sorted(["khai_tu", *chosen])
    assert all(s.status == StepStatus.DONE for s in steps.values())
    assert chain.status == ChainStatus.COMPLETED and umbrella.status == "returned"
    extract = steps["khai_tu"].result["so_trich_luc"]
    for code in chosen:  # every agency got the death extract number from the first step, not retyped
        message = OutboxMessage.objects.get(pk=steps[code].message_id)
        assert message.payload["so_trich_luc_khai_tu"] == extract
        assert message.acting_citizen_id == "022192004567" and message.dossier_code == umbrella.code
    if "tro_cap_mai_tang" in chosen:
        assert steps["tro_cap_mai_tang"].result["so_tien"] == 23_400_000
    if "ho_tro_mai_tang" in chosen:
        assert steps["ho_tro_mai_tang"].result["so_tien"] == 10_000_000


def test_declaration_adapts_to_the_choice(linked_world, death_partners):
    # given: funeral support chosen without a bank account / then: the account fields are required, named
    data = death_declaration(["ho_tro_mai_tang"])
    del data["nhan_tien_so_tai_khoan"]
    with pytest.raises(ValidationFailed) as refused:
        dossiers.submit_dossier(
            linked_world.citizen,
            procedure_code="LT.KHAITU",
            agency_code=linked_world.commune.code,
            channel="online",
            data=data,
        )
    assert [e["field"] for e in refused.value.errors] == ["nhan_tien_so_tai_khoan"]
    # given: only residence removal chosen / then: no bank account is asked for
    data = death_declaration(["xoa_thuong_tru"])
    del data["nhan_tien_so_tai_khoan"], data["nhan_tien_ngan_hang"]
    assert dossiers.submit_dossier(
        linked_world.citizen,
        procedure_code="LT.KHAITU",
        agency_code=linked_world.commune.code,
        channel="online",
        data=data,
    ).dossier.code
    # given: nothing chosen, or an unknown procedure / then: refused (2 to 4 procedures in all)
    for bad in ([], ["xoa_thuong_tru", "khong_co"]):
        with pytest.raises(ValidationFailed):
            dossiers.submit_dossier(
                linked_world.citizen,
                procedure_code="LT.KHAITU",
                agency_code=linked_world.commune.code,
                channel="online",
                data=death_declaration(bad),
            )


def test_a_rejection_stops_only_what_depends_on_it(linked_world, partners):
    # given: the police reject the residence removal, social insurance pays the allowance
    birth_partners(partners, police="reject")
    # when
    umbrella, chain = _run(linked_world, ["xoa_thuong_tru", "tro_cap_mai_tang"])
    # then: the successful steps are kept, the citizen is told which one failed and why
    steps = {s.code: s for s in chain.steps.all()}
    assert steps["xoa_thuong_tru"].status == StepStatus.REJECTED and steps["xoa_thuong_tru"].reasons
    assert steps["tro_cap_mai_tang"].status == StepStatus.DONE
    assert chain.status == ChainStatus.PARTIAL and umbrella.status == "returned"
    finished = chain.events.get(kind="finished").text
    assert "Xóa đăng ký thường trú" in finished and steps["xoa_thuong_tru"].reasons[0]["message"] in finished


def test_when_the_first_step_is_refused_the_others_are_blocked_and_the_request_refused(linked_world, death_partners):
    # given an accepted death chain whose registration the commune leader refuses
    submitted = dossiers.submit_dossier(
        linked_world.citizen,
        procedure_code="LT.KHAITU",
        agency_code=linked_world.commune.code,
        channel="online",
        data=death_declaration(ALL),
    )
    umbrella = dossiers.perform(linked_world.desk, submitted.dossier, "accept")
    exchange.deliver_due()
    sub = Dossier.objects.get(parent=umbrella)
    dossiers.perform(linked_world.specialist, sub, "trinh_ky", note="Trình ký")
    # when
    dossiers.perform(linked_world.leader, sub, "refuse", note="Giấy báo tử không hợp lệ.")
    # then: nothing else is sent, every dependent step is blocked with the reason, the request is refused
    umbrella.refresh_from_db()
    chain = LinkedChain.objects.get(dossier=umbrella)
    steps = {s.code: s for s in chain.steps.all()}
    assert steps["khai_tu"].status == StepStatus.REJECTED
    assert {steps[c].status for c in ALL} == {StepStatus.BLOCKED}
    assert all(steps[c].message_id is None for c in ALL)
    assert chain.status == ChainStatus.FAILED and umbrella.status == "refused"
    assert "Giấy báo tử không hợp lệ." in umbrella.actions.order_by("-seq").first().note
