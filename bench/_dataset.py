"""A large synthetic coverage data set written straight into a SQLite store file.

``build(path, mentions=..., seed=...)`` creates the store's schema (by opening a
real ``SQLiteStore``), registers 10 brands (each with 4 competitors), then writes
documents and mentions in large transactions with the same statements and the
same row encodings as ``SQLiteStore.save_document`` (``search._sqlite_codec``,
``search._fts.index_text``): the rows are what the store writes, without the
per-document transaction and ``fsync`` of the ingest path. Documents are saved
without MinHash signatures (no ``syndication`` rows; a document saved with an
empty signature gets none either), but their mentions carry syndication clusters.

The data (deterministic for a seed), over ``DAYS`` days from ``START``, in time order:

- brands of long-tail popularity (``BRAND_WEIGHTS``), 1 to 3 per document;
- 60 outlets in 3 tiers (few large tier-1 ones publish most), channels news /
  blog / press_release / podcast, markets US, GB, FR, DE, IN, JP;
- about ``SYNDICATED`` of the documents are copies of a story published up to
  two days earlier by another outlet (same brands, same cluster); a story gets
  one to several copies;
- sentiment 2:5:3 negative / neutral / positive, skewed per brand;
- 1 or 2 authors per document from each outlet's staff, a few without author.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crawlers import Channel, Document
from enrichment import Brand, Mention, Sentiment, SentimentLabel
from search import SQLiteStore
from search._fts import index_text
from search._sqlite_codec import DOCUMENT_COLUMNS, MENTION_COLUMNS, document_values, mention_values
from search._sqlite_rollup import rebuild

__all__ = [
    "BRANDS",
    "BRAND_WEIGHTS",
    "DAYS",
    "START",
    "WORDS",
    "brands",
    "build",
    "generate",
    "summary",
]

BRANDS = (
    "apple",
    "samsung",
    "google",
    "microsoft",
    "amazon",
    "meta",
    "nvidia",
    "intel",
    "sony",
    "ibm",
)
# Relative popularity (share of mentions before co-mentions): a long tail, like real coverage.
BRAND_WEIGHTS = (24, 18, 16, 12, 10, 7, 5, 4, 2.5, 1.5)
DAYS = 90
START = datetime(2026, 6, 1, tzinfo=UTC)
# Share of documents that are syndicated copies (the brief: ~10% syndicated).
SYNDICATED = 0.10
# Documents per transaction: large enough that commits cost nothing, small
# enough that the generator's lists stay a few hundred MB at most.
BATCH = 20_000
_MARKETS = (
    ("US", "en", 40),
    ("GB", "en", 20),
    ("FR", "fr", 12),
    ("DE", "de", 12),
    ("IN", "en", 10),
    ("JP", "ja", 6),
)
WORDS = (
    "market shares investors quarter earnings revenue record growth analysts forecast launch "
    "device chip cloud service users privacy regulators lawsuit recall battery update software "
    "security breach data centre factory supply chain prices customers rivals deal acquisition "
    "partnership chief executive said statement announced report week year percent billion "
    "million sales demand outlook strike workers union europe china india america court ruling "
    "fine antitrust probe ai model assistant search advertising streaming games console phone"
).split()


@dataclass(frozen=True, slots=True)
class _Outlet:
    name: str
    tier: int
    audience: int
    channel: Channel
    country: str
    language: str
    staff: tuple[str, ...]


def _outlets(rng: random.Random) -> list[_Outlet]:
    out = []
    for i in range(60):
        tier = 1 if i < 6 else 2 if i < 24 else 3
        audience = int(rng.lognormvariate({1: 15, 2: 12.5, 3: 10}[tier], 0.6))
        channel: Channel = (
            "blog"
            if tier == 3 and i % 4 == 0
            else "press_release"
            if i % 15 == 7
            else "podcast"
            if i % 20 == 11
            else "news"
        )
        country, language, _ = rng.choices(_MARKETS, [w for *_, w in _MARKETS])[0]
        staff = tuple(f"Author {i:02d}-{j}" for j in range({1: 12, 2: 6, 3: 3}[tier]))
        out.append(_Outlet(f"Outlet {i:02d}", tier, audience, channel, country, language, staff))
    return out


def brands() -> list[Brand]:
    """The 10 brands; each one's competitive set is itself and the next 4."""
    return [
        Brand(
            id=b,
            name=b.title(),
            query=b.title(),
            competitors=tuple(BRANDS[(i + k) % len(BRANDS)] for k in range(1, 5)),
        )
        for i, b in enumerate(BRANDS)
    ]


