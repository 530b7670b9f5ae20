"""Kill ingest mid-way (SIGKILL, no clean shutdown), start again: nothing lost, nothing doubled."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from service._settings import Settings


def _crawl(
    settings: Settings, *, per_host_interval: float, capture: bool = True
) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "CLARION_DATA_DIR": str(settings.data_dir),
        "CLARION_EXTRACT_WORKERS": "1",
        "CLARION_MODEL_THREADS": "1",
        # one request start per interval to the demo host: slow enough to be killed mid-way
        "CLARION_PER_HOST_INTERVAL": str(per_host_interval),
        "CLARION_PER_HOST_CONCURRENCY": "1",
        "CLARION_LOG_LEVEL": "warning",
        "CLARION_ALLOW_NETWORKS": '["127.0.0.1/32"]',
    }
    command = [sys.executable, "-m", "service", "crawl", "--config", str(settings.config_file)]
    stdout = subprocess.PIPE if capture else subprocess.DEVNULL
    # its own session, so the kill below takes its extraction workers too (as a crash would)
    return subprocess.Popen(command, env=env, stdout=stdout, text=True, start_new_session=True)


def _documents(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        try:
            return int(conn.execute("SELECT count(*) FROM documents").fetchone()[0])
        except sqlite3.OperationalError:  # schema not created yet
            return 0


def test_a_killed_crawl_resumes_without_loss_or_doubles(settings: Settings) -> None:
    db = settings.database_path
    killed = _crawl(settings, per_host_interval=0.3, capture=False)
    for _ in range(2400):  # hang guard: wait until ingest is under way
        if _documents(db) >= 3 or killed.poll() is not None:
            break
        time.sleep(0.05)
    assert killed.poll() is None, "the crawl finished before it could be killed"
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    partial = _documents(db)
    assert partial >= 3

    resumed = _crawl(settings, per_host_interval=0.0)
    out, _ = resumed.communicate()
    assert resumed.returncode == 0
    report = json.loads(out)
    total = report["documents_total"]
    assert report["documents"].get("created", 0) == total - partial  # the rest, once
    assert report["documents"].get("updated", 0) == 0

    again = _crawl(settings, per_host_interval=0.0)
    out, _ = again.communicate()
    assert json.loads(out)["documents_total"] == total
    assert json.loads(out)["documents"] == {}
