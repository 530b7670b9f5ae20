"""``Store.mention_stats`` against a plain-Python reference, on every backend.

The reference is ``search._stats``' folding (``document_rows`` for
``count="document"``, ``outlet_rows`` for ``count="outlet"``) applied to parts
built here, one per mention, straight from the documents and mentions that were
saved: it is the rule the stores implemented in Python before the SQLite store
moved syndicated counting into SQL, so the two must agree exactly.

The data set is seeded and small, but made of the cases that decide a unit:
clusters whose copies share an instant with different sentiments, several
copies in one outlet with different audiences, clusters that straddle the
window's edges and a DST change (Europe/Paris, 2026-10-25), documents with
several authors or none, and markets left empty.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from crawlers import Channel, Document
from enrichment import Mention, SentimentLabel
from search import CountBy, Dimension, Interval, MentionFilter, SQLiteStore, StatRow, Store
from search._buckets import bucket_start
from search._stats import CopyPart, OutletPart, document_rows, outlet_rows, part_dimensions
from tests.store_contract._data import doc, mention

PARIS = ZoneInfo("Europe/Paris")
KATHMANDU = ZoneInfo("Asia/Kathmandu")
BRANDS = ("acme", "globex", "initech")
OUTLETS: tuple[tuple[str, Channel, int, str | None], ...] = (
    ("Daily", "news", 1, "US"),
    ("Wire", "news", 2, "GB"),
    ("Blog", "blog", 3, None),
    ("Radio", "podcast", 2, "FR"),
)
AUTHORS = ("Ann", "Bo", "Cy")
DST_END = datetime(2026, 10, 25, 1, 0, tzinfo=UTC)  # Paris: 03:00 CEST -> 02:00 CET
LABELS: tuple[SentimentLabel, ...] = ("negative", "neutral", "positive")

Saved = list[tuple[Document, list[Mention]]]


def dataset(seed: int) -> Saved:
    """About 60 documents in 12 clusters around the DST change (see the docstring)."""
    rng = random.Random(seed)
    saved: Saved = []
    for c in range(12):
        brands = rng.sample(BRANDS, rng.choice((1, 1, 2, 3)))
        first = DST_END + timedelta(hours=rng.randrange(-60, 60), minutes=rng.choice((0, 15, 30)))
        for k in range(rng.choice((1, 1, 2, 4, 7))):
            name, channel, tier, country = rng.choice(OUTLETS)
            # Copies at the very same instant as another (ties) are frequent on purpose.
            at = first + timedelta(hours=rng.choice((0, 0, 1, 5, 30)) if k else 0)
            doc_id = f"c{c:02d}k{k}"
            document = doc(doc_id, published_at=at).replace(
                outlet=name,
                domain=f"{name.lower()}.example",
                channel=channel,
                tier=tier,
                audience=rng.choice((10, 100, 1000, 1000)),
                country=country,
                language=rng.choice(("en", "fr", None)),
                authors=tuple(rng.sample(AUTHORS, rng.choice((0, 1, 1, 2)))),
            )
            mentions = [
                dataclasses.replace(
                    mention(doc_id, b, rng.choice(LABELS)), cluster_id=f"c{c:02d}k0"
                )
                for b in brands
            ]
            saved.append((document, mentions))
    return saved


def reference(
    saved: Saved,
    where: MentionFilter,
    *,
    group_by: tuple[Dimension, ...],
    interval: Interval | None,
    tz: ZoneInfo,
    count: CountBy,
) -> list[StatRow]:
    """The Python folding over parts built from ``saved`` (``where``'s brands,
    window and channels only)."""
    dims = part_dimensions(group_by)
    bucket: Callable[[datetime], datetime | None] = (
        (lambda at: None)
        if interval is None
        else (lambda at: bucket_start(at, interval=interval, tz=tz))
    )

    def parts() -> Iterator[tuple[dict[Dimension, object], Document, Mention, datetime]]:
        for document, mentions in saved:
            at = document.published_at
            assert at is not None
            if where.start is not None and at < where.start:
                continue
            if where.end is not None and at >= where.end:
                continue
            if where.channels and document.channel not in where.channels:
                continue
            for m in mentions:
                if where.brand_ids and m.brand_id not in where.brand_ids:
                    continue
                values: dict[Dimension, object] = {
                    "brand": m.brand_id,
                    "channel": document.channel,
                    "country": document.country,
                    "language": document.language,
                    "tier": document.tier,
                    "outlet": document.outlet,
                    "cluster": m.cluster_id,
                }
                for author in (document.authors or (None,)) if "author" in dims else (None,):
                    row = {**values, "author": author}
                    yield {d: row[d] for d in dims}, document, m, at

    if count == "outlet":
        return outlet_rows(
            (
                OutletPart(bucket(at), d, m.sentiment.label, 1, document.audience)  # type: ignore[arg-type]
                for d, document, m, at in parts()
            ),
            group_by=group_by,
        )
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return document_rows(
        (
            CopyPart(
                dims=d,  # type: ignore[arg-type]
                cluster=str(m.cluster_id),
                outlet=document.outlet,
                sentiment=m.sentiment.label,
                first_us=(at - epoch) // timedelta(microseconds=1),
                audience=document.audience,
            )
            for d, document, m, at in parts()
        ),
        group_by=group_by,
        bucket=None
        if interval is None
        else (
            lambda us: bucket_start(epoch + timedelta(microseconds=us), interval=interval, tz=tz)
        ),
    )


async def save(store: Store, saved: Saved) -> None:
    for document, mentions in saved:
        await store.save_document(document, mentions)


GROUPINGS: list[tuple[Dimension, ...]] = [
    ("brand",),
    ("brand", "sentiment"),
    ("brand", "channel"),
    ("brand", "country"),
    ("brand", "tier"),
    ("brand", "outlet"),
    ("cluster",),
    ("outlet",),
    ("author",),
    ("brand", "author", "sentiment"),
]
WINDOWS = [
    MentionFilter(),
    MentionFilter(brand_ids=("acme", "globex")),
    # Cuts clusters: some units lose their first copies to the window's start.
    MentionFilter(start=DST_END - timedelta(hours=7), end=DST_END + timedelta(hours=31)),
    MentionFilter(brand_ids=("initech",), channels=("news", "podcast")),
    # Brand sets over windows on whole hours: the SQLite store answers these from
    # its rollups (search._sqlite_rollup), cut clusters included.
    MentionFilter(
        brand_ids=BRANDS, start=DST_END - timedelta(days=3), end=DST_END + timedelta(days=3)
    ),
    MentionFilter(
        brand_ids=("acme", "globex"),
        start=DST_END - timedelta(hours=7),
        end=DST_END + timedelta(hours=31),
    ),
    MentionFilter(
        brand_ids=("initech", "acme"),
        channels=("news",),
        start=DST_END - timedelta(hours=30),
        end=DST_END + timedelta(days=2),
    ),
]


@pytest.mark.parametrize("count", ["document", "outlet"])
@pytest.mark.parametrize("seed", [1, 2])
async def test_stats_equal_the_python_reference(store: Store, seed: int, count: CountBy) -> None:
    saved = dataset(seed)
    await save(store, saved)
    checked = 0
    for where in WINDOWS:
        for group_by in GROUPINGS:
            for interval, tz in (
                (None, UTC),
                ("hour", KATHMANDU),
                ("hour", PARIS),
                ("day", PARIS),
                ("week", PARIS),
                ("month", PARIS),
            ):
                zone = ZoneInfo("UTC") if tz is UTC else tz
                options = {"group_by": group_by, "interval": interval, "tz": zone, "count": count}
                found = await store.mention_stats(where, **options)  # type: ignore[arg-type]
                expected = reference(saved, where, **options)  # type: ignore[arg-type]
                assert found == expected, (where, options)
                checked += len(expected)
    assert checked > 500  # the data set is not empty under these filters


async def test_units_across_a_local_mean_time_boundary(store: Store) -> None:
    """Paris kept local mean time (+0:09:21) until 1911-03-11: day boundaries fall
    inside 15-minute UTC slots, which the SQLite store re-reads per instant."""
    if not isinstance(store, SQLiteStore):
        pytest.skip("SQLite's slot folding; Elasticsearch buckets natively")
    midnight = datetime(1900, 1, 2, tzinfo=PARIS).astimezone(UTC)  # 23:50:39 UTC
    saved: Saved = []
    for i, (offset, label, cluster) in enumerate(
        [
            (-60, "positive", "x"),
            (30, "negative", "x"),
            (-30, "neutral", "y"),
            (45, "positive", "z"),
        ]
    ):
        document = doc(f"lmt{i}", published_at=midnight + timedelta(seconds=offset))
        m = dataclasses.replace(mention(f"lmt{i}", "acme", label), cluster_id=cluster)  # type: ignore[arg-type]
        saved.append((document, [m]))
    await save(store, saved)
    # Open (slots folded in Python) and bounded (buckets numbered in SQL) windows.
    bounded = MentionFilter(start=midnight - timedelta(days=2), end=midnight + timedelta(days=2))
    for where, count in itertools.product((MentionFilter(), bounded), ("document", "outlet")):
        options = {"group_by": ("brand",), "interval": "day", "tz": PARIS, "count": count}
        found = await store.mention_stats(where, **options)  # type: ignore[arg-type]
        assert found == reference(saved, where, **options)  # type: ignore[arg-type]
        assert [r.start.date() for r in found if r.start] == [
            datetime(1900, 1, 1).date(),
            datetime(1900, 1, 2).date(),
        ]
