"""The Decision 766 index computed by hand for a small crafted dataset equals the system's, group by group; the
weights are versioned data; the bands and the ranking."""

from __future__ import annotations

from datetime import date

import pytest

from motcua.analytics import index, queries
from motcua.analytics.queries import Scope
from motcua.conftest import VALID_BIRTH

from .facts_fixtures import clock_fixture, two_weeks  # noqa: F401 - the fixture `clock`

pytestmark = pytest.mark.django_db

PERIOD = (date(2026, 3, 2), date(2026, 3, 11))


def _crafted(world, clock):
    """Two weeks at the commune (6 dossiers, see facts_fixtures.two_weeks), its feedback answered on time to the
    applicant's satisfaction; one in-person dossier refused at the neighbouring commune; a complete published
    procedure offered fully online at both."""
    from motcua.analytics import feedback
    from motcua.analytics.models import Feedback
    from motcua.dossiers import services as dossiers

    world.procedure.decision = "1234/QĐ-UBND"
    world.procedure.steps_text = "Nộp hồ sơ; tiếp nhận; giải quyết; trả kết quả."
    world.procedure.result_text = "Giấy khai sinh."
    world.procedure.legal_basis = [{"number": "123/2015/NĐ-CP", "title": "Nghị định hướng dẫn Luật Hộ tịch"}]
    world.procedure.save()
    d = two_weeks(world, clock)
    item = Feedback.objects.get(dossier=d["returned"])
    feedback.answer(world.desk, item, "Cảm ơn ông/bà đã góp ý.")
    feedback.rate_answer(world.citizen, item, True)
    other = dossiers.submit_dossier(
        world.other_desk,
        procedure_code=world.procedure.code,
        agency_code=world.other_agency.code,
        channel="in_person",
        data=VALID_BIRTH,
        applicant={"name": "Nguyễn Văn An"},
    ).dossier
    dossiers.perform(world.other_desk, other, "refuse", note="Không thuộc thẩm quyền.")
    return d


def _points(score) -> dict[str, float]:
    return {i.code: i.points for g in score.groups for i in g.indicators}


def test_the_index_by_hand_equals_the_system(world, clock):
    # given the crafted fortnight
    _crafted(world, clock)
    scores = queries.index_766(Scope(*PERIOD), "agency")
    commune, neighbour = scores
    # then, by hand for the commune (weights 766-2022-v1), from what the fortnight did:
    # 1.1 its one procedure is published complete: 10 × 1; 1.2 no portal configured: 0 of 6 received synced → 0
    # 2.1 resolved 2, one early one late: 14 × 1/2 = 7; 2.2 average time 3.06 d within the 3.81 d allowed: 6
    # 3.x nothing digitised, no e-result, nothing reused: 0
    # 4.1 offered fully online: 6; 4.2 4 of 6 received online: 10 × 4/6 = 6.67; 4.3 2 fees paid, none online: 0
    # 5.1 one feedback answered on time: 6; 5.2 its answer satisfied the applicant: 6; 5.3 1 rating, satisfied: 6
    expected = {
        "1.1": 10.0,
        "1.2": 0.0,
        "2.1": 7.0,
        "2.2": 6.0,
        "3.1": 0.0,
        "3.2": 0.0,
        "3.3": 0.0,
        "3.4": 0.0,
        "4.1": 6.0,
        "4.2": 6.67,
        "4.3": 0.0,
        "5.1": 6.0,
        "5.2": 6.0,
        "5.3": 6.0,
    }
    assert commune.key == str(world.agency.id)
    assert _points(commune) == expected
    assert [g.points for g in commune.groups] == [10.0, 13.0, 0.0, 12.67, 18.0]
    assert commune.total == 53.67 and commune.band == "average" and commune.band_label == "Trung bình"
    # and for the neighbour (one refusal, nothing resolved, no fee, no feedback: the empty ratios say "full"
    # where nothing could fail — 4.3 and group 5 — and "zero" elsewhere)
    assert _points(neighbour)["2.1"] == 0.0 and _points(neighbour)["4.3"] == 6.0
    assert neighbour.total == 10 + 6 + 6 + 18 == 40 and neighbour.band == "weak"
    # ranked best first, with the group maxima of the decision and the unconfirmed weights flagged
    assert [g.max_points for g in commune.groups] == [18, 20, 22, 22, 18]
    assert all(not i.confirmed for g in commune.groups for i in g.indicators)
    assert commune.weights_version == "766-2022-v1"


def test_communes_and_the_province_are_scored_from_the_same_facts(world, clock):
    # given the crafted fortnight
    _crafted(world, clock)
    # then the communes rank like their agencies (one agency each here)
    communes = queries.index_766(Scope(*PERIOD), "commune")
    assert [(s.key, s.total) for s in communes] == [("06652", 53.67), ("06658", 40.0)]
    # and the province is one score over all seven dossiers: 4.2 = 4 of 7 received online
    (province,) = queries.index_766(Scope(*PERIOD), "province")
    assert province.key == "22" and _points(province)["4.2"] == round(10 * 4 / 7, 2)


def test_every_indicator_drills_into_a_metric_the_drill_down_accepts(world):
    score = index.score("x", "x", queries.totals(Scope(*PERIOD)), {}, index.load_weights())
    for group in score.groups:
        for indicator in group.indicators:
            if indicator.metric is not None:
                queries.drilldown(Scope(*PERIOD), indicator.metric)  # raises for an unknown metric


def test_weights_are_versioned_data_checked_when_loaded(tmp_path, monkeypatch):
    import json

    config = index.load_weights("766-2022-v1")
    assert [g["max_points"] for g in config["groups"]] == [18, 20, 22, 22, 18]
    # a version whose weights do not add up to its group's maximum is refused
    broken = json.loads(json.dumps(config))
    broken["version"] = "hong"
    broken["groups"][0]["indicators"][0]["weight"] = 11
    (tmp_path / "hong.json").write_text(json.dumps(broken), encoding="utf-8")
    monkeypatch.setattr(index, "WEIGHTS_DIR", tmp_path)
    index.load_weights.cache_clear()
    with pytest.raises(ValueError, match="nhóm 1"):
        index.load_weights("hong")
    index.load_weights.cache_clear()


@pytest.mark.parametrize(
    ("total", "band"), [(100, "excellent"), (90, "excellent"), (89.99, "good"), (50, "average"), (49.99, "weak")]
)
def test_bands_official_at_90_and_50(total, band):
    found = index.band_of(total)
    assert found.code == band
    assert found.confirmed is (band in ("excellent", "weak"))
