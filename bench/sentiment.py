"""Sentiment throughput: mentions (and targets) classified per second on this machine.

    .venv/bin/python -m bench.sentiment

Realistic inputs, two corpora:

- ``demo pages``: the 58 real article pages bundled with the demo, extracted with
  trafilatura (``extract_article``), matched against the 10 demo brands
  (``find_mentions``, the ingest path's defaults): every mention with its real
  targets (title and sentence contexts, at most ``DEFAULT_MAX_TARGETS`` each);
- ``NewsMTSC dev``: the 785 labelled target sentences of the NewsMTSC dev
  splits (``tests/fixtures/sentiment``), one target per "mention".

Each configuration loads the shipped model (``SentimentModel.load``: float32, or
int8 with ``quantize``) with a given torch thread count, warms up on one batch, then
times ``predict_proba`` over every target of the corpus ``--rounds`` times, as the
``Enricher`` calls it (one call per batch of documents). A mention's cost is its
targets' cost, so mentions/s = mentions × rounds / seconds. Figures from a machine
that is busy with anything else are not comparable (torch's threads spin).
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass

from bench.feed_farm import load_pages
from crawlers import ExtractionError, extract_article
from enrichment import Brand, SentimentModel, Target, brand_query, find_mentions
from enrichment._train import load_dev_sets
from service._demo_site import demo_config
from service._schemas_config import BrandCreate


@dataclass(frozen=True)
class Corpus:
    name: str
    mentions: int
    targets: list[Target]


def demo_corpus() -> Corpus:
    brands: list[Brand] = [
        BrandCreate(**b).to_brand() for b in demo_config("http://demo.invalid")["brands"]
    ]
    compiled = [(b, brand_query(b)) for b in brands]
    mentions = 0
    targets: list[Target] = []
    for i, html in enumerate(load_pages()):
        try:
            page = extract_article(html, url=f"http://demo.invalid/{i}")
        except ExtractionError:
            continue
        if page is None:
            continue  # no main text
        for draft in find_mentions(
            document_id=str(i), title=page.title or "", text=page.text, brands=compiled
        ):
            mentions += 1
            targets.extend(draft.targets)
    return Corpus("demo pages", mentions, targets)


def newsmtsc_corpus() -> Corpus:
    sets = load_dev_sets()
    targets = [e.target for name in ("newsmtsc_dev_rw", "newsmtsc_dev_mt") for e in sets[name]]
    return Corpus("NewsMTSC dev", len(targets), targets)


def run(corpus: Corpus, *, threads: int, quantize: bool, rounds: int) -> tuple[float, float]:
    """(mentions/s, targets/s)."""
    model = SentimentModel.load(threads=threads, quantize=quantize)
    model.predict_proba(corpus.targets[: model.batch_size])  # warm-up: first calls allocate
    start = time.perf_counter()
    for _ in range(rounds):
        model.predict_proba(corpus.targets)
    seconds = time.perf_counter() - start
    return corpus.mentions * rounds / seconds, len(corpus.targets) * rounds / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="passes over each corpus")
    parser.add_argument("--limit", type=int, default=0, help="targets per corpus (0: all)")
    args = parser.parse_args()
    corpora = [demo_corpus(), newsmtsc_corpus()]
    if args.limit:
        corpora = [
            Corpus(c.name, min(c.mentions, args.limit), c.targets[: args.limit]) for c in corpora
        ]
    for c in corpora:
        chars = sorted(len(t.text) for t in c.targets)
        print(
            f"{c.name}: {c.mentions} mentions, {len(c.targets)} targets "
            f"({len(c.targets) / max(1, c.mentions):.2f} per mention), context chars "
            f"median {statistics.median(chars):.0f}, p90 {chars[int(0.9 * (len(chars) - 1))]}"
        )
    print("| corpus | model | torch threads | mentions/s | targets/s |")
    print("| --- | --- | --- | --- | --- |")
    for quantize in (False, True):
        for threads in (1, 2):
            for c in corpora:
                per_mention, per_target = run(
                    c, threads=threads, quantize=quantize, rounds=args.rounds
                )
                model = "int8 (batch 1)" if quantize else "float32 (batch 32)"
                print(f"| {c.name} | {model} | {threads} | {per_mention:.1f} | {per_target:.1f} |")
    print(f"command: .venv/bin/python -m bench.sentiment --rounds {args.rounds}")


if __name__ == "__main__":
    main()
