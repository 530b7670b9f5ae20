"""normalize_url and document_id: one spelling, and one id, per article."""

from __future__ import annotations

import hashlib

import pytest

from crawlers import canonical_url, document_id, normalize_url, registrable_domain


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # scheme and host case, default ports, fragments
        ("HTTPS://WWW.Reuters.COM/world/", "https://www.reuters.com/world"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com:443/a", "http://example.com:443/a"),
        ("https://example.com/story#comments", "https://example.com/story"),
        ("https://example.com.", "https://example.com/"),
        # root keeps its slash, other paths lose it
        ("https://example.com", "https://example.com/"),
        ("https://example.com/", "https://example.com/"),
        ("https://example.com/news/", "https://example.com/news"),
        ("https://example.com/a/./b/../c/", "https://example.com/a/c"),
        # tracking parameters seen on real feed and share links
        (
            "https://www.bbc.com/news/articles/cp81l0e1eg5o?at_medium=RSS&at_campaign=rss",
            "https://www.bbc.com/news/articles/cp81l0e1eg5o",
        ),
        (
            "https://www.dw.com/en/france-arrests-nine/a-75995188?maca=en-rss-en-all-1573-rdf",
            "https://www.dw.com/en/france-arrests-nine/a-75995188",
        ),
        (
            "http://www.heise.de/developer/meldung/WildFly-10-3088438.html"
            "?wt_mc=rss.developer.beitrag.atom",
            "http://www.heise.de/developer/meldung/WildFly-10-3088438.html",
        ),
        (
            "https://www.nytimes.com/2024/01/02/world/europe/story.html?smid=tw-share&smtyp=cur",
            "https://www.nytimes.com/2024/01/02/world/europe/story.html",
        ),
        (
            "https://www.theguardian.com/world/2024/jan/02/story?CMP=share_btn_link",
            "https://www.theguardian.com/world/2024/jan/02/story",
        ),
        (
            "https://example.com/p?utm_source=newsletter&utm_medium=email&utm_campaign=x&id=7",
            "https://example.com/p?id=7",
        ),
        (
            "https://example.com/p?fbclid=IwAR0abc&gclid=Cj0K&msclkid=1&mc_cid=a1&mc_eid=b2",
            "https://example.com/p",
        ),
        ("https://example.com/p?ref=hn&ref_src=twsrc%5Etfw", "https://example.com/p"),
        ("https://example.com/p?_hsenc=p2A&_hsmi=1&mtm_campaign=x", "https://example.com/p"),
        # remaining parameters sorted by name; repeated names keep their order
        ("https://example.com/search?q=acme&page=2", "https://example.com/search?page=2&q=acme"),
        ("https://example.com/p?b=2&a=2&a=1", "https://example.com/p?a=2&a=1&b=2"),
        ("https://example.com/p?flag&x=", "https://example.com/p?flag&x="),
        ("https://example.com/p?&&a=1&", "https://example.com/p?a=1"),
        # content-selecting parameters that a greedy tracker list would drop stay
        (
            "https://example.com/article.php?source=wire&uid=9",
            "https://example.com/article.php?source=wire&uid=9",
        ),
        ("https://example.com/watch?v=abc&session=3", "https://example.com/watch?session=3&v=abc"),
        # AMP variants
        ("https://www.example.com/news/story/amp/", "https://www.example.com/news/story"),
        ("https://www.example.com/news/story/amp", "https://www.example.com/news/story"),
        ("https://www.bbc.co.uk/news/world-123.amp", "https://www.bbc.co.uk/news/world-123"),
        ("https://example.com/story.amp.html", "https://example.com/story.html"),
        ("https://example.com/story?amp=1&id=3", "https://example.com/story?id=3"),
        ("https://example.com/story?amp", "https://example.com/story"),
        (
            "https://www.washingtonpost.com/x/story/?outputType=amp",
            "https://www.washingtonpost.com/x/story",
        ),
        ("https://amp.theguardian.com/world/story", "https://theguardian.com/world/story"),
        ("https://amp.co.uk/story", "https://amp.co.uk/story"),  # a registrable domain
        ("https://example.com/amplifier", "https://example.com/amplifier"),
        ("https://example.com/story?amp=full", "https://example.com/story?amp=full"),
        # percent-encoding: unreserved decoded, the rest upper-cased, unsafe encoded
        ("https://example.com/a%7eb%2fc", "https://example.com/a~b%2Fc"),
        ("https://example.com/caf\u00e9 bar", "https://example.com/caf%C3%A9%20bar"),
        ("https://example.com/p?q=a%2bb", "https://example.com/p?q=a%2Bb"),
        # internationalized host names become IDNA
        ("https://B\u00fccher.de/", "https://xn--bcher-kva.de/"),
        ("https://[2001:DB8::1]:8080/x", "https://[2001:db8::1]:8080/x"),
    ],
)
def test_normalize_url(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        (
            "/news/story?utm_source=rss",
            "https://example.com/feed.xml",
            "https://example.com/news/story",
        ),
        ("story-2", "https://example.com/news/story-1", "https://example.com/news/story-2"),
        ("../b", "https://example.com/a/x/y", "https://example.com/a/b"),
        ("//cdn.example.org/p", "https://example.com/", "https://cdn.example.org/p"),
        ("https://other.example/p", "https://example.com/", "https://other.example/p"),
    ],
)
def test_normalize_url_resolves_against_base(url: str, base: str, expected: str) -> None:
    assert normalize_url(url, base=base) == expected


