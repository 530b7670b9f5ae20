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


PLOTTED = """() => {
  const u = document.querySelector('#sov .plot').uplot;
  const at = u.data[1].findIndex((v) => v !== null);
  return {
    label: document.querySelector('#sov .plot').getAttribute('aria-label'),
    series: u.series.slice(1).map((s) => s.label),
    data: u.data.slice(1),
    bands: (u.bands || []).map((b) => b.series),
    legend: at < 0 ? [] : u.series.slice(1).map((s, k) => s.value(u, u.data[k + 1][at], k + 1, at)),
    at,
  };
}"""

FORMATTED = "(values) => values.map((v) => `${(v * 100).toFixed(0)}%`)"  # as the page's fmt.pct


def _raw(sov: dict[str, Any], variant: str) -> list[list[float | None]]:
    """What each brand's line plots, bucket by bucket: its share, null for an empty bucket."""

    def value(bucket: dict[str, Any], brand: str) -> float | None:
        if not bucket["total"]:
            return None
        return next((c[variant] for c in bucket["brands"] if c["brand"] == brand), 0)

    return [[value(b, brand) for b in sov["series"]] for brand in sov["brands"]]


def _running_totals(raw: list[list[float | None]]) -> list[list[float | None]]:
    totals: list[list[float | None]] = []
    for k in range(len(raw)):
        below = raw[: k + 1]
        totals.append(
            [
                None if raw[k][i] is None else sum(s[i] or 0 for s in below)
                for i in range(len(raw[k]))
            ]
        )
    return totals


def _close(plotted: list[list[float | None]], expected: list[list[float | None]]) -> bool:
    return all(
        (p is None) == (e is None) and (p is None or abs(p - e) < 1e-9)  # type: ignore[operator]
        for ps, es in zip(plotted, expected, strict=True)
        for p, e in zip(ps, es, strict=True)
    )


def test_share_of_voice_stacks_to_the_whole_for_every_measure(
    page: Any, clarion: DemoClarion, screenshots: Path
) -> None:
    with page.expect_response(lambda r: "/v1/share-of-voice?" in r.url) as answered:
        open_page(page, clarion, "overview", brand="apple")
    sov = answered.value.json()
    names = {b["id"]: b["name"] for b in _api(clarion, "/v1/brands")["items"]}
    brands = len(sov["brands"])

    page.get_by_label("Stacked area").check()
    for measure, variant in [("Volume", "share"), ("Reach", "reach_share")]:
        page.get_by_label(measure, exact=True).check()
        plotted = page.evaluate(PLOTTED)
        assert plotted["label"].startswith(f"{measure} share of voice per day, stacked")
        assert plotted["series"] == [names[b] for b in sov["brands"]]
        raw = _raw(sov, variant)
        # Each area is the sum of the brands up to it; each fills down to the one below.
        assert _close(plotted["data"], _running_totals(raw))
        assert plotted["bands"] == [[k + 2, k + 1] for k in range(brands - 1)]
        # The top is the whole set: 100% in every bucket with coverage (shares are
        # rounded by the API, hence the tolerance); 0 where the measure has nothing.
        tops = [t for t in plotted["data"][-1] if t is not None]
        assert tops and all(abs(t - 1) < 1e-3 or t == 0 for t in tops)
        assert sum(abs(t - 1) < 1e-3 for t in tops) >= 1
        # The legend shows each brand's own share, not the running total.
        at = plotted["at"]
        own = page.evaluate(FORMATTED, [series[at] for series in raw])
        assert plotted["legend"] == own

    # A brand switched off in the legend leaves the stack: the others close up.
    page.locator("#sov .u-legend .u-series").nth(2).click()  # the second brand
    plotted = page.evaluate(PLOTTED)
    others = [
        series if k != 1 else [None if v is None else 0.0 for v in series]
        for k, series in enumerate(raw)
    ]
    expected = _running_totals(others)
    expected[1] = raw[1]  # kept as it is, not drawn
    assert _close(plotted["data"], expected)
    assert plotted["bands"] == [[3, 1]] + [[k + 2, k + 1] for k in range(2, brands - 1)]
    page.locator("#sov .u-legend .u-series").nth(2).click()
    assert _close(page.evaluate(PLOTTED)["data"], _running_totals(raw))

    volume = _raw(sov, "share")
    several = [i for i in range(len(sov["series"])) if sum(bool(s[i]) for s in volume) >= 2]
    assert several, "the demo data should have buckets where several brands have a share"
    page.screenshot(path=screenshots / "overview-stacked.png", full_page=True)

    page.get_by_label("Lines").check()  # back to lines: each brand's own share again
    plotted = page.evaluate(PLOTTED)
    assert _close(plotted["data"], _raw(sov, "reach_share")) and plotted["bands"] == []
    assert "stacked" not in plotted["label"]
