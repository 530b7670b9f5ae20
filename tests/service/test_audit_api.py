"""The audit log over the API, on a real uvicorn server and a real SQLite file.

Every successful configuration write is recorded once, with its actor, action,
target and the new configuration (secrets redacted); refused requests record
nothing; ``GET /v1/audit`` filters and pages; every write route of the app is
either audited or listed with the reason it is not.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter

from search import ApiKey, AuditEntry, SQLiteStore, StoreError, audit_store, key_store
from service._app import create_app
from service._audit import AUDITED, NOT_AUDITED, REDACTED, redact
from service._keys import create_key
from service._settings import Settings
from tests._servers import serve_app

READER_EXPORT = Path(__file__).parents[1] / "fixtures" / "opml" / "reader_export.opml"
BRAND = {"id": "acme", "name": "Acme", "query": "acme"}
SOURCE = {"id": "wire", "url": "https://wire.example/feed.xml", "outlet": "Wire"}
HOOK_SECRET = "s3cret-s3cret-s3cret-s3cret"


def _settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, crawl=False, extract_workers=1, model_threads=1)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[httpx.Client]:
    with serve_app(create_app(_settings(tmp_path))) as base, httpx.Client(base_url=base) as c:
        yield c


def _entries(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    answer = client.get("/v1/audit", params={"limit": 1000, **params})
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def _ok(answer: httpx.Response, status: int) -> httpx.Response:
    assert answer.status_code == status, answer.text
    return answer


def test_each_configuration_change_is_recorded_once(client: httpx.Client) -> None:
    _ok(client.post("/v1/brands", json=BRAND), 201)
    _ok(client.put("/v1/brands/acme", json={**BRAND, "name": "Acme Inc"}), 200)
    _ok(client.delete("/v1/brands/acme"), 204)
    _ok(client.post("/v1/sources", json=SOURCE, headers={"x-request-id": "req-42"}), 201)
    opml = READER_EXPORT.read_bytes()
    imported = client.post(
        "/v1/sources/opml", content=opml, headers={"content-type": "text/x-opml"}
    )
    _ok(imported, 200)
    hook = _ok(
        client.post(
            "/v1/webhooks", json={"url": "https://hooks.example.com/c", "secret": HOOK_SECRET}
        ),
        201,
    ).json()

    entries = list(reversed(_entries(client)))  # oldest first
    assert [(e["action"], e["target_type"], e["target_id"]) for e in entries] == [
        ("brand.create", "brand", "acme"),
        ("brand.update", "brand", "acme"),
        ("brand.delete", "brand", "acme"),
        ("source.create", "source", "wire"),
        ("opml.import", "source", None),
        ("webhook.create", "webhook", hook["id"]),
    ]
    assert {e["actor"] for e in entries} == {"local"}  # authentication is off
    assert {e["remote_addr"] for e in entries} == {"127.0.0.1"}
    created, updated, deleted, source, upload, webhook = entries
    assert created["change"]["name"] == "Acme" and updated["change"]["name"] == "Acme Inc"
    assert deleted["change"] is None
    assert source["request_id"] == "req-42" and source["change"]["url"] == SOURCE["url"]
    assert upload["change"] == {
        "upload": {
            "media_type": "text/x-opml",
            "bytes": len(opml),
            "sha256": hashlib.sha256(opml).hexdigest(),
        },
        "result": imported.json(),
    }
    # The secret is shown to the client once, and never stored in the log.
    assert hook["secret"] == HOOK_SECRET
    assert webhook["change"]["secret"] == REDACTED
    assert webhook["change"]["url"] == "https://hooks.example.com/c"
    assert HOOK_SECRET not in client.get("/v1/audit").text
    assert HOOK_SECRET not in client.get("/v1/audit", params={"format": "csv"}).text
    # Request ids: the client's, else one made up and sent back.
    assert len({e["request_id"] for e in entries}) == len(entries)
    answer = _ok(client.post("/v1/brands", json={**BRAND, "id": "b2"}), 201)
    assert answer.headers["x-request-id"] == _entries(client, limit=1)[0]["request_id"]


def test_refused_and_read_requests_record_nothing(client: httpx.Client) -> None:
    assert client.post("/v1/brands", json={"id": "acme"}).status_code == 422  # no name
    assert client.put("/v1/brands/acme", json={**BRAND, "id": "other"}).status_code == 422
    assert client.delete("/v1/brands/nobody").status_code == 404
    _ok(client.post("/v1/brands", json=BRAND), 201)
    assert client.post("/v1/brands", json=BRAND).status_code == 409
    bad_opml = client.post(
        "/v1/sources/opml", content=b"<nope", headers={"content-type": "text/xml"}
    )
    assert bad_opml.status_code == 400
    private = client.post("/v1/webhooks", json={"url": "http://10.1.2.3/hook"})
    assert private.status_code == 422
    _ok(client.get("/v1/brands"), 200)
    _ok(client.post("/v1/queries/validate", json={"query": "acme"}), 200)
    assert [e["action"] for e in _entries(client)] == ["brand.create"]


def test_the_log_filters_and_pages(client: httpx.Client) -> None:
    for i in range(5):
        _ok(client.post("/v1/brands", json={**BRAND, "id": f"b{i}"}), 201)
    _ok(client.post("/v1/sources", json=SOURCE), 201)
    _ok(client.delete("/v1/brands/b1"), 204)

    assert [e["target_id"] for e in _entries(client, target_type="source")] == ["wire"]
    assert [e["action"] for e in _entries(client, target_id="b1")] == [
        "brand.delete",
        "brand.create",
    ]
    assert len(_entries(client, action="brand.create")) == 5
    assert len(_entries(client, actor="local")) == 7 and _entries(client, actor="k_1") == []
    newest = _entries(client)
    assert _entries(client, since=newest[0]["at"]) == [newest[0]]
    assert [e["id"] for e in _entries(client, until=newest[0]["at"])] == [
        e["id"] for e in newest[1:]
    ]

    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = _ok(client.get("/v1/audit", params=params), 200).json()
        seen.extend(e["id"] for e in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [e["id"] for e in newest] and len(seen) == 7

    answer = _ok(client.get("/v1/audit", params={"limit": 2, "format": "csv"}), 200)
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [r["id"] for r in rows] == [e["id"] for e in newest[:2]]
    assert rows[0]["action"] == "brand.delete" and rows[0]["change"] == ""
    assert answer.headers["x-next-cursor"]
    by_accept = client.get("/v1/audit", headers={"accept": "text/csv"})
    assert by_accept.headers["content-type"].startswith("text/csv")

    bad = client.get("/v1/audit", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "cursor"
    assert client.get("/v1/audit", params={"limit": 0}).status_code == 422


def _write_routes(settings: Settings) -> set[tuple[str, str]]:
    paths = create_app(settings).openapi()["paths"]
    return {
        (method.upper(), path)
        for path, operations in paths.items()
        for method in operations
        if method.upper() not in {"GET", "HEAD", "OPTIONS"}
    }


def test_every_write_route_is_audited_or_says_why_not(tmp_path: Path) -> None:
    """Fails for a new write route: list it in ``service._audit.AUDITED`` (a
    configuration change) or ``NOT_AUDITED`` (with the reason it changes none)."""
    routes = _write_routes(_settings(tmp_path))
    unlisted = sorted(routes - AUDITED.keys() - NOT_AUDITED.keys())
    assert unlisted == [], f"write routes neither in AUDITED nor NOT_AUDITED: {unlisted}"
    assert not AUDITED.keys() & NOT_AUDITED.keys()
    stale = sorted((AUDITED.keys() | NOT_AUDITED.keys()) - routes)
    assert stale == [], f"rows of service._audit for routes the app does not have: {stale}"


def test_redaction_reaches_every_depth() -> None:
    value = {
        "id": "k1",
        "key": "clk_abc",
        "nested": [{"webhook_secret": "x", "Token": "y", "password": None, "name": "n"}],
    }
    assert redact(value) == {
        "id": "k1",
        "key": REDACTED,
        "nested": [{"webhook_secret": REDACTED, "Token": REDACTED, "password": None, "name": "n"}],
    }


class _AuditFails(SQLiteStore):
    """A store whose audit log is broken (a fault the real store cannot be made to raise)."""

    async def append_audit(self, entry: AuditEntry) -> None:
        raise StoreError("disk full (injected)")


def test_a_failed_audit_write_is_counted_and_the_change_stands(tmp_path: Path) -> None:
    store = _AuditFails(tmp_path / "faulty.db")
    app = create_app(_settings(tmp_path), store=store)
    with serve_app(app) as base, httpx.Client(base_url=base) as client:
        _ok(client.post("/v1/brands", json=BRAND), 201)
        assert _ok(client.get("/v1/brands/acme"), 200).json()["name"] == "Acme"
        assert _entries(client) == []
        metrics = _ok(client.get("/metrics"), 200).text
    assert "clarion_audit_write_failures_total 1.0" in metrics
    assert "clarion_audit_entries_total 0.0" in metrics


async def _stored_entries(settings: Settings) -> list[AuditEntry]:
    store = SQLiteStore(settings.database_path)
    await store.open()
    try:
        return (await audit_store(store).audit_entries(limit=1000)).entries
    finally:
        await store.close()


async def _admin_key(settings: Settings) -> tuple[ApiKey, str]:
    store = SQLiteStore(settings.database_path)
    await store.open()
    try:
        return await create_key(key_store(store), name="ops", scopes=("admin",))
    finally:
        await store.close()


def _clarion(tmp_path: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "service", *args],
        cwd=tmp_path,
        env={**os.environ, "CLARION_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_command_line_import_is_recorded_as_cli(tmp_path: Path) -> None:
    _clarion(tmp_path, "sources", "import", str(READER_EXPORT))
    [entry] = asyncio.run(_stored_entries(_settings(tmp_path)))
    content = READER_EXPORT.read_bytes()
    assert (entry.actor, entry.action, entry.target_type, entry.target_id) == (
        "cli",
        "opml.import",
        "source",
        None,
    )
    assert entry.change == {
        "upload": {
            "file": str(READER_EXPORT),
            "bytes": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
        },
        "result": {"created": 5, "updated": 0, "unchanged": 0, "kept": 0},
    }


def test_with_keys_the_actor_is_the_key_and_key_secrets_are_redacted(
    tmp_path: Path,
) -> None:
    settings = Settings(
        data_dir=tmp_path, crawl=False, extract_workers=1, model_threads=1, auth="keys"
    )
    admin, text = asyncio.run(_admin_key(settings))
    auth = {"authorization": f"Bearer {text}"}

    def exercise(base: str) -> tuple[str, str]:
        with httpx.Client(base_url=base, headers=auth) as client:
            assert client.post("/v1/brands", json=BRAND, headers={}).status_code == 201
            anonymous = httpx.post(f"{base}/v1/brands", json={**BRAND, "id": "b2"})
            assert anonymous.status_code == 401  # refused: not recorded
            made = _ok(client.post("/v1/keys", json={"name": "ci", "scopes": ["read"]}), 201)
            made_id, made_text = made.json()["id"], made.json()["key"]
            _ok(client.delete(f"/v1/keys/{made_id}"), 204)
            listed = _ok(client.get("/v1/audit"), 200).text
            assert made_text not in listed and text not in listed
            return made_id, made_text

    with serve_app(create_app(settings)) as base:
        made_id, _ = exercise(base)
    entries = list(reversed(asyncio.run(_stored_entries(settings))))
    assert [(e.actor, e.action, e.target_id) for e in entries] == [
        (admin.id, "brand.create", "acme"),
        (admin.id, "key.create", made_id),
        (admin.id, "key.revoke", made_id),
    ]
    assert entries[1].change is not None and entries[1].change["key"] == REDACTED


def test_campaign_changes_are_recorded(client: httpx.Client) -> None:
    _ok(client.post("/v1/brands", json=BRAND), 201)
    campaign = {
        "id": "spring",
        "brand": "acme",
        "name": "Spring launch",
        "start": "2026-04-01T00:00:00Z",
        "end": "2026-04-15T00:00:00Z",
    }
    _ok(client.post("/v1/campaigns", json=campaign), 201)
    _ok(client.put("/v1/campaigns/spring", json={**campaign, "name": "Spring"}), 200)
    _ok(client.delete("/v1/campaigns/spring"), 204)
    entries = list(reversed(_entries(client, target_type="campaign")))
    assert [(e["action"], e["target_id"]) for e in entries] == [
        ("campaign.create", "spring"),
        ("campaign.update", "spring"),
        ("campaign.delete", "spring"),
    ]
    assert entries[1]["change"]["name"] == "Spring"


def test_command_line_keys_are_recorded_without_their_text(tmp_path: Path) -> None:
    text = _clarion(tmp_path, "keys", "create", "--name", "ops", "--scope", "admin").strip()
    key_id = text.split("_")[1]
    _clarion(tmp_path, "keys", "revoke", key_id)
    entries = list(reversed(asyncio.run(_stored_entries(_settings(tmp_path)))))
    assert [(e.actor, e.action, e.target_type, e.target_id) for e in entries] == [
        ("cli", "key.create", "key", key_id),
        ("cli", "key.revoke", "key", key_id),
    ]
    assert entries[0].change is not None and entries[0].change["name"] == "ops"
    assert text not in repr(entries) and text.split("_", 2)[2] not in repr(entries)


def test_a_write_route_missing_from_the_tables_is_still_recorded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(_settings(tmp_path))
    extra = APIRouter()

    @extra.post("/v1/gadgets/{gadget_id}/tune")
    async def tune(gadget_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return {"id": gadget_id, **body}

    app.include_router(extra)
    with serve_app(app) as base, httpx.Client(base_url=base) as client:
        _ok(client.post("/v1/gadgets/g1/tune", json={"level": 3, "token": "t0p"}), 200)
        _ok(client.post("/v1/gadgets/g2/tune", json={"level": 4}), 200)
        entries = _entries(client)
    assert [(e["action"], e["target_type"], e["target_id"]) for e in entries] == [
        ("POST /v1/gadgets/{gadget_id}/tune", "gadgets", "g2"),
        ("POST /v1/gadgets/{gadget_id}/tune", "gadgets", "g1"),
    ]
    assert entries[1]["change"] == {"id": "g1", "level": 3, "token": REDACTED}
    unlisted = [r for r in caplog.records if "neither AUDITED nor NOT_AUDITED" in r.message]
    assert len(unlisted) == 1 and unlisted[0].levelname == "ERROR"  # logged once per route


def test_alert_rules_webhooks_and_source_enabling_are_recorded(client: httpx.Client) -> None:
    _ok(client.post("/v1/brands", json=BRAND), 201)
    rule = {"brand_id": "acme", "type": "tier1_coverage"}
    rule_id = _ok(client.post("/v1/alert-rules", json=rule), 201).json()["id"]  # generated
    _ok(client.put(f"/v1/alert-rules/{rule_id}", json={**rule, "enabled": False}), 200)
    _ok(client.delete(f"/v1/alert-rules/{rule_id}"), 204)
    hook = {"url": "https://hooks.example.com/c"}
    hook_id = _ok(client.post("/v1/webhooks", json=hook), 201).json()["id"]
    _ok(client.put(f"/v1/webhooks/{hook_id}", json={**hook, "secret": HOOK_SECRET}), 200)
    _ok(client.delete(f"/v1/webhooks/{hook_id}"), 204)
    _ok(client.post("/v1/sources", json={**SOURCE, "enabled": False}), 201)
    _ok(client.post("/v1/sources/wire/enable"), 200)

    entries = list(reversed(_entries(client)))[1:]  # after brand.create
    assert [(e["action"], e["target_id"]) for e in entries] == [
        ("alert_rule.create", rule_id),
        ("alert_rule.update", rule_id),
        ("alert_rule.delete", rule_id),
        ("webhook.create", hook_id),
        ("webhook.update", hook_id),
        ("webhook.delete", hook_id),
        ("source.create", "wire"),
        ("source.enable", "wire"),
    ]
    assert entries[1]["change"]["enabled"] is False
    assert entries[3]["change"]["secret"] == REDACTED  # the generated one
    assert entries[4]["change"]["secret"] == REDACTED
    assert HOOK_SECRET not in client.get("/v1/audit").text
