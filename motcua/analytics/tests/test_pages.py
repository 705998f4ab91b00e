"""The operations centre, the agency page, the drill-downs, the index detail, the periodic report and the public page,
read the way a leader reads them: every figure is the API's, and every link leads to exactly the dossiers counted."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from motcua.analytics import queries
from motcua.analytics.queries import METRICS, Scope

from .dashboard_fixtures import (
    CLS,
    as_rate,
    client_for,
    drill_count,
    drill_links,
    html,
    month_fixture,  # noqa: F401 - the fixture `month`
    number,
    params_of,
    tile,
)

pytestmark = pytest.mark.django_db
REPORT_SLUGS = {"agency": "co-quan", "field": "linh-vuc", "procedure": "thu-tuc"}


def this_month() -> Scope:
    today = timezone.localdate()
    return Scope(start=today.replace(day=1), end=today)


def test_operations_centre_shows_the_months_figures_as_the_api_gives_them(month):
    # given the provincial leader and the API's totals for this month
    client = client_for(month.leader)
    api = client.get("/api/v1/analytics/totals").json()
    counts = api["totals"]["counts"]

    # when she opens the operations centre
    doc = html(client.get("/dieu-hanh/"))

    # then each tile shows the API's figure, in Vietnamese format
    shown, _ = tile(doc, "received")
    assert number(shown) == counts["received"] == 6
    assert number(tile(doc, "online_rate")[0]) == as_rate(api["totals"]["online_rate"])
    assert number(tile(doc, "on_time_rate")[0]) == as_rate(api["totals"]["on_time_rate"])
    in_progress = counts["in_progress_on_track"] + counts["in_progress_overdue"]
    assert number(tile(doc, "in_progress")[0]) == in_progress
    assert number(tile(doc, "overdue")[0]) == counts["in_progress_overdue"]
    assert number(tile(doc, "satisfaction")[0]) == as_rate(api["totals"]["satisfaction_rate"])
    # and today's tiles count today's dossiers; the overdue list has the overdue dossier, linked to the back office
    assert number(tile(doc, "today_received")[0]) == 6
    assert number(tile(doc, "overdue_now")[0]) == 1
    overdue_code = month.dossiers["overdue"].code
    assert doc.xpath(f'//*[@id="bang-qua-han"]//a[@href="/can-bo/ho-so/{overdue_code}/"]')
    # and the charts have their canvases and data, Chart.js is loaded from the npm package
    for name in ("trend", "channels", "outcomes", "ranking", "communes"):
        assert doc.xpath(f'//canvas[@data-chart="chart-{name}"]') and doc.get_element_by_id(f"chart-{name}") is not None
    assert doc.xpath('//script[@src="/static/vendor/chartjs/chart.umd.min.js"]')


def test_every_tile_and_table_number_leads_to_exactly_the_dossiers_it_counts(month):
    client = client_for(month.leader)
    doc = html(client.get("/dieu-hanh/"))
    links = drill_links(doc)
    assert len(links) > 20
    checked = 0
    for text, href in links:
        figure = number(text)
        if figure is None or text.endswith("%"):
            continue
        assert drill_count(client, href) == figure, (text, href)
        checked += 1
    # the tiles too (a rate's tile links to its numerator's dossiers)
    received, href = tile(doc, "received")
    assert drill_count(client, href) == number(received)
    assert checked > 20


@pytest.mark.parametrize("by", ["agency", "field", "procedure"])
def test_periodic_report_has_the_standard_columns_and_every_number_drills_down(month, by):
    client = client_for(month.leader)
    doc = html(client.get("/dieu-hanh/bao-cao/", {"by": by}))
    table = doc.get_element_by_id(
        f"bang-bao-cao-theo-{ {'agency': 'co-quan', 'field': 'linh-vuc', 'procedure': 'thu-tuc'}[by] }"
    )
    heading = " ".join(th.text_content() for th in table.xpath("./thead//th"))
    for words in (
        "Kỳ trước chuyển qua",
        "Mới tiếp nhận trực tuyến",
        "Mới tiếp nhận trực tiếp",
        "Mới tiếp nhận qua bưu chính",
        "Trước hạn",
        "Đúng hạn",
        "Quá hạn",
        "Chưa đến hạn",
        "Số hồ sơ rút",
        "Số hồ sơ từ chối",
        "Số hồ sơ đã giải quyết",
        "Số hồ sơ đang giải quyết",
    ):
        assert words in heading
    # the total row is the API's report total; the rows add up to it
    api = client.get("/api/v1/analytics/report", {"by": by}).json()
    total = [number(td.text_content()) for td in table.xpath("./tfoot//td")[1:]]
    counts = api["total"]["counts"]
    assert total[0] == counts["carried_over"] + counts["received"]
    assert total[1:5] == [counts[m] for m in ("carried_over", "received_online", "received_in_person", "received_post")]
    assert total[-2:] == [counts["withdrawn"], counts["refused"]]
    rows = table.xpath("./tbody/tr")
    assert len(rows) == len(api["rows"])
    for col in range(len(total)):
        assert sum(number(r.xpath("./td")[col + 1].text_content()) for r in rows) == total[col]
    # every number of the report opens the dossiers behind it
    for text, href in drill_links(table):
        assert drill_count(client, href) == number(text), (text, href)


def test_drilldown_lists_the_dossiers_with_links_to_the_back_office_and_pages(month):
    client = client_for(month.leader)
    doc = html(client.get("/dieu-hanh/chi-tiet/", {"metric": "received"}))
    assert int(doc.get_element_by_id("drill-count").get("data-count")) == 6
    codes = {a.text_content() for a in doc.xpath('//*[@id="bang-ho-so"]/tbody//th//a')}
    assert codes == {d.code for d in month.dossiers.values()}
    # a sum of two metrics is the union of their dossiers
    both = drill_count(client, "/dieu-hanh/chi-tiet/?metric=resolved&metric=refused")
    assert both == drill_count(client, "/dieu-hanh/chi-tiet/?metric=resolved") + drill_count(
        client, "/dieu-hanh/chi-tiet/?metric=refused"
    )


def test_every_metric_drills_down_to_as_many_dossiers_as_the_api_counts(month):
    client = client_for(month.leader)
    counts = client.get("/api/v1/analytics/totals").json()["totals"]["counts"]
    for metric in METRICS:
        assert drill_count(client, f"/dieu-hanh/chi-tiet/?metric={metric}") == counts[metric], metric


def test_agency_page_shows_one_agency_and_its_staff_may_see_it(month):
    # given the desk officer of Hạ Long
    client = client_for(month.world.desk)
    # when she opens the operations centre she lands on her agency's page
    response = client.get("/dieu-hanh/")
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == f"/dieu-hanh/co-quan/{month.agency.pk}/"
    doc = html(client.get(response["Location"]))
    assert month.agency.name in doc.xpath("//h1")[0].text_content()
    # then the figures are her agency's, as the API gives them for that agency
    api = client.get("/api/v1/analytics/totals", {"agency": month.agency.pk}).json()["totals"]
    assert number(tile(doc, "received")[0]) == api["counts"]["received"] == 4
    assert number(tile(doc, "online_rate")[0]) == as_rate(api["online_rate"])
    # and without an agency parameter the API answers for her own agencies only
    own = client.get("/api/v1/analytics/totals").json()
    assert own["scope"]["agency_ids"] == [month.agency.pk]
    assert own["totals"]["counts"]["received"] == 4
    # and the province's leader sees the same page
    leader_doc = html(client_for(month.leader).get(f"/dieu-hanh/co-quan/{month.agency.pk}/"))
    assert number(tile(leader_doc, "received")[0]) == 4


def test_an_official_cannot_see_another_agencys_page_drilldown_report_or_export(month):
    client = client_for(month.world.desk)
    other = month.other.pk
    for url in (
        f"/dieu-hanh/co-quan/{other}/",
        f"/dieu-hanh/chi-tiet/?metric=received&agency={other}",
        f"/dieu-hanh/bao-cao/?agency={other}",
        f"/dieu-hanh/qua-han/?agency={other}",
        f"/dieu-hanh/xuat/bao-cao.csv?agency={other}",
        f"/dieu-hanh/chi-so/?level=agency&key={other}",
        "/dieu-hanh/chi-so/?level=province&key=22",
        f"/api/v1/analytics/totals?agency={other}",
        f"/api/v1/analytics/drilldown?metric=received&agency={other}",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "cơ quan mình" in response.content.decode() or "lãnh đạo tỉnh" in response.content.decode(), url
    # and her own drill-down lists only her agency's dossiers
    doc = html(client.get("/dieu-hanh/chi-tiet/", {"metric": "received"}))
    codes = {a.text_content() for a in doc.xpath('//*[@id="bang-ho-so"]/tbody//th//a')}
    assert codes == {month.dossiers[k].code for k in ("resolved", "overdue", "refused", "in_person")}


def test_anonymous_and_citizens_cannot_see_the_operations_centre(month):
    anonymous = Client()
    response = anonymous.get("/dieu-hanh/")
    assert response.status_code == 302 and response["Location"].startswith("/tai-khoan/dang-nhap/")
    assert anonymous.get("/dieu-hanh/chi-tiet/?metric=received").status_code == 302
    assert anonymous.get("/api/v1/analytics/totals").status_code == 401
    citizen = client_for(month.world.citizen)
    assert citizen.get("/dieu-hanh/").status_code == 403
    assert citizen.get("/dieu-hanh/bao-cao/").status_code == 403
    assert citizen.get("/api/v1/analytics/totals").status_code == 403


def test_bad_parameters_are_explained_in_vietnamese(month):
    client = client_for(month.leader)
    for params, words in (
        ({"start": "2026-13-01"}, "Ngày “2026-13-01” không hợp lệ"),
        ({"start": "2026-03-31", "end": "2026-03-01"}, "Ngày bắt đầu phải trước"),
        ({"ky": "thang-sau"}, "Kỳ “thang-sau” không có"),
        ({"channel": "fax"}, "Kênh “fax” không có"),
        ({"agency": "abc"}, "Mã cơ quan “abc” không hợp lệ"),
        ({"start": "2010-01-01", "end": "2026-01-01"}, "dài nhất là 5 năm"),
    ):
        response = client.get("/dieu-hanh/", params)
        assert response.status_code == 422, params
        assert words in response.content.decode()
    assert client.get("/dieu-hanh/chi-tiet/", {"metric": "nothing"}).status_code == 422
    assert client.get("/dieu-hanh/chi-tiet/").status_code == 422
    assert client.get("/dieu-hanh/bao-cao/", {"by": "commune"}).status_code == 422
    assert client.get("/dieu-hanh/", {"agency": 999999}).status_code == 404


def test_any_period_can_be_chosen(month):
    client = client_for(month.leader)
    today = timezone.localdate()
    # a period before the dossiers: nothing received
    doc = html(client.get("/dieu-hanh/", {"start": "2025-01-01", "end": "2025-01-31"}))
    assert number(tile(doc, "received")[0]) == 0
    assert "từ 01/01/2025 đến 31/01/2025" in doc.xpath(CLS.format("scope-line"))[0].text_content()
    # today only: the six
    doc = html(client.get("/dieu-hanh/", {"ky": "hom-nay"}))
    assert number(tile(doc, "received")[0]) == 6
    href = tile(doc, "received")[1]
    assert params_of(href)["start"] == params_of(href)["end"] == [today.isoformat()]


def test_index_detail_shows_the_five_groups_and_flags_unconfirmed_weights(month):
    client = client_for(month.leader)
    scores = client.get("/api/v1/analytics/index", {"level": "agency", "agency": month.agency.pk}).json()["scores"]
    score = next(s for s in scores if s["key"] == str(month.agency.pk))
    doc = html(client.get("/dieu-hanh/chi-so/", {"level": "agency", "key": month.agency.pk}))
    assert number(doc.get_element_by_id("index-total").xpath(CLS.format("stat-number"))[0].text_content()) == round(
        score["total"], 1
    )
    groups = doc.xpath(CLS.format("index-group"))
    assert len(groups) == len(score["groups"]) == 5
    unconfirmed = sum(not i["confirmed"] for g in score["groups"] for i in g["indicators"])
    assert len(doc.xpath(CLS.format("tag-unconfirmed"))) == unconfirmed
    if not score["band_official"]:
        assert "chưa được xác nhận chính thức" in doc.text_content()
    # the indicators with dossiers behind them open those dossiers
    for text, href in drill_links(doc):
        if not text.endswith("%") and number(text) is not None:
            assert drill_count(client, href) == number(text)


def test_rankings_list_agencies_and_communes_with_bands(month):
    client = client_for(month.leader)
    doc = html(client.get("/dieu-hanh/"))
    api = client.get("/api/v1/analytics/index", {"level": "agency"}).json()["scores"]
    rows = doc.get_element_by_id("bang-xep-hang-co-quan").xpath("./tbody/tr")
    assert [r.xpath("./th")[0].text_content() for r in rows] == [s["label"] for s in api]
    for row, score in zip(rows, api, strict=True):
        band = row.xpath(CLS.format("band"))[0].text_content()
        assert score["band_label"] in band
        assert ("(chưa chính thức)" in band) is (not score["band_official"])
    assert doc.get_element_by_id("bang-xep-hang-xa-phuong") is not None


def test_public_page_needs_no_login_shows_the_apis_figures_and_no_personal_data(month):
    anonymous = Client()
    response = anonymous.get("/thong-ke/")
    doc = html(response)
    api = anonymous.get("/api/v1/analytics/public").json()
    shown = {
        k: number(doc.get_element_by_id(f"pub-{k}").xpath(CLS.format("stat-number"))[0].text_content())
        for k in ("received", "resolved", "online_rate", "on_time_rate")
    }
    assert shown["received"] == api["total"]["received"] == 6
    assert shown["resolved"] == api["total"]["resolved"]
    assert shown["online_rate"] == as_rate(api["total"]["online_rate"])
    assert shown["on_time_rate"] == as_rate(api["total"]["on_time_rate"])
    # per agency and per procedure, the rates as the API gives them
    rows = doc.get_element_by_id("bang-cong-khai-co-quan").xpath("./tbody/tr")
    assert len(rows) == len(api["agencies"]) >= 2
    for row, item in zip(rows, api["agencies"], strict=True):
        assert row.xpath("./th")[0].text_content() == item["label"]
        assert number(row.xpath('./td[@data-col="online_rate"]')[0].text_content()) == as_rate(item["online_rate"])
        assert number(row.xpath('./td[@data-col="on_time_rate"]')[0].text_content()) == as_rate(item["on_time_rate"])
    assert len(doc.get_element_by_id("bang-cong-khai-thu-tuc").xpath("./tbody/tr")) == len(api["procedures"])
    # and nothing personal: no dossier code, no applicant, no link to a dossier
    body = response.content.decode() + anonymous.get("/api/v1/analytics/public").content.decode()
    for d in month.dossiers.values():
        assert d.code not in body
        assert d.applicant_name not in body
    assert "/dieu-hanh/chi-tiet/" not in body and "/can-bo/ho-so/" not in body


def test_public_figures_are_cached_briefly(month):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    anonymous = Client()
    first = anonymous.get("/thong-ke/")
    assert first.status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        again = anonymous.get("/thong-ke/")
        api = anonymous.get("/api/v1/analytics/public")
    assert again.status_code == api.status_code == 200
    assert not [q["sql"] for q in ctx.captured_queries if "analytics_" in q["sql"]]


def test_public_page_explains_a_bad_period(month):
    response = Client().get("/thong-ke/", {"start": "hôm qua"})
    assert response.status_code == 422
    assert "không hợp lệ" in response.content.decode()


def test_queries_and_pages_agree_on_the_slowest_procedures(month):
    client = client_for(month.leader)
    doc = html(client.get("/dieu-hanh/"))
    rows = doc.get_element_by_id("bang-cham-nhat-thu-tuc").xpath("./tbody/tr")
    expected = queries.slowest(this_month(), "procedure", 10)
    assert [r.xpath("./th")[0].text_content() for r in rows if r.xpath("./th")] == [x.label for x in expected]
