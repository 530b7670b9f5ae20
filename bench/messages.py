"""What key messages and syndication cost at ingest, per document.

    .venv/bin/python -m bench.messages [--threads 1] [--rounds 3]

The 58 demo pages' texts (``service/demo/texts.json.gz``) with the demo
brands (``service/demo/clarion-demo.yaml``, each with key messages) go
through the ``Enricher`` in batches of 16 (the pipeline's ``ENRICH_BATCH``)
without and with a ``MessageFinder``; the difference is the extra time of
key messages. Syndication sketches (MinHash + band keys) are timed on the
same texts. Best of ``--rounds`` for each, after one warm-up round (which
also fills the finder's key-message cache, as the first documents of a
running Clarion do). Wall time and the process's CPU time are both printed:
on a shared machine the CPU time moves less; the load average is printed at
the start and the end.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import yaml

from crawlers import Document
from enrichment import Brand, Enricher, MessageFinder, SentenceEncoder, SentimentModel
from enrichment._messages import MAX_SENTENCES
from enrichment._syndication import sketch

DEMO = Path(__file__).resolve().parents[1] / "service" / "demo"
BATCH = 16


def _documents() -> list[Document]:
    texts: dict[str, str] = json.loads(gzip.decompress((DEMO / "texts.json.gz").read_bytes()))
    now = datetime.now(UTC)
    return [
        Document(
            id=f"d{n}",
            url=f"https://demo.example/{key}",
            source_id="demo",
            outlet="Demo",
            domain="demo.example",
            title="",
            text=text,
            fetched_at=now,
        )
        for n, (key, text) in enumerate(sorted(texts.items()))
    ]


def _brands() -> list[Brand]:
    config = yaml.safe_load((DEMO / "clarion-demo.yaml").read_text(encoding="utf-8"))
    return [
        Brand(
            id=b["id"],
            name=b["name"],
            query=b.get("query", ""),
            aliases=tuple(b.get("aliases") or ()),
            key_messages=tuple(b.get("key_messages") or ()),
        )
        for b in config["brands"]
    ]


async def _time(enricher: Enricher, documents: list[Document]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (this process, every thread) and mentions of one pass."""
    start, cpu = time.perf_counter(), time.process_time()
    mentions = 0
    for at in range(0, len(documents), BATCH):
        for _, found in await enricher.enrich(documents[at : at + BATCH]):
            mentions += len(found)
    return time.perf_counter() - start, time.process_time() - cpu, mentions


async def main(threads: int, rounds: int, max_sentences: int) -> None:
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    documents, brands = _documents(), _brands()
    model = SentimentModel.load(threads=threads)
    finder = MessageFinder(
        SentenceEncoder.load(threads=threads), sentiment=model, max_sentences=max_sentences
    )
    plain = Enricher(brands=brands, sentiment=model)
    full = Enricher(brands=brands, sentiment=model, messages=finder)
    results: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for name, enricher in (("plain", plain), ("messages", full)):
        await _time(enricher, documents)  # warm-up
        timed = [await _time(enricher, documents) for _ in range(rounds)]
        results[name] = min(t[0] for t in timed)
        cpu[name] = min(t[1] for t in timed)
    mentions = (await _time(plain, documents))[2]
    with_messages = sum(
        1
        for _, found in await full.enrich(documents)
        for m in found
        if any(b.id == m.brand_id and b.key_messages for b in brands)
    )
    sketches = min(_timed(lambda: [sketch(d.text) for d in documents]) for _ in range(rounds))
    n = len(documents)
    extra = results["messages"] - results["plain"]
    extra_cpu = cpu["messages"] - cpu["plain"]
    print(f"documents {n}, mentions {mentions} ({with_messages} of brands with key messages)")
    for label, name in (("without", "plain"), ("with", "messages")):
        print(
            f"enrich {label} key messages: {results[name] * 1000 / n:.1f} ms/document wall, "
            f"{cpu[name] * 1000 / n:.1f} ms CPU"
        )
    print(
        f"extra for key messages: {extra * 1000 / n:.1f} ms/document wall "
        f"({extra * 1000 / max(1, with_messages):.1f} ms per mention with key messages), "
        f"{extra_cpu * 1000 / n:.1f} ms/document CPU"
    )
    print(f"syndication sketch: {sketches * 1000 / n:.1f} ms/document")
    print("load average at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-sentences", type=int, default=MAX_SENTENCES)
    args = parser.parse_args()
    asyncio.run(main(args.threads, args.rounds, args.max_sentences))
