"""``clarion crawl --continuous``: keeps running after the first polls, ingests, and on
SIGTERM stops cleanly, printing what it did."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from search import SQLiteStore
from tests.service.conftest import write_config

# How long the test waits for the first documents: a generous bound for a cold model
# load on a busy machine, not a performance claim (nothing asserts on the time).
PATIENCE = 300.0


def _count(db: Path) -> int:
    async def count() -> int:
        store = SQLiteStore(db)
        await store.open()
        try:
            return await store.count_documents()
        finally:
            await store.close()

    return asyncio.run(count()) if db.exists() else 0


def test_continuous_crawl_runs_until_stopped(tmp_path: Path, demo_setup: dict[str, Any]) -> None:
    config = write_config(tmp_path / "c.yaml", demo_setup)
    env = {
        **os.environ,
        "CLARION_DATA_DIR": str(tmp_path / "data"),
        "CLARION_ALLOW_NETWORKS": '["127.0.0.1/32"]',
        "CLARION_PER_HOST_INTERVAL": "0",
        "CLARION_EXTRACT_WORKERS": "1",
        "CLARION_MODEL_THREADS": "1",
        "CLARION_LOG_LEVEL": "warning",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "service", "crawl", "--continuous", "--config", str(config)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        give_up = time.monotonic() + PATIENCE
        while _count(tmp_path / "data" / "clarion.db") == 0 and process.poll() is None:
            assert time.monotonic() < give_up, "no document was ingested"
            time.sleep(0.5)
        assert process.poll() is None  # still running after the first ingest
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=PATIENCE)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    report = json.loads(out)
    assert report["documents_total"] > 0 and report["polls"] >= 1
    assert sum(report["documents"].values()) > 0
