"""``clarion migrate`` / ``search.copy_store``: every noun copied, resumable, nothing twice.

The round trip SQLite -> Elasticsearch -> a new SQLite file runs in-process
(``copy_store``): the CLI cannot talk to osmem-server, which needs the tests'
plain-JSON transport (``tests/_elasticsearch.py``). The CLI itself is run as a
subprocess on SQLite -> SQLite, including a ``kill -9`` in the middle of a copy.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from crawlers import Document, FeedState, Source
from enrichment import Brand, Mention, Sentiment
from search import (
    CopyError,
    ElasticsearchConfig,
    ElasticsearchStore,
    MentionFilter,
    SQLiteStore,
    Store,
    copy_store,
)
from service._migrate import LocationError, checkpoint_path, parse_location
from service._settings import Settings
from tests._elasticsearch import drop_indices

BRANDS = ("acme", "globex", "initech", "umbrella")
START = datetime(2026, 3, 1, tzinfo=UTC)
ZONE = ZoneInfo("Europe/Paris")


def _documents(n: int, *, seed: int = 7) -> list[tuple[Document, list[Mention]]]:
    """``n`` documents over three months, each mentioning 0-3 brands (deterministic)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        doc_id = f"{rng.getrandbits(64):016x}"
        published = START + timedelta(minutes=rng.randrange(90 * 24 * 60))
        document = Document(
            id=doc_id,
            url=f"https://news{i % 7}.example/{doc_id}",
            source_id=f"s{i % 3}",
            outlet=f"Outlet {i % 7}",
            domain=f"news{i % 7}.example",
            title=f"Story {i} about {' and '.join(BRANDS[: i % 4])}",
            text=f"Body of story {i}. " * 5,
            fetched_at=published + timedelta(hours=1),
            published_at=None if i % 11 == 0 else published,
            tier=1 + i % 3,
            audience=1000 * (i % 5),
            language="en",
        )
        mentions = [
            Mention(
                document_id=doc_id,
                brand_id=brand,
                sentiment=Sentiment(rng.choice(["negative", "neutral", "positive"]), 0.75),
                snippets=(f"… {brand} …",),
                in_title=rng.random() < 0.3,
                count=rng.randint(1, 4),
            )
            for brand in rng.sample(BRANDS, rng.randint(0, 3))
        ]
        out.append((document, mentions))
    return out


async def _fill(store: Store, n: int) -> None:
    for brand in BRANDS:
        await store.put_brand(Brand(id=brand, name=brand.title(), query=brand))
    for i in range(3):
        source = Source(id=f"s{i}", url=f"https://news{i}.example/feed.xml", outlet=f"Outlet {i}")
        await store.put_source(source)
        if i < 2:
            await store.put_feed_state(FeedState(source_id=source.id, etag=f'"e{i}"'))
    for document, mentions in _documents(n):
        await store.save_document(document, mentions)


async def _snapshot(store: Store) -> dict[str, object]:
    """Everything a user sees: configuration, documents with mentions, metrics."""
    documents = []
    after = None
    while page := await store.documents_after(after, limit=100):
        documents.extend(page)
        after = page[-1][0].id
    counts = await store.mention_counts(MentionFilter(), interval="day", tz=ZONE)
    per_brand: dict[str, int] = {}
    for bucket in counts:
        per_brand[bucket.brand_id] = per_brand.get(bucket.brand_id, 0) + bucket.count
    total = sum(per_brand.values())
    return {
        "brands": await store.list_brands(),
        "sources": await store.list_sources(),
        "feed_states": [await store.get_feed_state(f"s{i}") for i in range(3)],
        "documents": documents,
        "count": await store.count_documents(),
        "daily": [(b.start, b.brand_id, b.count) for b in counts],
        "share_of_voice": {b: round(c / total, 6) for b, c in sorted(per_brand.items())},
    }


@pytest.mark.elasticsearch
async def test_sqlite_to_elasticsearch_and_back_with_an_interruption(
    tmp_path: Path, es_config: ElasticsearchConfig
) -> None:
    first = SQLiteStore(tmp_path / "first.db")
    prefix = f"mig-{uuid.uuid4().hex[:12]}"
    cluster = ElasticsearchStore(es_config, index_prefix=prefix)
    back = SQLiteStore(tmp_path / "back.db")
    checkpoint = tmp_path / "copy.checkpoint.json"
    for store in (first, cluster, back):
        await store.open()
    try:
        await _fill(first, 120)
        expected = await _snapshot(first)
        assert expected["count"] == 120 and len(expected["share_of_voice"]) == 4  # type: ignore[arg-type]

        # stopped after two batches of 25, as an interrupted run would be
        stats = await copy_store(
            first, cluster, checkpoint=checkpoint, identity="a", batch=25, stop_after_batches=2
        )
        assert not stats.complete and stats.documents == {"created": 50}
        assert json.loads(checkpoint.read_text())["documents_copied"] == 50
        assert await cluster.count_documents() == 50
        with pytest.raises(CopyError):  # another copy's checkpoint is refused
            await copy_store(first, cluster, checkpoint=checkpoint, identity="b")
        done: list[int] = []
        stats = await copy_store(
            first, cluster, checkpoint=checkpoint, identity="a", batch=25, on_batch=done.append
        )
        assert stats.complete and stats.documents == {"created": 70}  # the rest, nothing twice
        assert done == [75, 100, 120]
        assert not checkpoint.exists()
        assert await _snapshot(cluster) == expected

        # run again from scratch: everything is already there
        again = await copy_store(first, cluster, checkpoint=checkpoint, identity="a", batch=50)
        assert again.documents == {"unchanged": 120}

        stats = await copy_store(cluster, back, checkpoint=checkpoint, identity="c", batch=40)
        assert stats.complete and stats.documents == {"created": 120}
        assert await _snapshot(back) == expected
    finally:
        for store in (first, cluster, back):
            await store.close()
        await drop_indices(es_config, prefix)


