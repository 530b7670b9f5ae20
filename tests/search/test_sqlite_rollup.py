"""The SQLite store's rollups (``search._sqlite_rollup``): kept exact at write
time, and answering ``mention_stats`` as the mentions themselves do; and the
other shortcuts of its read paths (top stories from the syndicated clusters, a
rare word's documents read one by one), each against the path it shortcuts.

Random documents in syndication clusters are saved, saved again with other
mentions, moved to other clusters and deleted by retention, on a real file;
then (1) the tables kept at write time equal a rebuild from the mentions, and
(2) every query shape the rollups serve gives the same rows from the rollups as
from the mentions (``mention_stats(..., rollups=False)``, which
``tests/store_contract/test_stats_reference.py`` holds to the Python reference).
"""

from __future__ import annotations

import dataclasses
import itertools
import random
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from crawlers import Channel, Document
from enrichment import Mention, SentimentLabel, parse_query
from search import CountBy, Dimension, Interval, MentionFilter, SQLiteStore, StatTop
from search import _sqlite_queries as queries
from search._sqlite_counts import mention_counts
from search._sqlite_filters import filters
from search._sqlite_ranking import _top_syndicated
from search._sqlite_rollup import rebuild
from search._sqlite_rollup_stats import rollup_stats
from search._sqlite_stats import mention_stats
from tests.store_contract._data import doc, mention

BRANDS = ("acme", "globex", "initech", "umbrella")
OUTLETS: tuple[tuple[str, Channel, int, str | None, str | None], ...] = (
    ("Daily", "news", 1, "US", "en"),
    ("Wire", "news", 2, "GB", "en"),
    ("Blog", "blog", 3, None, None),
    ("Radio", "podcast", 2, "FR", "fr"),
    ("Gazette", "news", 1, "FR", "fr"),
)
AUTHORS = ("Ann", "Bo", "Cy")
SPEAKERS = ("Jane Roe", "John Doe")
LABELS: tuple[SentimentLabel, ...] = ("negative", "neutral", "positive")
# Around Europe/Paris's and America/New_York's autumn DST changes (25 Oct, 1 Nov 2026).
BASE = datetime(2026, 10, 20, tzinfo=UTC)
ZONES = ("UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata")
# Window edges: mostly on the hour, some on quarter hours (served only by the
# views that keep quarters), some off them (never served).
QUARTERS = (0, 0, 0, 0, 15, 30, 45, 10)
# The filters a view serves: dimension -> (MentionFilter field, values to pick from).
FILTERS: dict[str, tuple[str, tuple[object, ...]]] = {
    "channel": ("channels", ("news", "blog", "podcast")),
    "country": ("countries", ("US", "FR")),
    "language": ("languages", ("en", "fr")),
    "tier": ("tiers", (1, 2, 3)),
    "outlet": ("outlets", ("Daily", "Wire", "Gazette")),
}


def _document(rng: random.Random, doc_id: str, at: datetime) -> Document:
    name, channel, tier, country, language = rng.choice(OUTLETS)
    return doc(doc_id, published_at=at).replace(
        outlet=name,
        domain=f"{name.lower()}.example",
        channel=channel,
        tier=tier,
        audience=rng.choice((10, 100, 1000, 5000)),
        country=country,
        language=language,
        authors=tuple(rng.sample(AUTHORS, rng.choice((0, 1, 1, 2)))),
    )


def _mentions(rng: random.Random, doc_id: str, cluster: str) -> list[Mention]:
    brands = rng.sample(BRANDS, rng.choice((1, 1, 2, 3)))
    return [
        dataclasses.replace(
            mention(doc_id, b, rng.choice(LABELS)),
            cluster_id=cluster,
            spokespeople=tuple(rng.sample(SPEAKERS, rng.choice((0, 0, 1, 2)))),
        )
        for b in brands
    ]


def _writes(seed: int) -> Iterator[tuple[Document, list[Mention]]]:
    """About 250 saves: clusters of 1-6 copies over two weeks, copies up to
    three days after the first, some at the same instant; then re-saves."""
    rng = random.Random(seed)
    saved: list[tuple[Document, list[Mention]]] = []
    for c in range(70):
        first = BASE + timedelta(minutes=rng.randrange(0, 14 * 24 * 60, 15))
        cluster = f"c{c:02d}k0"
        for k in range(rng.choice((1, 1, 1, 2, 3, 6))):
            at = first + (
                timedelta(minutes=rng.choice((0, 0, 45, 300, 2000, 4300))) if k else timedelta(0)
            )
            doc_id = f"c{c:02d}k{k}"
            item = (_document(rng, doc_id, at), _mentions(rng, doc_id, cluster))
            saved.append(item)
            yield item
    # Updates: other mentions, other clusters (a copy found to be another story),
    # other times (a re-dated page).
    for document, _ in rng.sample(saved, 40):
        cluster = rng.choice((document.id, f"c{rng.randrange(70):02d}k0"))
        moved = document.replace(
            text=f"{document.text} (updated)",
            published_at=document.published_at + timedelta(hours=rng.choice((0, 0, 5, -30))),  # type: ignore[operator]
        )
        yield moved, _mentions(rng, document.id, cluster)


