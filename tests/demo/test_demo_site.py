"""The demo publisher, served by uvicorn on a free port: feeds, pages, config, brands."""

from __future__ import annotations

import gzip
import html
import json
import re
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import feedparser
import httpx
import lxml.html
import pytest
import yaml

from service._demo_site import DEMO_DIR, create_demo_site, demo_config
from service._schemas_config import BrandCreate, SourceCreate
from tests._servers import serve_app

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
INDEX: list[dict[str, Any]] = json.loads((DEMO_DIR / "index.json").read_text("utf-8"))
TEXTS: dict[str, str] = json.loads(gzip.decompress((DEMO_DIR / "texts.json.gz").read_bytes()))
MIN_PAGES_PER_BRAND = 2
MAX_BUNDLE_BYTES = 15_000_000


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    with serve_app(create_demo_site(now=NOW)) as url:
        yield url


@pytest.fixture(scope="module")
def client(site: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def config(site: str) -> dict[str, Any]:
    return demo_config(site)


def _parse(response: httpx.Response) -> Any:
    return feedparser.parse(response.content)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_every_source_feed_parses_and_every_entry_is_a_served_real_page(
    client: httpx.Client, config: dict[str, Any]
) -> None:
    by_url = {f"/{r['outlet_slug']}/{r['slug']}.html": r for r in INDEX}
    seen: set[str] = set()
    formats: set[str] = set()
    for source in config["sources"]:
        response = client.get(source["url"])
        assert response.status_code == 200, source["url"]
        feed = _parse(response)
        assert not feed.bozo, (source["url"], feed.get("bozo_exception"))
        assert feed.entries, source["url"]
        formats.add(feed.version)
        for entry in feed.entries:
            path = httpx.URL(entry.link).path
            record = by_url[path]
            assert record["outlet"] == source["outlet"]
            assert entry.title == record["title"]
            assert entry.published_parsed is not None
            page = client.get(entry.link)
            assert page.status_code == 200
            assert page.headers["content-type"] == "text/html; charset=utf-8"
            if record["dataset"] == "zyte":  # the ground-truth body starts inside the page
                start = _squash(TEXTS[record["id"]][:60])
                body = lxml.html.fromstring(page.text).text_content()
                assert start in _squash(body), record["id"]
            else:
                assert _squash(record["title"]) in _squash(html.unescape(page.text)), record["id"]
            seen.add(path)
    assert seen == set(by_url)  # every bundled page is listed in some source's feed
    assert {"rss20", "atom10"} <= formats


def test_feed_dates_are_now_minus_the_demo_offsets(client: httpx.Client) -> None:
    record = INDEX[0]
    feed = _parse(client.get(f"/{record['outlet_slug']}/feed.xml"))
    entry = next(e for e in feed.entries if e.link.endswith(f"/{record['slug']}.html"))
    year, month, day, hour, minute, second = entry.published_parsed[:6]
    published = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    assert published == NOW - timedelta(hours=record["published_offset_hours"])
    offsets = [r["published_offset_hours"] for r in INDEX]
    assert 0 < min(offsets) and max(offsets) <= 21 * 24


@pytest.mark.parametrize("name", ["feed.xml", "atom.xml", "feed.json"])
def test_every_outlet_serves_every_format(client: httpx.Client, name: str) -> None:
    for slug in {r["outlet_slug"] for r in INDEX}:
        response = client.get(f"/{slug}/{name}")
        assert response.status_code == 200
        pages = sum(r["outlet_slug"] == slug for r in INDEX)
        if name == "feed.json":  # feedparser 6.0 does not read JSON Feed
            feed = response.json()
            assert feed["version"] == "https://jsonfeed.org/version/1.1"
            assert len(feed["items"]) == pages
            assert all(client.get(i["url"]).status_code == 200 for i in feed["items"])
        else:
            assert len(_parse(response).entries) == pages


def test_conditional_get_answers_304(client: httpx.Client) -> None:
    first = client.get("/wired/atom.xml")
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    again = client.get("/wired/atom.xml", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert client.get("/wired/atom.xml", headers={"If-None-Match": '"other"'}).status_code == 200
    since = client.get("/wired/atom.xml", headers={"If-Modified-Since": last_modified})
    assert since.status_code == 304
    older = format_datetime(NOW - timedelta(days=60), usegmt=True)
    assert client.get("/wired/atom.xml", headers={"If-Modified-Since": older}).status_code == 200
    # ETags are per representation: RSS and Atom of one outlet differ.
    assert client.get("/wired/feed.xml").headers["etag"] != etag


@pytest.mark.parametrize(
    "path",
    ["/nope/feed.xml", "/wired/nope.html", "/wired/feed.rss", "/wired/", "/a/b/c", "/x.html"],
)
def test_unknown_paths_are_404(client: httpx.Client, path: str) -> None:
    assert client.get(path).status_code == 404


def test_home_lists_every_outlet(client: httpx.Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    for slug in {r["outlet_slug"] for r in INDEX}:
        assert f'href="/{slug}/feed.xml"' in response.text


def test_config_matches_the_yaml_template_and_the_config_schemas(
    site: str, config: dict[str, Any]
) -> None:
    template = yaml.safe_load((DEMO_DIR / "clarion-demo.yaml").read_text("utf-8"))
    for source in template["sources"]:
        source["url"] = source["url"].replace("{base_url}", site)
    assert config == template
    assert set(config) == {"brands", "sources"}
    brands = [BrandCreate.model_validate(b).to_brand() for b in config["brands"]]
    sources = [SourceCreate.model_validate(s).to_source() for s in config["sources"]]
    ids = {b.id for b in brands}
    for brand in brands:  # competitive sets are closed and symmetric
        assert brand.competitors and set(brand.competitors) <= ids
        for other in brand.competitors:
            assert brand.id in next(b for b in brands if b.id == other).competitors
    assert len({s.id for s in sources}) == len(sources) == len({r["outlet_slug"] for r in INDEX})
    assert {s.domain for s in sources} == {r["domain"] for r in INDEX}
    assert {s.tier for s in sources} == {1, 2, 3}
    with pytest.raises(ValueError):
        demo_config("127.0.0.1:8401")


def test_bundle_is_modest_and_self_contained() -> None:
    size = sum(p.stat().st_size for p in DEMO_DIR.rglob("*") if p.is_file())
    assert size < MAX_BUNDLE_BYTES
    assert {p.name for p in (DEMO_DIR / "pages").iterdir()} == {
        r["file"].removeprefix("pages/") for r in INDEX
    }
    assert set(TEXTS) == {r["id"] for r in INDEX}
    assert "/work/shared" not in (DEMO_DIR.parent / "_demo_site.py").read_text("utf-8")


# A small evaluator for the demo queries: OR, AND, NOT, parentheses, "phrases" and
# case-sensitive {terms}; words are cut at punctuation and compared without case or
# accents, as Clarion's query language says (enrichment/_query.py).
_TOKEN = re.compile(r'\{[^}]*\}|"[^"]*"|\(|\)|[^\s(){}"]+')


def _words(text: str, *, fold: bool = True) -> list[str]:
    if fold:
        text = unicodedata.normalize("NFKD", text.casefold())
        text = "".join(c for c in text if not unicodedata.combining(c))
    return re.findall(r"\w+", text)


def _contains(words: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    return n > 0 and any(words[i : i + n] == phrase for i in range(len(words) - n + 1))


class _Query:
    def __init__(self, query: str) -> None:
        self.tokens = _TOKEN.findall(query)
        self.terms: list[str] = []  # every term outside NOT

    def parse(self) -> Any:
        node = self._or(negated=False)
        assert not self.tokens, self.tokens
        return node

    def _or(self, *, negated: bool) -> Any:
        nodes = [self._and(negated=negated)]
        while self.tokens[:1] == ["OR"]:
            self.tokens.pop(0)
            nodes.append(self._and(negated=negated))
        return ("or", nodes)

    def _and(self, *, negated: bool) -> Any:
        nodes = [self._not(negated=negated)]
        while self.tokens and self.tokens[0] not in ("OR", ")"):
            if self.tokens[0] == "AND":
                self.tokens.pop(0)
            nodes.append(self._not(negated=negated))
        return ("and", nodes)

    def _not(self, *, negated: bool) -> Any:
        if self.tokens[0] == "NOT":
            self.tokens.pop(0)
            return ("not", self._primary(negated=True))
        return self._primary(negated=negated)

    def _primary(self, *, negated: bool) -> Any:
        token = self.tokens.pop(0)
        if token == "(":
            node = self._or(negated=negated)
            assert self.tokens.pop(0) == ")"
            return node
        if not negated:
            self.terms.append(token)
        return ("term", token)


def _matches(node: Any, text: str) -> bool:
    kind, value = node
    if kind == "or":
        return any(_matches(n, text) for n in value)
    if kind == "and":
        return all(_matches(n, text) for n in value)
    if kind == "not":
        return not _matches(value, text)
    if value.startswith("{"):
        return _contains(_words(text, fold=False), _words(value[1:-1], fold=False))
    return _contains(_words(text), _words(value.strip('"')))


def test_demo_brands_are_really_mentioned_in_the_bundled_pages(config: dict[str, Any]) -> None:
    pages = {r["id"]: f"{r['title']}\n{TEXTS[r['id']]}" for r in INDEX}
    counts: dict[str, int] = {}
    for brand in config["brands"]:
        query = _Query(brand["query"])
        tree = query.parse()
        for term in query.terms:  # no query word that no page contains
            assert any(_matches(("term", term), t) for t in pages.values()), (brand["id"], term)
        counts[brand["id"]] = sum(_matches(tree, text) for text in pages.values())
    print("\npages mentioning each demo brand:", counts)
    none = sum(not any(_matches(_Query(b["query"]).parse(), t) for b in config["brands"])
               for t in pages.values())  # fmt: skip
    print("pages mentioning no demo brand:", none)
    assert all(n >= MIN_PAGES_PER_BRAND for n in counts.values()), counts
    assert none >= 10  # share of voice is not trivially "every page"
    assert not _matches(_Query("{Apple}").parse(), pages["z-5f03fc17"])  # "a medium apple"
