"""Pure parts of webhooks: the retry schedule, payloads, and the outbox rows of an event."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from search import Alert, WebhookSubscription
from service._delivery import retry_delay
from service._webhooks import deliveries_for, event_payload, slack_payload

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
ALERT = Alert(
    id="a1",
    rule_id="r1",
    brand_id="acme",
    type="crisis_terms",
    opened_at=NOW,
    updated_at=NOW,
    summary="1 new mention(s) of acme with crisis terms",
    evidence={
        "new_mentions": 1,
        "mentions": [
            {"url": "https://news.example/a?x=<1>", "title": "Acme <recall>", "outlet": "N"}
        ],
    },
)


def hook(hook_id: str, **kw: object) -> WebhookSubscription:
    return WebhookSubscription(
        id=hook_id,
        url=f"https://r.example/{hook_id}",
        secret="k" * 16,
        created_at=NOW,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("attempts", "low", "high"),
    [(1, 1.0, 2.0), (2, 2.0, 4.0), (5, 16.0, 32.0), (20, 50.0, 100.0), (10_000, 50.0, 100.0)],
)
def test_retry_delay_doubles_within_the_cap_with_equal_jitter(
    attempts: int, low: float, high: float
) -> None:
    assert retry_delay(attempts, base=2.0, maximum=100.0, rand=lambda: 0.0) == low
    assert retry_delay(attempts, base=2.0, maximum=100.0, rand=lambda: 1.0) == high


def test_retry_delay_counts_attempts_from_one() -> None:
    with pytest.raises(ValueError, match="starts at 1"):
        retry_delay(0, base=1.0, maximum=10.0)


def test_an_event_goes_to_the_subscriptions_that_want_it_once_each() -> None:
    hooks = [
        hook("all"),
        hook("acme", brand_ids=("acme",)),
        hook("globex", brand_ids=("globex",)),
        hook("updates", event_types=("alert.updated",)),
        hook("off", enabled=False),
        hook("slack", format="slack"),
    ]
    rows = deliveries_for(
        alert=ALERT, event_type="alert.opened", subscriptions=hooks, now=NOW, event_id="ev1"
    )
    assert [d.subscription_id for d in rows] == ["all", "acme", "slack"]
    assert len({d.id for d in rows}) == 3
    assert {d.event_id for d in rows} == {"ev1"}
    again = deliveries_for(
        alert=ALERT, event_type="alert.opened", subscriptions=hooks, now=NOW, event_id="ev1"
    )
    assert [d.id for d in again] == [d.id for d in rows]  # enqueueing twice is one delivery
    body = json.loads(rows[0].payload)
    assert body == event_payload(event_id="ev1", event_type="alert.opened", alert=ALERT, now=NOW)
    assert body["alert"]["evidence"]["mentions"][0]["url"] == "https://news.example/a?x=<1>"
    assert body["created_at"] == "2026-03-02T09:30:00Z"
    slack = json.loads(rows[2].payload)
    assert set(slack) == {"text", "blocks"}


def test_the_slack_payload_links_mentions_and_escapes_text() -> None:
    event = event_payload(event_id="ev1", event_type="alert.updated", alert=ALERT, now=NOW)
    slack = slack_payload(event)
    assert slack["text"].startswith("Alert updated for acme (crisis_terms)")
    listed = slack["blocks"][1]["text"]["text"]
    assert "<https://news.example/a?x=&lt;1&gt;|Acme &lt;recall&gt;> — N" in listed
    assert "ev1" in slack["blocks"][-1]["elements"][0]["text"]


def test_the_readme_verification_snippet_accepts_clarion_signatures() -> None:
    """The README's receiver snippet, run as written, against ``service._signing.sign``."""
    import time
    from pathlib import Path

    from service._signing import sign

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    start = readme.index("import hashlib, hmac, time\n")
    assert readme.index("def verify_clarion", start) - start < 40  # the snippet's own import
    snippet = readme[start : readme.index("```", start)]
    namespace: dict[str, object] = {}
    exec(snippet, namespace)  # the documented code, from our own README
    verify = namespace["verify_clarion"]
    body = b'{"id": "ev1"}'
    header = sign("s3cret-s3cret-s3cret", timestamp=int(time.time()), body=body)
    assert verify("s3cret-s3cret-s3cret", header, body) is True  # type: ignore[operator]
    assert verify("other-secret-value!!", header, body) is False  # type: ignore[operator]
    stale = sign("s3cret-s3cret-s3cret", timestamp=int(time.time()) - 3600, body=body)
    assert verify("s3cret-s3cret-s3cret", stale, body) is False  # type: ignore[operator]
