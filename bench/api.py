"""API benchmark: p50/p95 latency of the metrics and coverage endpoints on a large
embedded store, through the real app under uvicorn.

    .venv/bin/python -m bench.api --db /tmp/clarion-bench-1m.db             # 1M mentions
    .venv/bin/python -m bench.api --db /tmp/clarion-bench-1m.db --requests 100 --only sov

The data set (``bench._dataset``: 1M mentions over 90 days, 10 brands, about
10% syndicated copies) is built once into ``--db`` and reused while it exists
(``--rebuild`` to write it again). The app (``clarion serve``, crawling off)
then runs in its own process on 127.0.0.1, on that file, and each endpoint is
asked ``--requests`` times, one request at a time, with parameters drawn from a
seeded generator (brand and its competitive set, 30- or 90-day window, interval,
time zone, count, sort), after ``--warmup`` untimed requests. Latency is the
client's: request sent to body read. The server may migrate the file's schema
when it opens it (new indexes are built then, before any timing).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

import httpx

from bench._dataset import BRANDS, DAYS, START, build, summary

# What the brief asks of every endpoint (p95, milliseconds, on 2 cores).
TARGET_P95_MS = 150.0
# Pages walked by cursor before the timed deep-page request (50 mentions each).
DEEP_PAGES = 20
# Distinct deep cursors prepared per sort (each walk is untimed but not free).
DEEP_VARIANTS = 5
_ZONES = ("UTC", "Europe/Paris", "America/New_York")
_SORTS = ("time", "reach", "prominence")
_BREAKDOWNS = ("channel", "market", "tier", "outlet")

Params = dict[str, str | int | list[str]]


def _window(rng: random.Random, *, long: float = 0.2) -> dict[str, str]:
    """A 30-day window ending on a random day of the data's last 60 (or, with
    probability ``long``, all 90 days), as the dashboards ask."""
    if rng.random() < long:
        start, end = START, START + timedelta(days=DAYS)
    else:
        end = START + timedelta(days=rng.randrange(30, DAYS + 1))
        start = end - timedelta(days=30)
    return {"from": start.date().isoformat(), "to": end.date().isoformat()}


def _sov(rng: random.Random, by: str | None) -> Params:
    params: Params = {
        "brand": rng.choice(BRANDS),
        **_window(rng),
        "interval": rng.choice(("day", "day", "week")),
        "tz": rng.choice(_ZONES),
        "count": "document" if rng.random() < 0.8 else "outlet",
    }
    if by is not None:
        params["by"] = by
    return params


def _page(rng: random.Random, sort: str) -> Params:
    return {"brand": rng.choice(BRANDS), **_window(rng), "sort": sort, "limit": 50}


def _pick(variants: list[Params], rng: random.Random) -> Params:
    return rng.choice(variants)


def _ranking(rng: random.Random) -> Params:
    return {"brand": rng.choice(BRANDS), **_window(rng)}


@contextmanager
def serve(db: Path) -> Iterator[str]:
    """The real app (``clarion serve``) on ``db``, crawling off; yields its base URL."""
    with tempfile.TemporaryDirectory(prefix="clarion-bench-api-") as data_dir:
        env = {
            **os.environ,
            "CLARION_SQLITE_PATH": str(db),
            "CLARION_DATA_DIR": data_dir,
            "CLARION_CRAWL": "false",
            "CLARION_AUTH": "off",
            "CLARION_EXTRACT_WORKERS": "1",
            "CLARION_ENRICH_WORKERS": "1",
            "CLARION_LOG_LEVEL": "warning",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "service", "serve", "--host", "127.0.0.1", "--port", "0"],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            found = re.search(r"http://[\d.]+:\d+", line)
            if found is None:
                raise RuntimeError(f"the server did not start: {line!r}")
            url = found.group(0)
            deadline = time.monotonic() + 600  # a first start may build new indexes
            while True:
                try:
                    if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the server did not become healthy")
                time.sleep(0.5)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def _get(client: httpx.Client, path: str, params: Params) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = client.get(f"{path}?{urlencode(params, doseq=True)}")
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{path} {params}: {response.status_code} {response.text[:300]}")
    return elapsed, response


def _deep_cursor(client: httpx.Client, params: Params) -> str | None:
    cursor = None
    for _ in range(DEEP_PAGES):
        page = client.get(
            "/v1/mentions", params={**params, **({"cursor": cursor} if cursor else {})}
        )
        page.raise_for_status()
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    return cursor


def endpoints(
    client: httpx.Client, seed: int, only: str | None = None
) -> Iterator[tuple[str, str, Callable[[random.Random], Params]]]:
    """(label, path, parameters) of every measured endpoint; the first, the brand
    list, is the floor of a request on this machine (no metric work)."""
    yield "baseline: brand list", "/v1/brands", lambda r: {}
    yield "share of voice: series", "/v1/share-of-voice", lambda r: _sov(r, None)
    for by in _BREAKDOWNS:
        yield (
            f"share of voice: series + by={by}",
            "/v1/share-of-voice",
            partial(_sov, by=by),
        )
    for sort in _SORTS:
        yield f"mentions: first page, sort={sort}", "/v1/mentions", partial(_page, sort=sort)
    rng = random.Random(seed + 1)
    for sort in _SORTS:
        label = f"mentions: page {DEEP_PAGES + 1} by cursor, sort={sort}"
        if only is not None and only not in label:
            continue  # the walks to the deep cursors are not free
        variants: list[Params] = []
        for _ in range(DEEP_VARIANTS):
            params = _page(rng, sort)
            cursor = _deep_cursor(client, params)
            if cursor is not None:
                variants.append({**params, "cursor": cursor})
        yield (
            label,
            "/v1/mentions",
            partial(_pick, variants),
        )
    for ranking in ("top-outlets", "top-authors", "top-stories"):
        yield f"coverage: {ranking}", f"/v1/coverage/{ranking}", _ranking
    paths = client.get("/openapi.json").json()["paths"]
    if "/v1/scorecard" in paths:
        yield "scorecard", "/v1/scorecard", _ranking


def measure(
    url: str, *, requests: int, warmup: int, seed: int, only: str | None
) -> list[tuple[str, float, float]]:
    results = []
    with httpx.Client(base_url=url, timeout=120) as client:
        for label, path, draw in endpoints(client, seed, only):
            if only is not None and only not in label:
                continue
            rng = random.Random(f"{seed}:{label}")
            for _ in range(warmup):
                _get(client, path, draw(rng))
            samples = [_get(client, path, draw(rng))[0] for _ in range(requests)]
            p50, p95 = _percentiles(samples)
            mark = "ok" if p95 <= TARGET_P95_MS else "MISS"
            print(
                f"{label:45s} p50 {p50:8.1f} ms  p95 {p95:8.1f} ms  "
                f"max {max(samples):8.1f} ms  {mark}",
                flush=True,
            )
            results.append((label, p50, p95))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db", type=Path, required=True, help="the data set's SQLite file (built once)"
    )
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rebuild", action="store_true", help="build the data set again")
    parser.add_argument("--requests", type=int, default=100, help="timed requests per endpoint")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests per endpoint")
    parser.add_argument("--only", help="only endpoints whose label contains this")
    args = parser.parse_args()
    command = (
        f".venv/bin/python -m bench.api --db {shlex.quote(str(args.db))} "
        f"--mentions {args.mentions} "
        f"--seed {args.seed} --requests {args.requests} --warmup {args.warmup}"
        + (f" --only {shlex.quote(args.only)}" if args.only else "")
    )
    print(f"command: {command}", flush=True)
    if args.rebuild or not args.db.exists():
        started = time.perf_counter()
        documents, written = build(args.db, mentions=args.mentions, seed=args.seed)
        print(
            f"built {documents} documents, {written} mentions "
            f"in {time.perf_counter() - started:.0f} s"
        )
    print(f"data set: {summary(args.db)}", flush=True)
    print(f"load average: {os.getloadavg()}", flush=True)
    with serve(args.db) as url:
        measure(url, requests=args.requests, warmup=args.warmup, seed=args.seed, only=args.only)
    print(f"load average: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
