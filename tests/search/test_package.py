"""The search package's public surface and its place in the dependency chain."""

from __future__ import annotations

import ast
from pathlib import Path

import search

PACKAGE = Path(search.__file__).parent


def test_all_names_exist_and_are_sorted() -> None:
    for name in search.__all__:
        assert hasattr(search, name), name
    assert search.__all__ == sorted(search.__all__, key=lambda n: (not n[0].isupper(), n))


def test_store_and_helpers_are_exported() -> None:
    expected = {
        "Store", "SQLiteStore", "StoreError", "TemporaryStoreError", "InvalidCursor",
        "MentionFilter", "MentionHit", "MentionPage", "BucketCount", "bucket_start",
        "bucket_starts",
    }  # fmt: skip
    assert expected <= set(search.__all__)


def test_search_never_imports_the_service() -> None:
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module.split(".")[0] != "service", path
            if isinstance(node, ast.Import):
                assert all(a.name.split(".")[0] != "service" for a in node.names), path
