"""The setup page: the query editor validates as you type and previews matches;
sources show health and toggle; keys and webhooks are made from the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.dashboard._clarion import DemoClarion
from tests.dashboard.conftest import open_page


def _post(clarion: DemoClarion, path: str, body: Any) -> httpx.Response:
    return httpx.post(f"{clarion.url}{path}", json=body, timeout=60)


def test_the_query_editor_validates_as_you_type_and_previews(
    page: Any, clarion: DemoClarion, screenshots: Path
) -> None:
    open_page(page, clarion, "setup", brand="apple")
    query = page.get_by_label("Query", exact=True)
    assert query.input_value() == '{Apple} OR iPhone OR iPad OR AirPods OR "Tim Cook"'
    check = page.locator("#query-check")

    query.fill("iPhone OR (iPad")
    page.wait_for_function("() => document.querySelector('#b-query').ariaInvalid === 'true'")
    problem = _post(clarion, "/v1/queries/validate", {"query": "iPhone OR (iPad"}).json()
    assert problem["detail"] in check.inner_text()
    assert check.locator("pre").inner_text().endswith(" " * problem["errors"][0]["position"] + "^")

    query.fill("iPhone OR iPad")
    page.wait_for_function("() => document.querySelector('#b-query').ariaInvalid === 'false'")
    answer = _post(clarion, "/v1/queries/validate", {"query": "iPhone OR iPad", "limit": 5}).json()
    assert f"{answer['matches']['total']} stored document(s) match" in check.inner_text()
    assert check.locator(".matches li").count() == len(answer["matches"]["items"])

    page.get_by_label("Sample text").fill("The iPad sold out. Critics loved the new iPad.")
    page.get_by_role("button", name="Preview matches").click()
    preview = page.locator("#analyze-preview li").first
    preview.wait_for()
    assert preview.inner_text().startswith(("positive Apple: 2", "neutral Apple: 2"))
    page.screenshot(path=screenshots / "setup.png", full_page=True)


def test_saving_a_brand_goes_through_the_api(page: Any, clarion: DemoClarion) -> None:
    open_page(page, clarion, "setup", brand="apple")
    page.locator("#brand-pick").select_option("")
    page.locator("#b-id").fill("initech")
    page.locator("#b-name").fill("Initech")
    page.locator("#b-query").fill('Initech OR "TPS report"')
    page.get_by_label("Key messages (one per line)").fill("Initech makes work simple.")
    page.get_by_role("button", name="Add brand").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#brand option')]"
        ".some(o => o.textContent === 'Initech')"
    )
    saved = httpx.get(f"{clarion.url}/v1/brands/initech").json()
    assert saved["query"] == 'Initech OR "TPS report"'
    assert saved["key_messages"] == ["Initech makes work simple."]
    httpx.delete(f"{clarion.url}/v1/brands/initech").raise_for_status()


def _last_error(health: dict[str, Any]) -> str:
    """The "Last error" cell: the error with its class, else why it is disabled."""
    if health["last_error"]:
        return f"{health['last_error_class']} {health['last_error']}"
    return str(health["disabled_reason"] or "–")


def test_sources_show_health_from_one_request_and_can_be_disabled_and_enabled(
    page: Any, clarion: DemoClarion
) -> None:
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/v1/sources" in r.url else None)
    open_page(page, clarion, "setup", brand="apple")
    sources = httpx.get(f"{clarion.url}/v1/sources").json()["items"]
    health = httpx.get(f"{clarion.url}/v1/sources/health").json()
    assert health["next_cursor"] is None
    rows = page.locator("#sources tbody tr")
    assert rows.count() == len(sources) == len(health["items"])

    # One call for every source's health, none per source.
    paths = [urlsplit(url).path for url in asked]
    assert paths.count("/v1/sources/health") == 1
    assert not [
        p
        for p in paths
        if p.startswith("/v1/sources/") and p.endswith("/health") and p != "/v1/sources/health"
    ]

    health_of = {h["source_id"]: h for h in health["items"]}
    for i, source in enumerate(sources):  # the table keeps the order of /v1/sources
        cells = rows.nth(i).inner_text().split("\t")
        assert source["url"] in cells[0]
        shown = health_of[source["id"]]
        assert cells[3] == str(shown["consecutive_failures"])
        assert (cells[2] == "–") == (shown["last_success_at"] is None)
        assert cells[4] == _last_error(shown)
    assert health_of["bbc-news"]["consecutive_failures"] == 0
    assert health_of["bbc-news"]["last_success_at"] is not None  # the ingest's poll
    row = rows.nth([s["id"] for s in sources].index("bbc-news"))

    row.get_by_role("button", name="Disable BBC News").click()
    row.get_by_role("button", name="Enable BBC News").wait_for()
    assert httpx.get(f"{clarion.url}/v1/sources/bbc-news").json()["enabled"] is False
    row.get_by_role("button", name="Enable BBC News").click()
    row.get_by_role("button", name="Disable BBC News").wait_for()
    assert httpx.get(f"{clarion.url}/v1/sources/bbc-news").json()["enabled"] is True


def test_opml_import_reports_counts(page: Any, clarion: DemoClarion, tmp_path: Path) -> None:
    open_page(page, clarion, "setup", brand="apple")
    opml = httpx.get(f"{clarion.url}/v1/sources/opml").text
    exported = tmp_path / "sources.opml"
    exported.write_text(opml, encoding="utf-8")
    count = len(httpx.get(f"{clarion.url}/v1/sources").json()["items"])
    page.locator("#opml-file").set_input_files(str(exported))
    status = page.locator("#sources .toolbar .summary")
    status.filter(has_text="Imported").wait_for()
    assert status.inner_text() == f"Imported: 0 created, 0 updated, {count} unchanged."


def test_keys_and_webhooks_are_made_from_the_page(page: Any, clarion: DemoClarion) -> None:
    open_page(page, clarion, "setup", brand="apple")
    page.locator("#key-name").fill("marketing")
    page.locator("#key-brands").select_option(["apple"])
    page.get_by_role("button", name="Make key").click()
    secret = page.locator("#keys code.secret")
    secret.wait_for()
    assert secret.inner_text().startswith("clk_")
    keys = httpx.get(f"{clarion.url}/v1/keys").json()["items"]
    made = next(k for k in keys if k["name"] == "marketing")
    assert made["brands"] == ["apple"] and made["scopes"] == ["read"]
    page.locator("#keys tbody tr", has_text="marketing").wait_for()

    page.locator("#hook-url").fill("http://127.0.0.1:9/hook")
    page.get_by_role("button", name="Add webhook").click()
    page.locator("#webhooks code.secret").wait_for()
    hooks = httpx.get(f"{clarion.url}/v1/webhooks").json()["items"]
    added = next(w for w in hooks if w["url"] == "http://127.0.0.1:9/hook")
    listed = page.locator("#webhooks tbody tr", has_text="127.0.0.1:9/hook")
    listed.wait_for()  # the list reloads after the answer
    assert listed.count() == 1
    audit = page.locator("#audit tbody tr").all_inner_texts()
    assert any("\twebhook.create\t" in row for row in audit)  # the seeded subscription
    httpx.delete(f"{clarion.url}/v1/webhooks/{added['id']}").raise_for_status()

    page.on("dialog", lambda dialog: dialog.accept())  # "Revoke the key …?"
    row = page.locator("#keys tbody tr", has_text="marketing")
    row.get_by_role("button", name="Revoke").click()
    row.filter(has_text="revoked").wait_for()
    assert httpx.get(f"{clarion.url}/v1/keys/{made['id']}").json()["revoked_at"] is not None
