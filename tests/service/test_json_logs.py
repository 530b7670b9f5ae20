"""``CLARION_LOG_FORMAT=json``: ``clarion serve`` writes one JSON object per line on
stderr, with the request id of the API request (the client's ``X-Request-ID``, sent
back and recorded in the audit log) and the source id of a failing poll."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from service._logging import JsonFormatter, source_context
from tests.service.conftest import write_config

# How long the test waits for the server and the first poll: a generous bound for a
# cold model load on a busy machine, not a performance claim.
PATIENCE = 300.0


def _lines(stream: Any, into: list[str]) -> None:
    for line in stream:
        into.append(line)


def _wait_for(condition: Any, process: subprocess.Popen[str]) -> None:
    give_up = time.monotonic() + PATIENCE
    while not condition():
        assert process.poll() is None, "clarion serve exited"
        assert time.monotonic() < give_up, "gave up waiting"
        time.sleep(0.2)


def test_serve_logs_json_lines_with_request_and_source_ids(tmp_path: Path, demo_site: str) -> None:
    config = write_config(
        tmp_path / "c.yaml",
        {
            "brands": [{"id": "acme", "name": "Acme"}],
            "sources": [{"id": "broken", "url": f"{demo_site}/no-such-feed.xml", "outlet": "X"}],
        },
    )
    env = {
        **os.environ,
        "CLARION_DATA_DIR": str(tmp_path / "data"),
        "CLARION_CONFIG_FILE": str(config),
        "CLARION_PORT": "0",
        "CLARION_AUTH": "off",
        "CLARION_LOG_FORMAT": "json",
        "CLARION_ALLOW_NETWORKS": '["127.0.0.1/32"]',
        "CLARION_PER_HOST_INTERVAL": "0",
        "CLARION_EXTRACT_WORKERS": "1",
        "CLARION_MODEL_THREADS": "1",
    }
    err: list[str] = []
    with subprocess.Popen(
        [sys.executable, "-m", "service", "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    ) as process:
        reader = threading.Thread(target=_lines, args=(process.stderr, err), daemon=True)
        reader.start()
        try:
            assert process.stdout is not None
            base = process.stdout.readline().split()[3]  # "Clarion API on http://HOST:PORT ..."
            _wait_for(
                lambda: any('"Application startup complete."' in line for line in err), process
            )
            read = httpx.get(f"{base}/v1/brands", headers={"X-Request-ID": "read-1"})
            assert read.status_code == 200 and read.headers["x-request-id"] == "read-1"
            brand = {"id": "globex", "name": "Globex"}
            wrote = httpx.post(f"{base}/v1/brands", json=brand, headers={"X-Request-ID": "write-1"})
            assert wrote.status_code == 201 and wrote.headers.get_list("x-request-id") == [
                "write-1"
            ]
            made = httpx.get(f"{base}/v1/brands")  # no id given: one is made and sent back
            assert len(made.headers["x-request-id"]) == 32
            audit = httpx.get(f"{base}/v1/audit", params={"target_id": "globex"}).json()
            assert [e["request_id"] for e in audit["items"]] == ["write-1"]
            _wait_for(lambda: any('"source_id": "broken"' in line for line in err), process)
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=PATIENCE)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            reader.join(timeout=10)
    records = [json.loads(line) for line in err if line.strip()]  # every line is JSON
    assert records and all(
        {"time", "level", "logger", "message"} <= set(r) and r["time"].endswith("+00:00")
        for r in records
    )
    access = [r for r in records if r["logger"] == "uvicorn.access"]
    assert {r.get("request_id") for r in access} >= {"read-1", "write-1"}
    assert any("read-1" == r.get("request_id") and "/v1/brands" in r["message"] for r in access)
    [poll] = [r for r in records if r.get("source_id") == "broken" and "poll" in r["message"]][:1]
    assert poll["level"] == "warning" and poll["logger"] == "clarion.pipeline"
    assert "request_id" not in poll  # the pipeline's work is no request's


def test_formatter_adds_exception_and_leaves_out_unknown_ids() -> None:
    formatter = JsonFormatter()
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("clarion.x").makeRecord(
            "clarion.x", logging.ERROR, __file__, 1, "failed %s", ("a",), sys.exc_info()
        )
    line = json.loads(formatter.format(record))
    assert line["message"] == "failed a" and line["level"] == "error"
    assert "ValueError: boom" in line["exception"]
    assert "request_id" not in line and "source_id" not in line
    with source_context("feed-1"):
        assert json.loads(formatter.format(record))["source_id"] == "feed-1"
    assert "source_id" not in json.loads(formatter.format(record))
