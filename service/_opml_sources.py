"""OPML source lists in and out of a store: what ``clarion sources import/export`` and
``/v1/sources/opml`` share.

Every outline is validated as the API validates a source (``SourceCreate``), so an
OPML file cannot store a source the API would refuse; the export lists sources by
id, so the same sources always give the same bytes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from crawlers import Source, feed_outlines, parse_opml, source_from_outline, write_opml
from search import Store
from service._schemas_config import SourceCreate

OPML_TITLE = "Clarion sources"


class InvalidOutlines(ValueError):
    """Outlines that are not valid sources; ``errors`` = ``{"field", "message"}`` each,
    the field named ``outlines.<n>.<field>`` (``n`` counts feed outlines from 0)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportCounts:
    """What an import did: ``kept`` are existing sources that differ but were not replaced."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0


def sources_from_opml(content: bytes) -> list[Source]:
    """The sources of an OPML document, validated; the last wins when ids repeat.

    Raises ``OpmlParseError`` when ``content`` is not OPML and ``InvalidOutlines``
    when an outline is not a valid source.
    """
    found: dict[str, Source] = {}
    errors: list[dict[str, Any]] = []
    for n, outline in enumerate(feed_outlines(parse_opml(content))):
        derived = source_from_outline(outline)
        fields = {k: v for k, v in dataclasses.asdict(derived).items() if v not in ("", None)}
        if isinstance(fields.get("language"), str):  # readers write tags: en-gb -> en
            fields["language"] = fields["language"].split("-")[0].split("_")[0]
        try:
            source = SourceCreate.model_validate(fields).to_source()
        except ValidationError as exc:
            errors += [
                {
                    "field": ".".join(["outlines", str(n), *map(str, err["loc"])]),
                    "message": err["msg"],
                }
                for err in exc.errors()
            ]
            continue
        found[source.id] = source
    if errors:
        raise InvalidOutlines(errors)
    return list(found.values())


async def import_sources(store: Store, sources: list[Source], *, replace: bool) -> ImportCounts:
    """Create each source; one whose id exists is replaced when ``replace`` (counted
    ``updated``) unless equal (``unchanged``). Idempotent: a second import of the same
    sources counts them all ``unchanged``."""
    created = updated = unchanged = kept = 0
    for source in sources:
        existing = await store.get_source(source.id)
        if existing is None:
            await store.put_source(source)
            created += 1
        elif existing == source:
            unchanged += 1
        elif replace:
            await store.put_source(source)
            updated += 1
        else:
            kept += 1
    return ImportCounts(created=created, updated=updated, unchanged=unchanged, kept=kept)


async def export_opml(store: Store) -> bytes:
    """Every source of ``store`` as OPML 2.0, by id: the same sources, the same bytes."""
    sources = sorted(await store.list_sources(), key=lambda s: s.id)
    return write_opml(sources, title=OPML_TITLE)