@dataclass(slots=True)
class _Story:
    doc: Document
    mentions: list[Mention]
    outlets: set[str]


def generate(mentions: int, *, seed: int) -> Iterator[tuple[Document, list[Mention], str]]:
    """(document, its mentions, its cluster id) in publication order until ``mentions``."""
    rng = random.Random(seed)
    outlets = _outlets(rng)
    weights = [{1: 8, 2: 3, 3: 1}[o.tier] for o in outlets]
    # Per-brand sentiment skew: (negative, neutral, positive) weights.
    moods = {b: (2 + rng.random() * 2, 5, 2 + rng.random() * 2) for b in BRANDS}
    per_day = mentions / DAYS / 1.38  # about 1.38 mentions per document
    recent: list[_Story] = []  # originals of the last two days, copy sources
    made = 0
    day = 0
    while made < mentions:
        day_docs = int(
            per_day * (0.55 if (START + timedelta(days=day % DAYS)).weekday() >= 5 else 1.15)
        )
        times = sorted(
            START
            + timedelta(
                days=day % DAYS,
                minutes=min(1439, max(0, int(rng.gauss(13 * 60, 240)))),
                seconds=rng.randrange(60),
            )
            for _ in range(day_docs)
        )
        cutoff = times[0] - timedelta(days=2) if times else START
        recent = [s for s in recent if s.doc.published_at and s.doc.published_at >= cutoff][-5000:]
        for published in times:
            if made >= mentions:
                return
            outlet = rng.choices(outlets, weights)[0]
            doc_id = f"{rng.getrandbits(80):020x}"
            source: _Story | None = None
            if recent and rng.random() < SYNDICATED:
                source = recent[min(len(recent) - 1, int(rng.expovariate(1 / 200)))]
                if outlet.name in source.outlets:
                    source = None
            if source is not None:
                source.outlets.add(outlet.name)
                brand_ids = [m.brand_id for m in source.mentions][: mentions - made]
                title, text, cluster = source.doc.title, source.doc.text, source.doc.id
            else:
                k = min(mentions - made, rng.choices((1, 2, 3), (70, 22, 8))[0])
                brand_ids = []
                while len(brand_ids) < k:
                    b = rng.choices(BRANDS, BRAND_WEIGHTS)[0]
                    if b not in brand_ids:
                        brand_ids.append(b)
                words = [rng.choice(WORDS) for _ in range(60)]
                for b in brand_ids:
                    words.insert(rng.randrange(len(words)), b.title())
                title = f"{brand_ids[0].title()} {' '.join(rng.sample(WORDS, 6))}"
                text, cluster = " ".join(words) + ".", doc_id
            slug = outlet.name.lower().replace(" ", "")
            authors = (
                ()
                if rng.random() < 0.08
                else tuple(
                    rng.sample(outlet.staff, min(len(outlet.staff), rng.choice((1, 1, 1, 2))))
                )
            )
            doc = Document(
                id=doc_id,
                url=f"https://{slug}.example/{published:%Y/%m/%d}/{doc_id}",
                source_id=slug,
                outlet=outlet.name,
                domain=f"{slug}.example",
                title=title,
                text=text,
                fetched_at=published + timedelta(minutes=rng.randrange(5, 120)),
                published_at=published,
                channel=outlet.channel,
                country=outlet.country,
                tier=outlet.tier,
                audience=outlet.audience,
                language=outlet.language,
                authors=authors,
            )
            out = []
            for j, b in enumerate(brand_ids):
                label: SentimentLabel = rng.choices(("negative", "neutral", "positive"), moods[b])[
                    0
                ]
                out.append(
                    Mention(
                        document_id=doc_id,
                        brand_id=b,
                        sentiment=Sentiment(label, round(rng.uniform(0.5, 1.0), 3)),
                        snippets=(f"… {b.title()} {' '.join(rng.sample(WORDS, 8))} …",),
                        in_title=j == 0,
                        in_lead=rng.random() < 0.4,
                        count=rng.randint(1, 5),
                    )
                )
            if source is None:
                recent.append(_Story(doc, out, {outlet.name}))
            made += len(out)
            yield doc, out, cluster
        day += 1


