"""Where ``clarion migrate`` and ``clarion reindex`` copy from and to.

A *location* names a store:

- ``sqlite:PATH``: an SQLite file (``sqlite:data/clarion.db``,
  ``sqlite:///var/lib/clarion/clarion.db``); created if missing;
- ``http://HOST:PORT`` or ``https://...``: an Elasticsearch cluster, reached
  with the ``CLARION_ES_*`` settings (credentials, CA, timeout), under an
  index prefix (default ``CLARION_ES_INDEX_PREFIX``).

The copy itself is ``search.copy_store`` (resumable, idempotent).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from search import Store
from service._runtime import make_store
from service._settings import Settings

__all__ = ["Location", "LocationError", "checkpoint_path", "configured_location", "parse_location"]


class LocationError(ValueError):
    """A location that names no store Clarion can open (the message says why)."""


@dataclass(frozen=True, slots=True)
class Location:
    """A store to copy from or to; ``name`` identifies it in checkpoints and messages."""

    settings: Settings
    name: str

    def store(self) -> Store:
        return make_store(self.settings)


def parse_location(text: str, settings: Settings, *, prefix: str | None = None) -> Location:
    """The store ``text`` names (see the module docstring); other settings from ``settings``."""
    if text.startswith("sqlite:"):
        raw = text.removeprefix("sqlite:")
        raw = raw[2:] if raw.startswith("//") else raw  # sqlite:///abs/path -> /abs/path
        if not raw:
            raise LocationError(f"{text!r}: no file path after sqlite:")
        path = Path(raw).expanduser().resolve()
        updated = settings.model_copy(update={"store": "sqlite", "sqlite_path": path})
        return Location(updated, f"sqlite:{path}")
    if text.startswith(("http://", "https://")):
        index_prefix = prefix or settings.es_index_prefix
        if index_prefix != index_prefix.lower() or not index_prefix or "*" in index_prefix:
            raise LocationError(f"index prefix {index_prefix!r}: must be non-empty lower case")
        updated = settings.model_copy(
            update={"store": "elasticsearch", "es_url": text, "es_index_prefix": index_prefix}
        )
        return Location(updated, f"{_without_credentials(text)}#{index_prefix}")
    raise LocationError(f"{text!r}: expected sqlite:PATH or an http(s):// Elasticsearch URL")


def configured_location(settings: Settings) -> Location:
    """The store the settings name (``CLARION_STORE`` and the rest)."""
    if settings.store == "elasticsearch":
        assert settings.es_url is not None  # the settings validator requires it
        return parse_location(settings.es_url, settings)
    return parse_location(f"sqlite:{settings.database_path}", settings)


def checkpoint_path(settings: Settings, identity: str) -> Path:
    """The default checkpoint of a copy: one file per (source, target) in the data folder."""
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:16]
    return settings.data_dir / f"migrate-{digest}.checkpoint.json"


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
