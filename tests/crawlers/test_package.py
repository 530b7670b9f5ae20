"""The crawlers package's public surface and its place at the bottom of the dependency chain."""

from __future__ import annotations

import ast
from pathlib import Path

import crawlers

PACKAGE = Path(crawlers.__file__).parent


def test_all_names_exist_and_are_sorted() -> None:
    for name in crawlers.__all__:
        assert hasattr(crawlers, name), name
    assert crawlers.__all__ == sorted(crawlers.__all__, key=lambda n: (not n[0].isupper(), n))


def test_public_names_of_the_contract_are_exported() -> None:
    expected = {
        "normalize_url", "document_id", "CrawlError", "FetchError", "TransientFetchError",
        "PermanentFetchError", "FeedParseError", "ExtractionError", "FetchConfig", "Fetcher",
        "FetchResult", "parse_feed", "ParsedFeed", "extract_article", "Extracted", "poll_feed",
        "PollResult", "record_success", "record_failure",
    }  # fmt: skip
    assert expected <= set(crawlers.__all__)


def test_crawlers_imports_nothing_from_the_rest_of_clarion() -> None:
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


def test_error_tree() -> None:
    assert issubclass(crawlers.TransientFetchError, crawlers.FetchError)
    assert issubclass(crawlers.PermanentFetchError, crawlers.FetchError)
    assert issubclass(crawlers.FetchError, crawlers.CrawlError)
    assert issubclass(crawlers.FeedParseError, crawlers.CrawlError)
    assert issubclass(crawlers.ExtractionError, crawlers.CrawlError)
    assert not issubclass(crawlers.FeedParseError, crawlers.FetchError)
