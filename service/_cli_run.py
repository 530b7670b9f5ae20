"""What the store-using ``clarion`` commands share: one store run, one progress bar.

``run_on_store`` opens the store the settings name, runs one action on it and
closes it (also when the action fails); a ``StoreError`` ends the command with one
line on stderr and exit code 2, like every user-facing error of the CLI.
``progress`` is the bar that long copies (``migrate``, ``reindex``, ``backfill``)
draw on stderr, so that their JSON report on stdout stays clean.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import typer

from search import Store, StoreError
from service._settings import Settings

__all__ = ["progress", "run_on_store"]

T = TypeVar("T")


def run_on_store(settings: Settings, action: Callable[[Store], Awaitable[T]]) -> T:
    """``action``'s result on the opened store; the SQLite data directory is made first."""
    from service._cli import _fail
    from service._runtime import make_store

    if settings.store == "sqlite":
        settings.data_dir.mkdir(parents=True, exist_ok=True)

    async def run() -> T:
        store = make_store(settings)
        await store.open()
        try:
            return await action(store)
        finally:
            await store.close()

    try:
        return asyncio.run(run())
    except StoreError as exc:
        raise _fail(str(exc)) from None


@contextlib.contextmanager
def progress(total: int) -> Iterator[Callable[[int], None]]:
    """A bar over ``total`` documents on stderr; yields the callback given the count done."""
    with typer.progressbar(length=total, label="documents", file=sys.stderr) as bar:

        def advance(done: int) -> None:
            bar.update(done - bar.pos)

        yield advance
