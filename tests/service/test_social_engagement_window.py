"""A Mastodon post's counts follow the platform, through the real pipeline.

Mastodon's ``min_id`` never returns a status again, so the adapter also reads the
newest page (the recent window) on every poll with a cursor. A local server on
127.0.0.1 replays the recorded account timeline (``tests/fixtures/social/mastodon``);
between two polls, five newer statuses appear and one stored status gains likes and
boosts: the new ones are stored, the stored one has its counts refreshed in place,
and a third poll (nothing newer, the window unchanged: a 304) changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

from crawlers import document_id
from crawlers.social import engagement_of, parse_statuses
from crawlers.social._common import WindowCursor
from service._runtime import Runtime
from tests.crawlers.social.conftest import (
    MASTODON_ACCOUNT,
    NEWER_PAGE_NEWEST,
    OLDER_PAGE_NEWEST,
    SocialServer,
    fixture,
)
from tests.service.conftest import local_settings

ACCOUNT_PATH = f"/api/v1/accounts/{MASTODON_ACCOUNT}/statuses"
TOOT_2 = "100465729683690200"  # "Toot number 2!", on the older recorded page


def boosted(body: bytes) -> bytes:
    """The account timeline as served later: toot 2 liked 7 times and boosted twice."""
    statuses = json.loads(body)
    for status in statuses:
        if status["id"] == TOOT_2:
            status["favourites_count"], status["reblogs_count"] = 7, 2
    return json.dumps(statuses).encode()


async def test_a_seen_mastodon_status_gets_its_new_counts(
    tmp_path: Path, social: SocialServer
) -> None:
    source = {
        "id": "toots", "kind": "social", "platform": "mastodon",
        "target": f"{MASTODON_ACCOUNT}@{social.base}", "url": social.base, "outlet": "Toots",
    }  # fmt: skip
    settings = local_settings(tmp_path, {"brands": [], "sources": [source]})
    recorded = parse_statuses(fixture("mastodon/account_statuses_max_id.json"), url=social.base)
    toot_2 = next(document_id(p.url) for p in recorded if p.post_id == TOOT_2)

    runtime = await Runtime.start(settings)
    try:
        store = runtime.store
        first = await runtime.pipeline.run_once()
        assert first.poll_errors == 0, first.errors_by_class
        assert first.documents == {"created": 5}  # toots 4..0, the newest page then
        before = await store.get_document(toot_2)
        assert before is not None and engagement_of(before.extra) == {"likes": 0, "reposts": 0}
        state = await store.get_feed_state("toots")
        assert state is not None and WindowCursor.load(state.cursor).cursor == OLDER_PAGE_NEWEST

        social.edits[ACCOUNT_PATH] = boosted
        social.mastodon_newer = True  # and toots 9..5 posted: the newest page is 9..0
        second = await runtime.pipeline.run_once()  # the counters are cumulative
        assert second.poll_errors == 0, second.errors_by_class
        assert second.documents == {"created": 10}  # toots 9..5, each once
        assert second.engagement_refreshed == 1 and second.entries_updated == 0
        assert await store.count_documents() == 10
        after = await store.get_document(toot_2)
        assert after is not None
        assert engagement_of(after.extra) == {"likes": 7, "reposts": 2}
        assert after.replace(extra=before.extra) == before  # nothing else was written
        state = await store.get_feed_state("toots")
        assert state is not None and WindowCursor.load(state.cursor).cursor == NEWER_PAGE_NEWEST

        social.requests.clear()
        third = await runtime.pipeline.run_once()
        assert third.poll_errors == 0, third.errors_by_class
        assert third.documents == {"created": 10} and third.engagement_refreshed == 1
        window = social.headers(ACCOUNT_PATH)[-1]
        assert window["if-none-match"].startswith('"edited-')  # asked conditionally
    finally:
        await runtime.stop()
