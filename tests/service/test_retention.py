"""Retention: ``CLARION_RETENTION_DAYS`` in the running service, and ``clarion retention``."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from crawlers import Document
from enrichment import Mention, Sentiment
from search import SQLiteStore
from service._app import create_app
from service._settings import Settings
from tests._servers import serve_app

NOW = datetime.now(UTC)
AGES = {"ancient": 400, "old": 40, "recent": 5, "today": 0}  # days before now


def _document(doc_id: str, days: int) -> tuple[Document, list[Mention]]:
    when = NOW - timedelta(days=days, hours=1)
    document = Document(
        id=doc_id,
        url=f"https://news.example/{doc_id}",
        source_id="example",
        outlet="Example News",
        domain="news.example",
        title=f"Acme, {days} days ago",
        text="Acme did things.",
        fetched_at=when,
        published_at=when,
    )
    mention = Mention(
        document_id=doc_id, brand_id="acme", sentiment=Sentiment("neutral", 0.5), count=1
    )
    return document, [mention]


async def _fill(path: Path) -> None:
    store = SQLiteStore(path)
    await store.open()
    try:
        for doc_id, days in AGES.items():
            await store.save_document(*_document(doc_id, days))
    finally:
        await store.close()


async def _ids(path: Path) -> set[str]:
    store = SQLiteStore(path)
    await store.open()
    try:
        return {d.id for d, _ in await store.documents_after(None, limit=100)}
    finally:
        await store.close()


def test_the_service_applies_retention_in_the_background(settings: Settings) -> None:
    asyncio.run(_fill(settings.database_path))
    with_retention = settings.model_copy(update={"retention_days": 30})
    with serve_app(create_app(with_retention)) as url:
        assert httpx.get(f"{url}/readyz", timeout=30).status_code == 200
        deadline = time.monotonic() + 60  # a wait for the background task, not a limit
        while asyncio.run(_ids(settings.database_path)) != {"recent", "today"}:
            assert time.monotonic() < deadline, "retention did not run"
            time.sleep(0.1)


def test_the_service_keeps_everything_by_default(settings: Settings) -> None:
    asyncio.run(_fill(settings.database_path))
    assert settings.retention_days is None
    with serve_app(create_app(settings)) as url:
        assert httpx.get(f"{url}/readyz", timeout=30).status_code == 200
    assert asyncio.run(_ids(settings.database_path)) == set(AGES)


def _clarion(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service", *args],
        cwd=cwd,
        env={**os.environ, "CLARION_DATA_DIR": str(cwd), **env},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def test_retention_command(tmp_path: Path) -> None:
    db = tmp_path / "clarion.db"
    asyncio.run(_fill(db))
    result = _clarion("retention", cwd=tmp_path)
    assert result.returncode == 2 and "CLARION_RETENTION_DAYS" in result.stderr

    result = _clarion("retention", cwd=tmp_path, CLARION_RETENTION_DAYS="100")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["documents_deleted"] == 1
    assert asyncio.run(_ids(db)) == {"old", "recent", "today"}

    result = _clarion("retention", "--days", "10", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["documents_deleted"] == 1
    cutoff = datetime.fromisoformat(report["cutoff"])
    assert NOW - timedelta(days=10, minutes=5) < cutoff < datetime.now(UTC) - timedelta(days=10)
    assert asyncio.run(_ids(db)) == {"recent", "today"}
