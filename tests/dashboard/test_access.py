"""With API keys on, the dashboard asks for a key at the first 401, keeps it for the
tab's session and sends it on every call; with CLARION_AUTH=off it never asks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from search import SQLiteStore, key_store
from service._app import create_app
from service._keys import create_key
from tests._servers import serve_app
from tests.dashboard._clarion import DemoClarion, _in_a_thread, demo_settings
from tests.dashboard._wcag import contrast
from tests.dashboard.conftest import open_page, skip_reason


async def _make_key(database: Path, text: list[str]) -> None:
    store = SQLiteStore(database)
    await store.open()
    try:
        _, made = await create_key(key_store(store), name="dashboard", scopes=("read",))
        text.append(made)
    finally:
        await store.close()


@pytest.fixture(scope="module")
def locked(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A Clarion with keys required (the demo's brands, no documents) and a read key."""
    data = tmp_path_factory.mktemp("locked")
    settings = demo_settings(data, "http://127.0.0.1:9", auth="keys")
    text: list[str] = []
    _in_a_thread(_make_key(settings.database_path, text))
    with serve_app(create_app(settings)) as url:
        yield url, text[0]


def test_a_401_asks_for_a_key_which_every_call_then_carries(
    page: Any, locked: tuple[str, str], screenshots: Path
) -> None:
    url, key = locked
    sent: list[tuple[str, str | None]] = []
    page.on(
        "request",
        lambda r: sent.append((r.url, r.headers.get("authorization"))) if "/v1/" in r.url else None,
    )
    page.goto(f"{url}/dashboard/#/overview?brand=apple&days=30")
    dialog = page.locator("#key-dialog")
    dialog.wait_for(state="visible")
    assert "needs an API key" in dialog.inner_text()
    assert contrast(page, "#key-dialog")["failures"] == []
    page.screenshot(path=screenshots / "key-prompt.png")

    page.get_by_role("textbox", name="Key").fill("clk_notakey_0000")
    page.get_by_role("button", name="Use key").click()
    page.locator("#key-reason", has_text="refused").wait_for()

    page.get_by_role("textbox", name="Key").fill(key)
    page.get_by_role("button", name="Use key").click()
    dialog.wait_for(state="hidden")
    page.locator("#sov-totals").wait_for()
    assert page.inner_text("h1") == "Overview · Apple"
    assert page.evaluate("sessionStorage.getItem('clarion.apiKey')") == key
    after = sent[[h for _, h in sent].index(f"Bearer {key}") :]
    assert after and all(header == f"Bearer {key}" for _, header in after)

    # The key outlives a reload of the tab: no second prompt.
    page.reload()
    page.locator("#sov-totals").wait_for()
    assert dialog.is_hidden()


def test_no_prompt_when_authentication_is_off(page: Any, clarion: DemoClarion) -> None:
    open_page(page, clarion, "overview", brand="apple")
    assert page.locator("#key-dialog").is_hidden()
    assert page.evaluate("sessionStorage.getItem('clarion.apiKey')") is None


def test_run_in_a_thread_reraises() -> None:
    async def broken() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        _in_a_thread(broken())


def test_without_chromium_the_skip_says_how_to_get_it(tmp_path: Path) -> None:
    reason = skip_reason(tmp_path / "chromium")
    assert reason is not None and "apt-get install -y chromium" in reason
