"""``clarion brands``: add and list brands in the configured store.

``brands add`` validates with the same schema as ``POST /v1/brands``
(``service._schemas_config.BrandCreate``), so both refuse the same input with the
same field names; a query that does not parse is shown with a caret under the
position of the problem. An existing id is refused unless ``--replace`` (then it is
``PUT`` semantics). Each change is recorded in the audit log with actor ``"cli"``.
Errors end with one line (a query error: three) on stderr and exit code 2.

A running API process tracks the brands it loaded at start or changed through the
API: restart it (or ``PUT`` the brand through the API) after ``brands add``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError

from enrichment import Brand
from enrichment._query import QuerySyntaxError, parse_query
from search import Store
from service._audit import record_change
from service._cli_run import _fail, _settings, run_on_store
from service._schemas_config import BrandCreate, BrandPublic

__all__ = ["brands_app"]

brands_app = typer.Typer(help="Brands: add (or replace) and list.", no_args_is_help=True)

_COLUMNS = ("id", "name", "query", "aliases", "competitors")
# Widest a table cell gets before it is cut with an ellipsis: a query can run to
# thousands of characters, and a row per line is what keeps the table readable.
MAX_CELL = 48

T = TypeVar("T")


def _query_error(query: str, exc: QuerySyntaxError) -> str:
    """The error, the query, and a caret under the position (one line per part)."""
    return f"invalid --query: {exc.message}\n  {query}\n  {' ' * exc.position}^"


def _validated(fields: dict[str, Any]) -> BrandCreate:
    query = str(fields.get("query") or "")
    if query.strip():
        try:
            parse_query(query)
        except QuerySyntaxError as exc:
            raise _fail(_query_error(query, exc)) from None
    try:
        return BrandCreate.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(
            f"--{'.'.join(str(p) for p in e['loc']).replace('_', '-')}: {e['msg']}"
            for e in exc.errors()
        )
        raise _fail(f"invalid brand: {problems}") from None


def _store_run(action: Callable[[Store], Awaitable[T]]) -> T:
    return run_on_store(_settings(), action)


@brands_app.command("add")
def add(
    brand_id: Annotated[str, typer.Argument(help="the brand's id: a-z, 0-9, - and _")],
    name: Annotated[str, typer.Option(help="the brand's display name")],
    query: Annotated[
        str, typer.Option(help="boolean query; empty: the name and aliases as phrases")
    ] = "",
    alias: Annotated[list[str] | None, typer.Option(help="another name; repeatable")] = None,
    exclusion: Annotated[
        list[str] | None, typer.Option(help="a false friend (`apple pie`); repeatable")
    ] = None,
    domain: Annotated[
        list[str] | None, typer.Option(help="an owned domain (acme.com); repeatable")
    ] = None,
    spokesperson: Annotated[
        list[str] | None, typer.Option(help="a spokesperson's name; repeatable")
    ] = None,
    message: Annotated[list[str] | None, typer.Option(help="a key message; repeatable")] = None,
    competitor: Annotated[
        list[str] | None, typer.Option(help="a competitor's brand id; repeatable")
    ] = None,
    replace: Annotated[bool, typer.Option(help="replace the brand if the id exists")] = False,
) -> None:
    """Add a brand (the same fields and checks as POST /v1/brands)."""
    body = _validated(
        {
            "id": brand_id,
            "name": name,
            "query": query,
            "aliases": alias or [],
            "exclusions": exclusion or [],
            "owned_domains": domain or [],
            "spokespeople": spokesperson or [],
            "key_messages": message or [],
            "competitors": competitor or [],
        }
    )
    brand = body.to_brand()

    async def put(store: Store) -> bool:
        existed = await store.get_brand(brand.id) is not None
        if existed and not replace:
            return False
        await store.put_brand(brand)
        await record_change(
            store,
            actor="cli",
            action="brand.update" if existed else "brand.create",
            target_type="brand",
            target_id=brand.id,
            change=BrandPublic.of(brand).model_dump(mode="json"),
        )
        return True

    if not _store_run(put):
        raise _fail(f"brand {brand.id!r} exists: pass --replace to replace it")
    typer.echo(f"brand {brand.id} saved (restart running API processes to track it)")


def _cell(value: Any) -> str:
    text = ", ".join(value) if isinstance(value, tuple | list) else str(value)
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def _table(brands: list[Brand]) -> str:
    rows = [list(_COLUMNS)] + [[_cell(getattr(b, c)) for c in _COLUMNS] for b in brands]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


@brands_app.command("list")
def list_brands(
    as_json: Annotated[
        bool, typer.Option("--json", help="every field, as JSON (as GET /v1/brands)")
    ] = False,
) -> None:
    """Every brand, as a table (or JSON with --json), by id."""

    async def read(store: Store) -> list[Brand]:
        return sorted(await store.list_brands(), key=lambda b: b.id)

    brands = _store_run(read)
    if as_json:
        items = [BrandPublic.of(b).model_dump(mode="json") for b in brands]
        typer.echo(json.dumps({"items": items}, indent=2, ensure_ascii=False))
    else:
        typer.echo(_table(brands))
