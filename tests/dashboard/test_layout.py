"""Every page fits a phone's width, names each form control, and works by keyboard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.dashboard._clarion import DemoClarion
from tests.dashboard.conftest import PHONE, open_page

PAGES = ["overview", "coverage", "traffic", "alerts", "amplify", "setup"]

UNNAMED_CONTROLS = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter((e) => e.type !== 'hidden' && e.getClientRects().length)
  .filter((e) => !(e.labels?.length || e.getAttribute('aria-label')
                   || e.getAttribute('aria-labelledby') || e.textContent.trim()))
  .map((e) => e.outerHTML.slice(0, 120))"""


@pytest.mark.parametrize("route", PAGES)
def test_each_page_fits_a_phone_and_names_its_controls(
    browser: Any, clarion: DemoClarion, screenshots: Path, route: str
) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        open_page(page, clarion, route, brand="apple")
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, f"{route} is {overflow}px wider than a phone's screen"
        assert page.evaluate(UNNAMED_CONTROLS) == []
        page.screenshot(path=screenshots / f"phone-{route}.png", full_page=True)
    finally:
        context.close()
    assert errors == []


def test_keyboard_skip_link_and_navigation(page: Any, clarion: DemoClarion) -> None:
    open_page(page, clarion, "overview", brand="apple")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Overview"
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the "Coverage" link
    page.wait_for_selector('.page[data-page="coverage"]')
    assert page.locator('#nav a[aria-current="page"]').inner_text() == "Coverage"
    assert page.evaluate("document.activeElement.id") == "main"  # focus moves to the new page
