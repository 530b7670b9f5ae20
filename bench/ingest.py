"""Ingest benchmark: the whole pipeline against a local feed farm, next to the same
pages' trafilatura-only extraction rate on the same machine in the same run.

    .venv/bin/python -m bench.ingest --feeds 1000 --items 3

Prints articles/s end to end (poll, fetch, extract, language, brand matching,
sentiment, key messages, syndication, SQLite write), CPU seconds (the main process and
its extraction workers, read from /proc; the feed farm's own printed apart), peak memory, the
extraction-only rate and CPU with the same number of worker processes, measured just
before and just after the pipeline, and the ratio of the pipeline's rate to their mean.
Both legs start the clock once every worker has started and done its one-time set-up
(``crawlers.warm_extraction``, the pool's initializer, as in ``clarion serve``).
``--brands none`` tracks no brand, so no mention is found and no model runs:
what the crawl itself costs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import sqlite3
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml

from bench._proc import proc_stat
from bench.feed_farm import load_pages, page_for, start_farm
from crawlers import extract_article, warm_extraction
from service._demo_site import demo_config
from service._runtime import Runtime, run_event_loop
from service._settings import Settings


def _family(*, leave_out: int) -> list[tuple[int, float]]:
    """(pid, CPU seconds) of this process and its live descendants (the extraction
    workers), without the ``leave_out`` process (the feed farm) and its descendants."""
    stats: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stats[int(entry)] = proc_stat(int(entry))
            except (FileNotFoundError, ProcessLookupError):
                continue
    wanted, found = {os.getpid()}, []
    while wanted:
        pid = wanted.pop()
        if pid in stats:
            found.append((pid, stats[pid][1]))
        wanted |= {p for p, (parent, _) in stats.items() if parent == pid and p != leave_out}
    return found


def _cpu_seconds(*, leave_out: int) -> float:
    return sum(cpu for _, cpu in _family(leave_out=leave_out))


def _reset_peak() -> None:
    """Start this process's peak RSS (VmHWM) afresh, so that ``_peak_mib`` reads this
    pipeline leg's peak, not the highest of every leg and run before it in the process."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _peak_mib(*, leave_out: int) -> tuple[float, float]:
    """Peak RSS (VmHWM) of this process and of its largest live descendant, in MiB.
    Read from /proc: getrusage's figure for children is carried across exec, so a
    worker spawned by a large parent would report the parent's size."""
    peaks = {}
    for pid, _ in _family(leave_out=leave_out):
        try:
            with open(f"/proc/{pid}/status") as f:
                line = next(x for x in f if x.startswith("VmHWM:"))
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
        peaks[pid] = int(line.split()[1]) / 1024
    me = peaks.pop(os.getpid(), 0.0)
    return me, max(peaks.values(), default=0.0)


async def _pipeline(
    base: str,
    feeds: int,
    workers: int,
    data: Path,
    *,
    quantize: bool,
    brands: str,
    farm: int,
    concurrency: int,
) -> tuple[int, float, float, dict[str, float], tuple[float, float]]:
    tracked = demo_config("http://unused")["brands"] if brands == "demo" else []
    sources = [
        {"id": f"f{i}", "url": f"{base}/f{i}/feed.xml", "outlet": f"Outlet {i}"}
        for i in range(feeds)
    ]
    (data / "bench.yaml").write_text(yaml.safe_dump({"brands": tracked, "sources": sources}))
    settings = Settings(
        data_dir=data,
        config_file=data / "bench.yaml",
        crawl=False,
        extract_workers=workers,
        per_host_interval=0.0,  # every feed is on 127.0.0.1: no politeness toward ourselves
        allow_networks=["127.0.0.1/32"],
        per_host_concurrency=concurrency,
        fetch_concurrency=concurrency,
        log_level="warning",
        model_quantize=quantize,
        extract_warm_up=True,  # as the extraction-only leg's pool (``_extraction_only``)
    )
    _reset_peak()
    runtime = await Runtime.start(settings)
    try:
        await asyncio.to_thread(_ready, runtime.pool, workers)
        main0, cpu0, t0 = proc_stat("self")[1], _cpu_seconds(leave_out=farm), time.perf_counter()
        farm0 = proc_stat(farm)[1]
        stats = await runtime.pipeline.run_once()
        elapsed, cpu = time.perf_counter() - t0, _cpu_seconds(leave_out=farm) - cpu0
        stats.busy["main process CPU"] = proc_stat("self")[1] - main0
        stats.busy["feed farm CPU"] = proc_stat(farm)[1] - farm0
        peaks = _peak_mib(leave_out=farm)
        created = stats.documents.get("created", 0)
        assert stats.poll_errors == 0 and stats.page_errors == 0, stats
    finally:
        await runtime.stop()
    with contextlib.closing(sqlite3.connect(settings.database_path)) as db:
        mentions, mentioned = db.execute(
            "SELECT count(*), count(DISTINCT document_id) FROM mentions"
        ).fetchone()
    print(f"mentions: {mentions} in {mentioned} of {created} documents")
    return created, elapsed, cpu, stats.busy, peaks


