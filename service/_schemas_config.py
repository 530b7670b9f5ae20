"""API and config-file schemas for brands and sources (families: Create / Public / List).

The same ``BrandCreate`` / ``SourceCreate`` validate the YAML config file and the
CRUD endpoints, so both refuse the same bad input with the same field names.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from crawlers import Channel, FeedState, Source
from enrichment import Brand
from enrichment._query import QuerySyntaxError, parse_query

Slug = Annotated[
    str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$", examples=["acme"])
]
ShortText = Annotated[str, Field(min_length=1, max_length=300)]
Domain = Annotated[
    str, Field(min_length=1, max_length=253, pattern=r"^[A-Za-z0-9.-]+$", examples=["acme.com"])
]


def _parses(value: str) -> str:
    if value.strip():
        try:
            parse_query(value)
        except QuerySyntaxError as exc:
            raise ValueError(str(exc)) from None
    return value


QueryText = Annotated[str, Field(max_length=10_000), AfterValidator(_parses)]
"""A brand query; empty means "the brand's name and aliases as phrases"."""

MAX_LIST = 200  # aliases, competitors, messages ... per brand: generous, but bounded


def _fields(stored: Brand | Source) -> dict[str, Any]:
    """A stored noun's fields, tuples as lists: what its *Public schema holds."""
    return {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in dataclasses.asdict(stored).items()
    }


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class BrandCreate(_Strict):
    id: Slug
    name: ShortText
    query: QueryText = ""
    aliases: list[ShortText] = Field(default_factory=list, max_length=MAX_LIST)
    competitors: list[Slug] = Field(default_factory=list, max_length=MAX_LIST)
    owned_domains: list[Domain] = Field(default_factory=list, max_length=MAX_LIST)
    spokespeople: list[ShortText] = Field(default_factory=list, max_length=MAX_LIST)
    key_messages: list[Annotated[str, Field(min_length=1, max_length=1000)]] = Field(
        default_factory=list, max_length=MAX_LIST
    )

    def to_brand(self) -> Brand:
        return Brand(
            id=self.id,
            name=self.name,
            query=self.query,
            aliases=tuple(self.aliases),
            competitors=tuple(c for c in self.competitors if c != self.id),
            owned_domains=tuple(d.lower() for d in self.owned_domains),
            spokespeople=tuple(self.spokespeople),
            key_messages=tuple(self.key_messages),
        )


class BrandPublic(BrandCreate):
    model_config = ConfigDict(extra="forbid")

    @classmethod
    def of(cls, brand: Brand) -> BrandPublic:
        return cls.model_construct(**_fields(brand))


class BrandsPublic(BaseModel):
    items: list[BrandPublic]


class SourceCreate(_Strict):
    id: Slug
    url: Annotated[str, Field(min_length=1, max_length=2048)]
    outlet: ShortText
    domain: Domain | None = None
    channel: Channel = "news"
    country: Annotated[str, Field(pattern=r"^[A-Za-z]{2}$")] | None = None
    language: Annotated[str, Field(pattern=r"^[A-Za-z]{2,3}$")] | None = None
    tier: int = Field(default=3, ge=1, le=5)
    audience: int = Field(default=0, ge=0, le=10_000_000_000)
    enabled: bool = True

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an absolute http:// or https:// URL")
        return value

    def to_source(self) -> Source:
        domain = (self.domain or urlsplit(self.url).hostname or "").lower()
        return Source(
            id=self.id,
            url=self.url,
            outlet=self.outlet,
            domain=domain.removeprefix("www."),
            channel=self.channel,
            country=self.country.upper() if self.country else None,
            language=self.language.lower() if self.language else None,
            tier=self.tier,
            audience=self.audience,
            enabled=self.enabled,
        )


class SourcePublic(SourceCreate):
    model_config = ConfigDict(extra="forbid")

    @classmethod
    def of(cls, source: Source) -> SourcePublic:
        return cls.model_construct(**_fields(source))


class SourcesPublic(BaseModel):
    items: list[SourcePublic]


class ConfigFile(_Strict):
    """The YAML config file: ``brands:`` and ``sources:`` lists."""

    brands: list[BrandCreate] = Field(default_factory=list)
    sources: list[SourceCreate] = Field(default_factory=list)


class SourceHealth(BaseModel):
    """What the crawler knows of a source: last success, failures, why it is disabled."""

    source_id: str
    enabled: bool = Field(description="false when disabled by the user or by failures")
    disabled_reason: str | None = None
    last_polled_at: datetime | None = None
    last_success_at: datetime | None = None
    consecutive_failures: int = 0
    last_error: str | None = None
    last_error_class: str | None = None

    @classmethod
    def of(cls, source: Source, state: FeedState | None) -> SourceHealth:
        state = state or FeedState(source_id=source.id)
        return cls(
            source_id=source.id,
            enabled=source.enabled and not state.disabled_reason,
            disabled_reason=state.disabled_reason
            or (None if source.enabled else "disabled in its configuration"),
            last_polled_at=state.last_polled_at,
            last_success_at=state.last_success_at,
            consecutive_failures=state.consecutive_failures,
            last_error=state.last_error,
            last_error_class=state.last_error_class,
        )
