"""From a feed entry and its extracted page to a ``Document`` (pure, no I/O)."""

from __future__ import annotations

from datetime import datetime, timedelta

from crawlers import Document, Extracted, FeedEntry, Source, document_id

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
    publish; page metadata is often the last edit); implausible dates are dropped
    and flagged in ``extra["date_flag"]``.
    """
    extra: dict[str, str] = {}
    if page is not None and page.text.strip():
        title = page.title or entry.title
        text = page.text
        authors = page.authors or entry.authors
        extra["text_source"] = "page"
        if page.canonical_url:
            extra["canonical_url"] = page.canonical_url
    else:
        title = entry.title
        text = entry.summary
        authors = entry.authors
        extra["text_source"] = "feed"
    published_at = entry.published_at or (page.published_at if page else None)
    if published_at is not None and published_at > fetched_at + FUTURE_TOLERANCE:
        extra["date_flag"] = "future"
        extra["claimed_published_at"] = published_at.isoformat()
        published_at = None
    language = page.language if page and page.language else source.language
    return Document(
        id=document_id(entry.url),
        url=entry.url,
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
