"""API schemas of alert rules, alerts, webhook subscriptions and deliveries.

Separate from the stored nouns (``search.AlertRule`` ...): the secret of a
subscription is write-only (``WebhookCreated`` shows it once, in the answer to
the request that created or set it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from search import Alert, AlertRule, AlertRuleType, Delivery, DeliveryAttempt, WebhookSubscription
from service._schemas_config import Slug
from service._story_growth import EVERY_TIER

__all__ = [
    "AlertPublic",
    "AlertRuleCreate",
    "AlertRulePublic",
    "AlertRulesPublic",
    "AlertsPublic",
    "DeliveriesPublic",
    "DeliveryPublic",
    "WebhookCreate",
    "WebhookCreated",
    "WebhookPublic",
    "WebhooksPublic",
]

EventType = Literal["alert.opened", "alert.updated"]  # service._webhooks.EVENT_TYPES
# Shortest secret accepted: 16 characters of a random string are 80+ bits.
MIN_SECRET = 16


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class WebhookCreate(_Strict):
    """A subscription; ``secret`` is generated when absent (and shown once)."""

    url: str = Field(max_length=2000, examples=["https://hooks.example.com/clarion"])
    secret: str | None = Field(default=None, min_length=MIN_SECRET, max_length=200)
    event_types: list[EventType] = Field(default_factory=list)
    brand_ids: list[Slug] = Field(default_factory=list, max_length=200)
    enabled: bool = True
    format: Literal["json", "slack"] = "json"

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL with a host")
        if parts.username or parts.password:
            raise ValueError("must not carry credentials (sign with the secret instead)")
        return value


class WebhookPublic(BaseModel):
    id: str
    url: str
    event_types: list[str]
    brand_ids: list[str]
    enabled: bool
    format: str
    created_at: datetime

    @classmethod
    def of(cls, hook: WebhookSubscription) -> WebhookPublic:
        return cls(
            id=hook.id,
            url=hook.url,
            event_types=list(hook.event_types),
            brand_ids=list(hook.brand_ids),
            enabled=hook.enabled,
            format=hook.format,
            created_at=hook.created_at,
        )


class WebhookCreated(WebhookPublic):
    """The answer to creating a subscription (or setting its secret): the secret, once."""

    secret: str


class WebhooksPublic(BaseModel):
    items: list[WebhookPublic]


class AttemptPublic(BaseModel):
    attempt: int
    at: datetime
    status_code: int | None
    error: str | None
    latency_ms: float

    @classmethod
    def of(cls, a: DeliveryAttempt) -> AttemptPublic:
        return cls(
            attempt=a.attempt,
            at=a.at,
            status_code=a.status_code,
            error=a.error,
            latency_ms=a.latency_ms,
        )


class DeliveryPublic(BaseModel):
    id: str
    event_id: str
    event_type: str
    alert_id: str
    state: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_status: int | None
    last_error: str | None
    log: list[AttemptPublic]

    @classmethod
    def of(cls, d: Delivery, log: list[DeliveryAttempt]) -> DeliveryPublic:
        return cls(
            id=d.id,
            event_id=d.event_id,
            event_type=d.event_type,
            alert_id=d.alert_id,
            state=d.state,
            attempts=d.attempts,
            created_at=d.created_at,
            next_attempt_at=d.next_attempt_at if d.state == "pending" else None,
            delivered_at=d.delivered_at,
            last_status=d.last_status,
            last_error=d.last_error,
            log=[AttemptPublic.of(a) for a in log],
        )


class DeliveriesPublic(BaseModel):
    items: list[DeliveryPublic]


class AlertRuleCreate(_Strict):
    """A rule; see ``search.AlertRule`` for which fields apply to which type."""

    id: Slug | None = None
    brand_id: Slug
    type: AlertRuleType
    query: str | None = Field(default=None, max_length=10_000)
    cooldown_seconds: int = Field(default=6 * 3600, ge=0, le=30 * 86_400)
    enabled: bool = True
    max_tier: int = Field(default=1, ge=1, le=5)
    min_count: int | None = Field(default=None, ge=1)
    threshold: float | None = Field(default=None, gt=0)
    min_share: float | None = Field(default=None, ge=0, le=1)
    window_hours: int = Field(default=6, ge=1, le=168)
    update_interval_seconds: int = Field(default=900, ge=0, le=86_400)
    # story_growth: one outlet is not syndication; a day is no longer "fast"
    min_outlets: int | None = Field(default=None, ge=2, le=1000)
    window_minutes: int | None = Field(default=None, ge=5, le=1440)

    @model_validator(mode="after")
    def _query_for_crisis_terms(self) -> AlertRuleCreate:
        if self.type == "crisis_terms" and not (self.query or "").strip():
            raise ValueError("a crisis_terms rule needs a query")
        if self.type != "story_growth" and (
            self.min_outlets is not None or self.window_minutes is not None
        ):
            raise ValueError("min_outlets and window_minutes apply to story_growth rules only")
        if self.type == "story_growth" and "max_tier" not in self.model_fields_set:
            self.max_tier = EVERY_TIER  # a story counts every outlet unless told otherwise
        return self

    def to_rule(self, rule_id: str) -> AlertRule:
        return AlertRule(
            id=rule_id,
            brand_id=self.brand_id,
            type=self.type,
            query=self.query,
            cooldown_seconds=self.cooldown_seconds,
            enabled=self.enabled,
            max_tier=self.max_tier,
            min_count=self.min_count,
            threshold=self.threshold,
            min_share=self.min_share,
            window_hours=self.window_hours,
            update_interval_seconds=self.update_interval_seconds,
            min_outlets=self.min_outlets,
            window_minutes=self.window_minutes,
        )


class AlertRulePublic(BaseModel):
    id: str
    brand_id: str
    type: str
    query: str | None
    cooldown_seconds: int
    enabled: bool
    max_tier: int
    min_count: int | None
    threshold: float | None
    min_share: float | None
    window_hours: int
    update_interval_seconds: int
    min_outlets: int | None
    window_minutes: int | None

    @classmethod
    def of(cls, rule: AlertRule) -> AlertRulePublic:
        return cls(**{name: getattr(rule, name) for name in cls.model_fields})


class AlertRulesPublic(BaseModel):
    items: list[AlertRulePublic]


class AlertPublic(BaseModel):
    id: str
    rule_id: str
    brand_id: str
    type: str
    opened_at: datetime
    updated_at: datetime
    updates: int
    summary: str
    evidence: dict[str, Any]

    @classmethod
    def of(cls, alert: Alert) -> AlertPublic:
        return cls(**{name: getattr(alert, name) for name in cls.model_fields})


class AlertsPublic(BaseModel):
    items: list[AlertPublic]
