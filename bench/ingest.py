"""Ingest benchmark: the whole pipeline against a local feed farm, next to the same
pages' trafilatura-only extraction rate on the same machine in the same run.

    .venv/bin/python -m bench.ingest --feeds 1000 --items 3

Prints articles/s end to end (poll, fetch, extract, language, brand matching,
sentiment, SQLite write), CPU seconds, peak memory, the extraction-only rate with
the same number of worker processes, and the ratio of the two.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml

from bench.feed_farm import load_pages, page_for, start_farm
from crawlers import extract_article
from service._demo_site import demo_config
from service._runtime import Runtime
from service._settings import Settings


def _cpu_seconds() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def _peak_mib() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return me, children


async def _pipeline(
    base: str, feeds: int, workers: int, data: Path, *, quantize: bool
) -> tuple[int, float, float, dict[str, float]]:
    brands = demo_config("http://unused")["brands"]
    sources = [
        {"id": f"f{i}", "url": f"{base}/f{i}/feed.xml", "outlet": f"Outlet {i}"}
        for i in range(feeds)
    ]
    (data / "bench.yaml").write_text(yaml.safe_dump({"brands": brands, "sources": sources}))
    settings = Settings(
        data_dir=data,
        config_file=data / "bench.yaml",
        crawl=False,
        extract_workers=workers,
        per_host_interval=0.0,  # every feed is on 127.0.0.1: no politeness toward ourselves
        allow_networks=["127.0.0.1/32"],
        per_host_concurrency=64,
        fetch_concurrency=64,
        log_level="warning",
        model_quantize=quantize,
    )
    runtime = await Runtime.start(settings)
    try:
        cpu0, t0 = _cpu_seconds(), time.perf_counter()
        stats = await runtime.pipeline.run_once()
        elapsed, cpu = time.perf_counter() - t0, _cpu_seconds() - cpu0
        created = stats.documents.get("created", 0)
        assert stats.poll_errors == 0 and stats.page_errors == 0, stats
    finally:
        await runtime.stop()
    return created, elapsed, cpu, stats.busy


def _extraction_only(feeds: int, items: int, workers: int) -> tuple[int, float]:
    pages = load_pages()
    jobs = [
        (page_for(i, j, items, pages), f"http://127.0.0.1/f{i}/a{j}.html")
        for i in range(feeds)
        for j in range(items)
    ]
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=spawn) as pool:
        list(pool.map(_extract, jobs[: workers * 2]))  # start and warm the workers
        t0 = time.perf_counter()
        done = sum(1 for r in pool.map(_extract, jobs, chunksize=4) if r)
        elapsed = time.perf_counter() - t0
    return done, elapsed


def _extract(job: tuple[bytes, str]) -> bool:
    html, url = job
    return extract_article(html, url=url) is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=3)
    parser.add_argument("--workers", type=int, default=multiprocessing.cpu_count())
    parser.add_argument("--quantize", action="store_true", help="int8 sentiment model")
    args = parser.parse_args()
    base, farm = start_farm(feeds=args.feeds, items=args.items)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            created, elapsed, cpu, busy = asyncio.run(
                _pipeline(base, args.feeds, args.workers, Path(tmp), quantize=args.quantize)
            )
    finally:
        farm.terminate()
    me, children = _peak_mib()
    extracted, x_elapsed = _extraction_only(args.feeds, args.items, args.workers)
    rate, x_rate = created / elapsed, extracted / x_elapsed
    print(
        f"command: .venv/bin/python -m bench.ingest --feeds {args.feeds} --items {args.items}"
        f" --workers {args.workers}{' --quantize' if args.quantize else ''}"
    )
    print(
        f"feeds {args.feeds}, articles {created} (new documents), "
        f"cores {multiprocessing.cpu_count()}"
    )
    print(f"pipeline:        {rate:7.1f} articles/s  ({elapsed:.1f} s wall, {cpu:.1f} s CPU)")
    steps = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in busy.items())
    print(f"busy (wall seconds in each step's calls, summed over concurrent calls): {steps}")
    print(f"peak RSS:        {me:7.0f} MiB main process, {children:.0f} MiB largest child")
    print(f"extraction only: {x_rate:7.1f} articles/s  ({extracted} pages, {x_elapsed:.1f} s)")
    print(f"ratio pipeline / extraction-only: {rate / x_rate:.0%}")


if __name__ == "__main__":
    main()
