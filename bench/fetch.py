"""Fetcher benchmark: CPU per page GET, against the local feed farm on 127.0.0.1.

    .venv/bin/python -m bench.fetch --gets 1500 --concurrency 64 16

Fetches the farm's article pages (the demo bundle's real pages, 281 KiB on
average) through ``crawlers.Fetcher`` with the SSRF guard on, as the pipeline
does, and prints wall time and CPU milliseconds per GET of this process (the
farm runs in its own) for each number of requests in flight.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time

from bench.feed_farm import start_farm
from crawlers import Fetcher
from crawlers._config import FetchConfig

ITEMS = 3  # articles per farm feed


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _run(base: str, gets: int, concurrency: int) -> tuple[float, float, float]:
    config = FetchConfig(
        per_host_interval=0.0,
        per_host_concurrency=concurrency,
        max_connections=concurrency,
        allow_networks=("127.0.0.1/32",),
    )
    async with Fetcher(config=config) as fetcher:
        slots = asyncio.Semaphore(concurrency)

        async def get(i: int) -> int:
            async with slots:
                result = await fetcher.get(f"{base}/f{i // ITEMS}/a{i % ITEMS}.html")
                return len(result.content)

        await asyncio.gather(*(get(i) for i in range(2 * concurrency)))  # open the connections
        cpu0, t0 = _cpu(), time.perf_counter()
        sizes = await asyncio.gather(*(get(i) for i in range(gets)))
        return time.perf_counter() - t0, _cpu() - cpu0, sum(sizes) / gets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gets", type=int, default=1500)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[64, 16])
    args = parser.parse_args()
    base, farm = start_farm(feeds=args.gets // ITEMS + 1, items=ITEMS)
    try:
        print(
            f"command: .venv/bin/python -m bench.fetch --gets {args.gets} --concurrency "
            + " ".join(map(str, args.concurrency))
        )
        for concurrency in args.concurrency:
            wall, cpu, size = asyncio.run(_run(base, args.gets, concurrency))
            print(
                f"{concurrency:3d} in flight: {args.gets} GETs in {wall:.2f} s, "
                f"{cpu / args.gets * 1000:.2f} CPU-ms per GET ({size / 1024:.0f} KiB average)"
            )
    finally:
        farm.terminate()


if __name__ == "__main__":
    main()
