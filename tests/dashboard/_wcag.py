"""``wcag.js`` (WCAG 2.1 contrast from computed styles) for the browser tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

WCAG = (Path(__file__).parent / "wcag.js").read_text(encoding="utf-8")
"""The script: an expression whose value is ``contrast(options)``, see its header."""


def contrast(page: Any, within: str = "body") -> dict[str, Any]:
    """``wcag.js`` run on the page as it is now, on the text inside the element that
    ``within`` selects: ``checked``, ``failures``, ``unknown``."""
    script = f"(within) => ({WCAG})({{ root: document.querySelector(within) }})"
    report: dict[str, Any] = page.evaluate(script, within)
    return report
