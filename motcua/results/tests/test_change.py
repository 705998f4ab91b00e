"""Revoking and replacing an e-result from the back office and the API: only the issuing agency's leader, always
with a reason; the old result stays verifiable and says what happened to it."""

from __future__ import annotations

import json

import pytest

from motcua.accounts.testing import signed_in_client
from motcua.audit.models import AuditRecord
from motcua.results.models import EResult, EResultStatus


@pytest.fixture
def issued(rworld) -> EResult:
    return EResult.objects.get(dossier=rworld.birth_result())


def _dossier_page(client, result) -> str:
    page = client.get(f"/can-bo/ho-so/{result.dossier.code}/")
    assert page.status_code == 200
    return page.content.decode()


def test_the_leader_sees_the_forms_and_revokes_with_a_reason(rworld, issued):
    leader = signed_in_client(rworld.leader)
    # given the leader of the issuing commune on the dossier's page
    assert f"/xac-minh/{issued.token}/revoke/" in _dossier_page(leader, issued)
    # when they revoke without a reason, then nothing changes and the page says why
    page = leader.post(f"/xac-minh/{issued.token}/revoke/", {"reason": "  "}, follow=True)
    assert "Cần ghi rõ lý do." in page.content.decode()
    issued.refresh_from_db()
    assert issued.status == EResultStatus.VALID
    # when they revoke with a reason
    page = leader.post(f"/xac-minh/{issued.token}/revoke/", {"reason": "Quyết định hủy số 7"}, follow=True)
    # then it is revoked, audited, and the public page says so
    assert f"Đã thu hồi kết quả {issued.number}." in page.content.decode()
    issued.refresh_from_db()
    assert issued.status == EResultStatus.REVOKED and issued.revoked_reason == "Quyết định hủy số 7"
    assert AuditRecord.objects.filter(action="result.revoke", object_id=issued.dossier.code).exists()
    assert "Quyết định hủy số 7" in leader.get(f"/xac-minh/{issued.token}/").content.decode()
    # and a revoked result offers no more forms
    assert f"/xac-minh/{issued.token}/revoke/" not in _dossier_page(leader, issued)


def test_replacing_signs_a_new_result_and_the_old_one_says_replaced(rworld, issued):
    leader = signed_in_client(rworld.leader)
    page = leader.post(f"/xac-minh/{issued.token}/replace/", {"reason": "Đính chính quê quán"}, follow=True)
    new = EResult.objects.get(dossier=issued.dossier, status=EResultStatus.VALID)
    assert new.pk != issued.pk and f"Đã phát hành kết quả thay thế {new.number}." in page.content.decode()
    issued.refresh_from_db()
    assert issued.status == EResultStatus.REPLACED and issued.replaced_by_id == new.pk
    public = leader.get(f"/xac-minh/{issued.token}/").content.decode()
    assert new.number in public and f"/xac-minh/{new.token}/" in public


def test_a_specialist_and_the_citizen_get_no_forms_and_cannot_post(rworld, issued):
    specialist = signed_in_client(rworld.specialist)
    assert f"/xac-minh/{issued.token}/revoke/" not in _dossier_page(specialist, issued)
    page = specialist.post(f"/xac-minh/{issued.token}/revoke/", {"reason": "thử"}, follow=True)
    assert "Chỉ lãnh đạo cơ quan đã phát hành" in page.content.decode()
    # the citizen sees the result on their dossier page, without the forms, and cannot reach the view
    citizen = signed_in_client(rworld.citizen)
    mine = citizen.get(f"/ho-so/{issued.dossier.code}/").content.decode()
    assert issued.number in mine and "/revoke/" not in mine
    assert citizen.post(f"/xac-minh/{issued.token}/revoke/", {"reason": "x"}).status_code == 403
    issued.refresh_from_db()
    assert issued.status == EResultStatus.VALID


def test_the_api_revokes_and_replaces_for_the_leader_only(rworld, issued):
    def post(client, how, reason):
        return client.post(
            f"/api/v1/results/{issued.token}/{how}", json.dumps({"reason": reason}), content_type="application/json"
        )

    specialist = signed_in_client(rworld.specialist)
    refused = post(specialist, "replace", "Sửa")
    assert refused.status_code == 403 and refused["Content-Type"].startswith("application/problem+json")
    leader = signed_in_client(rworld.leader)
    missing = post(leader, "replace", "")
    assert missing.status_code == 422 and "lý do" in missing.json()["detail"]
    answer = post(leader, "replace", "Đính chính")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["status"] == "valid" and body["replaces"] == issued.number and body["number"] != issued.number
    # an unknown token is 404, and the old (replaced) one cannot be revoked again
    assert post(leader, "revoke", "x").status_code == 409
    assert (
        leader.post(
            "/api/v1/results/khong-co-ma-nay-0000/revoke", json.dumps({"reason": "x"}), content_type="application/json"
        ).status_code
        == 404
    )
