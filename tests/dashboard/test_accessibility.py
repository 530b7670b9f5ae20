"""Accessibility checked by tools in the real chromium, on every page of the dashboard:

- contrast: WCAG 2.1 ratios of every visible text against its effective background,
  from computed styles (``tests/dashboard/wcag.js``): 4.5:1, 3:1 for large text;
- names: every control, link and image has an accessible name, as chromium's own
  accessibility tree computes it (the DevTools protocol's ``getFullAXTree``);
- keyboard: Tab reaches the skip link, the navigation, the brand and period pickers and
  then every control of the page, in document order, each with a focus ring of 3:1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.dashboard._clarion import DemoClarion
from tests.dashboard._wcag import WCAG, contrast
from tests.dashboard.conftest import open_page

PAGES = ["overview", "coverage", "traffic", "alerts", "amplify", "setup"]

NAMED_ROLES = {
    "button",
    "checkbox",
    "combobox",
    "img",
    "link",
    "listbox",
    "radio",
    "searchbox",
    "slider",
    "spinbutton",
    "switch",
    "textbox",
}
"""Roles whose nodes need a name to be usable with a screen reader."""

HEADER = ["Skip to content", "Overview", "Coverage", "Earned traffic", "Alerts", "Amplify"]
HEADER += ["Setup", "Brand", "Period"]
"""What Tab reaches first on every page, in this order."""

TABBABLE = """() => {
  const shown = (e) => e.getClientRects().length > 0
    && getComputedStyle(e).visibility === 'visible' && !e.closest('[inert]');
  const first = (summary) => summary.parentElement.querySelector(':scope > summary') === summary;
  const groups = new Set();
  const stops = [...document.querySelectorAll(
      'a[href], button, input, select, textarea, summary, [tabindex]')].filter((e) => {
    if (e.disabled || e.tabIndex < 0 || e.type === 'hidden' || !shown(e)) return false;
    if (e.matches('summary') && !first(e)) return false;
    if (e.type === 'radio') {  // a radio group is one stop: its checked radio
      const checked = document.querySelector(`input[type=radio][name="${e.name}"]:checked`);
      if (groups.has(e.name) || (checked && checked !== e)) return false;
      groups.add(e.name);
    }
    return true;
  });
  const positive = stops.filter((e) => e.tabIndex > 0).map((e) => e.outerHTML.slice(0, 80));
  stops.forEach((e, i) => { e.dataset.tabStop = String(i); });
  return { count: stops.length, positive };
}"""

FOCUSED = f"""() => {{
  const contrast = ({WCAG});
  const e = document.activeElement;
  const own = (label) => [...label.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE)
    .map((n) => n.textContent).join('');
  const name = e.getAttribute('aria-label') || (e.labels?.[0] && own(e.labels[0])) || e.textContent;
  return {{
    stop: e.dataset.tabStop === undefined ? null : Number(e.dataset.tabStop),
    what: contrast.describe(e),
    name: (name || '').trim().replace(/\\s+/g, ' '),
    focus: contrast.focus(e),
  }};
}}"""


def _open_everything(page: Any) -> None:
    """Every <details> open (campaign reports, syndicated copies, alert evidence), and
    every panel loaded after it: their text is measured too."""
    page.evaluate(
        "() => document.querySelectorAll('main details').forEach((d) => { d.open = true; })"
    )
    page.wait_for_function(
        "() => ![...document.querySelectorAll('main .status')]"
        ".some((e) => e.textContent.includes('Loading'))"
    )


def test_the_contrast_check_finds_what_fails(page: Any) -> None:
    page.set_content(
        """<body style="background:#fff; margin:0">
        <p id="black" style="color:#000">black on white</p>
        <p id="grey" style="color:#777">#777 on white: 4.48</p>
        <h1 id="large" style="color:#777; font-size:24px">large #777: enough</h1>
        <div style="background:#15202b"><span id="dark" style="color:#333">on dark</span></div>
        <div style="background:rgb(0 0 0 / .5)"><p id="veiled" style="color:#333">veiled</p></div>
        <div style="opacity:.4"><p id="faded" style="color:#000">faded</p></div>
        <style>#hint::placeholder { color: #aaa }</style>
        <input id="hint" placeholder="a placeholder" style="color:#000">
        <button disabled style="color:#ccc">disabled: exempt</button>
        <p hidden style="color:#fff">hidden: not shown</p>
        <div style="background-image:linear-gradient(#000, #fff)"><b>on a gradient</b></div>
        </body>"""
    )
    report = contrast(page)
    failed = {f["element"]: f for f in report["failures"]}
    assert set(failed) == {"p#grey", "span#dark", "p#veiled", "p#faded", "input#hint"}
    assert failed["p#grey"]["ratio"] == 4.48 and failed["p#grey"]["needed"] == 4.5
    assert failed["p#faded"]["color"] == "#999999"  # black at 40% over white
    assert failed["input#hint"]["what"] == "placeholder"
    assert report["unknown"] == ["b: text over a background image"]
    assert report["checked"] == 7  # not the disabled, the hidden nor the gradient's


@pytest.mark.parametrize("route", PAGES)
def test_every_text_meets_wcag_contrast(
    page: Any, clarion: DemoClarion, screenshots: Path, route: str
) -> None:
    open_page(page, clarion, route, brand="apple")
    _open_everything(page)
    if route == "overview":  # a series switched off in a chart's legend is dimmed, not faint
        page.locator("#sov .u-legend .u-series").nth(2).click()
    report = contrast(page)
    assert report["checked"] > 20
    assert report["unknown"] == []
    assert report["failures"] == [], report["failures"]


def _unnamed(cdp: Any) -> tuple[set[str], list[str]]:
    """The roles seen, and the nodes of NAMED_ROLES that have no name."""
    roles, unnamed = set(), []
    for node in cdp.send("Accessibility.getFullAXTree")["nodes"]:
        role = node.get("role", {}).get("value")
        if node.get("ignored") or role not in NAMED_ROLES:
            continue
        roles.add(role)
        if not str(node.get("name", {}).get("value", "")).strip():
            dom = cdp.send("DOM.describeNode", {"backendNodeId": node["backendDOMNodeId"]})
            attributes = dom["node"].get("attributes", [])
            unnamed.append(f"{role}: <{dom['node']['nodeName'].lower()} {attributes}>")
    return roles, unnamed


def test_the_name_check_finds_unnamed_controls(page: Any) -> None:
    page.set_content(
        """<label>Named <input id="named"></label>
        <input id="bare"><select id="pick"><option>one</option></select>
        <button id="icon"><span aria-hidden="true">✕</span></button>
        <button aria-label="Close">✕</button><a href="#x"></a>"""
    )
    cdp = page.context.new_cdp_session(page)
    try:
        roles, unnamed = _unnamed(cdp)
    finally:
        cdp.detach()
    assert {"textbox", "combobox", "button", "link"} <= roles
    assert [entry.split(":")[0] for entry in unnamed] == ["textbox", "combobox", "button", "link"]
    assert "'bare'" in unnamed[0] and "'icon'" in unnamed[2]


@pytest.mark.parametrize("route", PAGES)
def test_every_control_has_an_accessible_name(page: Any, clarion: DemoClarion, route: str) -> None:
    open_page(page, clarion, route, brand="apple")
    _open_everything(page)
    cdp = page.context.new_cdp_session(page)
    try:
        roles, unnamed = _unnamed(cdp)
    finally:
        cdp.detach()
    assert {"link", "combobox"} <= roles  # the navigation and the brand picker were seen
    assert unnamed == []


@pytest.mark.parametrize("route", PAGES)
def test_tab_reaches_navigation_and_every_control_in_order_with_a_visible_focus(
    page: Any, clarion: DemoClarion, route: str
) -> None:
    open_page(page, clarion, route, brand="apple")
    stops = page.evaluate(TABBABLE)
    assert stops["positive"] == []  # a positive tabindex would reorder the page
    reached = []
    for _ in range(stops["count"]):
        page.keyboard.press("Tab")
        reached.append(page.evaluate(FOCUSED))
    assert [r["name"] for r in reached[: len(HEADER)]] == HEADER
    order = [r["stop"] for r in reached]
    assert order == list(range(stops["count"])), [
        (i, r) for i, r in enumerate(reached) if r["stop"] != i
    ][:3]
    faint = [(r["what"], round(r["focus"], 2)) for r in reached if r["focus"] < 3]
    assert faint == [], "focus rings under 3:1 against the background around them"


def test_the_chart_switches_work_from_the_keyboard(page: Any, clarion: DemoClarion) -> None:
    open_page(page, clarion, "overview", brand="apple")
    page.get_by_role("radio", name="Lines").focus()
    page.keyboard.press("ArrowRight")  # within a radio group, arrows move and choose
    assert page.get_by_role("radio", name="Stacked area").is_checked()
    page.get_by_role("radio", name="Volume").focus()
    page.keyboard.press("ArrowRight")
    chart = page.locator("#sov .plot")
    assert chart.get_attribute("aria-label").startswith("Reach share of voice per day, stacked")
