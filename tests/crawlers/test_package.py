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
        # issue 3: safety, robots, discovery, sitemaps, OPML, scheduling
        "AddressPolicy", "BlockedAddressError", "RobotsPolicy", "RobotsDisallowed",
        "RobotsUnreachable", "discover_feeds", "find_feed", "DiscoveredFeed", "FoundFeed",
        "HtmlInsteadOfFeedError", "parse_sitemap", "Sitemap", "SitemapParseError",
        "poll_sitemap", "poll_source", "parse_opml", "feed_outlines", "source_from_outline",
        "write_opml", "OpmlOutline", "OpmlParseError", "next_poll_interval",
        "backoff_after_failure", "should_disable", "disable_reason",
    }  # fmt: skip
    assert expected <= set(crawlers.__all__)


def test_crawlers_imports_nothing_from_the_rest_of_clarion() -> None:
    forbidden = {"enrichment", "search", "service"}
    for module in PACKAGE.rglob("*.py"):  # subpackages (crawlers/social) too
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
    assert issubclass(crawlers.BlockedAddressError, crawlers.PermanentFetchError)
    assert issubclass(crawlers.RobotsDisallowed, crawlers.PermanentFetchError)
    assert issubclass(crawlers.RobotsUnreachable, crawlers.TransientFetchError)
    assert issubclass(crawlers.HtmlInsteadOfFeedError, crawlers.FeedParseError)
    assert issubclass(crawlers.SitemapParseError, crawlers.FeedParseError)
    assert issubclass(crawlers.OpmlParseError, crawlers.CrawlError)
    assert not issubclass(crawlers.OpmlParseError, crawlers.FeedParseError)


def test_every_error_class_is_drawn_in_the_tree() -> None:
    from crawlers import _errors

    drawn = _errors.__doc__ or ""
    for name, value in vars(_errors).items():
        if isinstance(value, type) and issubclass(value, crawlers.CrawlError):
            assert f" {name} " in drawn or f" {name}\n" in drawn, name


def test_modules_stay_small() -> None:
    for module in PACKAGE.glob("_*.py"):
        lines = module.read_text(encoding="utf-8").count("\n")
        assert lines <= 420, f"{module.name} has {lines} lines: split it"
