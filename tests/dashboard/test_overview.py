"""The overview and earned-traffic pages show what the API answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.dashboard._clarion import DemoClarion
from tests.dashboard.conftest import open_page


def _api(clarion: DemoClarion, path: str, **params: Any) -> Any:
    return httpx.get(f"{clarion.url}{path}", params=params, timeout=60).json()


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def test_root_redirects_to_the_dashboard_and_files_are_served(clarion: DemoClarion) -> None:
    root = httpx.get(f"{clarion.url}/", follow_redirects=False)
    assert root.status_code == 307
    assert root.headers["location"] == "/dashboard/"
    index = httpx.get(f"{clarion.url}/dashboard/")
    assert index.status_code == 200 and "<title>Clarion</title>" in index.text
    for path, kind in [
        ("js/main.js", "javascript"),
        ("vendor/uPlot.iife.min.js", "javascript"),
        ("app.css", "css"),
    ]:
        answer = httpx.get(f"{clarion.url}/dashboard/{path}")
        assert answer.status_code == 200 and kind in answer.headers["content-type"], path
    assert httpx.get(f"{clarion.url}/dashboard/nothing.js").status_code == 404
    assert "/dashboard/" not in httpx.get(f"{clarion.url}/openapi.json").text


def test_overview_shows_the_scorecard_share_of_voice_and_messages(
    page: Any, clarion: DemoClarion, screenshots: Path
) -> None:
    open_page(page, clarion, "overview", brand="apple")
    assert page.inner_text("h1") == "Overview · Apple"

    # The totals table is the share of voice the API answers, brand by brand.
    sov = _api(clarion, "/v1/share-of-voice", brand="apple")
    rows = page.locator("#sov-totals tbody tr").all_inner_texts()
    names = {b["id"]: b["name"] for b in _api(clarion, "/v1/brands")["items"]}
    assert len(rows) == len(sov["totals"]) == 5
    for row, total in zip(rows, sov["totals"], strict=True):
        cells = row.split("\t")
        assert cells[:3] == [names[total["brand"]], str(total["mentions"]), _pct(total["share"])]
        assert cells[3] == _pct(total["reach_share"])

    # Scorecard tiles: the current figures of /v1/scorecard.
    kpis = _api(clarion, "/v1/scorecard", brand="apple")["kpis"]
    tile = page.locator('.tile[data-kpi="Mentions"] .tile-value')
    assert tile.inner_text() == str(kpis["coverage_volume"]["current"])
    sov_tile = page.locator('.tile[data-kpi="Share of voice"] .tile-value').inner_text()
    assert sov_tile == _pct(kpis["share_of_voice"]["current"])

    # Two charts (share of voice, net sentiment); the measure switch redraws the first.
    assert page.locator("#sov canvas").count() == 1
    assert page.locator("#net-sentiment canvas").count() == 1
    page.get_by_label("Reach").check()
    assert page.get_by_role("img", name="Reach share of voice per day").count() == 1

    # Pull-through per key message, and executive visibility.
    messages = _api(clarion, "/v1/pull-through", brand="apple")["messages"]
    shown = page.locator("#pull-through tbody tr").all_inner_texts()
    assert [r.split("\t")[0] for r in shown] == [m["message"] for m in messages]
    assert [r.split("\t")[1].strip() for r in shown] == [_pct(m["carried_share"]) for m in messages]
    executives = page.locator("#executives tbody tr").all_inner_texts()
    assert any(r.startswith("Tim Cook\tApple\t") for r in executives)

    # Campaigns: listed, and a campaign's report loads when it is opened.
    campaign = page.locator('#campaigns li[data-campaign="launch"]')
    assert campaign.locator("summary").inner_text().startswith("Autumn launch · ")
    campaign.locator("summary").click()
    report = _api(clarion, "/v1/campaigns/launch/report")
    tagged = campaign.locator('.tile[data-kpi="Tagged earned sessions"] .tile-value')
    assert (
        tagged.inner_text() == str(report["tagged_traffic"]["earned_sessions"]["current"]) == "12"
    )

    page.get_by_label("Volume").check()
    page.screenshot(path=screenshots / "overview.png", full_page=True)


def test_changing_brand_and_period_follows_in_the_address(page: Any, clarion: DemoClarion) -> None:
    open_page(page, clarion, "overview", brand="apple")
    page.select_option("#brand", "google")
    page.wait_for_function("() => document.querySelector('h1').textContent.includes('Google')")
    page.select_option("#days", "7")
    page.wait_for_function("() => location.hash.includes('days=7')")
    assert "brand=google" in page.evaluate("location.hash")
    page.get_by_role("link", name="Coverage").click()
    page.wait_for_selector('.page[data-page="coverage"]')
    assert page.inner_text("h1") == "Coverage · Google"


def test_earned_traffic_shows_sessions_and_the_referring_story(
    page: Any, clarion: DemoClarion, screenshots: Path
) -> None:
    open_page(page, clarion, "traffic", brand="apple")
    totals = _api(clarion, "/v1/traffic/earned/share", brand="apple")
    tiles = page.locator("#traffic-tiles .tile-value").all_inner_texts()
    assert tiles[0] == str(totals["earned_sessions"]) == "12"  # 4 seeded visits of 3 sessions
    assert tiles[1] == str(totals["earned_conversions"]) == "4"
    assert page.locator("#traffic-chart canvas").count() == 1
    story = page.locator("#top-stories tbody tr a")
    assert story.get_attribute("href") == clarion.earned_referrer
    assert page.locator("#top-campaigns tbody tr").first.inner_text().startswith("launch\t12\t4")
    page.screenshot(path=screenshots / "traffic.png", full_page=True)
