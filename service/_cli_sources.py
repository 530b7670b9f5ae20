"""``clarion sources``: import and export source lists as OPML.

``sources import`` reads the file first (an unreadable file, one that is not OPML,
or outlines that are not valid sources end with one line on stderr and exit code
2), then adds the sources (``service._opml_sources.import_sources``) and records
the upload (name, size, SHA-256) and its counts in the audit log with actor
``"cli"``. ``sources export`` writes OPML 2.0 to a file or standard output.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from hashlib import sha256
from pathlib import Path
from typing import Annotated

import typer

from service._audit import record_change
from service._cli_run import _fail, _settings

__all__ = ["sources_app"]

sources_app = typer.Typer(help="Source lists: OPML import and export.", no_args_is_help=True)


@sources_app.command("import")
def sources_import(
    opml: Annotated[Path, typer.Argument(help="an OPML file (e.g. a feed reader's export)")],
    replace: Annotated[bool, typer.Option(help="replace sources whose id exists")] = False,
) -> None:
    """Add the feeds of an OPML file as sources (folders become channels where they name one)."""
    from crawlers import CrawlError
    from service._opml_sources import ImportCounts, InvalidOutlines, import_sources
    from service._opml_sources import sources_from_opml as read_sources
    from service._runtime import make_store

    try:
        content = opml.read_bytes()
        sources = read_sources(content)
    except OSError as exc:
        raise _fail(f"cannot read {opml}: {exc.strerror}") from None
    except CrawlError as exc:
        raise _fail(f"{opml} is not OPML: {exc}") from None
    except InvalidOutlines as exc:
        raise _fail(f"{opml} has outlines that are not valid sources: {exc}") from None
    settings = _settings()

    async def run() -> ImportCounts:
        store = make_store(settings)
        await store.open()
        try:
            counts = await import_sources(store, sources, replace=replace)
            digest = sha256(content).hexdigest()
            upload = {"file": str(opml), "bytes": len(content), "sha256": digest}
            change = {"upload": upload, "result": dataclasses.asdict(counts)}
            await record_change(
                store, actor="cli", action="opml.import", target_type="source", change=change
            )
            return counts
        finally:
            await store.close()

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    counts = asyncio.run(run())
    imported, left = counts.created + counts.updated, counts.unchanged + counts.kept
    typer.echo(f"{imported} source(s) imported, {left} existing left as they were")


@sources_app.command("export")
def sources_export(
    out: Annotated[
        Path | None, typer.Option(help="file to write; default: standard output")
    ] = None,
) -> None:
    """Write every source as OPML 2.0 (Clarion's fields kept in clarion:* attributes)."""
    from service._opml_sources import export_opml
    from service._runtime import make_store

    settings = _settings()

    async def run() -> bytes:
        store = make_store(settings)
        await store.open()
        try:
            return await export_opml(store)
        finally:
            await store.close()

    data = asyncio.run(run())
    if out is None:
        sys.stdout.buffer.write(data)
    else:
        out.write_bytes(data)
