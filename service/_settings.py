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

from crawlers import Shard

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
    es_request_timeout: float = Field(default=30.0, gt=0)
    """Seconds one Elasticsearch request may take before it fails as temporary (503)."""
    es_refresh: Literal["wait_for", "true"] = "wait_for"
    """Refresh policy of writes: `wait_for` (batched, fast) or `true` (a refresh per write)."""
    retention_days: int | None = Field(default=None, ge=1)
    """Delete documents and mentions counted more than this many days ago (default: keep all)."""
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
    model_quantize: bool = False
    """Run the sentiment model with int8 linear layers: 1.9× the throughput, -1.7 points F1."""
    crawl: bool = True
    """Run the ingest pipeline inside the API process."""
    poll_interval: float = Field(default=120.0, gt=0)
    """Shortest time in seconds between two polls of one source; busy feeds get it."""
    max_poll_interval: float = Field(default=86_400.0, gt=0)
    """Longest time in seconds between two polls of one source; quiet feeds drift to it."""
    max_failures: int = Field(default=12, ge=1)
    """Consecutive failed polls after which a source is disabled until re-enabled."""
    shard: str = "0/1"
    """This crawler's share of the sources, `k/n` (0 ≤ k < n): with n processes on one store,
    each polls the sources rendezvous hashing gives shard k; the API serves all."""
    block_private_addresses: bool = True
    """Refuse URLs that resolve to loopback, private, link-local or metadata addresses."""
    allow_networks: list[str] = Field(default_factory=list)
    """CIDRs fetched from despite the block (JSON list, e.g. `["127.0.0.1/32"]`)."""
    extract_workers: int = Field(default=max(1, os.cpu_count() or 1), ge=1)
    """Processes that extract article text (CPU-bound, off the event loop)."""
    extract_warm_up: bool = True
    """Each extraction process does its libraries' one-time set-up as it starts (dateparser's
    patterns for every locale: about 2 s of CPU), not on the first article that needs it."""
    enrich_workers: int = Field(default=max(1, os.cpu_count() or 1), ge=1, le=64)
    """Batches enriched at once (each runs the models on its own thread)."""
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
    public_url: str | None = None
    """Base URL at which WebSub hubs reach this API (e.g. `https://clarion.example.com`);
    push is off when unset."""
    websub_lease_seconds: int = Field(default=864_000, ge=3600)
    """Lease asked of WebSub hubs, in seconds (10 days, a usual hub default); renewed in time."""
    websub_safety_poll_interval: float = Field(default=21_600.0, gt=0)
    """Seconds between the safety polls of a source with an active push subscription."""
    queue_size: int = Field(default=256, ge=1)
    """Capacity of each queue between pipeline stages; a full queue slows the stage before it."""
    webhook_max_attempts: int = Field(default=16, ge=1)
    """Attempts of one webhook delivery before it is dead-lettered (replayable by API);
    with the default backoff, 16 attempts span 12 to 23 hours (a receiver down overnight)."""
    webhook_timeout: float = Field(default=10.0, gt=0)
    """Seconds one webhook POST may take (connect to last byte) before it counts as failed."""
    webhook_backoff_base: float = Field(default=5.0, gt=0)
    """Seconds before the first retry of a failed webhook delivery; doubled each attempt."""
    webhook_backoff_max: float = Field(default=21_600.0, gt=0)
    """Longest wait in seconds between two attempts of one webhook delivery."""
    alert_check_interval: float = Field(default=300.0, gt=0)
    """Seconds between two runs of the volume-spike and negative-surge checks (they also
    run after ingested batches, at most this often)."""
    attribution_window_days: int = Field(default=7, ge=1, le=365)
    """Days after an outlet's coverage of a brand during which a visit referred by that
    outlet's domain (not an exact article URL) counts as earned traffic."""
    auth: Literal["keys", "off"] = "keys"
    """API access control: `keys` (every `/v1` request needs an API key; make the first
    with `clarion keys create`) or `off` (anyone who reaches the port may do anything:
    for a laptop; `clarion demo` runs with it off on 127.0.0.1)."""
    rate_limit_per_minute: int = Field(default=600, ge=1)
    """Requests per minute per API key unless the key has its own limit (per process):
    600 (10 a second, a minute's worth in a burst) lets a dashboard load its dozen or so
    panels for several viewers at once, while one runaway script cannot take the CPU."""
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    """Log level of Clarion's loggers."""
    log_format: Literal["text", "json"] = "text"
    """Log lines as `text`, or `json`: one object per line with time, level, logger, message,
    and the request id and source id when known (for a log collector)."""

    @field_validator("contact_url")
    @classmethod
    def _contact_is_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://", "mailto:")):
            raise ValueError("must be an http(s) or mailto: URL")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url_is_http(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @field_validator("shard")
    @classmethod
    def _shard_is_k_of_n(cls, value: str) -> str:
        return str(Shard.parse(value))  # ValueError names the expected form

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
    def crawl_shard(self) -> Shard:
        """``shard`` parsed."""
        return Shard.parse(self.shard)

    @property
    def database_path(self) -> Path:
        return self.sqlite_path or self.data_dir / "clarion.db"
