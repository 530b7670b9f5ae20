"""Alert events as webhook payloads, and the outbox rows that carry them.

An event is what happened to an alert: ``alert.opened`` (a new story) or
``alert.updated`` (the same story grew, within the rule's cool-down). Each event
gets an id, which is also its idempotency key: every delivery of it, retry or
replay, carries the same ``Clarion-Event-Id`` and the same bytes, so a receiver
drops repeats by that id.

The JSON payload (``format="json"``)::

    {"id": "<event id>", "type": "alert.opened", "created_at": "2026-...Z",
     "alert": {"id", "rule_id", "brand_id", "type", "opened_at", "updated_at",
               "updates", "summary", "evidence": {... "mentions": [{"url", "title",
               "outlet", "published_at", "tier", "sentiment"}]}}}

The Slack variant (``format="slack"``) is ``{"text": ..., "blocks": [...]}``, which a
Slack incoming webhook (and Mattermost, Discord's ``/slack`` endpoint) accepts.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from search import Alert, Delivery, WebhookSubscription

__all__ = ["EVENT_TYPES", "deliveries_for", "event_payload", "new_event_id", "slack_payload"]

EVENT_TYPES = ("alert.opened", "alert.updated")
# Mentions listed in a Slack message: a glance, the API has the rest.
SLACK_MENTIONS = 5
# Outlets named in a Slack message about a spreading story; the rest are counted.
SLACK_OUTLETS = 10


def new_event_id() -> str:
    return uuid.uuid4().hex


def delivery_id(event_id: str, subscription_id: str) -> str:
    """Derived from both, so that enqueueing one event twice is one delivery."""
    return hashlib.sha256(f"{event_id}\n{subscription_id}".encode()).hexdigest()[:32]


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def event_payload(*, event_id: str, event_type: str, alert: Alert, now: datetime) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": event_type,
        "created_at": _iso(now),
        "alert": {
            "id": alert.id,
            "rule_id": alert.rule_id,
            "brand_id": alert.brand_id,
            "type": alert.type,
            "opened_at": _iso(alert.opened_at),
            "updated_at": _iso(alert.updated_at),
            "updates": alert.updates,
            "summary": alert.summary,
            "evidence": alert.evidence,
        },
    }


def slack_payload(event: dict[str, Any]) -> dict[str, Any]:
    """The Slack-compatible form of ``event_payload``: a text fallback and blocks."""
    alert = event["alert"]
    verb = "New alert" if event["type"] == "alert.opened" else "Alert updated"
    headline = f"{verb} for {alert['brand_id']} ({alert['type']}): {alert['summary']}"
    lines = [
        f"• <{_slack_escape(m['url'])}|{_slack_escape(m.get('title') or m['url'])}>"
        f" — {_slack_escape(m.get('outlet') or '')}"
        for m in alert["evidence"].get("mentions", [])[:SLACK_MENTIONS]
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{_slack_escape(headline)}*"}}
    ]
    first = _story_first(alert["evidence"])
    if first:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": first}})
    if lines:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}})
    blocks.append(
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"event {event['id']} · alert {alert['id']}"}],
        }
    )
    return {"text": headline, "blocks": blocks}


def _story_first(evidence: dict[str, Any]) -> str | None:
    """A story alert's first copy and spread (``story_growth``), as one mrkdwn line."""
    if "first_url" not in evidence:
        return None
    outlets = ", ".join(_slack_escape(o) for o in evidence.get("outlets", [])[:SLACK_OUTLETS])
    more = len(evidence.get("outlets", [])) - SLACK_OUTLETS
    return (
        f"First: <{_slack_escape(evidence['first_url'])}|"
        f"{_slack_escape(evidence.get('first_title') or evidence['first_url'])}>"
        f" — {_slack_escape(evidence.get('first_outlet') or '')},"
        f" {evidence.get('first_published_at', '')}\n"
        f"{evidence.get('outlets_in_window', 0)} outlets in {evidence.get('window_minutes')} min:"
        f" {outlets}{f' and {more} more' if more > 0 else ''}"
    )


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def deliveries_for(
    *,
    alert: Alert,
    event_type: str,
    subscriptions: Sequence[WebhookSubscription],
    now: datetime,
    event_id: str | None = None,
) -> list[Delivery]:
    """The outbox rows of one event: one per subscription that wants it, each with
    the bytes its format asks for, due now."""
    event_id = event_id or new_event_id()
    event = event_payload(event_id=event_id, event_type=event_type, alert=alert, now=now)
    rendered = {
        "json": json.dumps(event, ensure_ascii=False, separators=(",", ":")),
        "slack": json.dumps(slack_payload(event), ensure_ascii=False, separators=(",", ":")),
    }
    return [
        Delivery(
            id=delivery_id(event_id, sub.id),
            subscription_id=sub.id,
            event_id=event_id,
            event_type=event_type,
            alert_id=alert.id,
            payload=rendered[sub.format],
            created_at=now,
            next_attempt_at=now,
        )
        for sub in subscriptions
        if sub.wants(event_type=event_type, brand_id=alert.brand_id)
    ]
