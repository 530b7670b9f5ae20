"""``AuditStore`` on every backend: append-only, newest first, filters, cursor pages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from search import AuditEntry, InvalidCursor, SQLiteStore, Store, StoreError, audit_store
from tests.store_contract._data import utc

T0 = utc(2026, 5, 1, 9)


def entry(key: str, minutes: int, **fields: object) -> AuditEntry:
    values: dict[str, object] = {
        "id": key,
        "at": T0 + timedelta(minutes=minutes),
        "actor": "local",
        "action": "brand.create",
        "target_type": "brand",
        "target_id": "acme",
    }
    values.update(fields)
    return AuditEntry(**values)  # type: ignore[arg-type]


def test_a_store_without_an_audit_log_is_refused() -> None:
    with pytest.raises(StoreError, match="does not store an audit log"):
        audit_store(object())


async def test_an_entry_round_trips_with_every_field(store: Store) -> None:
    audit = audit_store(store)
    full = entry(
        "e1",
        0,
        actor="k_1234",
        action="webhook.create",
        target_type="webhook",
        target_id="h1",
        change={"url": "https://hooks.example/x", "secret": "[redacted]", "n": [1, None]},
        request_id="req-7",
        remote_addr="127.0.0.1",
    )
    await audit.append_audit(full)
    await audit.append_audit(entry("e2", 1, target_id=None, action="opml.import"))
    page = await audit.audit_entries()
    assert page.entries == [entry("e2", 1, target_id=None, action="opml.import"), full]
    assert page.entries[1].at.tzinfo is not None and page.next_cursor is None


async def test_appending_an_id_again_keeps_the_first_entry(store: Store) -> None:
    audit = audit_store(store)
    await audit.append_audit(entry("e1", 0, action="brand.create"))
    await audit.append_audit(entry("e1", 5, action="brand.delete"))
    page = await audit.audit_entries()
    assert [(e.id, e.action, e.at) for e in page.entries] == [("e1", "brand.create", T0)]


async def test_entries_are_newest_first_and_filtered(store: Store) -> None:
    audit = audit_store(store)
    await audit.append_audit(entry("a", 0))
    await audit.append_audit(
        entry("b", 10, actor="cli", action="opml.import", target_type="source", target_id=None)
    )
    await audit.append_audit(
        entry("c", 20, actor="k1", action="source.update", target_type="source", target_id="feed-1")
    )
    await audit.append_audit(entry("d", 30, actor="k1", action="brand.delete"))
    await audit.append_audit(entry("e", 30, actor="k1", action="brand.update"))

    async def ids(**filters: object) -> list[str]:
        page = await audit.audit_entries(**filters)  # type: ignore[arg-type]
        return [e.id for e in page.entries]

    assert await ids() == ["e", "d", "c", "b", "a"]  # same time: by id, descending
    assert await ids(actor="k1") == ["e", "d", "c"]
    assert await ids(target_type="source") == ["c", "b"]
    assert await ids(target_type="brand", target_id="acme") == ["e", "d", "a"]
    assert await ids(target_id="feed-1") == ["c"]
    assert await ids(action="brand.delete") == ["d"]
    # since inclusive, until exclusive
    assert await ids(since=T0 + timedelta(minutes=10)) == ["e", "d", "c", "b"]
    assert await ids(until=T0 + timedelta(minutes=30)) == ["c", "b", "a"]
    assert await ids(since=T0 + timedelta(minutes=10), until=T0 + timedelta(minutes=20)) == ["b"]
    assert await ids(actor="nobody") == []


async def test_cursor_pages_cover_every_entry_once(store: Store) -> None:
    audit = audit_store(store)
    # 7 entries, two of them at the same instant, to page across a tie.
    for i, minutes in enumerate([0, 1, 2, 3, 3, 4, 5]):
        await audit.append_audit(entry(f"e{i}", minutes, actor="k1" if i % 2 else "local"))
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = await audit.audit_entries(limit=2, cursor=cursor)
        seen.extend(e.id for e in page.entries)
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == ["e6", "e5", "e4", "e3", "e2", "e1", "e0"] and pages == 4
    # Paging with a filter, and an entry appended later does not shift the pages.
    first = await audit.audit_entries(actor="k1", limit=2)
    assert [e.id for e in first.entries] == ["e5", "e3"] and first.next_cursor
    await audit.append_audit(entry("late", 60, actor="k1"))
    rest = await audit.audit_entries(actor="k1", limit=2, cursor=first.next_cursor)
    assert [e.id for e in rest.entries] == ["e1"] and rest.next_cursor is None


@pytest.mark.parametrize("cursor", ["", "nonsense!", "WyJ4IiwxLCJhIl0", "e30"])
async def test_a_cursor_the_store_did_not_issue_is_refused(store: Store, cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        await audit_store(store).audit_entries(cursor=cursor)


@pytest.mark.parametrize("limit", [0, 1001])
async def test_a_page_size_out_of_range_is_refused(store: Store, limit: int) -> None:
    with pytest.raises(StoreError, match="page size"):
        await audit_store(store).audit_entries(limit=limit)


async def test_the_sqlite_log_refuses_updates_and_deletes(store: Store) -> None:
    if not isinstance(store, SQLiteStore):
        pytest.skip("the append-only triggers are SQLite's; Elasticsearch has no update path")
    await audit_store(store).append_audit(entry("e1", 0))
    for sql in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(StoreError, match="append-only"):
            await store._write(lambda c, sql=sql: c.execute(sql))  # type: ignore[misc]
    assert [e.actor for e in (await audit_store(store).audit_entries()).entries] == ["local"]
