"""API and config-file schemas for brands and sources (families: Create / Public / List).

The same ``BrandCreate`` / ``SourceCreate`` validate the YAML config file and the
CRUD endpoints, so both refuse the same bad input with the same field names.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from crawlers import Channel, FeedState, SocialPlatform, Source, SourceKind
from crawlers.social import default_base_url, social_spec
from enrichment import Brand
from enrichment._query import QuerySyntaxError, parse_exclusion, parse_query

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


def _excludes(value: str) -> str:
    try:
        parse_exclusion(value)
    except QuerySyntaxError as exc:
        raise ValueError(str(exc)) from None
    return value


ExclusionText = Annotated[str, Field(min_length=1, max_length=1000), AfterValidator(_excludes)]
"""A known false friend of a brand: a phrase (``apple pie``), a NEAR or an OR of those."""

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
    exclusions: list[ExclusionText] = Field(default_factory=list, max_length=MAX_LIST)
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
            exclusions=tuple(self.exclusions),
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


RESERVED_SOURCE_IDS = ("health", "opml")
"""Ids a source cannot take: ``/v1/sources/{id}`` would be another endpoint."""


class SourceCreate(_Strict):
    """A source. Feeds and sitemaps need ``url``; a ``kind="social"`` source needs
    ``platform`` and ``target`` (as ``crawlers.social.social_spec`` reads it), and its
    ``url`` (the API's base) defaults to the platform's public one. ``channel``
    defaults to ``social`` for social sources and ``news`` otherwise."""

    id: Slug
    kind: SourceKind = "feed"
    platform: SocialPlatform | None = Field(default=None, validate_default=True)
    target: Annotated[str, Field(max_length=500)] = Field(default="", validate_default=True)
    url: Annotated[str, Field(min_length=1, max_length=2048)] | None = Field(
        default=None, validate_default=True
    )
    outlet: ShortText
    domain: Domain | None = None
    channel: Channel | None = None
    country: Annotated[str, Field(pattern=r"^[A-Za-z]{2}$")] | None = None
    language: Annotated[str, Field(pattern=r"^[A-Za-z]{2,3}$")] | None = None
    tier: int = Field(default=3, ge=1, le=5)
    audience: int = Field(default=0, ge=0, le=10_000_000_000)
    enabled: bool = True

    @field_validator("id")
    @classmethod
    def _not_an_api_path(cls, value: str) -> str:
        if value in RESERVED_SOURCE_IDS:
            paths = ", ".join(f"/v1/sources/{r}" for r in RESERVED_SOURCE_IDS)
            raise ValueError(f"{value!r} names an API path ({paths}): choose another id")
        return value

    @field_validator("platform")
    @classmethod
    def _platform_for_social(cls, value: SocialPlatform | None, info: ValidationInfo) -> Any:
        if info.data.get("kind") == "social" and value is None:
            raise ValueError("required for a social source (reddit, mastodon, bluesky, ...)")
        return value

    @field_validator("target")
    @classmethod
    def _target_the_platform_reads(cls, value: str, info: ValidationInfo) -> str:
        platform = info.data.get("platform")
        if info.data.get("kind") != "social" or platform is None:
            return value  # not social, or the platform is refused already
        if not value:
            raise ValueError("required for a social source: what to watch on the platform")
        try:
            social_spec(platform, value)
        except ValueError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            if info.data.get("kind", "feed") != "social":
                raise ValueError("required for a feed or sitemap source")
            platform, target = info.data.get("platform"), info.data.get("target")
            return default_base_url(platform, target) if platform and target else None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an absolute http:// or https:// URL")
        return value

    def to_source(self) -> Source:
        url = self.url or ""  # set by its validator: given, or the platform's
        domain = (self.domain or urlsplit(url).hostname or "").lower()
        social = self.kind == "social"
        return Source(
            id=self.id,
            url=url,
            outlet=self.outlet,
            domain=domain.removeprefix("www."),
            kind=self.kind,
            platform=self.platform if social else None,
            target=self.target if social else "",
            channel=self.channel or ("social" if social else "news"),
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
    push: str | None = Field(
        default=None,
        description=(
            "WebSub subscription: pending, active, failed, denied, unsubscribing; null if none"
        ),
    )
    push_hub: str | None = None
    push_lease_expires_at: datetime | None = None
    push_error: str | None = None

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
            push=state.websub_state,
            push_hub=state.websub_hub,
            push_lease_expires_at=state.websub_lease_expires_at,
            push_error=state.websub_error,
        )


class SourcesHealthPublic(BaseModel):
    """A page of ``SourceHealth``, by source id; ``next_cursor`` is null on the last."""

    items: list[SourceHealth]
    next_cursor: str | None = None
