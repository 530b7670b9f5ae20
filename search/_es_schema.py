"""The Elasticsearch store's indices: templates, configuration indices, retention.

The mappings live in ``search/mappings/*.json`` (a top-level ``_comment`` is
dropped on load); where each noun is stored and why: ``search._es_codec``.
"""

from __future__ import annotations

import json
from datetime import datetime
from importlib import resources
from typing import Any

from search import _es_codec as esc
from search._es_client import EsCalls
from search._sqlite_codec import to_us
from search._store import StoreError

__all__ = ["TIME_KINDS", "create_index", "drop_months_before", "install", "mapping"]

# The nouns stored in monthly indices by counted time.
TIME_KINDS = ("documents", "mentions")
# Priority of Clarion's index templates: above Elasticsearch's built-in ones
# (``logs-*-*`` etc. use 100) so that a broad pattern can never win over ours.
_TEMPLATE_PRIORITY = 200


def mapping(name: str) -> dict[str, Any]:
    """The settings and mappings of ``search/mappings/{name}.json``."""
    raw = resources.files("search.mappings").joinpath(f"{name}.json").read_text("utf-8")
    body: dict[str, Any] = json.loads(raw)
    body.pop("_comment", None)
    return body


async def install(calls: EsCalls, prefix: str) -> None:
    """Put the index templates and create the configuration indices (idempotent).

    Every monthly index gets the read alias ``{prefix}-{kind}`` from its template.
    """
    for kind in TIME_KINDS:
        await calls.call(
            f"open: template {kind}",
            calls.client.indices.put_index_template,
            name=f"{prefix}-{kind}",
            index_patterns=[esc.index_pattern(prefix, kind)],
            priority=_TEMPLATE_PRIORITY,
            template={**mapping(kind), "aliases": {f"{prefix}-{kind}": {}}},
        )
    for kind in TIME_KINDS:
        # Existing monthly indices get the fields added since they were created
        # (additive only: a changed field type is refused by Elasticsearch).
        await calls.call(
            f"open: mapping {kind}",
            calls.client.indices.put_mapping,
            index=esc.index_pattern(prefix, kind),
            properties=mapping(kind)["mappings"]["properties"],
            allow_no_indices=True,
        )
    config = mapping("config")
    for kind in esc.CONFIG_KINDS:
        await create_index(calls, esc.config_index(prefix, kind), config, what="open")


async def create_index(calls: EsCalls, index: str, body: dict[str, Any], *, what: str) -> None:
    """Create ``index`` with ``body`` (settings and mappings) unless it exists; another
    process creating it at the same moment is no error."""
    exists = await calls.call(
        f"{what}: {index} exists", calls.client.indices.exists, index=index, allow=(404,)
    )
    if exists.get("result") is True:
        return
    created = await calls.call(
        f"{what}: create {index}", calls.client.indices.create, index=index, allow=(400,), **body
    )
    error = created.get("error")
    if isinstance(error, dict) and error.get("type") != "resource_already_exists_exception":
        raise StoreError(f"elasticsearch {what}: create {index}: {error.get('reason')}")


async def drop_months_before(calls: EsCalls, prefix: str, cutoff: datetime) -> list[str]:
    """Delete the monthly indices whose whole month is before ``cutoff``; their names.

    A month is dropped only when it ends at or before ``cutoff`` (UTC months),
    so nothing counted at or after ``cutoff`` is ever deleted.
    """
    cutoff_month = esc.month_suffix(to_us(cutoff))
    dropped: list[str] = []
    for kind in TIME_KINDS:
        found = await calls.call(
            f"retention: list {kind}",
            calls.client.indices.get,
            index=esc.index_pattern(prefix, kind),
            allow_no_indices=True,
        )
        month_prefix = f"{prefix}-{kind}-"
        old = sorted(
            name
            for name in found
            if name.startswith(month_prefix) and name[len(month_prefix) :] < cutoff_month
        )
        for name in old:
            await calls.call(f"retention: drop {name}", calls.client.indices.delete, index=name)
        dropped.extend(old)
    return dropped