def _write(conn: sqlite3.Connection, batch: list[tuple[Document, list[Mention], str]]) -> None:
    """The inserts of ``SQLiteStore.save_document`` for new documents, one transaction."""
    doc_slots = ", ".join("?" * len(DOCUMENT_COLUMNS.split(",")))
    mention_slots = ", ".join("?" * len(MENTION_COLUMNS.split(",")))
    conn.execute("BEGIN IMMEDIATE")
    first = conn.execute("SELECT COALESCE(MAX(pk), 0) + 1 FROM documents").fetchone()[0]
    docs: list[tuple[object, ...]] = []
    fts: list[tuple[object, ...]] = []
    rows: list[tuple[object, ...]] = []
    for i, (doc, out, cluster) in enumerate(batch):
        pk = first + i
        docs.append((pk, *document_values(doc)))
        fts.append((pk, index_text(doc.title), index_text(doc.text)))
        rows.extend((pk, *mention_values(doc, m, cluster_id=cluster)) for m in out)
    conn.executemany(
        f"INSERT INTO documents (pk, {DOCUMENT_COLUMNS}) VALUES (?, {doc_slots})", docs
    )
    conn.executemany("INSERT INTO documents_fts (rowid, title, text) VALUES (?, ?, ?)", fts)
    conn.executemany(f"INSERT INTO mentions ({MENTION_COLUMNS}) VALUES ({mention_slots})", rows)
    conn.execute("COMMIT")


async def _schema(path: Path) -> None:
    store = SQLiteStore(path)
    await store.open()
    try:
        for brand in brands():
            await store.put_brand(brand)
    finally:
        await store.close()


def build(path: Path, *, mentions: int, seed: int) -> tuple[int, int]:
    """Create ``path`` with the data set; (documents, mentions) written.

    Writes into ``path``.partial and renames it when complete, so an interrupted
    build is never taken for a cached one."""
    partial = path.with_name(path.name + ".partial")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    asyncio.run(_schema(partial))
    conn = sqlite3.connect(partial, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")  # a crash only loses the .partial file
    conn.execute("PRAGMA cache_size = -262144")  # 256 MiB: index pages stay in memory
    documents = written = 0
    batch: list[tuple[Document, list[Mention], str]] = []
    for item in generate(mentions, seed=seed):
        batch.append(item)
        if len(batch) == BATCH:
            _write(conn, batch)
            documents += len(batch)
            written += sum(len(m) for _, m, _ in batch)
            print(f"  {documents} documents, {written} mentions", flush=True)
            batch = []
    if batch:
        _write(conn, batch)
        documents += len(batch)
        written += sum(len(m) for _, m, _ in batch)
    rebuild(conn)  # the rows were written around the store: its rollups from them
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    # What a running store does on close (planner statistics), via the store itself.
    asyncio.run(_schema(partial))
    partial.rename(path)
    for suffix in ("-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    return documents, written


def summary(path: Path) -> dict[str, object]:
    """Counts that describe a built data set (for the benchmark's output)."""
    conn = sqlite3.connect(path)
    try:
        (docs,) = conn.execute("SELECT COUNT(*) FROM documents").fetchone()
        ments, clusters = conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT cluster_id) FROM mentions"
        ).fetchone()
        (copies,) = conn.execute(
            "SELECT COUNT(*) FROM mentions WHERE cluster_id != document_id"
        ).fetchone()
        return {
            "documents": docs,
            "mentions": ments,
            "clusters": clusters,
            "syndicated_mentions": copies,
            "by_sentiment": dict(
                conn.execute("SELECT sentiment, COUNT(*) FROM mentions GROUP BY 1").fetchall()
            ),
            "bytes": path.stat().st_size,
        }
    finally:
        conn.close()
