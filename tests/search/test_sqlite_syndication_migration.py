"""Migration 0004 on a database with mentions: each old mention is its own
cluster with no key messages, and counts per cluster equal counts per outlet."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

from search import MentionFilter, SQLiteStore
from search._sqlite_migrate import migrate
from tests.store_contract._data import doc, mention, utc


async def test_old_mentions_become_their_own_clusters(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=3)
    conn.close()
    store = SQLiteStore(path)
    # Written at version 3 through raw SQL: the columns of 0004 do not exist yet.
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(
        "INSERT INTO documents (id, url, source_id, outlet, domain, channel, tier, audience, "
        "title, text, authors, fetched_us, counted_us, extra) "
        "VALUES ('d1', 'u', 's', 'o', 'd', 'news', 3, 0, 't', 'x', '[]', 1, 1, '{}')"
    )
    conn.execute(
        "INSERT INTO mentions (document_pk, document_id, brand_id, sentiment, score, snippets, "
        "in_title, in_lead, count, spokespeople, counted_us, channel, tier, audience, outlet) "
        "VALUES (1, 'd1', 'acme', 'neutral', 0.5, '[]', 0, 0, 1, '[]', 1, 'news', 3, 0, 'o')"
    )
    conn.close()
    await store.open()
    try:
        page = await store.search_mentions(MentionFilter(), limit=5)
        assert [(h.mention.cluster_id, h.mention.messages) for h in page.hits] == [(None, ())]
        await store.save_document(doc("d2", published_at=utc(1970, 1, 1)), [mention("d2", "acme")])
        for count in ("document", "outlet"):
            found = await store.mention_counts(
                MentionFilter(),
                interval="day",
                tz=ZoneInfo("UTC"),
                count=count,
            )
            assert [(c.brand_id, c.count) for c in found] == [("acme", 2)]
    finally:
        await store.close()
