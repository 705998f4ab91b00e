"""The audit chain detects any edited or deleted row."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from motcua.audit.models import AuditRecord
from motcua.audit.services import record, verify_chain


@pytest.fixture
def chain(db):
    # five records of one dossier share one chain
    for i in range(5):
        record(actor=None, action=f"dossier.step{i}", obj_type="dossier", obj_id="X-1", data={"i": i})
    return AuditRecord.objects.get(seq=1).shard


@pytest.fixture
def spread(db):
    for i in range(40):
        record(actor=None, action="dossier.submit", obj_type="dossier", obj_id=f"X-{i}", data={"i": i})


def test_records_spread_over_several_chains(spread):
    assert AuditRecord.objects.values("shard").distinct().count() > 4
    assert list(verify_chain()) == []


def test_intact_chain_verifies(chain, capsys):
    assert list(verify_chain()) == []
    call_command("audit_verify")
    assert "toàn vẹn: 5 bản ghi" in capsys.readouterr().out


def test_edited_row_is_detected(chain):
    AuditRecord.objects.filter(shard=chain, seq=3).update(reason="sửa lén")
    problems = list(verify_chain())
    assert [(p.shard, p.seq, p.problem) for p in problems] == [(chain, 3, "nội dung đã bị sửa")]
    with pytest.raises(CommandError):
        call_command("audit_verify")


def test_deleted_row_in_the_middle_is_detected(chain):
    AuditRecord.objects.filter(shard=chain, seq=2).delete()
    assert {p.seq for p in verify_chain()} >= {2, 3}


def test_deleted_last_row_is_detected(chain):
    AuditRecord.objects.filter(shard=chain, seq=5).delete()
    assert [p.seq for p in verify_chain()] == [5]


def test_rehashed_forgery_still_breaks_the_link(chain):
    # given an attacker who edits a row and recomputes its own hash (but not the next row's link)
    from motcua.audit.services import _digest

    row = AuditRecord.objects.get(shard=chain, seq=2)
    row.reason = "giả mạo"
    row.hash = _digest(
        row.prev_hash,
        row.shard,
        row.seq,
        row.at.isoformat(),
        row.actor_id,
        row.action,
        row.object_type,
        row.object_id,
        row.reason,
        row.data,
    )
    row.save()
    assert [p.seq for p in verify_chain()] == [3]


def test_official_reads_are_audited(world):
    from motcua.dossiers.tests.helpers import Api, submit

    code = submit(Api(world.tokens["citizen"]), world).json()["code"]
    Api(world.tokens["citizen"]).get(f"/api/v1/dossiers/{code}")
    assert not AuditRecord.objects.filter(action="dossier.read").exists()
    Api(world.tokens["desk"]).get(f"/api/v1/dossiers/{code}")
    read = AuditRecord.objects.get(action="dossier.read")
    assert read.actor == world.desk and read.object_id == code
