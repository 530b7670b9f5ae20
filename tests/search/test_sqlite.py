"""What is particular to the SQLite store: migrations, pragmas, locks, exact slot folding."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from crawlers import Document
from enrichment import Brand, Mention, Phrase, Sentiment
from search import (
    InvalidCursor,
    MentionFilter,
    SQLiteStore,
    StoreError,
    TemporaryStoreError,
)
from search._sqlite_codec import to_json
from search._sqlite_migrate import migrate, migrations


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def document(doc_id: str, at: datetime, text: str = "Acme text") -> Document:
    return Document(
        id=doc_id,
        url=f"https://x.example/{doc_id}",
        source_id="x",
        outlet="X",
        domain="x.example",
        title="Title",
        text=text,
        fetched_at=at,
        published_at=at,
    )


def mention(doc_id: str, brand_id: str = "acme") -> Mention:
    return Mention(document_id=doc_id, brand_id=brand_id, sentiment=Sentiment("neutral", 0.9))


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "db.sqlite3")
    await s.open()
    yield s
    await s.close()


async def test_open_migrates_an_older_database(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, target=1) == 1  # as the first release left it
    conn.execute("INSERT INTO brands VALUES (?, ?)", ("acme", to_json(Brand(id="acme", name="A"))))
    conn.close()

    store = SQLiteStore(path)
    await store.open()
    try:
        assert await store.list_brands() == [Brand(id="acme", name="A")]
        assert await store.save_document(document("d1", utc(2026, 1, 1)), [mention("d1")]) == (
            "created"
        )
    finally:
        await store.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(migrations())
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_two_processes_opening_a_new_database_apply_each_migration_once(
    tmp_path: Path,
) -> None:
    """Both read version 0, one migrates while the other waits for the lock; the
    other then finds the work done (before: "table ... already exists")."""
    latest = len(migrations())
    for trial in range(5):
        path, start = tmp_path / f"new{trial}.db", threading.Barrier(2)
        with ThreadPoolExecutor(2) as pool:
            versions = list(pool.map(_open_and_migrate, [path] * 2, [start] * 2))
        assert versions == [latest, latest]


def _open_and_migrate(path: Path, start: threading.Barrier) -> int:
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        start.wait()
        return migrate(conn)
    finally:
        conn.close()


async def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    store = SQLiteStore(path)
    with pytest.raises(StoreError, match="newer"):
        await store.open()
    with pytest.raises(StoreError, match="not open"):
        await store.count_documents()


async def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.sqlite3"
    path.write_bytes(b"this is not a database, just some bytes " * 100)
    store = SQLiteStore(path)
    with pytest.raises(StoreError) as raised:
        await store.open()
    assert not isinstance(raised.value, TemporaryStoreError)


def test_memory_databases_are_refused() -> None:
    with pytest.raises(StoreError):
        SQLiteStore(":memory:")


async def test_a_locked_database_is_a_temporary_error_and_reads_go_on(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    store = SQLiteStore(path, busy_timeout=0.05)
    await store.open()
    try:
        await store.save_document(document("d1", utc(2026, 1, 1)), [mention("d1")])
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        with pytest.raises(TemporaryStoreError):
            await store.save_document(document("d2", utc(2026, 1, 2)), [mention("d2")])
        with pytest.raises(TemporaryStoreError):
            await store.put_brand(Brand(id="acme", name="Acme"))
        assert await store.count_documents() == 1  # WAL: readers are not blocked
        other.execute("ROLLBACK")
        other.close()
        assert await store.save_document(document("d2", utc(2026, 1, 2)), [mention("d2")]) == (
            "created"
        )
    finally:
        await store.close()


async def test_duplicate_mentions_are_rejected_and_nothing_is_written(store: SQLiteStore) -> None:
    with pytest.raises(StoreError):
        await store.save_document(document("d1", utc(2026, 1, 1)), [mention("d1"), mention("d1")])
    assert await store.count_documents() == 0
    assert (await store.search_mentions(MentionFilter(), limit=10)).hits == []


async def test_a_cursor_only_works_with_the_filter_that_issued_it(store: SQLiteStore) -> None:
    for i in range(3):
        await store.save_document(document(f"d{i}", utc(2026, 1, 1, i)), [mention(f"d{i}")])
    where = MentionFilter(brand_ids=("acme",))
    page = await store.search_mentions(where, limit=1)
    assert page.next_cursor is not None
    same = MentionFilter(brand_ids=("acme",))
    assert len((await store.search_mentions(same, limit=5, cursor=page.next_cursor)).hits) == 2
    with pytest.raises(InvalidCursor, match="another query"):
        await store.search_mentions(MentionFilter(), limit=1, cursor=page.next_cursor)


async def test_counts_stay_exact_when_a_bucket_boundary_splits_a_slot(store: SQLiteStore) -> None:
    # Amsterdam in 1930 was UTC+1:19:32 in summer: local midnight of June 2 is
    # 22:40:28 UTC, inside the 22:30-22:45 UTC slot (and before the epoch).
    amsterdam = ZoneInfo("Europe/Amsterdam")
    for doc_id, at in [
        ("a", datetime(1930, 6, 1, 22, 31, tzinfo=UTC)),
        ("b", datetime(1930, 6, 1, 22, 40, 27, tzinfo=UTC)),
        ("c", datetime(1930, 6, 1, 22, 40, 28, tzinfo=UTC)),
        ("d", datetime(1930, 6, 1, 22, 44, 59, tzinfo=UTC)),
    ]:
        await store.save_document(document(doc_id, at), [mention(doc_id)])
    found = await store.mention_counts(MentionFilter(), interval="day", tz=amsterdam)
    assert [(c.start.isoformat(), c.count) for c in found] == [
        ("1930-06-01T00:00:00+01:19:32", 2),
        ("1930-06-02T00:00:00+01:19:32", 2),
    ]
    # the same through the exact-check path (a case-sensitive query)
    where = MentionFilter(query=Phrase(("Acme",), case_sensitive=True))
    found = await store.mention_counts(where, interval="day", tz=amsterdam)
    assert [c.count for c in found] == [2, 2]


async def test_connections_use_wal_normal_sync_foreign_keys_and_a_busy_timeout(
    tmp_path: Path,
) -> None:
    store = SQLiteStore(tmp_path / "db.sqlite3", busy_timeout=2.5)
    await store.open()
    try:
        state = store._state  # inspected, not changed
        assert state is not None
        for conn in (state.writer, *state.reader_conns):
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
            assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
            assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 2500
        assert all(c.execute("PRAGMA query_only").fetchone()[0] == 1 for c in state.reader_conns)
    finally:
        await store.close()
