"""Alerts (with webhook deliveries) and Amplify pages against the live API."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from tests.dashboard._clarion import DemoClarion
from tests.dashboard.conftest import open_page


def _get(clarion: DemoClarion, path: str, **params: Any) -> Any:
    return httpx.get(f"{clarion.url}{path}", params=params, timeout=60).json()


def _wait_for(condition: Any) -> Any:
    for _ in range(600):  # a hang guard, not a speed assertion
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition never held")


def test_alerts_show_evidence_and_webhook_deliveries(
    page: Any, clarion: DemoClarion, screenshots: Path
) -> None:
    alerts = _wait_for(lambda: _get(clarion, "/v1/alerts", brand="google")["items"])
    hook = _get(clarion, "/v1/webhooks")["items"][0]
    _wait_for(
        lambda: any(
            d["state"] == "delivered"
            for d in _get(clarion, f"/v1/webhooks/{hook['id']}/deliveries")["items"]
        )
    )
    open_page(page, clarion, "alerts", brand="google")
    shown = page.locator("#alerts li.alert-item")
    assert shown.count() == len(alerts)
    assert shown.first.locator("h3").inner_text() == alerts[0]["summary"]
    evidence = alerts[0]["evidence"]["mentions"]
    shown.first.locator("summary").click()
    links = shown.first.locator("details li a")
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == [
        m["url"] for m in evidence
    ]

    deliveries = page.locator(f'.hook[data-hook="{hook["id"]}"] tbody tr')
    assert deliveries.count() >= 1
    assert "delivered" in deliveries.all_inner_texts()[-1]
    assert "204" in page.locator(f'.hook[data-hook="{hook["id"]}"]').inner_text()
    page.screenshot(path=screenshots / "alerts.png", full_page=True)

    replay = page.locator(f'.hook[data-hook="{hook["id"]}"] tbody tr').first
    with page.expect_response(lambda r: r.url.endswith("/replay")) as answer:
        replay.get_by_role("button", name="Replay").click()
    assert answer.value.ok
    page.wait_for_selector(f'.hook[data-hook="{hook["id"]}"] tbody tr')


def test_amplify_ranks_candidates_with_reasons_and_a_copyable_feed(
    browser: Any, clarion: DemoClarion, screenshots: Path
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=clarion.url)
    page = context.new_page()
    try:
        open_page(page, clarion, "amplify", brand="apple")
        ranked = _get(clarion, "/v1/amplify", brand="apple", days=30, limit=25)["items"]
        shown = page.locator("#amplify li.candidate")
        assert shown.count() == len(ranked) > 0
        first = shown.first
        assert first.locator("h3 a").inner_text() == ranked[0]["title"]
        assert first.locator(".reasons li").all_inner_texts() == ranked[0]["reasons"]

        rss = page.locator("#feed-rss").input_value()
        assert rss == f"{clarion.url}/v1/amplify?brand=apple&days=30&format=rss"
        assert httpx.get(rss).headers["content-type"].startswith("application/rss+xml")
        page.get_by_role("button", name="Copy the RSS feed URL").click()
        page.wait_for_function(
            "() => [...document.querySelectorAll('.copied')].some(e => e.textContent === 'Copied')"
        )
        assert page.evaluate("navigator.clipboard.readText()") == rss
        page.screenshot(path=screenshots / "amplify.png", full_page=True)
    finally:
        context.close()
