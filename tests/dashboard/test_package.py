"""The dashboard's files ship in the wheel: each matches a package-data pattern."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

from service._routes_dashboard import DASHBOARD_DIR

ROOT = Path(__file__).parents[2]


def test_every_dashboard_file_is_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["service"]
    files = [p.relative_to(DASHBOARD_DIR.parent).as_posix() for p in DASHBOARD_DIR.rglob("*")]
    files = [f for f in files if (DASHBOARD_DIR.parent / f).is_file()]
    assert "dashboard/index.html" in files and "dashboard/vendor/uPlot.iife.min.js" in files
    missing = [f for f in files if not any(fnmatch.fnmatch(f, p) for p in patterns)]
    assert missing == []


def test_the_vendored_library_names_its_version_and_licence() -> None:
    readme = (DASHBOARD_DIR / "vendor" / "README.md").read_text(encoding="utf-8")
    assert "uPlot" in readme and "1.6.32" in readme and "MIT" in readme
    assert "MIT License" in (DASHBOARD_DIR / "vendor" / "uPlot.LICENSE").read_text(encoding="utf-8")
    assert (
        "uPlot (v1.6.32)"
        in (DASHBOARD_DIR / "vendor" / "uPlot.iife.min.js").read_text(encoding="utf-8")[:400]
    )
