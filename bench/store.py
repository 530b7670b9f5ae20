"""Store benchmark: bulk-index rate and query latency over synthetic mentions.

    .venv/bin/python -m bench.store --mentions 100000            # embedded SQLite, temp dir
    .venv/bin/python -m bench.store --mentions 100000 --es-url https://es.example:9200
    .venv/bin/python -m bench.store --mentions 2000 --osmem      # functional smoke only

Generates ``--mentions`` mentions deterministically (``--seed``): 10 brands of
unequal popularity over 90 days, 60 outlets in three tiers (few large tier-1
outlets, many small tier-3 ones), news-like titles and texts drawn from a fixed
vocabulary, 1 to 3 brands per document; publication times follow a working-day
rhythm. Then it measures:

- **index**: documents (and mentions) per second through ``save_document``,
  ``--concurrency`` saves in flight (the way the pipeline and ``clarion migrate``
  write); every save is durable and visible when it returns;
- **share of voice**: ``mention_counts`` by day over the 10 brands, 90 days,
  in Europe/Paris (what ``/v1/share-of-voice`` asks the store);
- **mention list**: ``search_mentions`` of the 10 brands, 50 per page, the first
  page and a deep page (reached by cursor, ``--deep-page`` pages in), each with
  and without a text query;

reporting p50 and p95 over ``--repeat`` runs after a warm-up. With
``--osmem`` the figures are an in-memory stand-in's and say nothing about
Elasticsearch: the script says so in its output.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

# The same brands, popularity, window and vocabulary as the API benchmark's data set.
from bench._dataset import BRAND_WEIGHTS, BRANDS, DAYS, START, WORDS
from crawlers import Document
from enrichment import Mention, Sentiment, SentimentLabel, parse_query
from search import ElasticsearchConfig, ElasticsearchStore, MentionFilter, SQLiteStore, Store

ZONE = ZoneInfo("Europe/Paris")
PAGE = 50
TEXT_QUERY = "recall OR lawsuit OR (earnings NEAR/5 record)"


def _outlets(rng: random.Random) -> list[tuple[str, int, int, str]]:
    """(name, tier, audience, channel): 6 tier-1, 18 tier-2, 36 tier-3 outlets."""
    out = []
    for i in range(60):
        tier = 1 if i < 6 else 2 if i < 24 else 3
        audience = int(rng.lognormvariate({1: 15, 2: 12.5, 3: 10}[tier], 0.6))
        channel = "blog" if tier == 3 and i % 4 == 0 else "news"
        out.append((f"Outlet {i:02d}", tier, audience, channel))
    return out


def generate(mentions: int, *, seed: int) -> Iterator[tuple[Document, list[Mention]]]:
    """Documents with their mentions until ``mentions`` mentions (deterministic)."""
    rng = random.Random(seed)
    outlets = _outlets(rng)
    outlet_weights = [{1: 8, 2: 3, 3: 1}[tier] for _, tier, _, _ in outlets]
    made = 0
    while made < mentions:
        name, tier, audience, channel = rng.choices(outlets, outlet_weights)[0]
        day = rng.randrange(DAYS)
        hour = min(23, max(0, int(rng.gauss(13, 4))))
        published = START + timedelta(days=day, hours=hour, minutes=rng.randrange(60))
        k = min(mentions - made, rng.choices((1, 2, 3), (70, 22, 8))[0])
        brands: list[str] = []
        while len(brands) < k:
            brand = rng.choices(BRANDS, BRAND_WEIGHTS)[0]
            if brand not in brands:
                brands.append(brand)
        title_words = rng.sample(WORDS, 6)
        text_words = [rng.choice(WORDS) for _ in range(60)]
        for brand in brands:
            text_words.insert(rng.randrange(len(text_words)), brand.title())
        slug = name.lower().replace(" ", "")
        doc_id = f"{rng.getrandbits(80):020x}"
        document = Document(
            id=doc_id,
            url=f"https://{slug}.example/{day}/{doc_id}",
            source_id=slug,
            outlet=name,
            domain=f"{slug}.example",
            title=f"{brands[0].title()} {' '.join(title_words)}",
            text=" ".join(text_words) + ".",
            fetched_at=published + timedelta(minutes=rng.randrange(5, 120)),
            published_at=published,
            channel=channel,  # type: ignore[arg-type]
            tier=tier,
            audience=audience,
            language="en",
        )
        labels: list[SentimentLabel] = rng.choices(
            ("negative", "neutral", "positive"), (2, 5, 3), k=k
        )
        out = [
            Mention(
                document_id=doc_id,
                brand_id=brand,
                sentiment=Sentiment(label, round(rng.uniform(0.5, 1.0), 3)),
                snippets=(f"… {brand.title()} {' '.join(rng.sample(WORDS, 8))} …",),
                in_title=j == 0,
                count=rng.randint(1, 5),
            )
            for j, (brand, label) in enumerate(zip(brands, labels, strict=True))
        ]
        made += k
        yield document, out


async def index(store: Store, mentions: int, *, seed: int, concurrency: int) -> tuple[int, float]:
    """Save every generated document, ``concurrency`` at once; (documents, seconds)."""
    gate = asyncio.Semaphore(concurrency)
    pending: set[asyncio.Task[object]] = set()
    count = 0
    started = time.perf_counter()
    for document, out in generate(mentions, seed=seed):
        await gate.acquire()
        task: asyncio.Task[object] = asyncio.create_task(store.save_document(document, out))
        task.add_done_callback(lambda _: gate.release())
        pending.add(task)
        task.add_done_callback(pending.discard)
        count += 1
    if pending:
        await asyncio.gather(*pending)
    return count, time.perf_counter() - started


async def timed(call: Callable[[], Awaitable[object]], repeat: int) -> tuple[float, float]:
    """p50 and p95 in milliseconds of ``repeat`` calls after 3 warm-up calls."""
    for _ in range(3):
        await call()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95


async def deep_cursor(store: Store, where: MentionFilter, pages: int) -> tuple[str | None, int]:
    """The cursor of page ``pages`` + 1 (or of the last page there is) and its depth."""
    cursor: str | None = None
    depth = 0
    for _ in range(pages):
        page = await store.search_mentions(where, limit=PAGE, cursor=cursor)
        if page.next_cursor is None:
            break
        cursor, depth = page.next_cursor, depth + len(page.hits)
    return cursor, depth


async def queries(store: Store, *, repeat: int, deep_page: int) -> None:
    """Time each query and print its line as soon as it is measured."""
    window = MentionFilter(brand_ids=BRANDS, start=START, end=START + timedelta(days=DAYS))
    texted = MentionFilter(
        brand_ids=BRANDS, start=window.start, end=window.end, query=parse_query(TEXT_QUERY)
    )
    p50, p95 = await timed(partial(store.mention_counts, window, interval="day", tz=ZONE), repeat)
    _report("share of voice: counts by day, 10 brands, 90 days", p50, p95)
    for label, where in (("", window), (f", query {TEXT_QUERY!r}", texted)):
        p50, p95 = await timed(partial(store.search_mentions, where, limit=PAGE), repeat)
        _report(f"mention list: first page of {PAGE}{label}", p50, p95)
        cursor, depth = await deep_cursor(store, where, deep_page)
        p50, p95 = await timed(
            partial(store.search_mentions, where, limit=PAGE, cursor=cursor), repeat
        )
        _report(f"mention list: page at depth {depth}{label}", p50, p95)


def _report(label: str, p50: float, p95: float) -> None:
    print(f"{label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms", flush=True)


@contextlib.asynccontextmanager
async def open_store(args: argparse.Namespace) -> AsyncIterator[tuple[Store, str]]:
    if args.es_url or args.osmem:
        server = None
        if args.osmem:
            from osmem_server import OsmemServer

            from tests._elasticsearch import PlainJsonNode

            server = OsmemServer.start(japanese=False)
            config = ElasticsearchConfig(
                url=server.url, client_options={"node_class": PlainJsonNode}
            )
        else:
            config = ElasticsearchConfig(url=args.es_url, request_timeout=120.0)
        prefix = f"bench-{uuid.uuid4().hex[:8]}"
        cluster = ElasticsearchStore(config, index_prefix=prefix)
        await cluster.open()
        try:
            yield (
                cluster,
                "osmem (functional stand-in)" if server else f"Elasticsearch {args.es_url}",
            )
        finally:
            client = cluster.client
            found = await client.indices.get(index=f"{prefix}-*", allow_no_indices=True)
            for name in found.body:
                await client.indices.delete(index=name)
            await cluster.close()
            if server is not None:
                server.close()
        return
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        store = SQLiteStore(Path(tmp) / "bench.db")
        await store.open()
        try:
            yield store, "embedded SQLite (temp dir)"
        finally:
            await store.close()


async def run(args: argparse.Namespace) -> None:
    command = (
        f".venv/bin/python -m bench.store --mentions {args.mentions} --seed {args.seed}"
        f" --concurrency {args.concurrency} --repeat {args.repeat} --deep-page {args.deep_page}"
        + (" --osmem" if args.osmem else f" --es-url {args.es_url}" if args.es_url else "")
    )
    print(f"command: {command}")
    async with open_store(args) as (store, backend):
        print(f"backend: {backend}")
        if args.osmem:
            print("NOTE: osmem is an in-memory stand-in; these timings are NOT Elasticsearch's.")
        documents, seconds = await index(
            store, args.mentions, seed=args.seed, concurrency=args.concurrency
        )
        print(
            f"index: {documents} documents, {args.mentions} mentions in {seconds:.1f} s = "
            f"{documents / seconds:.0f} documents/s, {args.mentions / seconds:.0f} mentions/s",
            flush=True,
        )
        await queries(store, repeat=args.repeat, deep_page=args.deep_page)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=32, help="saves in flight")
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per query")
    parser.add_argument("--deep-page", type=int, default=100, help="pages in for the deep page")
    parser.add_argument("--es-url", help="benchmark this Elasticsearch cluster instead")
    parser.add_argument("--osmem", action="store_true", help="a local osmem-server (smoke only)")
    parser.add_argument("--tmp", help="folder for the temporary SQLite file")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
