"""What the ``clarion`` commands share: settings, errors, logging, one store run,
one progress bar.

``_settings`` builds the settings from the environment and the command's options
(an option left out is ``None`` and falls back to the environment); invalid
settings, like every error a user can cause, end the command through ``_fail``:
one line on stderr and exit code 2, never a traceback. ``_check_config`` reads
the configuration file up front, so that a bad one fails the same way.
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
from typing import Any, TypeVar

import typer
from pydantic import ValidationError

from search import Store, StoreError
from service._logging import LogFormat, configure_logging
from service._runtime import ConfigFileError
from service._settings import Settings

__all__ = ["progress", "run_on_store"]

T = TypeVar("T")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"clarion: {message}", err=True)
    return typer.Exit(2)


def _settings(**overrides: Any) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        fields = "; ".join(
            f"CLARION_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            if e["loc"]
            else str(e["msg"]).removeprefix("Value error, ")
            for e in exc.errors()
        )
        raise _fail(f"invalid settings: {fields}") from None


def _configure_logging(level: str, fmt: LogFormat = "text") -> None:
    configure_logging(level, fmt=fmt)


def _check_config(settings: Settings) -> None:
    if settings.config_file is None:
        return
    from service._runtime import load_config_file

    try:
        load_config_file(settings.config_file)
    except ConfigFileError as exc:
        raise _fail(str(exc)) from None


def run_on_store(settings: Settings, action: Callable[[Store], Awaitable[T]]) -> T:
    """``action``'s result on the opened store; the SQLite data directory is made first."""
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
