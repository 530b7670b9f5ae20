"""crawlers.social's public surface, and its place in the dependency chain."""

from __future__ import annotations

import ast
from pathlib import Path

import crawlers.social

PACKAGE = Path(crawlers.social.__file__).parent


def test_all_names_exist_and_are_sorted() -> None:
    for name in crawlers.social.__all__:
        assert hasattr(crawlers.social, name), name
    names = crawlers.social.__all__
    # Constants, then classes, then functions (ruff's RUF022 order).
    assert names == sorted(names, key=lambda n: (not n.isupper(), not n[0].isupper(), n))


def test_social_imports_nothing_from_the_rest_of_clarion() -> None:
    forbidden = {"enrichment", "search", "service"}
    for module in PACKAGE.glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                roots = {node.module.split(".")[0]}
            else:
                continue
            assert not roots & forbidden, f"{module.name} imports {roots & forbidden}"


def test_modules_stay_small() -> None:
    for module in PACKAGE.glob("*.py"):
        assert len(module.read_text(encoding="utf-8").splitlines()) <= 400, module.name