def _ready(pool: ProcessPoolExecutor, workers: int) -> None:
    """Return once each of the pool's ``workers`` processes has started and done its
    one-time set-up (``warm_extraction``, the pool's initializer): the clock starts on
    warm workers in both legs. A worker still in its initializer takes no job, so
    rounds of short jobs go on until every worker has answered one."""
    answered: set[int] = set()
    while len(answered) < workers:
        answered |= set(pool.map(_pid, range(2 * workers)))


def _pid(_: int) -> int:
    time.sleep(0.05)  # long enough for another ready worker to take the next job
    return os.getpid()


def _extraction_only(feeds: int, items: int, workers: int) -> tuple[int, float, float]:
    pages = load_pages()
    jobs = [
        (page_for(i, j, items, pages), f"http://127.0.0.1/f{i}/a{j}.html")
        for i in range(feeds)
        for j in range(items)
    ]
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=spawn, initializer=warm_extraction) as pool:
        _ready(pool, workers)
        cpu0, t0 = _cpu_seconds(leave_out=0), time.perf_counter()
        done = sum(1 for r in pool.map(_extract, jobs, chunksize=4) if r)
        elapsed, cpu = time.perf_counter() - t0, _cpu_seconds(leave_out=0) - cpu0
    return done, elapsed, cpu


def _extract(job: tuple[bytes, str]) -> bool:
    html, url = job
    return extract_article(html, url=url) is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=3)
    parser.add_argument("--workers", type=int, default=multiprocessing.cpu_count())
    parser.add_argument("--quantize", action="store_true", help="int8 sentiment model")
    parser.add_argument("--concurrency", type=int, default=64, help="fetches in flight")
    parser.add_argument(
        "--brands", choices=("demo", "none"), default="demo", help="none: the crawl alone"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of both legs, one after the other"
    )
    args = parser.parse_args()
    print(
        f"command: .venv/bin/python -m bench.ingest --feeds {args.feeds} --items {args.items}"
        f" --workers {args.workers} --brands {args.brands} --concurrency {args.concurrency}"
        f" --repeat {args.repeat}{' --quantize' if args.quantize else ''}"
    )
    print(f"feeds {args.feeds}, items {args.items}, cores {multiprocessing.cpu_count()}")
    base, farm = start_farm(feeds=args.feeds, items=args.items)
    ratios = []
    try:
        for number in range(1, args.repeat + 1):
            if args.repeat > 1:
                print(f"-- run {number} of {args.repeat}")
            ratios.append(_run_both(args, base, farm.pid or 0))
    finally:
        farm.terminate()
    if args.repeat > 1:
        listed = ", ".join(f"{r:.0%}" for r in ratios)
        print(f"ratio, median of {args.repeat} runs: {statistics.median(ratios):.0%} ({listed})")


def _run_both(args: argparse.Namespace, base: str, farm: int) -> float:
    """Extraction only, the pipeline, extraction only again; prints all three and
    returns the ratio of the pipeline's rate to the mean of the two extraction
    rates around it (this machine's speed drifts within a minute: the bracket
    cancels a steady drift, and shows how much the machine moved)."""
    before = _extraction_only(args.feeds, args.items, args.workers)
    with tempfile.TemporaryDirectory() as tmp:
        run = _pipeline(
            base,
            args.feeds,
            args.workers,
            Path(tmp),
            quantize=args.quantize,
            brands=args.brands,
            farm=farm,
            concurrency=args.concurrency,
        )
        created, elapsed, cpu, busy, (me, worker) = run_event_loop(run)  # as `clarion serve`
    after = _extraction_only(args.feeds, args.items, args.workers)
    rate = created / elapsed
    x_rate = statistics.mean(done / seconds for done, seconds, _ in (before, after))
    _extraction_line("before", *before)
    print(
        f"pipeline:        {rate:7.1f} articles/s  ({created} new documents, {elapsed:.1f} s wall,"
        f" {cpu:.1f} s CPU, {cpu / created * 1000:.1f} ms CPU per article)"
    )
    farm_cpu = busy.pop("feed farm CPU")
    steps = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in busy.items())
    print(f"busy (wall seconds in each step's calls, summed over concurrent calls): {steps}")
    print(f"feed farm:       {farm_cpu:7.1f} s CPU serving feeds and pages (not counted above)")
    print(f"peak RSS:        {me:7.0f} MiB main process, {worker:.0f} MiB largest worker")
    _extraction_line("after", *after)
    print(f"ratio pipeline / extraction-only (mean of before and after): {rate / x_rate:.0%}")
    return rate / x_rate


def _extraction_line(when: str, extracted: int, elapsed: float, cpu: float) -> None:
    print(
        f"extraction only, {when}: {extracted / elapsed:5.1f} articles/s  ({extracted} pages,"
        f" {elapsed:.1f} s wall, {cpu:.1f} s CPU, {cpu / extracted * 1000:.1f} ms CPU per article)"
    )


if __name__ == "__main__":
    main()