@pytest.mark.parametrize(
    "url", ["", "/relative/path", "mailto:press@example.com", "ftp://example.com/f", "https:///x"]
)
def test_normalize_url_refuses_non_http_urls(url: str) -> None:
    with pytest.raises(ValueError):
        normalize_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "HTTPS://WWW.Example.COM:443/A/b/?utm_source=x&z=1&a=%7e#f",
        "https://amp.example.com/story/amp/?amp=1",
        "https://example.com/caf\u00e9?q=caf\u00e9",
    ],
)
def test_normalize_url_is_idempotent(url: str) -> None:
    once = normalize_url(url)
    assert normalize_url(once) == once


def test_document_id_is_the_hash_of_the_normalized_url() -> None:
    url = "https://Example.com/story/?utm_source=rss#top"
    expected = hashlib.sha256(b"https://example.com/story").hexdigest()[:32]
    assert document_id(url) == expected
    assert len(expected) == 32


def test_spellings_of_one_article_share_an_id() -> None:
    spellings = [
        "https://www.example.com/2024/story",
        "HTTPS://www.example.com:443/2024/story/",
        "https://www.example.com/2024/story?utm_source=twitter&fbclid=abc",
        "https://www.example.com/2024/story/amp/",
        "https://www.example.com/2024/story#comments",
    ]
    assert len({document_id(url) for url in spellings}) == 1


def test_different_articles_get_different_ids() -> None:
    urls = [
        "https://example.com/story?id=1",
        "https://example.com/story?id=2",
        "http://example.com/story?id=1",
        "https://example.org/story?id=1",
    ]
    assert len({document_id(url) for url in urls}) == len(urls)


@pytest.mark.parametrize(
    ("url", "domain"),
    [
        ("https://news.bbc.co.uk/world", "bbc.co.uk"),
        ("https://WWW.Example.COM/a", "example.com"),
        ("https://user.github.io/post", "user.github.io"),  # a private suffix: its own site
        ("http://127.0.0.1:8080/x", "127.0.0.1"),  # no suffix: the host itself
        ("https://publisher.test/x", "publisher.test"),
        ("not a url", None),
    ],
)
def test_registrable_domain(url: str, domain: str | None) -> None:
    assert registrable_domain(url) == domain


@pytest.mark.parametrize(
    ("url", "canonical", "expected"),
    [
        # same site: the canonical wins, resolved and normalized
        ("https://www.ex.com/a?utm_source=rss", "/story-1", "https://www.ex.com/story-1"),
        ("https://m.ex.co.uk/a", "https://www.ex.co.uk/a#top", "https://www.ex.co.uk/a"),
        # another site (or another registrant under a public suffix): refused
        ("https://ex.com/a", "https://evil.com/a", "https://ex.com/a"),
        ("https://a.co.uk/x", "https://b.co.uk/x", "https://a.co.uk/x"),
        ("https://alice.github.io/p", "https://bob.github.io/p", "https://alice.github.io/p"),
        # nothing usable
        ("https://ex.com/a", None, "https://ex.com/a"),
        ("https://ex.com/a", "javascript:void(0)", "https://ex.com/a"),
    ],
)
def test_canonical_url_only_on_the_same_site(
    url: str, canonical: str | None, expected: str
) -> None:
    assert canonical_url(url, canonical) == expected
