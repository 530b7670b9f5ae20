"""From a feed entry and its extracted page to a ``Document``, and whether a stored one
changed (pure, no I/O)."""

from __future__ import annotations

from datetime import datetime, timedelta

from crawlers import (
    Document,
    Extracted,
    FeedEntry,
    Source,
    canonical_url,
    document_id,
    published_date,
)
from search import StoredVersion

# Feeds and pages sometimes carry dates in the future (time-zone mistakes, scheduled
# posts). Anything more than this ahead of the fetch time is not believed: counting
# it at a future time would create a fake spike later.
FUTURE_TOLERANCE = timedelta(hours=1)


def build_document(
    *, source: Source, entry: FeedEntry, page: Extracted | None, fetched_at: datetime
) -> Document:
    """Merge what the feed said with what the page says; the page's text wins.

    Without a page (it could not be fetched or had no main text) the feed's title
    and summary are the document, flagged with ``extra["text_source"] = "feed"``.
    The feed's date wins over the page's (publishers date feed items when they
    publish; page metadata is often the last edit), then the URL's
    (``crawlers.published_date``); implausible dates are never used (the document
    counts at its fetch time) and are flagged in ``extra["date_flag"]``
    (``future`` / ``too_old`` / ``missing``); ``extra["date_source"]`` says
    which date was used (``feed`` / ``page`` / ``url`` / ``fetched``).

    Identity: the page's same-site ``<link rel=canonical>`` gives the document its
    URL and id (``canonical_url``), so one story reached through two links is one
    document; the feed's link is then kept in ``extra["entry_url"]`` (the store
    records it as an alias). ``extra["updated_at"]`` is ``entry_stamp(entry)``, what
    the next poll compares to decide whether the article changed.
    """
    extra: dict[str, str] = {}
    url = entry.url
    if page is not None and page.text.strip():
        title = page.title or entry.title
        text = page.text
        authors = page.authors or entry.authors
        extra["text_source"] = "page"
        if page.canonical_url:
            extra["canonical_url"] = page.canonical_url
            url = canonical_url(entry.url, page.canonical_url)
            if document_id(url) != document_id(entry.url):
                extra["entry_url"] = entry.url
    else:
        title = entry.title
        text = entry.summary
        authors = entry.authors
        extra["text_source"] = "feed"
    dated = published_date(
        feed=entry.published_at,
        page=page.published_at if page else None,
        url=url,
        fetched_at=fetched_at,
        max_future_skew=FUTURE_TOLERANCE,
    )
    published_at = dated.at
    extra["date_source"] = dated.source
    if dated.flag is not None:
        extra["date_flag"] = dated.flag
    if dated.claimed is not None:
        extra["claimed_published_at"] = dated.claimed.isoformat()
    stamp = entry_stamp(entry)
    if stamp is not None:
        extra["updated_at"] = stamp.isoformat()
    language = page.language if page and page.language else source.language
    return Document(
        id=document_id(url),
        url=url,
        source_id=source.id,
        outlet=source.outlet,
        domain=source.domain,
        title=title.strip(),
        text=text.strip(),
        authors=tuple(authors),
        published_at=published_at,
        fetched_at=fetched_at,
        language=(language or "").split("-")[0].lower() or None,
        channel=source.channel,
        country=source.country,
        tier=source.tier,
        audience=source.audience,
        extra=extra,
    )


def entry_stamp(entry: FeedEntry) -> datetime | None:
    """When the feed says ``entry`` last changed: its ``updated_at``, else its publication
    date (a feed that re-dates an edited item moves ``pubDate``); None when undated."""
    return entry.updated_at or entry.published_at


def is_update(entry: FeedEntry, stored: StoredVersion) -> bool:
    """Whether the feed dates ``entry`` later than its stored copy: an update to fetch.

    A copy stored without a stamp (before stamps were kept, or undated) is not
    fetched again on a date alone: that would fetch every such page once more.
    """
    stamp = entry_stamp(entry)
    return stamp is not None and stored.updated_at is not None and stamp > stored.updated_at
