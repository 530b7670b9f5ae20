"""SQLite connections for the store: opening them, transactions, and errors.

Every ``sqlite3.Error`` leaves this layer as a ``StoreError``:
``TemporaryStoreError`` when the database is busy or locked (another process
held it longer than the busy timeout), ``StoreError`` for everything else.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Literal, TypeVar

from search._sqlite_migrate import migrate
from search._store import StoreError, TemporaryStoreError

__all__ = [
    "BUSY_TIMEOUT",
    "Synchronous",
    "connect",
    "guarded",
    "open_writer",
    "snapshot",
    "transaction",
    "translate",
]

# Seconds a statement waits for a lock held by another connection before
# failing with TemporaryStoreError. Within one process writes never wait (they
# are queued in one thread); this covers another process on the same file (the
# CLI next to the server) and WAL checkpoints, which take milliseconds. Five
# seconds outlasts those without hiding a stuck process for long.
BUSY_TIMEOUT = 5.0
# Lock errors that are worth retrying (SQLITE_BUSY, SQLITE_LOCKED).
_TEMPORARY_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})

T = TypeVar("T")
Synchronous = Literal["NORMAL", "FULL"]


def translate(exc: sqlite3.Error) -> StoreError:
    """The store error for a ``sqlite3`` error (raise it ``from exc``)."""
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    message = f"sqlite: {exc}"
    if code in _TEMPORARY_CODES or "database is locked" in str(exc):
        return TemporaryStoreError(message)
    return StoreError(message)


def guarded(fn: Callable[[sqlite3.Connection], T], conn: sqlite3.Connection) -> T:
    """``fn(conn)``, with ``sqlite3`` errors translated."""
    try:
        return fn(conn)
    except sqlite3.Error as exc:
        raise translate(exc) from exc


@contextmanager
def _between(conn: sqlite3.Connection, begin: str) -> Iterator[None]:
    conn.execute(begin)
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def transaction(conn: sqlite3.Connection) -> AbstractContextManager[None]:
    """A write transaction that takes the write lock at once (no upgrade deadlock)."""
    return _between(conn, "BEGIN IMMEDIATE")


def snapshot(conn: sqlite3.Connection) -> AbstractContextManager[None]:
    """One read transaction: every statement inside sees the same committed state."""
    return _between(conn, "BEGIN")


def connect(
    path: Path, *, busy_timeout: float, synchronous: Synchronous, query_only: bool = False
) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), rows as ``sqlite3.Row``.

    ``check_same_thread`` is off: a connection is used by one thread at a time,
    but not always the same one.
    """
    try:
        conn = sqlite3.connect(
            path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise translate(exc) from exc
    try:
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA synchronous = {synchronous}")
        if query_only:
            conn.execute("PRAGMA query_only = ON")
    except sqlite3.Error as exc:
        conn.close()
        raise translate(exc) from exc
    return conn


def open_writer(path: Path, *, busy_timeout: float, synchronous: Synchronous) -> sqlite3.Connection:
    """The writer connection: WAL journal, FTS5 checked, schema migrated to the latest version."""
    conn = connect(path, busy_timeout=busy_timeout, synchronous=synchronous)
    try:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal":
            raise StoreError(f"{path}: cannot use WAL (journal mode {mode!r})")
        options = {row[0] for row in conn.execute("PRAGMA compile_options")}
        if "ENABLE_FTS5" not in options:
            raise StoreError(f"this Python's SQLite {sqlite3.sqlite_version} lacks FTS5")
        migrate(conn)
    except sqlite3.Error as exc:
        conn.close()
        raise translate(exc) from exc
    except BaseException:
        conn.close()
        raise
    return conn