def _clarion(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "service", *args],
        cwd=cwd,
        env={**os.environ, "CLARION_DATA_DIR": str(cwd / "data")},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )


def _run(*args: str, cwd: Path) -> tuple[int, str, str]:
    process = _clarion(*args, cwd=cwd)
    out, err = process.communicate()
    return process.returncode, out, err


def _ids(path: Path) -> list[str]:
    async def read() -> list[str]:
        store = SQLiteStore(path)
        await store.open()
        try:
            return [d.id for d, _ in await store.documents_after(None, limit=1000)]
        finally:
            await store.close()

    return asyncio.run(read())


def test_cli_migrate_stops_resumes_and_survives_kill_9(tmp_path: Path) -> None:
    source = tmp_path / "source.db"

    async def fill() -> dict[str, object]:
        store = SQLiteStore(source)
        await store.open()
        try:
            await _fill(store, 600)
            return await _snapshot(store)
        finally:
            await store.close()

    expected = asyncio.run(fill())
    target = tmp_path / "target.db"
    args = ("migrate", "--from", f"sqlite:{source}", "--to", f"sqlite://{target}")

    code, out, err = _run(*args, "--batch", "100", "--stop-after-batches", "2", cwd=tmp_path)
    assert code == 0, err
    report = json.loads(out)
    assert report["complete"] is False and report["documents"] == {"created": 200}
    assert report["brands"] == 4 and report["sources"] == 3 and report["feed_states"] == 2
    assert len(_ids(target)) == 200

    # kill -9 in the middle of the next run (one document per batch, so it is slow)
    checkpoint = Path(report["checkpoint"])
    before = checkpoint.stat().st_mtime_ns
    process = _clarion(*args, "--batch", "1", cwd=tmp_path)
    while checkpoint.stat().st_mtime_ns == before and process.poll() is None:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    assert process.returncode == -signal.SIGKILL
    copied = json.loads(checkpoint.read_text())["documents_copied"]
    assert 200 < copied < 600
    assert len(_ids(target)) >= copied

    code, out, err = _run(*args, cwd=tmp_path)
    assert code == 0, err
    report = json.loads(out)
    assert report["complete"] is True and report["resumed_after"] is not None
    created = report["documents"].get("created", 0)
    assert created + copied <= 600 and report["documents"].get("updated", 0) == 0
    assert not checkpoint.exists()
    ids = _ids(target)
    assert len(ids) == len(set(ids)) == 600

    async def snapshot() -> dict[str, object]:
        store = SQLiteStore(target)
        await store.open()
        try:
            return await _snapshot(store)
        finally:
            await store.close()

    assert asyncio.run(snapshot()) == expected

    code, _, err = _run("migrate", "--to", "mysql://x", cwd=tmp_path)
    assert code == 2 and "expected sqlite:PATH" in err and "Traceback" not in err
    code, _, err = _run(
        "migrate", "--from", f"sqlite:{source}", "--to", f"sqlite:{source}", cwd=tmp_path
    )
    assert code == 2 and "the same store" in err


def test_locations(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, es_index_prefix="main")  # type: ignore[call-arg]
    absolute = parse_location(f"sqlite://{tmp_path}/a.db", settings)
    assert absolute.name == f"sqlite:{tmp_path}/a.db"
    assert (
        absolute.settings.store == "sqlite" and absolute.settings.database_path == tmp_path / "a.db"
    )
    relative = parse_location("sqlite:b.db", settings)
    assert relative.name == f"sqlite:{Path('b.db').resolve()}"
    cluster = parse_location("https://u:p@es.example:9200/", settings)
    assert cluster.name == "https://es.example:9200#main"  # no credentials in names or files
    assert cluster.settings.store == "elasticsearch"
    assert cluster.settings.es_url == "https://u:p@es.example:9200/"
    other = parse_location("http://es.example:9200", settings, prefix="next")
    assert other.name == "http://es.example:9200#next" and other.settings.es_index_prefix == "next"
    assert checkpoint_path(settings, "a -> b").parent == tmp_path
    assert checkpoint_path(settings, "a -> b") != checkpoint_path(settings, "a -> c")
    for bad, prefix in (("sqlite:", None), ("ftp://x", None), ("http://x", "Upper")):
        with pytest.raises(LocationError):
            parse_location(bad, settings, prefix=prefix)


def test_reindex_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    code, _, err = _run("reindex", "--prefix", "next", cwd=tmp_path)
    assert code == 2 and "CLARION_STORE=elasticsearch" in err
    process = subprocess.run(
        [sys.executable, "-m", "service", "reindex", "--prefix", "clarion"],
        cwd=tmp_path,
        env={
            **os.environ,
            "CLARION_STORE": "elasticsearch",
            "CLARION_ES_URL": "http://127.0.0.1:9",
        },
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert process.returncode == 2 and "current CLARION_ES_INDEX_PREFIX" in process.stderr
