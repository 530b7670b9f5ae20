"""The pure parts of ingest: a document's identity and stamp, and when a stored one changed."""

from __future__ import annotations

from datetime import UTC, datetime

from crawlers import Extracted, FeedEntry, Source, document_id
from search import StoredVersion
from service._documents import build_document, entry_stamp, is_update

SOURCE = Source(id="ex", url="https://ex.com/rss", outlet="Ex", domain="ex.com")
NOW = datetime(2026, 11, 16, 12, tzinfo=UTC)
NINE = datetime(2026, 11, 16, 9, tzinfo=UTC)
TEN = datetime(2026, 11, 16, 10, tzinfo=UTC)


def page(canonical: str | None) -> Extracted:
    return Extracted(title="T", text="Body text.", canonical_url=canonical)


def test_a_same_site_canonical_gives_the_id_and_keeps_the_entry_url() -> None:
    entry = FeedEntry(url="https://ex.com/feed/1?edition=rss", published_at=NINE)
    doc = build_document(
        source=SOURCE, entry=entry, page=page("https://www.ex.com/story/1"), fetched_at=NOW
    )
    assert doc.id == document_id("https://www.ex.com/story/1")
    assert doc.url == "https://www.ex.com/story/1"
    assert doc.extra["entry_url"] == entry.url
    assert doc.extra["updated_at"] == NINE.isoformat()


def test_a_cross_site_or_identical_canonical_changes_nothing() -> None:
    entry = FeedEntry(url="https://ex.com/story/2")
    for canonical in ("https://other.com/story/2", "https://ex.com/story/2?utm_source=x"):
        doc = build_document(source=SOURCE, entry=entry, page=page(canonical), fetched_at=NOW)
        assert doc.id == document_id(entry.url) and doc.url == entry.url
        assert "entry_url" not in doc.extra and doc.extra["canonical_url"] == canonical
        assert "updated_at" not in doc.extra  # an undated entry has no stamp


def test_an_update_is_a_later_stamp_than_the_stored_one() -> None:
    updated = FeedEntry(url="https://ex.com/a", published_at=NINE, updated_at=TEN)
    assert entry_stamp(updated) == TEN
    assert entry_stamp(FeedEntry(url="https://ex.com/a", published_at=NINE)) == NINE
    assert is_update(updated, StoredVersion("a", NINE))
    assert not is_update(updated, StoredVersion("a", TEN))
    assert not is_update(FeedEntry(url="https://ex.com/a"), StoredVersion("a", NINE))
    # stored before stamps were kept: a date alone does not refetch it
    assert not is_update(updated, StoredVersion("a", None))
