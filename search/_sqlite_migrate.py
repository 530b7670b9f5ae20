"""Schema migrations of the SQLite store: numbered SQL files, applied in order.

``search/migrations/NNNN_name.sql`` are numbered from 1 without gaps. The
database's ``PRAGMA user_version`` is the number of the last one applied. Each
migration runs in its own ``BEGIN IMMEDIATE`` transaction together with the
``user_version`` bump (the header field is transactional), so a failure leaves
the database at the previous version, never halfway; the version is read again
once the lock is held, so two processes opening a new database at once apply
each migration once. Opening a database
written by a newer Clarion (a version above the last file) is refused rather
than guessed at.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from importlib import resources

from search._store import StoreError

__all__ = ["Migration", "migrate", "migrations"]

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """The migrations shipped with this code, in order; ``StoreError`` if numbering has a gap."""
    found: list[Migration] = []
    for entry in resources.files("search.migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise StoreError(f"migrations are not numbered 1..n: {[m.name for m in found]}")
    return found


def migrate(conn: sqlite3.Connection, *, target: int | None = None) -> int:
    """Apply every migration above the database's version (up to ``target``); return the version.

    ``conn`` must be in autocommit mode (``isolation_level=None``). Errors
    propagate as ``sqlite3.Error`` or ``StoreError``.
    """
    available = migrations()
    latest = len(available) if target is None else target
    current: int = conn.execute("PRAGMA user_version").fetchone()[0]
    if current > len(available):
        raise StoreError(
            f"the database is at schema version {current}, newer than this Clarion "
            f"(which knows {len(available)}): upgrade Clarion, or use another database"
        )
    for migration in available[current:latest]:
        # The version is read again under the write lock: another process opening the
        # same new database may have applied this migration while we waited for it.
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] < migration.version:
                for statement in _statements(migration.sql):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {migration.version}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        current = migration.version
    return current


def _statements(sql: str) -> list[str]:
    """The statements of a migration, one by one (``executescript`` would commit the
    transaction it runs in): cut at each ``;`` that ends a complete statement, which
    a ``;`` inside a string or a trigger's body does not."""
    found: list[str] = []
    pending = ""
    for piece in sql.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \t\r\n;"):
                found.append(pending)
            pending = ""
    if pending.strip(" \t\r\n;"):
        raise StoreError(f"a migration ends inside a statement: {pending.strip()[:60]!r}")
    return found
