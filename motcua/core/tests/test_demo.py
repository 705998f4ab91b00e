"""`make run` loads the demo every time: the loader must be idempotent and complete."""

from __future__ import annotations

import pytest

from motcua.accounts.models import RoleAssignment, User
from motcua.catalog.models import Agency, Procedure, ProcedureOffering, ProcedureVersion
from motcua.core.demo import demo_accounts, load_demo


def snapshot() -> tuple[int, ...]:
    return tuple(
        m.objects.count() for m in (Agency, Procedure, ProcedureVersion, ProcedureOffering, User, RoleAssignment)
    )


@pytest.mark.django_db
def test_demo_loads_once_and_again_without_duplicates():
    # given an empty database, when the demo is loaded twice
    load_demo()
    first = snapshot()
    load_demo()
    # then nothing was duplicated
    assert snapshot() == first
    # and the demo has Quảng Ninh's 54 communes, the five hand-made procedures and every role
    assert Agency.objects.filter(kind="commune", province_code="22").count() == 54
    hand_made = set(
        ProcedureVersion.objects.filter(hand_made=True, is_current=True).values_list("procedure__code", flat=True)
    )
    assert hand_made >= {"1.001193", "1.004222", "1.000656", "1.003197", "1.009664"}
    roles = {a["role"] for a in demo_accounts()}
    assert roles >= {
        "desk",
        "specialist",
        "leader",
        "coordinator",
        "agency_admin",
        "system_admin",
        "auditor",
        "citizen",
    }
    citizens = [a for a in demo_accounts() if a["role"] == "citizen"]
    assert all(len(a["personal_id"]) == 12 and a["personal_id"].isdigit() for a in citizens)
