"""The command line: bad input ends with one clear line on stderr and exit code 2."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path


def clarion(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = clarion("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("serve", "demo", "crawl", "train-sentiment", "evaluate"):
        assert command in result.stdout


def test_a_config_file_with_a_bad_field_names_it(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("brands:\n  - id: acme\n    name: Acme\n    query: 'Acme AND ('\n")
    result = clarion("crawl", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 2
    assert "brands.0.query" in result.stderr and "position" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_config_file_that_is_not_yaml(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("brands: [unclosed\n")
    result = clarion("crawl", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 2 and "not valid YAML" in result.stderr


def test_a_missing_config_file(tmp_path: Path) -> None:
    result = clarion("crawl", "--config", str(tmp_path / "nope.yaml"), cwd=tmp_path)
    assert result.returncode == 2 and "cannot read config file" in result.stderr


def test_a_bad_setting_names_its_variable(tmp_path: Path) -> None:
    result = clarion("crawl", cwd=tmp_path, env={"CLARION_POLL_INTERVAL": "soon"})
    assert result.returncode == 2 and "CLARION_POLL_INTERVAL" in result.stderr


def test_a_port_in_use_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = clarion("serve", "--port", str(port), cwd=tmp_path)
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_elasticsearch_without_a_url_says_which_variable(tmp_path: Path) -> None:
    result = clarion("crawl", cwd=tmp_path, env={"CLARION_STORE": "elasticsearch"})
    assert result.returncode == 2 and "CLARION_ES_URL is required" in result.stderr


def test_a_placeholder_secret_is_refused(tmp_path: Path) -> None:
    env = {
        "CLARION_STORE": "elasticsearch",
        "CLARION_ES_URL": "https://127.0.0.1:9200",
        "CLARION_ES_USERNAME": "elastic",
        "CLARION_ES_PASSWORD": "changeme",
    }
    result = clarion("crawl", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "CLARION_ES_PASSWORD" in result.stderr and "placeholder" in result.stderr


def test_sources_round_trip_through_opml(tmp_path: Path) -> None:
    fixture = Path(__file__).parents[1] / "fixtures" / "opml" / "reader_export.opml"
    env = {"CLARION_DATA_DIR": str(tmp_path / "data")}
    first = clarion("sources", "import", str(fixture), cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    imported = int(first.stdout.split()[0])
    assert imported > 0
    again = clarion("sources", "import", str(fixture), cwd=tmp_path, env=env)
    assert again.stdout.startswith(f"0 source(s) imported, {imported} existing")

    exported = clarion(
        "sources", "export", "--out", str(tmp_path / "out.opml"), cwd=tmp_path, env=env
    )
    assert exported.returncode == 0, exported.stderr
    fresh = {"CLARION_DATA_DIR": str(tmp_path / "other")}
    reimport = clarion("sources", "import", str(tmp_path / "out.opml"), cwd=tmp_path, env=fresh)
    assert reimport.stdout.startswith(f"{imported} source(s) imported")
    first_export = (tmp_path / "out.opml").read_bytes()
    clarion("sources", "export", "--out", str(tmp_path / "out2.opml"), cwd=tmp_path, env=fresh)
    assert (tmp_path / "out2.opml").read_bytes() == first_export  # nothing lost on the way


def test_importing_something_that_is_not_opml(tmp_path: Path) -> None:
    bad = tmp_path / "x.opml"
    bad.write_text("<html><body>hello</body></html>")
    result = clarion("sources", "import", str(bad), cwd=tmp_path)
    assert result.returncode == 2 and "is not OPML" in result.stderr
