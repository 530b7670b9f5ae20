"""Build the demo publisher's bundle from the two public extraction data sets.

A developer's tool, never run by Clarion::

    .venv/bin/python service/demo/build_index.py <folder of the shared data sets>

It copies the chosen pages (still gzip-compressed) into ``service/demo/pages/``,
writes ``index.json`` (one record per page: where it came from, its outlet and
the demo's illustrative outlet data) and ``texts.json.gz`` (each page's
ground-truth main text, for the tests' brand counts and as an extraction
reference). Choices (which pages, outlet names, tiers, audiences, demo dates)
are the tables below; see README.md.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import html
import json
import re
import shutil
import sys
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import lxml.html
import yaml

HERE = Path(__file__).resolve().parent
ZYTE = "article_extraction_zyte"
READABILITY = "article_extraction_readability"

# Pages whose main text mentions a demo brand (see README.md for the scan), then pages
# that mention none, so that share of voice is not trivially "everything".
ZYTE_PAGES = [
    # tech platforms
    "291a8bf3", "2f42ef1d", "5fbc7ccb", "e7d77f18", "aade2ec8", "20b2b649", "3cb22bfa",
    "d48aeb9c", "c582d3b7", "34a73285", "7dfc3e35", "55bb6340", "6ebac05f", "776a1c04",
    "bc13ff87", "ea25dd7e",
    # streaming
    "87bf6057", "eb62ac84", "4648a420",
    # space
    "14cc2a0c", "686bb170", "785affa2", "c00962aa", "c50845a7", "d1c57d78",
    # no demo brand (same outlets, tier-1 outlets, a same-story copy, a lowercase "apple")
    "57d46c9d", "d605bdef", "7a457a4f", "5a822960", "2c46804d", "5fa3154e", "c7e39ac4",
    "f81c6c05", "e4c6a3b4", "ec7fc408", "358cc4a0", "5f03fc17",
]  # fmt: skip
READABILITY_PAGES = [
    "msn", "daringfireball-1", "heise", "cnet-svg-classes", "medium-1", "quanta-1",
    "topicseed-1", "videos-1", "breitbart", "cnet", "yahoo-3", "aktualne", "salon-1",
    "yahoo-1", "videos-2", "wikipedia-4", "wikia",
    # no demo brand
    "nytimes-1", "nytimes-4", "guardian-1", "cnn",
]  # fmt: skip
# Readability's test pages keep no URL; these are their canonical / og:url links.
READABILITY_URLS = {
    "msn": "http://www.businessinsider.com/super-mario-run-december-15-2016-11",
    "daringfireball-1": "https://daringfireball.net/colophon/",
    "heise": "http://www.heise.de/mac-and-i/meldung/1Password-fuer-Mac-generiert-Einmal-Passwoerter-2596987.html",
    "cnet-svg-classes": "https://www.cnet.com/es/noticias/twitter-lite-america-latina/",
    "medium-1": "https://medium.com/@pippinlee/the-open-journalism-project-better-student-journalism-fb39f4f701bb",
    "quanta-1": "https://www.quantamagazine.org/hidden-heroines-of-chaos-ellen-fetter-and-margaret-hamilton-20190520/",
    "topicseed-1": "https://topicseed.com/blog/content-depth-for-seo",
    "videos-1": "https://www.vox.com/2017-in-review/2017/12/15/16751138/best-movies-2017-streaming-how-to-watch",
    "breitbart": "http://www.breitbart.com/tech/2016/12/22/neutral-snopes-fact-checker-david-emery-un-angry-trump-supporters/",
    "cnet": "https://www.cnet.com/news/zuckerberg-offers-peek-at-facebooks-acquisition-strategies/",
    "yahoo-3": "https://gma.yahoo.com/veteran-wraps-baby-american-flag-photo-sparks-controversy-175203890--abc-news-topstories.html",
    "aktualne": "https://sport.aktualne.cz/fotbal/zahranici/west-ham-hrozi-gigantum-okouzlil-i-linekera-souckovu-praci-j/r~8fa032ba3add11ec8a900cc47ab5f122/",
    "salon-1": "http://www.salon.com/2015/02/01/the_sharing_economy_is_a_lie_uber_ayn_rand_and_the_truth_about_tech_and_libertarians/",
    "yahoo-1": "http://finance.yahoo.com/news/best-psvr-games-170003443.html",
    "videos-2": "https://next.liberation.fr/culture/2017/11/24/screenshot-vape-wave-6-days-alphonse-president_1612047",
    "wikipedia-4": "https://en.wikipedia.org/wiki/List_of_films_featuring_time_loops",
    "wikia": "http://fandom.wikia.com/articles/star-wars-original-cuts-might-get-released-40th-anniversary",
    "nytimes-1": "https://www.nytimes.com/2017/01/13/world/africa/sudan-sanctions.html",
    "nytimes-4": "https://www.nytimes.com/2018/09/25/business/economy/us-government-debt-interest.html",
    "guardian-1": "https://www.theguardian.com/environment/2019/jan/03/what-is-the-sea-telling-us-maori-tribes-fearful-over-whale-strandings",
    "cnn": "http://money.cnn.com/2016/02/01/news/economy/poverty-inequality-united-states/index.html",
}  # fmt: skip

# domain: (outlet, channel, country, language, tier, audience, feed format).
# Every outlet serves RSS, Atom and JSON Feed; the format is the one its demo source
# polls. No source polls JSON Feed: feedparser 6.0 does not read it.
# Tiers and audiences are illustrative demo values, not measurements.
OUTLETS: dict[str, tuple[str, str, str | None, str, int, int, str]] = {
    "reuters.com": ("Reuters", "news", "GB", "en", 1, 40_000_000, "rss"),
    "nytimes.com": ("The New York Times", "news", "US", "en", 1, 90_000_000, "rss"),
    "theguardian.com": ("The Guardian", "news", "GB", "en", 1, 35_000_000, "rss"),
    "bbc.com": ("BBC News", "news", "GB", "en", 1, 100_000_000, "rss"),
    "nbcnews.com": ("NBC News", "news", "US", "en", 1, 45_000_000, "rss"),
    "cbsnews.com": ("CBS News", "news", "US", "en", 1, 30_000_000, "rss"),
    "foxnews.com": ("Fox News", "news", "US", "en", 1, 60_000_000, "rss"),
    "usatoday.com": ("USA Today", "news", "US", "en", 1, 50_000_000, "rss"),
    "cnn.com": ("CNN", "news", "US", "en", 1, 80_000_000, "rss"),
    "theverge.com": ("The Verge", "news", "US", "en", 1, 25_000_000, "atom"),
    "wired.com": ("Wired", "news", "US", "en", 1, 20_000_000, "atom"),
    "businessinsider.com": ("Business Insider", "news", "US", "en", 2, 40_000_000, "rss"),
    "yahoo.com": ("Yahoo", "news", "US", "en", 2, 90_000_000, "rss"),
    "cnet.com": ("CNET", "news", "US", "en", 2, 25_000_000, "rss"),
    "zdnet.com": ("ZDNet", "news", "US", "en", 2, 8_000_000, "rss"),
    "thehill.com": ("The Hill", "news", "US", "en", 2, 20_000_000, "rss"),
    "washingtonexaminer.com": ("Washington Examiner", "news", "US", "en", 2, 10_000_000, "rss"),
    "breitbart.com": ("Breitbart", "news", "US", "en", 2, 15_000_000, "rss"),
    "salon.com": ("Salon", "news", "US", "en", 2, 5_000_000, "rss"),
    "vox.com": ("Vox", "news", "US", "en", 2, 15_000_000, "rss"),
    "smithsonianmag.com": ("Smithsonian Magazine", "news", "US", "en", 2, 6_000_000, "rss"),
    "quantamagazine.org": ("Quanta Magazine", "news", "US", "en", 2, 2_000_000, "rss"),
    "space.com": ("Space.com", "news", "US", "en", 2, 6_000_000, "rss"),
    "spacenews.com": ("SpaceNews", "news", "US", "en", 2, 800_000, "rss"),
    "crn.com": ("CRN", "news", "US", "en", 2, 1_500_000, "rss"),
    "bgr.com": ("BGR", "news", "US", "en", 2, 8_000_000, "rss"),
    "slashgear.com": ("SlashGear", "news", "US", "en", 2, 3_000_000, "rss"),
    "sciencealert.com": ("ScienceAlert", "news", "AU", "en", 2, 5_000_000, "rss"),
    "therealdeal.com": ("The Real Deal", "news", "US", "en", 2, 1_000_000, "rss"),
    "heise.de": ("heise online", "news", "DE", "de", 2, 10_000_000, "rss"),
    "aktualne.cz": ("Aktuálně.cz", "news", "CZ", "cs", 2, 3_000_000, "rss"),
    "liberation.fr": ("Libération", "news", "FR", "fr", 2, 8_000_000, "rss"),
    "wikia.com": ("Fandom", "blog", "US", "en", 2, 20_000_000, "rss"),
    "daringfireball.net": ("Daring Fireball", "blog", "US", "en", 2, 500_000, "rss"),
    "mspoweruser.com": ("MSPoweruser", "blog", None, "en", 3, 1_000_000, "rss"),
    "thespacereview.com": ("The Space Review", "blog", "US", "en", 3, 100_000, "rss"),
    "dealbreaker.com": ("Dealbreaker", "blog", "US", "en", 3, 300_000, "rss"),
    "medium.com": ("Medium", "blog", "US", "en", 3, 1_000_000, "rss"),
    "topicseed.com": ("topicseed", "blog", None, "en", 3, 20_000, "rss"),
    "remember8090.it": ("Remember 80 90", "blog", "IT", "it", 3, 50_000, "rss"),
    "bigbrandsystem.com": ("Big Brand System", "blog", "US", "en", 3, 30_000, "rss"),
    "linknaija.com": ("LinkNaija", "blog", "NG", "en", 3, 100_000, "rss"),
    "beachbodyondemand.com": ("Beachbody On Demand Blog", "blog", "US", "en", 3, 500_000, "rss"),
    "expapp.com": ("Experience", "press_release", "US", "en", 3, 10_000, "rss"),
    "wikipedia.org": ("Wikipedia", "blog", None, "en", 3, 1_000_000, "rss"),
}

# Demo publication times, in hours before "now": spread over the last 21 days by a hash
# of the page id, except pages of one real story, which keep close together (a spike).
SPREAD_HOURS = 21 * 24
STORIES = {
    "c50845a7": 30, "d1c57d78": 33, "c00962aa": 40,  # NASA's commercial lunar landers
    "14cc2a0c": 75, "686bb170": 78,  # water vapour on Europa
    "6ebac05f": 120, "7a457a4f": 122,  # a threat against Rep. Ilhan Omar
    "55bb6340": 150, "eb62ac84": 147,  # Taylor Swift vs Big Machine
}  # fmt: skip
# The demo's brands: three competitive sets whose names really occur in the pages above.
# Queries use Clarion's boolean syntax; ``{Apple}`` is case-sensitive, so "a medium apple"
# in a meal-prep post is not Apple. Spokespeople are the companies' executives of the time
# (2015-2019, when the pages were written), named in the pages where they appear there;
# key messages are illustrative. Every query term occurs in at least one page.
BIG_TECH = ["apple", "google", "amazon", "facebook", "twitter"]
STREAMING = ["netflix", "disney"]
SPACE = ["nasa", "spacex", "blue-origin"]
BRANDS: list[dict[str, Any]] = [
    dict(id="apple", name="Apple", query='{Apple} OR iPhone OR iPad OR AirPods OR "Tim Cook"',
         aliases=["Apple Inc."], owned_domains=["apple.com"], spokespeople=["Tim Cook"],
         key_messages=[
             "Apple is a trusted partner for business and the enterprise.",
             "iPhone, iPad and AirPods work seamlessly together.",
             "Apple builds privacy into every product.",
         ]),
    dict(id="google", name="Google", query="Google OR YouTube OR Stadia",
         aliases=["Alphabet"], owned_domains=["google.com", "blog.google", "youtube.com"],
         spokespeople=["Sundar Pichai"],
         key_messages=[
             "Stadia brings high-quality games to any screen, with no console.",
             "Google Play puts apps and films within everyone's reach.",
             "Google's tools help people find and create great content.",
         ]),
    dict(id="amazon", name="Amazon", query="Amazon OR Alexa",
         aliases=["Amazon.com"], owned_domains=["amazon.com", "aboutamazon.com"],
         spokespeople=["Jeff Bezos", "Andy Jassy"],
         key_messages=[
             "Amazon offers the lowest prices on the best holiday deals.",
             "Alexa makes homes, cars and everyday devices smarter.",
             "Prime Video brings award-winning films to every member.",
         ]),
    dict(id="facebook", name="Facebook",
         query='Facebook OR Instagram OR WhatsApp OR "Mark Zuckerberg" OR "Adam Mosseri"',
         aliases=["Meta Platforms", "Facebook Inc."],
         owned_domains=["facebook.com", "instagram.com", "whatsapp.com", "about.fb.com"],
         spokespeople=["Mark Zuckerberg", "Sheryl Sandberg", "Adam Mosseri"],
         key_messages=[
             "Facebook helps people stay close to friends, family and communities.",
             "Instagram is working to be a healthier, less pressured place to share.",
             "Facebook helps the products it acquires, like Instagram and WhatsApp, grow.",
         ]),
    dict(id="twitter", name="Twitter", query='Twitter OR "Jack Dorsey"',
         aliases=["Twitter Inc."], owned_domains=["twitter.com", "blog.twitter.com"],
         spokespeople=["Jack Dorsey"],
         key_messages=[
             "Twitter is where the public conversation happens, live.",
             "Twitter is committed to healthier public conversation.",
             "Twitter Lite brings Twitter to every network and every phone.",
         ]),
    dict(id="netflix", name="Netflix", query="Netflix",
         aliases=["Netflix Inc."], owned_domains=["netflix.com", "about.netflix.com"],
         spokespeople=["Reed Hastings", "Ted Sarandos"],
         key_messages=[
             "Netflix is home to the best original films, series and documentaries.",
             "Netflix gives artists creative freedom to tell their stories.",
         ]),
    dict(id="disney", name="Disney", query="Disney OR Hulu OR Lucasfilm",
         aliases=["The Walt Disney Company"],
         owned_domains=["disney.com", "thewaltdisneycompany.com", "disneyplus.com", "hulu.com"],
         spokespeople=["Bob Iger"],
         key_messages=[
             "Disney creates stories and experiences that bring families together.",
             "Lucasfilm honours the Star Wars legacy for every generation of fans.",
         ]),
    dict(id="nasa", name="NASA", query='NASA OR "Jim Bridenstine"',
         aliases=["National Aeronautics and Space Administration"], owned_domains=["nasa.gov"],
         spokespeople=["Jim Bridenstine"],
         key_messages=[
             "Artemis will land the first woman and the next man on the Moon by 2024.",
             "NASA works with commercial partners to go to the Moon faster and cheaper.",
             "NASA's science missions search for places where life could exist.",
         ]),
    dict(id="spacex", name="SpaceX", query='SpaceX OR Starship OR "Falcon Heavy"',
         aliases=["Space Exploration Technologies"], owned_domains=["spacex.com"],
         spokespeople=["Elon Musk", "Gwynne Shotwell"],
         key_messages=[
             "Starship will carry crew and cargo to the Moon and Mars.",
             "Reusable rockets make access to space affordable.",
         ]),
    dict(id="blue-origin", name="Blue Origin", query='"Blue Origin" OR "New Glenn"',
         aliases=["Blue Origin LLC"], owned_domains=["blueorigin.com"],
         spokespeople=["Jeff Bezos", "Bob Smith"],
         key_messages=[
             "Blue Moon will deliver cargo and crew to the lunar surface.",
             "Blue Origin builds reusable rockets so that millions can live and work in space.",
         ]),
]  # fmt: skip
for group in (BIG_TECH, STREAMING, SPACE):
    for brand in BRANDS:
        if brand["id"] in group:
            brand["competitors"] = [b for b in group if b != brand["id"]]
FEED_PATHS = {"rss": "feed.xml", "atom": "atom.xml", "json": "feed.json"}
YAML_HEADER = """\
# Clarion demo configuration: the brands and sources of the bundled demo publisher site.
# Generated by service/demo/build_index.py; {base_url} is the demo site's address.
# Tiers and audiences are illustrative demo values.
"""
SUFFIX_TLDS = ("co.uk", "com.br", "co.kr", "com.au")
DESCRIPTION_CHARS = 240


def registrable_domain(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    labels = host.split(".")
    keep = 3 if any(host.endswith("." + s) for s in SUFFIX_TLDS) else 2
    return ".".join(labels[-keep:])


def slugify(text: str, *, limit: int = 80) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:limit].rstrip("-")


def article_slug(url: str, title: str) -> str:
    segments = [s for s in urlsplit(url).path.split("/") if s]
    segments = [re.sub(r"\.(s?html?|php)$", "", s) for s in segments]
    best = max(segments, key=lambda s: len(re.findall(r"[a-zA-Z]", s)), default="")
    if len(re.findall(r"[a-zA-Z]", best)) < 8 or best.lower() in {"index", "colophon"}:
        best = title
    return slugify(best) or "article"


def plain(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def description(text: str) -> str:
    text = plain(text)
    if len(text) <= DESCRIPTION_CHARS:
        return text
    return text[:DESCRIPTION_CHARS].rsplit(" ", 1)[0] + " …"


def zyte_title(page: bytes) -> str:
    doc = lxml.html.fromstring(page.decode("utf-8"))
    for value in doc.xpath('//meta[@property="og:title"]/@content'):
        if str(value).strip():
            return plain(str(value))
    found = doc.find(".//title")
    return plain(found.text_content()) if found is not None else ""


def offset_hours(page_id: str) -> int:
    if page_id in STORIES:
        return STORIES[page_id]
    digest = int(hashlib.sha256(page_id.encode()).hexdigest()[:8], 16)
    return 2 + digest % (SPREAD_HOURS - 2)


def load_pages(data: Path) -> list[dict[str, Any]]:
    """Each chosen page: its id, source file, URL, title, byline, language, text."""
    pages: list[dict[str, Any]] = []
    truth = json.loads((data / ZYTE / "ground-truth.json").read_text("utf-8"))
    for prefix in ZYTE_PAGES:
        (full,) = [k for k in truth if k.startswith(prefix)]
        source = data / ZYTE / "html" / f"{full}.html.gz"
        title = zyte_title(gzip.decompress(source.read_bytes()))
        text = truth[full]["articleBody"]
        pages.append(
            dict(id=f"z-{prefix}", dataset="zyte", source=source, url=truth[full]["url"],
                 title=title, author=None, language=None, text=text, excerpt=None)
        )  # fmt: skip
    for name in READABILITY_PAGES:
        folder = data / READABILITY / "pages" / name
        meta = json.loads((folder / "expected-metadata.json").read_text("utf-8"))
        expected = lxml.html.fromstring((folder / "expected.html").read_text("utf-8"))
        byline = re.sub(r"^by ", "", plain(meta.get("byline") or ""), flags=re.I)
        if re.search(r"\d", byline):  # a date or counter glued to the name: not a byline
            byline = ""
        pages.append(
            dict(id=f"r-{name}", dataset="readability", source=folder / "source.html.gz",
                 url=READABILITY_URLS[name], title=plain(html.unescape(meta["title"])),
                 author=byline.title() if byline.isupper() else byline or None,
                 language=(meta.get("lang") or "")[:2].lower() or None,
                 text=expected.text_content(), excerpt=meta.get("excerpt"))
        )  # fmt: skip
    return pages


def build(data: Path, out: Path) -> list[dict[str, Any]]:
    pages_dir = out / "pages"
    if pages_dir.exists():
        shutil.rmtree(pages_dir)
    pages_dir.mkdir(parents=True)
    records: list[dict[str, Any]] = []
    texts: dict[str, str] = {}
    used: set[tuple[str, str]] = set()
    for page in load_pages(data):
        domain = registrable_domain(page["url"])
        outlet, channel, country, language, tier, audience, fmt = OUTLETS[domain]
        outlet_slug = slugify(outlet)
        slug = article_slug(page["url"], page["title"])
        while (outlet_slug, slug) in used:
            slug += "-2"
        used.add((outlet_slug, slug))
        shutil.copyfile(page["source"], pages_dir / f"{page['id']}.html.gz")
        excerpt = plain(html.unescape(page["excerpt"] or "")) or page["text"]
        records.append(
            dict(id=page["id"], file=f"pages/{page['id']}.html.gz", dataset=page["dataset"],
                 original_url=page["url"], outlet=outlet, outlet_slug=outlet_slug,
                 domain=domain, slug=slug, title=page["title"], author=page["author"],
                 description=description(excerpt), channel=channel, country=country,
                 language=page["language"] or language, outlet_language=language, tier=tier,
                 audience=audience,
                 feed_format=fmt, published_offset_hours=offset_hours(page["id"]))
        )  # fmt: skip
        texts[page["id"]] = plain(page["text"])
    records.sort(key=lambda r: (r["outlet_slug"], r["published_offset_hours"]))
    dumped = json.dumps(records, ensure_ascii=False, indent=1)
    (out / "index.json").write_text(dumped + "\n", "utf-8")
    packed = json.dumps(texts, ensure_ascii=False, sort_keys=True).encode("utf-8")
    (out / "texts.json.gz").write_bytes(gzip.compress(packed, mtime=0))
    write_config(records, out / "clarion-demo.yaml")
    return records


def write_config(records: list[dict[str, Any]], path: Path) -> None:
    """The YAML the lead's config loader reads: brands, then one source per outlet."""
    keys = ("id", "name", "query", "aliases", "competitors", "owned_domains", "spokespeople",
            "key_messages")  # fmt: skip
    brands = [{key: brand[key] for key in keys} for brand in BRANDS]
    sources: dict[str, dict[str, Any]] = {}
    for r in records:
        sources.setdefault(r["outlet_slug"], dict(
            id=r["outlet_slug"],
            url=f"{{base_url}}/{r['outlet_slug']}/{FEED_PATHS[r['feed_format']]}",
            outlet=r["outlet"], domain=r["domain"], channel=r["channel"], country=r["country"],
            language=r["outlet_language"], tier=r["tier"], audience=r["audience"],
        ))  # fmt: skip
    body = yaml.safe_dump(
        {"brands": brands, "sources": list(sources.values())},
        sort_keys=False, allow_unicode=True, width=100,
    )  # fmt: skip
    path.write_text(YAML_HEADER + body, "utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="folder holding the two data sets")
    parser.add_argument("--out", type=Path, default=HERE, help="bundle folder (default: here)")
    args = parser.parse_args(argv)
    records = build(args.data, args.out)
    outlets = {r["outlet_slug"] for r in records}
    print(f"{len(records)} pages, {len(outlets)} outlets written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
