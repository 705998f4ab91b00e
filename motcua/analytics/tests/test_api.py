"""/api/v1/analytics: the operations centre's figures for other systems, authorised like the rest of the back-office
API (bearer token or verified session), refusals as problem+json in Vietnamese; /public needs no login."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from motcua.accounts.services import create_api_token
from motcua.analytics.queries import METRICS
from motcua.dossiers.tests.helpers import Api, assert_problem

from .dashboard_fixtures import month_fixture  # noqa: F401 - the fixture `month`

pytestmark = pytest.mark.django_db


@pytest.fixture
def leader_api(month) -> Api:
    return Api(create_api_token(month.leader))


def test_totals_answer_for_this_month_by_default_with_every_metric(month, leader_api):
    body = leader_api.get("/api/v1/analytics/totals").json()
    today = timezone.localdate()
    assert body["scope"] == {
        "start": today.replace(day=1).isoformat(),
        "end": today.isoformat(),
        "agency_ids": None,
        "procedure_id": None,
        "channel": None,
    }
    counts = body["totals"]["counts"]
    assert set(counts) == set(METRICS)
    assert counts["received"] == 6
    assert counts["received_online"] + counts["received_in_person"] + counts["received_post"] == counts["received"]
    assert counts["received_in_person"] == 1


def test_trend_breakdown_and_report_add_up_to_the_totals(month, leader_api):
    counts = leader_api.get("/api/v1/analytics/totals").json()["totals"]["counts"]
    trend = leader_api.get("/api/v1/analytics/trend", grain="day").json()
    assert trend["by"] == "day"
    assert sum(r["totals"]["counts"]["received"] for r in trend["rows"]) == counts["received"]
    assert trend["rows"][-1]["key"] == timezone.localdate().isoformat()
    for by in ("agency", "procedure", "field", "commune", "channel"):
        rows = leader_api.get("/api/v1/analytics/breakdown", by=by).json()["rows"]
        assert sum(r["totals"]["counts"]["received"] for r in rows) == counts["received"], by
    by_agency = leader_api.get("/api/v1/analytics/breakdown", by="agency").json()["rows"]
    assert {r["key"]: r["totals"]["counts"]["received"] for r in by_agency if r["totals"]["counts"]["received"]} == {
        str(month.agency.pk): 4,
        str(month.other.pk): 2,
    }
    report = leader_api.get("/api/v1/analytics/report", by="field").json()
    assert report["title"] == "Tình hình giải quyết thủ tục hành chính"
    assert report["total"]["counts"] == counts
    assert [r["label"] for r in report["rows"]] == ["Hộ tịch"]


def test_the_slice_narrows_every_answer(month, leader_api):
    agency = leader_api.get("/api/v1/analytics/totals", agency=month.agency.pk).json()
    assert agency["scope"]["agency_ids"] == [month.agency.pk]
    assert agency["totals"]["counts"]["received"] == 4
    in_person = leader_api.get("/api/v1/analytics/totals", channel="in_person").json()
    assert in_person["totals"]["counts"]["received"] == 1
    commune = leader_api.get("/api/v1/analytics/totals", commune=month.other.commune_code).json()
    assert commune["scope"]["agency_ids"] == [month.other.pk]
    assert commune["totals"]["counts"]["received"] == 2
    procedure = leader_api.get("/api/v1/analytics/totals", procedure=month.world.procedure.code).json()
    assert procedure["scope"]["procedure_id"] == month.world.procedure.pk
    assert procedure["totals"]["counts"]["received"] == 6
    before = leader_api.get("/api/v1/analytics/totals", start="2025-01-01", end="2025-01-31").json()
    assert before["totals"]["counts"]["received"] == 0


def test_drilldown_returns_exactly_the_dossiers_counted_for_every_metric(month, leader_api):
    counts = leader_api.get("/api/v1/analytics/totals").json()["totals"]["counts"]
    for metric in METRICS:
        body = leader_api.get("/api/v1/analytics/drilldown", metric=metric).json()
        assert body["count"] == counts[metric] == len(body["dossiers"]), metric
    refused = leader_api.get("/api/v1/analytics/drilldown", metric="refused").json()
    assert [d["code"] for d in refused["dossiers"]] == [month.dossiers["refused"].code]


def test_index_ranks_agencies_with_five_groups_and_says_which_weights_are_unconfirmed(month, leader_api):
    body = leader_api.get("/api/v1/analytics/index", level="agency").json()
    scores = body["scores"]
    assert [s["total"] for s in scores] == sorted((s["total"] for s in scores), reverse=True)
    for s in scores:
        assert 0 <= s["total"] <= 100
        assert [g["max_points"] for g in s["groups"]] == [18, 20, 22, 22, 18]
        assert s["band_official"] is (s["band"] in ("excellent", "weak"))
        assert all(isinstance(i["confirmed"], bool) for g in s["groups"] for i in g["indicators"])
    province = leader_api.get("/api/v1/analytics/index", level="province").json()["scores"]
    assert len(province) == 1


def test_bad_parameters_are_problems_in_vietnamese(month, leader_api):
    for path, params, status, words in (
        ("totals", {"start": "2026-02-30"}, 422, "start"),
        ("totals", {"start": "2026-03-31", "end": "2026-03-01"}, 422, "Ngày bắt đầu phải trước"),
        ("totals", {"channel": "fax"}, 422, "Kênh “fax” không có"),
        ("totals", {"agency": 987654}, 404, "Không tìm thấy cơ quan"),
        ("totals", {"procedure": "9.999999"}, 404, "Không tìm thấy thủ tục"),
        ("totals", {"commune": "12"}, 422, "Mã xã “12” không hợp lệ"),
        ("breakdown", {"by": "weather"}, 422, "“weather” không hợp lệ"),
        ("trend", {"grain": "hour"}, 422, "“hour” không hợp lệ"),
        ("slowest", {"limit": 1000}, 422, "limit"),
        ("index", {"level": "district"}, 422, "“district” không hợp lệ"),
        ("drilldown", {"metric": "happiness"}, 422, "Chỉ số “happiness” không có"),
        ("drilldown", {}, 422, "metric"),
        ("drilldown", {"metric": "received", "page": 9}, 422, "Trang 9 không có"),
    ):
        body = assert_problem(leader_api.get(f"/api/v1/analytics/{path}", **params), status)
        assert words in body["detail"] or words in str(body.get("errors")), (path, params, body)


def test_only_officials_may_call_it_and_each_sees_their_own(month):
    assert_problem(Client().get("/api/v1/analytics/totals"), 401)
    assert_problem(Api(month.world.tokens["citizen"]).get("/api/v1/analytics/report"), 403)
    other_desk = Api(month.world.tokens["other_desk"])
    mine = other_desk.get("/api/v1/analytics/totals").json()
    assert mine["scope"]["agency_ids"] == [month.other.pk]
    assert mine["totals"]["counts"]["received"] == 2
    assert_problem(other_desk.get("/api/v1/analytics/breakdown", agency=month.agency.pk), 403)
    assert_problem(other_desk.get("/api/v1/analytics/index", level="province"), 403)
    # the auditor of the province sees it all
    auditor = Api(month.world.tokens["auditor"])
    assert auditor.get("/api/v1/analytics/totals").json()["scope"]["agency_ids"] is None


def test_session_without_the_second_factor_is_not_enough(month):
    client = Client()
    client.force_login(month.leader)
    assert client.get("/api/v1/analytics/totals").status_code == 401


def test_public_needs_no_login_and_carries_no_personal_data(month):
    body = Client().get("/api/v1/analytics/public").json()
    assert body["total"]["received"] == 6
    assert set(body["total"]) == {
        "key",
        "label",
        "received",
        "received_online",
        "resolved",
        "resolved_on_time",
        "online_rate",
        "on_time_rate",
        "satisfaction_rate",
    }
    agencies = {r["label"]: r["received"] for r in body["agencies"]}
    assert agencies[month.agency.name] == 4
    assert agencies[month.other.name] == 2
    text = str(body)
    for d in month.dossiers.values():
        assert d.code not in text and d.applicant_name not in text
    assert_problem(Client().get("/api/v1/analytics/public", {"start": "2026-02-30"}), 422)