def _tables(path: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with sqlite3.connect(path) as conn:
        return (
            conn.execute("SELECT * FROM mention_rollup ORDER BY 1, 2, 3, 4, 5, 6").fetchall(),
            conn.execute("SELECT * FROM mention_clusters ORDER BY 1, 2").fetchall(),
        )


@pytest.fixture
async def filled(tmp_path: Path) -> Path:
    path = tmp_path / "clarion.db"
    store = SQLiteStore(path)
    await store.open()
    try:
        for document, mentions in _writes(seed=7):
            await store.save_document(document, mentions)
        # Retention deletes the first two days (copies of later clusters among them).
        assert await store.delete_before(BASE + timedelta(days=2)) > 0
    finally:
        await store.close()
    return path


async def test_the_rollups_kept_at_write_time_equal_a_rebuild(filled: Path) -> None:
    kept = _tables(filled)
    assert len(kept[0]) > 1000 and len(kept[1]) > 10  # not empty
    with sqlite3.connect(filled, isolation_level=None) as conn:
        rebuild(conn)
    assert _tables(filled) == kept


def _queries(rng: random.Random) -> Iterator[dict[str, object]]:
    """Query shapes the rollups serve, with windows on whole hours that cut clusters."""
    groupings: list[tuple[Dimension, ...]] = [
        ("brand",),
        ("brand", "sentiment"),
        ("brand", "channel"),
        ("brand", "country"),
        ("brand", "language"),
        ("brand", "tier"),
        ("brand", "outlet"),
        ("outlet",),
        ("author",),
        ("brand", "spokesperson"),
        ("brand", "author", "sentiment"),
    ]
    for _ in range(400):
        start = BASE + timedelta(hours=rng.randrange(-24, 14 * 24), minutes=rng.choice(QUARTERS))
        end = start + timedelta(
            hours=rng.choice((1, 5, 24, 30, 24 * 3, 24 * 9, 24 * 20)), minutes=rng.choice(QUARTERS)
        )
        group_by = rng.choice(groupings)
        where = MentionFilter(
            brand_ids=tuple(rng.sample(BRANDS, rng.choice((1, 2, 4)))), start=start, end=end
        )
        grouped = [d for d in group_by if d in FILTERS]
        if rng.random() < 0.4 and (grouped or group_by[1:] in ((), ("sentiment",))):
            dim = grouped[0] if grouped else rng.choice(list(FILTERS))
            field, pool = FILTERS[dim]
            picked = tuple(rng.sample(pool, rng.choice((1, 1, 2))))
            where = dataclasses.replace(where, **{field: picked})
        interval: Interval | None = rng.choice((None, "hour", "day", "week", "month"))
        top = None
        if interval is None and "sentiment" not in group_by and rng.random() < 0.4:
            top = StatTop(by=rng.choice(("mentions", "reach", "copies")), limit=rng.choice((1, 3)))
        yield {
            "where": where,
            "group_by": group_by,
            "interval": interval,
            "tz": ZoneInfo(rng.choice(ZONES)),
            "count": rng.choice(("document", "outlet")),
            "top": top,
        }


def test_the_rollups_answer_as_the_mentions_do(filled: Path) -> None:
    served = 0
    with sqlite3.connect(filled, isolation_level=None) as conn:
        conn.row_factory = sqlite3.Row
        for query in _queries(random.Random(11)):
            options = dict(query)
            where = options.pop("where")
            rolled = mention_stats(conn, where, None, **options)  # type: ignore[arg-type]
            direct = mention_stats(conn, where, None, rollups=False, **options)  # type: ignore[arg-type]
            assert rolled == direct, query
            conn.execute("BEGIN")
            try:
                served += rollup_stats(conn, where, **options) is not None  # type: ignore[arg-type]
            finally:
                conn.execute("COMMIT")
    # Asia/Kolkata (+05:30) buckets are served with quarter hours but for outlet,
    # author and spokesperson.
    assert served > 180, served


@pytest.mark.parametrize(
    ("where", "group_by", "count"),
    [
        # A text query, a sentiment filter, no brand set, an open window.
        (
            MentionFilter(
                brand_ids=("acme",), start=BASE, end=BASE + timedelta(days=3), sentiment="positive"
            ),
            ("brand",),
            "outlet",
        ),
        (MentionFilter(start=BASE, end=BASE + timedelta(days=3)), ("brand",), "outlet"),
        (MentionFilter(brand_ids=("acme",), start=BASE), ("brand",), "outlet"),
        # Two dimensions; a cluster dimension; a window edge off the hour.
        (
            MentionFilter(
                brand_ids=("acme",), start=BASE, end=BASE + timedelta(days=1), channels=("news",)
            ),
            ("brand", "tier"),
            "outlet",
        ),
        (
            MentionFilter(brand_ids=("acme",), start=BASE, end=BASE + timedelta(days=1)),
            ("brand", "cluster"),
            "outlet",
        ),
        (
            MentionFilter(
                brand_ids=("acme",),
                start=BASE + timedelta(minutes=10),
                end=BASE + timedelta(days=1),
            ),
            ("brand",),
            "outlet",
        ),
        # On a quarter hour: only the views of few values keep quarters.
        (
            MentionFilter(
                brand_ids=("acme",),
                start=BASE + timedelta(minutes=30),
                end=BASE + timedelta(days=1),
            ),
            ("brand", "outlet"),
            "outlet",
        ),
        # count="document" with two values of an ungrouped filter: one unit spans them.
        (
            MentionFilter(
                brand_ids=("acme",),
                start=BASE,
                end=BASE + timedelta(days=1),
                channels=("news", "blog"),
            ),
            ("brand",),
            "document",
        ),
    ],
)
def test_what_the_rollups_leave_to_the_mentions(
    filled: Path, where: MentionFilter, group_by: tuple[Dimension, ...], count: CountBy
) -> None:
    with sqlite3.connect(filled, isolation_level=None) as conn:
        conn.row_factory = sqlite3.Row
        options = {"group_by": group_by, "interval": "day", "tz": ZoneInfo("UTC"), "count": count}
        conn.execute("BEGIN")
        try:
            assert rollup_stats(conn, where, top=None, **options) is None  # type: ignore[arg-type]
        finally:
            conn.execute("COMMIT")


def test_a_pair_of_windows_covering_a_cluster_counts_it_once_in_total(filled: Path) -> None:
    """A cluster cut by the boundary between two adjacent windows counts once in
    each with count="document" (a unit per window), as the mentions say."""
    with sqlite3.connect(filled, isolation_level=None) as conn:
        conn.row_factory = sqlite3.Row
        for hours in itertools.islice(itertools.count(48, 7), 30):
            cut = BASE + timedelta(hours=hours)
            for lo, hi in ((BASE, cut), (cut, BASE + timedelta(days=15))):
                where = MentionFilter(brand_ids=BRANDS, start=lo, end=hi)
                options = {
                    "group_by": ("brand",),
                    "interval": "day",
                    "tz": ZoneInfo("UTC"),
                    "count": "document",
                }
                assert mention_stats(conn, where, None, **options) == mention_stats(  # type: ignore[arg-type]
                    conn,
                    where,
                    None,
                    rollups=False,
                    **options,  # type: ignore[arg-type]
                )


def test_the_most_copied_stories_are_read_from_the_syndicated_clusters(filled: Path) -> None:
    """Top stories (by copies) from ``mention_clusters`` when enough clusters have
    two copies in the window, else from every cluster: the same ranking."""
    rng = random.Random(5)
    shortcut = 0
    with sqlite3.connect(filled, isolation_level=None) as conn:
        conn.row_factory = sqlite3.Row
        for _ in range(150):
            start = BASE + timedelta(hours=rng.randrange(0, 14 * 24))
            where = MentionFilter(
                brand_ids=tuple(rng.sample(BRANDS, rng.choice((1, 2)))),
                start=start,
                end=start + timedelta(hours=rng.choice((6, 48, 24 * 7))),
                channels=rng.choice(((), ("news",))),
            )
            top = StatTop(by="copies", limit=rng.choice((1, 2, 5)))
            count: CountBy = rng.choice(("document", "outlet"))
            options = {"group_by": ("cluster",), "tz": ZoneInfo("UTC"), "count": count, "top": top}
            rolled = mention_stats(conn, where, None, interval=None, **options)  # type: ignore[arg-type]
            direct = mention_stats(conn, where, None, interval=None, rollups=False, **options)  # type: ignore[arg-type]
            assert rolled == direct, (where, top, count)
            condition, params = filters(where, None)
            shortcut += _top_syndicated(conn, where, condition, params, count, top) is not None
    assert 20 < shortcut < 150  # both paths were taken


WORDS = ("launch", "recall", "earnings", "lawsuit", "privacy", "merger")


@pytest.mark.parametrize("sort", ["time", "reach", "prominence"])
async def test_a_page_with_a_rare_word_reads_the_matched_documents_as_the_window_walk_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sort: str
) -> None:
    """A text query whose full-text match names few documents is read document by
    document (``small_match``); the pages are those of the walk over the window."""
    rng = random.Random(3)
    store = SQLiteStore(tmp_path / "clarion.db")
    await store.open()
    try:
        for i in range(300):
            at = BASE + timedelta(minutes=rng.randrange(0, 10 * 24 * 60))
            words = " ".join(rng.sample(WORDS[: 1 + i % len(WORDS)], 1))
            document = _document(rng, f"d{i:03d}", at).replace(text=f"Story about {words}.")
            await store.save_document(document, _mentions(rng, document.id, document.id))

        async def pages(where: MentionFilter) -> list[tuple[str, str]]:
            seen, cursor = [], None
            while True:
                page = await store.search_mentions(where, limit=7, cursor=cursor, sort=sort)  # type: ignore[arg-type]
                seen += [(h.mention.document_id, h.mention.brand_id) for h in page.hits]
                if (cursor := page.next_cursor) is None:
                    return seen

        for word, brands in itertools.product(("merger", "launch", "nothing"), ((), ("acme",))):
            where = MentionFilter(
                brand_ids=brands,
                start=BASE + timedelta(days=1),
                end=BASE + timedelta(days=8),
                query=parse_query(word),
            )
            by_document = await pages(where)
            monkeypatch.setattr(queries, "SMALL_MATCH", -1)  # never: walk the window
            walked = await pages(where)
            monkeypatch.undo()
            assert by_document == walked, word
            assert word == "nothing" or by_document  # the words are there
    finally:
        await store.close()


