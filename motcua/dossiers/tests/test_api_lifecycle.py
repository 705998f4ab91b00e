"""The dossier's life through the API: every branch of domain.md's lifecycle."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from motcua.dossiers.models import Dossier, DossierAction
from motcua.dossiers.services import sweep

from .helpers import Api, assert_problem, submit

CODE_RE = re.compile(r"^000\.31\.10\.H49-\d{6}-\d{4}$")


def actions_of(response) -> set[str]:
    return {a["action"] for a in response.json()["available_actions"]}


def test_full_journey_from_online_submission_to_returned_result(world):
    # given a citizen and the commune's desk, specialist and leader
    citizen, desk = Api(world.tokens["citizen"]), Api(world.tokens["desk"])
    specialist, leader = Api(world.tokens["specialist"]), Api(world.tokens["leader"])

    # when the citizen submits online
    created = submit(citizen, world)
    # then the dossier gets a Circular 01 code, a PIN and an expected appointment in +07:00
    assert created.status_code == 201, created.content
    body = created.json()
    assert CODE_RE.match(body["code"])
    assert body["status"] == "submitted"
    assert body["due_at"].endswith("+07:00")
    assert body["acceptance_due_at"].endswith("+07:00")
    assert re.fullmatch(r"\d{6}", body["pin"])
    code = body["code"]

    # when the desk looks at it, it may accept, ask for a supplement once, or refuse
    assert actions_of(desk.get(f"/api/v1/dossiers/{code}")) == {"accept", "request_supplement", "refuse"}
    accepted = desk.act(code, "accept", checklist=[{"doc": "TP1", "present": True, "original": True}])
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "processing"
    assert accepted.json()["current_step"] == "xu_ly"
    assert accepted.json()["due_at"] == accepted.json()["original_due_at"]

    # then the specialist forwards, the leader approves, the desk returns
    assert actions_of(specialist.get(f"/api/v1/dossiers/{code}")) >= {"trinh_ky"}
    assert specialist.act(code, "trinh_ky", "Đủ điều kiện").json()["current_step"] == "phe_duyet"
    assert leader.act(code, "phe_duyet").json()["status"] == "result_ready"
    returned = desk.act(code, "return_result")
    assert returned.json()["status"] == "returned"

    # and the citizen sees the result and its outcome with the whole history
    mine = citizen.get(f"/api/v1/dossiers/{code}").json()
    assert mine["status"] == "returned"
    assert mine["outcome"] in {"early", "on_time"}
    assert [h["action"] for h in mine["history"]] == [
        "submit",
        "accept",
        "trinh_ky",
        "phe_duyet",
        "return_result",
    ]
    assert mine["available_actions"] == []


def test_idempotency_key_returns_the_same_dossier(world):
    citizen = Api(world.tokens["citizen"])
    first = submit(citizen, world, HTTP_IDEMPOTENCY_KEY="k-123")
    again = submit(citizen, world, HTTP_IDEMPOTENCY_KEY="k-123")
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["code"] == first.json()["code"]
    assert Dossier.objects.count() == 1


def test_idempotency_key_reused_for_another_request_is_refused(world):
    from motcua.conftest import VALID_BIRTH

    citizen = Api(world.tokens["citizen"])
    submit(citizen, world, HTTP_IDEMPOTENCY_KEY="k-1")
    other = submit(citizen, world, {**VALID_BIRTH, "ho_ten_tre": "Nguyễn Minh An"}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert_problem(other, 422)
    assert Dossier.objects.count() == 1


def test_supplement_is_requested_only_once(world):
    citizen, desk = Api(world.tokens["citizen"]), Api(world.tokens["desk"])
    code = submit(citizen, world).json()["code"]

    # when the desk asks for a supplement, listing everything
    asked = desk.act(code, "request_supplement", "Thiếu giấy chứng sinh bản chính", missing=["Giấy chứng sinh"])
    assert asked.json()["status"] == "supplement_requested"
    assert "supplement" in actions_of(citizen.get(f"/api/v1/dossiers/{code}"))

    # and the citizen supplements
    back = citizen.act(code, "supplement", "Đã bổ sung")
    assert back.json()["status"] == "submitted"

    # then the desk cannot ask a second time ("guide only once")
    assert "request_supplement" not in actions_of(desk.get(f"/api/v1/dossiers/{code}"))
    again = desk.act(code, "request_supplement", "Thiếu nữa")
    assert_problem(again, 409)
    assert Dossier.objects.get(code=code).supplement_count == 1


def test_supplement_during_processing_pauses_the_clock(world):
    citizen, desk, specialist = (Api(world.tokens[n]) for n in ("citizen", "desk", "specialist"))
    code = submit(citizen, world).json()["code"]
    desk.act(code, "accept")
    due_before = Dossier.objects.get(code=code).due_at

    # when the specialist asks for a supplement, the clock stops
    specialist.act(code, "request_supplement", "Cần bản sao giấy đăng ký kết hôn")
    paused = Dossier.objects.get(code=code)
    assert paused.paused_at is not None
    assert paused.supplement_due_at is not None

    # and when the citizen supplements later, the deadline moves by the paused working time
    Dossier.objects.filter(code=code).update(paused_at=paused.paused_at - timedelta(days=7))
    resumed = citizen.act(code, "supplement", "Đã bổ sung").json()
    assert resumed["status"] == "processing"
    assert resumed["current_step"] == "xu_ly"
    assert Dossier.objects.get(code=code).due_at > due_before
    assert Dossier.objects.get(code=code).paused_at is None


def test_refusal_needs_reasons_and_ends_the_dossier(world):
    citizen, desk = Api(world.tokens["citizen"]), Api(world.tokens["desk"])
    code = submit(citizen, world).json()["code"]

    # when the desk refuses without a reason, nothing changes
    assert_problem(desk.act(code, "refuse"), 422)
    assert Dossier.objects.get(code=code).status == "submitted"
    assert DossierAction.objects.filter(dossier__code=code).count() == 1

    # with a reason it is refused and closed
    refused = desk.act(code, "refuse", "Không thuộc thẩm quyền của UBND phường")
    assert refused.json()["status"] == "refused"
    assert refused.json()["available_actions"] == []


def test_apology_and_new_appointment_only_once(world):
    citizen, desk, leader = (Api(world.tokens[n]) for n in ("citizen", "desk", "leader"))
    code = submit(citizen, world).json()["code"]
    desk.act(code, "accept")
    old_due = Dossier.objects.get(code=code).due_at

    # when the leader apologises with two more working days
    moved = leader.act(code, "reappoint", "Cần xác minh thêm thông tin", extra_working_days=2)
    assert moved.status_code == 200, moved.content
    dossier = Dossier.objects.get(code=code)
    assert dossier.due_at > old_due
    assert dossier.original_due_at == old_due
    assert moved.json()["reappointed"] is True

    # then the date cannot move a second time
    assert "reappoint" not in actions_of(leader.get(f"/api/v1/dossiers/{code}"))
    assert_problem(leader.act(code, "reappoint", "Lần hai", extra_working_days=1), 409)


def test_apology_too_close_to_the_deadline_is_refused(world):
    citizen, desk, leader = (Api(world.tokens[n]) for n in ("citizen", "desk", "leader"))
    code = submit(citizen, world).json()["code"]
    desk.act(code, "accept")
    # given a deadline that is today (this very instant: no working day left before it, at any hour of the day)
    Dossier.objects.filter(code=code).update(due_at=timezone.now())
    refused = leader.act(code, "reappoint", "Xin lỗi", extra_working_days=2)
    assert_problem(refused, 409)
    assert Dossier.objects.get(code=code).reappointed_at is None


def test_citizen_can_withdraw(world):
    citizen = Api(world.tokens["citizen"])
    code = submit(citizen, world).json()["code"]
    withdrawn = citizen.act(code, "withdraw", "Không còn nhu cầu")
    assert withdrawn.json()["status"] == "withdrawn"


def test_overdue_sweep_marks_once_and_outcome_is_late(world):
    citizen, desk, specialist, leader = (Api(world.tokens[n]) for n in ("citizen", "desk", "specialist", "leader"))
    code = submit(citizen, world).json()["code"]
    desk.act(code, "accept")
    # given the appointment has passed
    Dossier.objects.filter(code=code).update(due_at=timezone.now() - timedelta(hours=1))

    # when the sweeper runs twice
    first, second = sweep(), sweep()
    # then the dossier is overdue and logged once
    dossier = Dossier.objects.get(code=code)
    assert dossier.overdue is True
    assert first["overdue"] == 1 and second["overdue"] == 1
    assert DossierAction.objects.filter(dossier=dossier, action="mark_overdue").count() == 1

    # and a result made after the appointment is late
    specialist.act(code, "trinh_ky")
    leader.act(code, "phe_duyet")
    assert desk.act(code, "return_result").json()["outcome"] == "late"


def test_sweep_flags_due_soon_and_apology_due(world):
    citizen, desk = Api(world.tokens["citizen"]), Api(world.tokens["desk"])
    code = submit(citizen, world).json()["code"]
    desk.act(code, "accept")
    from motcua.worktime.services import calendar_for

    soon = calendar_for(world.agency).add_working_hours(timezone.now(), 2)
    Dossier.objects.filter(code=code).update(due_at=soon)
    sweep()
    dossier = Dossier.objects.get(code=code)
    assert dossier.due_soon is True
    assert dossier.apology_due is True
    assert dossier.overdue is False


def test_late_online_acceptance_is_flagged(world):
    citizen = Api(world.tokens["citizen"])
    code = submit(citizen, world).json()["code"]
    Dossier.objects.filter(code=code).update(acceptance_due_at=timezone.now() - timedelta(minutes=1))
    sweep()
    assert Dossier.objects.get(code=code).acceptance_breached is True


def test_undo_restores_the_previous_step_and_is_logged(world):
    citizen, desk, specialist = (Api(world.tokens[n]) for n in ("citizen", "desk", "specialist"))
    code = submit(citizen, world).json()["code"]
    desk.act(code, "accept")
    specialist.act(code, "trinh_ky")
    # when the specialist undoes the forward
    assert "undo" in actions_of(specialist.get(f"/api/v1/dossiers/{code}"))
    undone = specialist.act(code, "undo", "Chuyển nhầm")
    # then the dossier is back at the specialist's step and the log keeps both
    assert undone.json()["current_step"] == "xu_ly"
    history = undone.json()["history"]
    assert [h["action"] for h in history][-2:] == ["trinh_ky", "undo"]
    assert history[-2]["undone"] is True
    # and nobody else can undo the leader's work on the specialist's behalf
    assert "undo" not in actions_of(Api(world.tokens["leader"]).get(f"/api/v1/dossiers/{code}"))


def test_send_back_needs_a_reason(world):
    citizen, desk, specialist, leader = (Api(world.tokens[n]) for n in ("citizen", "desk", "specialist", "leader"))
    code = submit(citizen, world).json()["code"]
    desk.act(code, "accept")
    specialist.act(code, "trinh_ky")
    assert_problem(leader.act(code, "tra_lai"), 422)
    back = leader.act(code, "tra_lai", "Bổ sung ý kiến thẩm định")
    assert back.json()["current_step"] == "xu_ly"


def test_role_cannot_act_outside_its_step(world):
    citizen, specialist = Api(world.tokens["citizen"]), Api(world.tokens["specialist"])
    code = submit(citizen, world).json()["code"]
    assert_problem(specialist.act(code, "accept"), 409)
    assert Dossier.objects.get(code=code).status == "submitted"


def test_lists_show_only_own_or_agency_dossiers(world):
    citizen, other_citizen = Api(world.tokens["citizen"]), Api(world.tokens["other_citizen"])
    desk, other_desk = Api(world.tokens["desk"]), Api(world.tokens["other_desk"])
    code = submit(citizen, world).json()["code"]
    assert [d["code"] for d in citizen.get("/api/v1/dossiers").json()["results"]] == [code]
    assert other_citizen.get("/api/v1/dossiers").json()["count"] == 0
    assert desk.get("/api/v1/dossiers", scope="desk").json()["count"] == 1
    assert other_desk.get("/api/v1/dossiers").json()["count"] == 0


def test_desk_registers_an_in_person_dossier_for_a_walk_in(world):
    desk = Api(world.tokens["desk"])
    from motcua.conftest import VALID_BIRTH

    body = {
        "procedure": "1.001193",
        "agency": world.agency.code,
        "channel": "in_person",
        "data": VALID_BIRTH,
        "applicant": {"name": "Trần Thị Bích", "personal_id": "022192004567"},
    }
    created = desk.post("/api/v1/dossiers", body)
    assert created.status_code == 201, created.content
    assert created.json()["acceptance_due_at"] is None
    # the citizen owning that ID sees it in their list too
    assert Api(world.tokens["citizen"]).get("/api/v1/dossiers").json()["count"] == 1


def test_public_lookup_by_code_and_pin_shows_no_personal_data(world):
    citizen = Api(world.tokens["citizen"])
    created = submit(citizen, world).json()
    anonymous = Api()
    found = anonymous.get("/api/v1/lookup", code=created["code"], pin=created["pin"])
    assert found.status_code == 200
    text = found.content.decode()
    assert "Trần Thị Bích" not in text and "022192004567" not in text
    assert found.json()["status"] == "submitted"
    assert_problem(
        anonymous.get("/api/v1/lookup", code=created["code"], pin="000000" if created["pin"] != "000000" else "111111"),
        404,
    )


def test_public_lookup_is_rate_limited(world, settings):
    settings.MOTCUA_LOOKUP_PER_MINUTE = 3
    anonymous = Api()
    statuses = [anonymous.get("/api/v1/lookup", code="X", pin="1").status_code for _ in range(5)]
    assert statuses[:3] == [404, 404, 404]
    assert statuses[3:] == [429, 429]


def test_sweep_uses_each_agencys_own_desk_hours(world):
    from motcua.conftest import VALID_BIRTH
    from motcua.dossiers import services
    from motcua.worktime.services import calendar_for

    # given the other commune opens only four hours a day
    world.other_agency.work_periods = [["07:30", "11:30"]]
    world.other_agency.save()
    short_day = services.submit_dossier(
        world.citizen,
        procedure_code="1.001193",
        agency_code=world.other_agency.code,
        channel="online",
        data=VALID_BIRTH,
    ).dossier
    normal_day = services.submit_dossier(
        world.citizen, procedure_code="1.001193", agency_code=world.agency.code, channel="online", data=VALID_BIRTH
    ).dossier
    services.perform(world.other_desk, short_day, "accept")
    services.perform(world.desk, normal_day, "accept")
    # and both are due six working hours from now, each by its own calendar
    now = timezone.now()
    for dossier, agency in ((short_day, world.other_agency), (normal_day, world.agency)):
        Dossier.objects.filter(pk=dossier.pk).update(due_at=calendar_for(agency).add_working_hours(now, 6))
    # when the sweeper runs
    sweep(now)
    # then both are due soon (≤ 8 working hours left by their own desk hours)
    assert set(Dossier.objects.filter(due_soon=True).values_list("pk", flat=True)) == {short_day.pk, normal_day.pk}


def test_representatives_of_one_enterprise_see_its_dossiers(world):
    from django.utils import timezone as tz

    from motcua.conftest import VALID_BIRTH
    from motcua.dossiers import services
    from motcua.identity.models import Enterprise, EnterpriseRepresentative

    # given both citizens represent the same enterprise, and one of them files for it
    enterprise = Enterprise.objects.create(tax_code="5701234566", name="Công ty TNHH Cơ khí Hạ Long")
    for person in (world.citizen, world.other_citizen):
        EnterpriseRepresentative.objects.create(enterprise=enterprise, user=person, last_seen_at=tz.now())
    filed = services.submit_dossier(
        world.citizen,
        procedure_code="1.001193",
        agency_code=world.agency.code,
        channel="online",
        data=VALID_BIRTH,
        enterprise={"tax_code": "5701234566", "name": enterprise.name},
    ).dossier
    # then the other representative sees it, and a citizen outside the enterprise does not
    assert Api(world.tokens["other_citizen"]).get(f"/api/v1/dossiers/{filed.code}").status_code == 200
    EnterpriseRepresentative.objects.filter(user=world.other_citizen).delete()
    assert Api(world.tokens["other_citizen"]).get(f"/api/v1/dossiers/{filed.code}").status_code == 404


def test_an_invalid_enterprise_tax_code_is_refused(world):
    from motcua.conftest import VALID_BIRTH
    from motcua.core.errors import ValidationFailed
    from motcua.dossiers import services

    with pytest.raises(ValidationFailed):
        services.submit_dossier(
            world.citizen,
            procedure_code="1.001193",
            agency_code=world.agency.code,
            channel="online",
            data=VALID_BIRTH,
            enterprise={"tax_code": "5701234567", "name": "Sai mã"},
        )
    assert not Dossier.objects.exists()


def test_a_province_auditor_reads_every_commune_dossier_but_cannot_act(world):
    citizen, auditor = Api(world.tokens["citizen"]), Api(world.tokens["auditor"])
    code = submit(citizen, world).json()["code"]
    # the auditor sits at the province: the commune's dossier is visible, read-only
    seen = auditor.get(f"/api/v1/dossiers/{code}")
    assert seen.status_code == 200
    assert seen.json()["available_actions"] == []
    assert_problem(auditor.act(code, "accept"), 409)
    assert Dossier.objects.get(code=code).status == "submitted"
