"""Where the SQLite store's calls run: its connections and the threads they use.

``SQLiteThreads`` is the base of ``SQLiteStore``: it opens and closes the
connections, and its ``_write`` and ``_read`` run a blocking function of one
connection off the event loop, for the store and its mixins. Every SQLite call
runs in a worker thread. Writes go to one dedicated writer connection on a
single-thread executor, which serializes them (SQLite allows one writer at a
time anyway; queueing them in one thread replaces a lock and never
busy-waits). Reads go to a small pool of reader connections on their own
executor; in WAL mode they never wait for the writer. A coroutine cancelled
while its call runs in a thread does not cancel the call: a write that was
started is finished (and committed) or rolled back as a whole, never left
half-done.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

from search._sqlite_conn import (
    BUSY_TIMEOUT,
    Synchronous,
    connect,
    guarded,
    open_writer,
    translate,
)
from search._store import StoreError

__all__ = ["READERS", "SQLiteThreads"]

# Reader connections (and threads). Reads are short indexed queries; two keep a
# slow query (a year of hourly counts) from queueing the API behind it without
# taking more than the two cores Clarion is sized for.
READERS = 2

T = TypeVar("T")


@dataclass(slots=True)
class _Open:
    """What an open store holds."""

    writer: sqlite3.Connection
    writer_pool: ThreadPoolExecutor
    readers: queue.SimpleQueue[sqlite3.Connection]
    reader_conns: list[sqlite3.Connection]
    reader_pool: ThreadPoolExecutor


class SQLiteThreads:
    """The connections of ``SQLiteStore`` and the threads its calls run in (see
    the module docstring)."""

    def __init__(
        self,
        path: str | Path,
        *,
        readers: int = READERS,
        busy_timeout: float = BUSY_TIMEOUT,
        synchronous: Synchronous = "NORMAL",
    ) -> None:
        if str(path) in ("", ":memory:") or str(path).startswith("file:"):
            raise StoreError(f"SQLiteStore needs a file path, not {str(path)!r}")
        if readers < 1:
            raise StoreError("SQLiteStore needs at least one reader connection")
        self.path = Path(path)
        self._readers = readers
        self._busy_timeout = busy_timeout
        self._synchronous = synchronous
        self._state: _Open | None = None
        self._opening = asyncio.Lock()

    # --- lifecycle ----------------------------------------------------------------

    async def open(self) -> None:
        """Open the file (creating it), switch to WAL and migrate the schema.

        Idempotent; a store can be opened again after ``close()``.
        """
        async with self._opening:
            if self._state is None:
                self._state = await self._open()

    async def _open(self) -> _Open:
        writer_pool = ThreadPoolExecutor(1, thread_name_prefix="clarion-sqlite-writer")
        reader_pool = ThreadPoolExecutor(self._readers, thread_name_prefix="clarion-sqlite-reader")
        loop = asyncio.get_running_loop()
        writer: sqlite3.Connection | None = None
        try:
            writer = await loop.run_in_executor(writer_pool, self._open_writer)
            conns = await loop.run_in_executor(reader_pool, self._open_readers)
        except BaseException:
            if writer is not None:
                writer.close()
            writer_pool.shutdown(wait=False)
            reader_pool.shutdown(wait=False)
            raise
        readers: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        for conn in conns:
            readers.put(conn)
        return _Open(writer, writer_pool, readers, conns, reader_pool)

    async def close(self) -> None:
        """Wait for calls in flight, then close every connection. Idempotent."""
        state, self._state = self._state, None
        if state is not None:
            await asyncio.to_thread(self._shutdown, state)

    def _open_writer(self) -> sqlite3.Connection:
        return open_writer(
            self.path, busy_timeout=self._busy_timeout, synchronous=self._synchronous
        )

    def _open_readers(self) -> list[sqlite3.Connection]:
        conns: list[sqlite3.Connection] = []
        try:
            for _ in range(self._readers):
                conns.append(
                    connect(
                        self.path,
                        busy_timeout=self._busy_timeout,
                        synchronous=self._synchronous,
                        query_only=True,
                    )
                )
        except BaseException:
            for conn in conns:
                conn.close()
            raise
        return conns

    @staticmethod
    def _shutdown(state: _Open) -> None:
        state.writer_pool.shutdown(wait=True)
        state.reader_pool.shutdown(wait=True)
        try:
            state.writer.execute("PRAGMA optimize")  # refresh planner statistics, cheap
        except sqlite3.Error as exc:
            raise translate(exc) from exc
        finally:
            for conn in (state.writer, *state.reader_conns):
                conn.close()

    # --- running calls in threads ------------------------------------------------

    def _opened(self) -> _Open:
        if self._state is None:
            raise StoreError("the store is not open: call open() first")
        return self._state

    async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        state = self._opened()
        return await self._submit(state.writer_pool, partial(guarded, fn, state.writer))

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        state = self._opened()

        def call() -> T:
            # Never blocks: the pool has as many threads as there are connections.
            conn = state.readers.get()
            try:
                return guarded(fn, conn)
            finally:
                state.readers.put(conn)

        return await self._submit(state.reader_pool, call)

    @staticmethod
    async def _submit(pool: ThreadPoolExecutor, call: Callable[[], T]) -> T:
        try:
            future = asyncio.get_running_loop().run_in_executor(pool, call)
        except RuntimeError:  # the pool was shut down by close()
            raise StoreError("the store is closed") from None
        return await future