def test_bucket_counts_from_the_rollups_equal_the_mentions_own(filled: Path) -> None:
    """``mention_counts`` (the alert rules' per-bucket counts) through the rollups."""
    rng = random.Random(13)
    served = 0
    with sqlite3.connect(filled, isolation_level=None) as conn:
        conn.row_factory = sqlite3.Row
        for _ in range(120):
            start = BASE + timedelta(hours=rng.randrange(-24, 14 * 24))
            where = MentionFilter(
                brand_ids=tuple(rng.sample(BRANDS, rng.choice((1, 3)))),
                start=start,
                end=start + timedelta(hours=rng.choice((6, 48, 24 * 9))),
            )
            options = {
                "interval": rng.choice(("hour", "day", "week")),
                "tz": ZoneInfo(rng.choice(ZONES)),
                "count": rng.choice(("document", "outlet")),
            }
            rolled = mention_counts(conn, where, None, **options)  # type: ignore[arg-type]
            direct = mention_counts(conn, where, None, rollups=False, **options)  # type: ignore[arg-type]
            assert rolled == direct, (where, options)
            served += bool(direct)
    assert served > 50


def test_quarter_hours_serve_the_days_of_a_half_hour_zone(filled: Path) -> None:
    """Asia/Kolkata's days start at 18:30 UTC: the views of few values answer them."""
    kolkata = ZoneInfo("Asia/Kolkata")
    where = MentionFilter(
        brand_ids=BRANDS,
        start=datetime(2026, 10, 22, tzinfo=kolkata),
        end=datetime(2026, 11, 1, tzinfo=kolkata),
    )
    with sqlite3.connect(filled, isolation_level=None) as conn:
        conn.row_factory = sqlite3.Row
        for group_by, served in (
            (("brand",), True),
            (("brand", "tier"), True),
            (("brand", "outlet"), False),
        ):
            options = {"group_by": group_by, "interval": "day", "tz": kolkata, "count": "document"}
            conn.execute("BEGIN")
            try:
                rolled = rollup_stats(conn, where, top=None, **options)  # type: ignore[arg-type]
            finally:
                conn.execute("COMMIT")
            assert (rolled is not None) == served
            if rolled is not None:
                assert rolled == mention_stats(conn, where, None, rollups=False, **options)  # type: ignore[arg-type]
                assert {r.start.astimezone(kolkata).hour for r in rolled if r.start} == {0}
