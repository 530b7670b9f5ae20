"""Browser tests of the dashboard: Debian's chromium driven by Playwright, against a
real Clarion (uvicorn, demo data ingested by the real pipeline).

Chromium is never downloaded by Playwright: ``make test`` (and ``.ci/run``) install
Debian's ``chromium`` with apt-get when it is absent. Where that was impossible (no
apt, not root), these tests are skipped with that reason; nowhere else.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.dashboard._clarion import DemoClarion, demo_clarion

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def skip_reason(chromium: Path = CHROMIUM) -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not chromium.exists():
        apt = "apt-get is available" if shutil.which("apt-get") else "no apt-get here"
        return (
            f"browser tests need Debian's chromium at {chromium} ({apt}); "
            "`make test` installs it with `apt-get install -y chromium` when it can"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return (
            "browser tests need the `playwright` package (the dev extra): pip install -e '.[dev]'"
        )
    return None


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="package")
def clarion(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoClarion]:
    """One demo Clarion for the browser tests (the ingest takes a minute on two cores).

    Package scope, not session: Playwright's sync API keeps an event loop running in
    the test thread while it is started, so it must stop before the async tests that
    run after this folder."""
    with demo_clarion(tmp_path_factory.mktemp("clarion")) as running:
        yield running


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh laptop-sized tab; a JavaScript error on the page fails the test."""
    context = browser.new_context(viewport=LAPTOP)
    context.set_default_timeout(30_000)  # a hang guard for slow shared machines, no speed claim
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert errors == []


def open_page(page: Any, clarion: DemoClarion, route: str, **params: Any) -> None:
    """Go to ``#/route?params`` and wait until no panel says "Loading…"."""
    query = "&".join(f"{k}={v}" for k, v in {"days": 30, **params}.items())
    page.goto(f"{clarion.url}/dashboard/#/{route}?{query}")
    page.wait_for_selector(f'.page[data-page="{route}"]')
    page.wait_for_function(
        "() => ![...document.querySelectorAll('main .status')]"
        ".some((e) => e.textContent.includes('Loading'))"
    )
