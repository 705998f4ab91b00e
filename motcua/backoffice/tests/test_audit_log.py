"""The audit log page: auditors and system administrators read it, nobody else; the integrity check runs."""

from __future__ import annotations

from motcua.accounts.testing import signed_in_client
from motcua.audit.models import AuditRecord
from motcua.dossiers.tests.helpers import Api, submit


def test_auditor_reads_the_log_of_a_dossier_and_checks_its_integrity(world):
    # given a dossier with its audit records
    code = submit(Api(world.tokens["citizen"]), world).json()["code"]
    auditor = signed_in_client(world.auditor)
    # when the auditor filters the log by the dossier code and asks for the integrity check
    response = auditor.get("/can-bo/nhat-ky/", {"ma": code, "kiem_tra": "1"})
    html = response.content.decode()
    # then the dossier's records are listed and the chain is intact
    assert response.status_code == 200
    assert "dossier.submit" in html and code in html
    assert "Nhật ký toàn vẹn" in html
    # and reading the log is itself audited
    assert AuditRecord.objects.filter(action="audit.read", actor=world.auditor).exists()


def test_a_tampered_record_is_reported_on_the_page(world):
    code = submit(Api(world.tokens["citizen"]), world).json()["code"]
    AuditRecord.objects.filter(object_id=code).update(reason="sửa lén")
    html = signed_in_client(world.auditor).get("/can-bo/nhat-ky/", {"kiem_tra": "1"}).content.decode()
    assert "bị sửa hoặc xoá" in html


def test_other_officials_and_citizens_cannot_read_the_log(world):
    assert signed_in_client(world.desk).get("/can-bo/nhat-ky/").status_code == 403
    assert signed_in_client(world.citizen).get("/can-bo/nhat-ky/").status_code == 403
