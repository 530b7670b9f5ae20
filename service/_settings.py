"""Clarion's one settings class. Nothing else in Clarion reads the environment.

Every field is set by an environment variable ``CLARION_<FIELD>`` (or a ``.env``
file in the working directory) and is documented in README.md; a test fails
when a field is missing there.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Secrets copied from an example file unchanged; refusing them beats a cluster left open.
PLACEHOLDERS = frozenset({"changeme", "change-me", "changethis", "secret", "password", "xxx"})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CLARION_", env_file=".env", extra="ignore", use_attribute_docstrings=True
    )

    host: str = "127.0.0.1"
    """Address the API listens on."""
    port: int = Field(default=8400, ge=0, le=65535)
    """Port the API listens on (0 = any free port)."""
    data_dir: Path = Path("data")
    """Folder for the embedded store and other local state."""
    store: Literal["sqlite", "elasticsearch"] = "sqlite"
    """Storage backend: `sqlite` (embedded, zero set-up) or `elasticsearch`."""
    sqlite_path: Path | None = None
    """SQLite database file; default `<data_dir>/clarion.db`."""
    es_url: str | None = None
    """Elasticsearch URL (a node or load balancer), required with `store=elasticsearch`."""
    es_api_key: SecretStr | None = None
    """Elasticsearch API key (preferred over user name and password)."""
    es_username: str | None = None
    """Elasticsearch user name, with `es_password`."""
    es_password: SecretStr | None = None
    """Elasticsearch password, with `es_username`."""
    es_ca_certs: Path | None = None
    """PEM bundle of the CA that signed the cluster's certificate."""
    es_verify_certs: bool = True
    """Verify the cluster's TLS certificate (turn off only for a throw-away test cluster)."""
    es_index_prefix: str = "clarion"
    """Prefix of every index, alias and template Clarion creates (lower case)."""
    config_file: Path | None = None
    """YAML file with `brands:` and `sources:` loaded (created or replaced by id) at start-up."""
    sentiment_model: str | None = None
    """Hugging Face model id or local path of the sentiment classifier (default: shipped)."""
    model_downloads: bool = False
    """Allow loading models from a Hugging Face hub (off: local files only)."""
    model_threads: int | None = Field(default=None, ge=1)
    """torch threads for inference; default cores − 1, at most 4 (busy torch threads spin)."""
    model_batch_size: int = Field(default=32, ge=1, le=512)
    """Targets per sentiment-model batch."""
    crawl: bool = True
    """Run the ingest pipeline inside the API process."""
    poll_interval: float = Field(default=120.0, gt=0)
    """Shortest time in seconds between two polls of one source; busy feeds get it."""
    max_poll_interval: float = Field(default=86_400.0, gt=0)
    """Longest time in seconds between two polls of one source; quiet feeds drift to it."""
    max_failures: int = Field(default=12, ge=1)
    """Consecutive failed polls after which a source is disabled until re-enabled."""
    block_private_addresses: bool = True
    """Refuse URLs that resolve to loopback, private, link-local or metadata addresses."""
    allow_networks: list[str] = Field(default_factory=list)
    """CIDRs fetched from despite the block (JSON list, e.g. `["127.0.0.1/32"]`)."""
    extract_workers: int = Field(default=max(1, os.cpu_count() or 1), ge=1)
    """Processes that extract article text (CPU-bound, off the event loop)."""
    poll_concurrency: int = Field(default=32, ge=1)
    """Feeds polled at once (per-host politeness still applies to each request)."""
    fetch_concurrency: int = Field(default=16, ge=1)
    """Article pages fetched at once, across all hosts."""
    per_host_concurrency: int = Field(default=2, ge=1)
    """Requests in flight to one host at once (politeness)."""
    per_host_interval: float = Field(default=0.5, ge=0)
    """Minimum seconds between two request starts to one host (politeness)."""
    contact_url: str = "https://github.com/clarion-media/clarion"
    """URL named in Clarion's User-Agent, so publishers can reach the operator."""
    queue_size: int = Field(default=256, ge=1)
    """Capacity of each queue between pipeline stages; a full queue slows the stage before it."""
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    """Log level of Clarion's loggers."""

    @field_validator("contact_url")
    @classmethod
    def _contact_is_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://", "mailto:")):
            raise ValueError("must be an http(s) or mailto: URL")
        return value

    @field_validator("es_api_key", "es_password")
    @classmethod
    def _no_placeholder_secrets(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip().lower() in PLACEHOLDERS:
            raise ValueError("is a placeholder: set the real secret")
        return value

    @model_validator(mode="after")
    def _elasticsearch_needs_a_url(self) -> Settings:
        if self.store == "elasticsearch" and not self.es_url:
            raise ValueError("CLARION_ES_URL is required when CLARION_STORE=elasticsearch")
        if bool(self.es_username) != bool(self.es_password):
            raise ValueError("set both CLARION_ES_USERNAME and CLARION_ES_PASSWORD, or neither")
        return self

    @property
    def database_path(self) -> Path:
        return self.sqlite_path or self.data_dir / "clarion.db"
