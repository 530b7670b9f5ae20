"""The coverage page: mentions as the API lists them, filters, folding, CSV export."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import httpx

from tests.dashboard._clarion import DemoClarion
from tests.dashboard.conftest import open_page


def _mentions(clarion: DemoClarion, **params: Any) -> list[dict[str, Any]]:
    answer = httpx.get(f"{clarion.url}/v1/mentions", params={"limit": 200, **params}, timeout=60)
    return list(answer.json()["items"])


def _window(page: Any) -> dict[str, str]:
    """The page's period (the last 30 days), as the test sees it now."""
    return {"from": page.evaluate("new Date(Date.now() - 30 * 86400000).toISOString()")}


def _shown(page: Any) -> list[str]:
    page.wait_for_function(
        "() => !document.querySelector('.summary').textContent.includes('Loading')"
    )
    return list(
        page.locator("#mentions > li.mention").evaluate_all(
            "items => items.map(i => i.dataset.document)"
        )
    )


def test_mentions_are_listed_with_highlights_and_links(
    page: Any, clarion: DemoClarion, screenshots: Path
) -> None:
    open_page(page, clarion, "coverage", brand="twitter")
    expected = _mentions(clarion, brand="twitter", **_window(page))
    assert all(m["cluster_id"] is None for m in expected)  # nothing to fold for Twitter
    recent = [m["document_id"] for m in expected]
    assert _shown(page) == recent and len(recent) > 0
    first = page.locator("#mentions > li.mention").first
    assert first.locator("h3 a").get_attribute("href") == expected[0]["url"]
    assert first.locator(f".badge.s-{expected[0]['sentiment']['label']}").count() == 1
    assert page.locator("#mentions mark").count() > 0
    marked = {t.lower() for t in page.locator("#mentions mark").all_inner_texts()}
    assert marked & {"twitter", "tweet", "tweets", "jack dorsey"}, marked
    page.screenshot(path=screenshots / "coverage.png", full_page=True)


def test_filters_ask_the_api_and_key_messages_filter_in_place(
    page: Any, clarion: DemoClarion
) -> None:
    open_page(page, clarion, "coverage", brand="facebook")
    window = _window(page)
    everything = _shown(page)
    assert len(everything) == len(_mentions(clarion, brand="facebook", **window)) > 0

    page.get_by_label("Sentiment").select_option("positive")
    positive = [
        m["document_id"]
        for m in _mentions(clarion, brand="facebook", sentiment="positive", **window)
    ]
    page.wait_for_function(
        f"() => document.querySelectorAll('#mentions > li.mention').length === {len(positive)}"
    )
    assert _shown(page) == positive
    page.get_by_label("Sentiment").select_option("")

    page.get_by_label("Search").fill("Instagram")
    searched = [
        m["document_id"] for m in _mentions(clarion, brand="facebook", q="Instagram", **window)
    ]
    page.wait_for_function(
        f"() => document.querySelectorAll('#mentions > li.mention').length === {len(searched)}"
    )
    assert _shown(page) == searched
    page.get_by_label("Search").fill("")
    page.wait_for_function(
        f"() => document.querySelectorAll('#mentions > li.mention').length === {len(everything)}"
    )

    items = _mentions(clarion, brand="facebook", **window)
    message = next((c["message"] for m in items for c in m["key_messages"]["carried"]), None)
    assert message is not None, "the demo should carry at least one Facebook key message"
    carrying = [
        m["document_id"]
        for m in items
        if any(c["message"] == message for c in m["key_messages"]["carried"])
    ]
    page.get_by_label("Key message").select_option(message)
    assert _shown(page) == carrying


def test_syndicated_copies_fold_and_the_export_is_what_is_shown(
    page: Any, clarion: DemoClarion, tmp_path: Path
) -> None:
    open_page(page, clarion, "coverage", brand="nasa")
    shown = _shown(page)
    listed = _mentions(clarion, brand="nasa", **_window(page))
    cluster = next(m["cluster_id"] for m in listed if m["cluster_id"])
    # A cluster is named by its first copy, whose own cluster_id may be empty.
    members = [m for m in listed if (m["cluster_id"] or m["document_id"]) == cluster]
    assert len(members) == 2
    story = page.locator("#mentions > li.mention", has=page.locator("details.copies"))
    assert story.count() == 1
    assert "Also carried by 1 more" in story.locator("summary").inner_text()
    story.locator("summary").click()
    assert story.locator("details.copies li a").count() == 1
    lead, copy = sorted(members, key=lambda m: m["published_at"], reverse=True)
    assert story.locator("h3 a").get_attribute("href") == lead["url"]
    assert story.locator("details.copies li a").get_attribute("href") == copy["url"]

    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    saved = tmp_path / "export.csv"
    download.value.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert len(rows) == len(shown)
    folded = [r for r in rows if r["copies"] == "1"]
    assert len(folded) == 1 and folded[0]["cluster"] == cluster
    titles = {r["title"] for r in rows}
    assert titles == {m["title"] for m in listed if m["document_id"] in shown}


def test_load_more_pages_on_with_the_api_cursor(page: Any, clarion: DemoClarion) -> None:
    open_page(page, clarion, "coverage", brand="twitter", limit=5)
    expected = [m["document_id"] for m in _mentions(clarion, brand="twitter", **_window(page))]
    assert len(expected) > 10  # three pages or more
    assert len(_shown(page)) == 5
    more = page.get_by_role("button", name="Load more")
    pages = 1
    while more.is_visible():
        with page.expect_response(lambda r: "/v1/mentions" in r.url and "cursor=" in r.url):
            more.click()
        pages += 1
        at_least = min(5 * pages, len(expected))
        page.wait_for_function(
            f"() => document.querySelectorAll('#mentions > li.mention').length >= {at_least}"
        )
    assert _shown(page) == expected  # every mention once, in the API's order
    assert pages >= 3


def test_key_message_and_folding_are_asked_of_the_api(page: Any, clarion: DemoClarion) -> None:
    open_page(page, clarion, "coverage", brand="facebook")
    window = _window(page)
    _shown(page)
    items = _mentions(clarion, brand="facebook", **window)
    message = next(c["message"] for m in items for c in m["key_messages"]["carried"])
    with page.expect_response(
        lambda r: "/v1/mentions" in r.url and "message=" in r.url and "collapse=cluster" in r.url
    ):
        page.get_by_label("Key message").select_option(message)
    expected = _mentions(clarion, brand="facebook", message=message, collapse="cluster", **window)
    assert expected and all(m["copies"] >= 1 for m in expected)
    assert _shown(page) == [m["document_id"] for m in expected]
