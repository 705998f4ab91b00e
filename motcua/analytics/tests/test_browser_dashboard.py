"""In a real browser against the real server: the provincial leader's operations centre and the public statistics
page draw their charts with Chart.js (installed by npm, served from /static/vendor/chartjs/), and the numbers and
chart data they show are the API's. A click on a chart's bar opens the dossiers behind it.

Chart.js comes from `npm ci` (make install). Without it the test skips, unless MOTCUA_REQUIRE_SERVICES=1 (CI),
where a missing asset is a failure.
"""

from __future__ import annotations

import os
import re

import pytest
from django.conf import settings

from .dashboard_fixtures import as_rate, build_month, number

pytestmark = pytest.mark.browser
CHART_JS = settings.BASE_DIR / "node_modules" / "chart.js" / "dist" / "chart.umd.min.js"


@pytest.fixture
def chart_js():
    if not CHART_JS.exists():
        message = f"{CHART_JS} is missing: run `npm ci` (make install)"
        if os.environ.get("MOTCUA_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)


def _watch(page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(f"{m.text} {m.location}") if m.type == "error" else None)
    return errors


CHARTS_DRAWN = """() => [...document.querySelectorAll('canvas[data-chart]')].map(c => {
    const chart = Chart.getChart(c);
    return {id: c.dataset.chart, drawn: !!chart && c.width > 0 && c.height > 0,
            type: chart ? chart.config.type : null,
            data: chart ? chart.data.datasets.map(d => d.data) : null};
})"""


def _session_cookie(user, server: str) -> dict:
    from motcua.accounts.testing import signed_in_client

    client = signed_in_client(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": server,
    }


def test_operations_centre_draws_its_charts_and_shows_the_apis_numbers(
    server, browser, world, django_capture_on_commit_callbacks, chart_js, shots
):
    from playwright.sync_api import expect

    # given a month of dossiers and the provincial leader, signed in with both factors
    month = build_month(world, django_capture_on_commit_callbacks)
    context = browser.new_context(locale="vi-VN", viewport={"width": 1366, "height": 1000})
    context.add_cookies([_session_cookie(month.leader, server)])
    page = context.new_page()
    page.set_default_timeout(15000)
    errors = _watch(page)

    # when she opens the operations centre
    page.goto(f"{server}/dieu-hanh/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Trung tâm điều hành")
    page.wait_for_function(
        "() => typeof Chart !== 'undefined' && document.querySelectorAll('canvas[data-chart]')"
        ".length > 0 && [...document.querySelectorAll('canvas[data-chart]')]"
        ".every(c => Chart.getChart(c))"
    )
    page.screenshot(path=str(shots / "dashboard-1-operations.png"), full_page=True)

    # then every chart is drawn by Chart.js
    charts = {c["id"]: c for c in page.evaluate(CHARTS_DRAWN)}
    assert set(charts) == {"chart-trend", "chart-channels", "chart-outcomes", "chart-ranking", "chart-communes"}
    assert all(c["drawn"] for c in charts.values()), charts
    assert charts["chart-trend"]["type"] == "line" and charts["chart-channels"]["type"] == "doughnut"

    # and the tiles and the charts show the API's numbers
    api = page.request.get(f"{server}/api/v1/analytics/totals").json()
    counts = api["totals"]["counts"]
    assert number(page.locator("#kpi-received .stat-number").inner_text()) == counts["received"] == 6
    assert number(page.locator("#kpi-online_rate .stat-number").inner_text()) == as_rate(api["totals"]["online_rate"])
    assert number(page.locator("#kpi-on_time_rate .stat-number").inner_text()) == as_rate(api["totals"]["on_time_rate"])
    assert number(page.locator("#kpi-overdue .stat-number").inner_text()) == counts["in_progress_overdue"]
    assert charts["chart-channels"]["data"] == [
        [counts["received_online"], counts["received_in_person"], counts["received_post"]]
    ]
    assert charts["chart-outcomes"]["data"] == [
        [counts["resolved_early"], counts["resolved_on_time"], counts["resolved_late"]]
    ]
    trend = page.request.get(f"{server}/api/v1/analytics/trend").json()
    assert charts["chart-trend"]["data"][0] == [r["totals"]["counts"]["received"] for r in trend["rows"]]
    ranking = page.request.get(f"{server}/api/v1/analytics/index?level=agency").json()["scores"]
    assert charts["chart-ranking"]["data"][0] == [round(s["total"], 1) for s in ranking[:15]]

    # when she clicks the "online" slice of the channel chart / then she sees those dossiers
    point = page.evaluate("""() => {
        const chart = Chart.getChart(document.querySelector('canvas[data-chart="chart-channels"]'));
        const arc = chart.getDatasetMeta(0).data[0];
        const p = arc.tooltipPosition();
        return {x: p.x, y: p.y};
    }""")
    page.locator('canvas[data-chart="chart-channels"]').click(position=point)
    expect(page).to_have_url(re.compile(r"/dieu-hanh/chi-tiet/\?.*metric=received_online"))
    expect(page.locator("#drill-count")).to_have_attribute("data-count", str(counts["received_online"]))
    page.screenshot(path=str(shots / "dashboard-2-drilldown.png"), full_page=True)
    assert errors == []


def test_public_statistics_page_draws_its_charts_with_the_apis_numbers(
    server, browser, world, django_capture_on_commit_callbacks, chart_js, shots
):
    from django.core.cache import cache
    from playwright.sync_api import expect

    # given a month of dossiers and a visitor who is not logged in
    cache.clear()
    build_month(world, django_capture_on_commit_callbacks)
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.set_default_timeout(15000)
    errors = _watch(page)

    # when she opens the public statistics
    page.goto(f"{server}/thong-ke/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thống kê giải quyết thủ tục hành chính")
    page.wait_for_function(
        "() => typeof Chart !== 'undefined' && "
        "[...document.querySelectorAll('canvas[data-chart]')].every(c => Chart.getChart(c))"
    )
    page.screenshot(path=str(shots / "dashboard-3-public.png"), full_page=True)

    # then both charts are drawn, with the API's rates per agency and per procedure
    api = page.request.get(f"{server}/api/v1/analytics/public").json()
    charts = {c["id"]: c for c in page.evaluate(CHARTS_DRAWN)}
    assert set(charts) == {"chart-agencies", "chart-procedures"}
    assert all(c["drawn"] for c in charts.values())
    assert charts["chart-agencies"]["data"] == [
        [as_rate(r["online_rate"]) for r in api["agencies"][:15]],
        [as_rate(r["on_time_rate"]) for r in api["agencies"][:15]],
    ]
    assert charts["chart-procedures"]["data"][0] == [as_rate(r["online_rate"]) for r in api["procedures"][:15]]
    # and the figures shown are the API's
    assert number(page.locator("#pub-received .stat-number").inner_text()) == api["total"]["received"] == 6
    assert number(page.locator("#pub-online_rate .stat-number").inner_text()) == as_rate(api["total"]["online_rate"])
    assert number(page.locator("#pub-on_time_rate .stat-number").inner_text()) == as_rate(api["total"]["on_time_rate"])
    first = page.locator("#bang-cong-khai-co-quan tbody tr").first
    assert first.locator("th").inner_text() == api["agencies"][0]["label"]
    assert number(first.locator('td[data-col="online_rate"]').inner_text()) == as_rate(
        api["agencies"][0]["online_rate"]
    )

    # when she picks last year / then the page shows that period
    page.get_by_label("Kỳ", exact=True).select_option("nam-truoc")
    page.get_by_role("button", name="Xem").click()
    expect(page).to_have_url(re.compile(r"ky=nam-truoc"))
    expect(page.locator("#pub-received .stat-number")).to_have_text("0")
    assert errors == []
