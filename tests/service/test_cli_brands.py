"""``clarion brands add/list`` against a real SQLite store: the API's schema and
checks, query errors with a caret at the position, the audit log's actor "cli"."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from search import AuditEntry, SQLiteStore, audit_store
from tests.service.test_cli import clarion


def _env(data: Path) -> dict[str, str]:
    return {"CLARION_DATA_DIR": str(data), "CLARION_STORE": "sqlite"}


def _audit(data: Path) -> list[AuditEntry]:
    async def read() -> list[AuditEntry]:
        store = SQLiteStore(data / "clarion.db")
        await store.open()
        try:
            return list((await audit_store(store).audit_entries(limit=50)).entries)
        finally:
            await store.close()

    return asyncio.run(read())


def test_add_list_replace_and_audit(tmp_path: Path) -> None:
    env = _env(tmp_path)
    added = clarion(
        "brands", "add", "acme", "--name", "Acme", "--query", "Acme NEAR/5 rocket",
        "--alias", "Acme Corp", "--domain", "Acme.com", "--spokesperson", "Wile Coyote",
        "--message", "rockets that land", "--competitor", "globex", "--competitor", "acme",
        cwd=tmp_path, env=env,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    table = clarion("brands", "list", cwd=tmp_path, env=env)
    assert table.returncode == 0, table.stderr
    header, row = table.stdout.splitlines()
    assert header.split() == ["id", "name", "query", "aliases", "competitors"]
    assert row.startswith("acme") and "Acme NEAR/5 rocket" in row and row.endswith("globex")

    listed = json.loads(clarion("brands", "list", "--json", cwd=tmp_path, env=env).stdout)
    [brand] = listed["items"]
    assert brand["owned_domains"] == ["acme.com"]  # normalised as the API does
    assert brand["competitors"] == ["globex"]  # itself dropped, as the API does
    assert brand["spokespeople"] == ["Wile Coyote"]
    assert brand["key_messages"] == ["rockets that land"]

    again = clarion("brands", "add", "acme", "--name", "Acme 2", cwd=tmp_path, env=env)
    assert again.returncode == 2 and "exists: pass --replace" in again.stderr
    replaced = clarion(
        "brands", "add", "acme", "--name", "Acme 2", "--replace", cwd=tmp_path, env=env
    )
    assert replaced.returncode == 0, replaced.stderr
    listed = json.loads(clarion("brands", "list", "--json", cwd=tmp_path, env=env).stdout)
    assert [b["name"] for b in listed["items"]] == ["Acme 2"]

    entries = _audit(tmp_path)
    assert [(e.action, e.actor, e.target_id) for e in entries] == [
        ("brand.update", "cli", "acme"),
        ("brand.create", "cli", "acme"),
    ]
    assert entries[1].change is not None and entries[1].change["query"] == "Acme NEAR/5 rocket"


def test_bad_input_exits_2_with_the_position(tmp_path: Path) -> None:
    env = _env(tmp_path)
    query = "Acme AND (rocket OR"
    bad = clarion(
        "brands", "add", "acme", "--name", "Acme", "--query", query, cwd=tmp_path, env=env
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    message, shown, caret = bad.stderr.splitlines()
    assert "position 19" in message
    assert shown.strip() == query
    assert caret.index("^") - shown.index("A") == 19

    slug = clarion("brands", "add", "Not A Slug", "--name", "X", cwd=tmp_path, env=env)
    assert slug.returncode == 2 and "--id:" in slug.stderr and "Traceback" not in slug.stderr
    domain = clarion(
        "brands", "add", "x", "--name", "X", "--domain", "not a domain", cwd=tmp_path, env=env
    )
    assert domain.returncode == 2 and "--owned-domains" in domain.stderr
    listed = json.loads(clarion("brands", "list", "--json", cwd=tmp_path, env=env).stdout)
    assert listed == {"items": []}
    assert _audit(tmp_path) == []
