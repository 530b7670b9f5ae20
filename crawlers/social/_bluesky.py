"""Bluesky: post search and author feeds through the public AppView (no login).

- ``GET /xrpc/app.bsky.feed.searchPosts?q=..&sort=latest`` returns ``{"posts": [postView],
  "cursor"}``; ``GET /xrpc/app.bsky.feed.getAuthorFeed?actor=..`` returns ``{"feed":
  [{"post": postView, "reason"?}], "cursor"}``. Both are newest first, and ``cursor``
  pages *backwards* in time.
- A post's web address is ``https://bsky.app/profile/<handle>/post/<rkey>``, the rkey
  being the last segment of its ``at://`` URI.
- Incremental polling: the cursor is a ``Watermark`` of the newest time seen (a
  repost's time in an author feed is when it was reposted). The next poll reads
  pages until it reaches posts it has seen, at most ``MAX_PAGES``, and returns
  every post of those pages, seen ones included: the first page is the recent
  window whose counts the pipeline refreshes (it tells new posts from stored ones
  itself). So searchPosts is not given ``since``: its first page is the newest
  posts, and its URL the same on every poll, which makes the conditional GET useful.
- The backlog: a poll that reads ``MAX_PAGES`` without reaching the watermark (a burst
  of more than ``MAX_PAGES`` × ``limit`` posts) still moves the watermark to the newest
  post, and keeps in the cursor (``BacklogCursor``) the old watermark as the floor and
  the page cursor where it stopped. The next polls read the newest pages as above,
  then, with the pages left of ``MAX_PAGES``, go on from that page cursor down to the
  first page holding a post not newer than the floor; only then is the backlog
  dropped. searchPosts' cursor is an offset: posts that came meanwhile shift the older
  ones down, so some are read twice (the pipeline knows them), none skipped. A poll
  that falls behind again while a backlog is open keeps its floor and starts it over
  from its own page cursor.
- The public AppView allows 3000 requests per 5 minutes per IP; beyond, a 429 with
  ``RateLimit-Reset``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from crawlers import FeedParseError, Fetcher, FetchResult
from crawlers.social._common import (
    Backlog,
    BacklogCursor,
    Watermark,
    advance_cursor,
    counts,
    expect_object,
    load_json,
    mapping,
    merge_posts,
    parse_iso,
    string,
    with_query,
)
from crawlers.social._post import (
    ENGAGEMENT_LIKES,
    ENGAGEMENT_QUOTES,
    ENGAGEMENT_REPLIES,
    ENGAGEMENT_REPOSTS,
    SocialPollResult,
    SocialPost,
    SocialState,
    get_page,
    unchanged,
)

# Bluesky's public, unauthenticated AppView (cached; the documented host for it).
PUBLIC_APPVIEW = "https://public.api.bsky.app"
# The lexicons' maximum page size for both endpoints: fewest requests per poll.
PAGE_LIMIT = 100
# Pages read in one poll (500 posts), backlog included; a source further behind
# reads the rest over the next polls (the backlog) instead of holding a worker.
MAX_PAGES = 5
POST_COLLECTION = "app.bsky.feed.post"
REPOST_REASON = "app.bsky.feed.defs#reasonRepost"


@dataclass(frozen=True, slots=True, kw_only=True)
class BlueskySpec:
    """A post search (``query``, Lucene-like syntax) or one account's feed (``actor``,
    a handle or DID). ``base_url`` is the AppView to ask."""

    query: str | None = None
    actor: str | None = None
    base_url: str = PUBLIC_APPVIEW
    limit: int = PAGE_LIMIT

    def __post_init__(self) -> None:
        if (self.query is None) == (self.actor is None):
            raise ValueError("BlueskySpec needs exactly one of query or actor")
        if not 0 < self.limit <= PAGE_LIMIT:
            raise ValueError(f"limit must be in 1..{PAGE_LIMIT}")

    @classmethod
    def parse(cls, text: str) -> BlueskySpec:
        """``@handle`` or ``did:...`` (an author feed), anything else a search query."""
        text = text.strip()
        if text.startswith("@"):
            return cls(actor=text[1:])
        if text.startswith("did:"):
            return cls(actor=text)
        return cls(query=text)


@dataclass(frozen=True, slots=True)
class BlueskyPage:
    """One page: its posts with the time each sorts by, and the cursor to the older page."""

    posts: list[tuple[datetime | None, SocialPost]]
    next_cursor: str | None


def bluesky_url(spec: BlueskySpec, *, cursor: str | None = None) -> str:
    base = spec.base_url.rstrip("/")
    if spec.query is not None:
        return with_query(
            f"{base}/xrpc/app.bsky.feed.searchPosts",
            {"q": spec.query, "sort": "latest", "limit": spec.limit, "cursor": cursor},
        )
    return with_query(
        f"{base}/xrpc/app.bsky.feed.getAuthorFeed",
        {"actor": spec.actor, "limit": spec.limit, "cursor": cursor},
    )


def parse_search_posts(content: bytes, *, url: str) -> BlueskyPage:
    """A ``searchPosts`` response; ``FeedParseError`` when it is not one."""
    body = expect_object(load_json(content, url=url), url=url, what="searchPosts")
    raw = body.get("posts")
    if not isinstance(raw, list):
        raise FeedParseError("searchPosts response without a posts list", url=url)
    posts = []
    for view in raw:
        post = _post_view(view, reposted_by=None)
        if post is not None:
            posts.append((_time(view, "indexedAt") or post.published_at, post))
    return BlueskyPage(posts, string(body.get("cursor")) or None)


def parse_author_feed(content: bytes, *, url: str) -> BlueskyPage:
    """A ``getAuthorFeed`` response; ``FeedParseError`` when it is not one."""
    body = expect_object(load_json(content, url=url), url=url, what="getAuthorFeed")
    raw = body.get("feed")
    if not isinstance(raw, list):
        raise FeedParseError("getAuthorFeed response without a feed list", url=url)
    posts = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        reason = item.get("reason")
        reposted_by = None
        sort_time = _time(item.get("post"), "indexedAt")
        if isinstance(reason, dict) and reason.get("$type") == REPOST_REASON:
            by = reason.get("by")
            reposted_by = string(by.get("handle")) if isinstance(by, dict) else ""
            sort_time = _time(reason, "indexedAt") or sort_time
        post = _post_view(item.get("post"), reposted_by=reposted_by or None)
        if post is not None:
            posts.append((sort_time or post.published_at, post))
    return BlueskyPage(posts, string(body.get("cursor")) or None)


def post_web_url(at_uri: str, handle: str, did: str) -> str | None:
    """``https://bsky.app/profile/<handle>/post/<rkey>`` for an ``at://`` post URI."""
    parts = at_uri.removeprefix("at://").split("/")
    if not at_uri.startswith("at://") or len(parts) != 3 or parts[1] != POST_COLLECTION:
        return None
    # "handle.invalid" is what the AppView says when a handle no longer verifies.
    who = handle if handle and handle != "handle.invalid" else did or parts[0]
    return f"https://bsky.app/profile/{who}/post/{parts[2]}"


async def poll_bluesky(
    fetcher: Fetcher, spec: BlueskySpec, state: SocialState | None
) -> SocialPollResult:
    """One poll: the newest page on a first poll; after, the pages down to the first
    that holds a post already seen, then the backlog's, every post of them returned
    (see the module docstring).

    Raises ``FetchError`` subclasses and ``FeedParseError``.
    """
    state = state or SocialState()
    saved = BacklogCursor.load(state.cursor)
    mark = Watermark.load(saved.cursor)
    newest = await _read_down(fetcher, spec, state, start=None, floor=mark, budget=MAX_PAGES)
    backlog = saved.backlog
    if newest.resume is not None and mark is not None:  # fell behind: owed down to the mark
        backlog = Backlog(backlog.floor if backlog else mark, newest.resume)
    older = _Reading([], pages=0)
    if backlog is not None and newest.resume is None and newest.pages < MAX_PAGES:
        budget = MAX_PAGES - newest.pages
        older = await _read_down(
            fetcher, spec, state, start=backlog.resume, floor=backlog.floor, budget=budget
        )
        backlog = replace(backlog, resume=older.resume) if older.resume else None
    cursor = BacklogCursor(
        advance_cursor(saved.cursor, ((t, p.post_id) for t, p in newest.posts)), backlog
    ).dump()
    pages, first = newest.pages + older.pages, newest.first
    if first is not None and first.not_modified and not older.posts:
        return unchanged(first, cursor=cursor, pages=pages)
    return SocialPollResult(
        posts=merge_posts(p for _, p in [*newest.posts, *older.posts]),
        etag=first.etag if first else state.etag,
        last_modified=first.last_modified if first else state.last_modified,
        cursor=cursor,
        pages=pages,
    )


@dataclass(slots=True)
class _Reading:
    """Pages read newest first: their posts, the count, the first page's response
    (None when it was not the newest page), and the page cursor to go on from when
    the pages ran out before the floor (None when it was reached, or the feed ended)."""

    posts: list[tuple[datetime | None, SocialPost]]
    pages: int
    first: FetchResult | None = None
    resume: str | None = None


async def _read_down(
    fetcher: Fetcher,
    spec: BlueskySpec,
    state: SocialState,
    *,
    start: str | None,
    floor: Watermark | None,
    budget: int,
) -> _Reading:
    """Pages from ``start`` (None: the newest, asked conditionally) down to the first
    that holds a post not newer than ``floor`` (one page when None), at most ``budget``."""
    parse = parse_search_posts if spec.query is not None else parse_author_feed
    reading = _Reading([], pages=0)
    page_cursor = start
    while reading.pages < budget:
        url = bluesky_url(spec, cursor=page_cursor)
        result = await get_page(fetcher, url, state, first=start is None and not reading.pages)
        if start is None and not reading.pages:
            reading.first = result
        reading.pages += 1
        if result.not_modified:
            return reading  # the newest page as last time: nothing new above the mark
        page = parse(result.content, url=result.url)
        reading.posts.extend(page.posts)
        seen = floor is not None and any(not floor.is_new(t, p.post_id) for t, p in page.posts)
        page_cursor = page.next_cursor
        if floor is None or seen or not page.posts or not page_cursor:
            return reading  # a first poll reads one page; a page with seen posts reaches it
    reading.resume = page_cursor
    return reading


def _time(obj: object, key: str) -> datetime | None:
    return parse_iso(obj.get(key)) if isinstance(obj, dict) else None


def _post_view(view: object, *, reposted_by: str | None) -> SocialPost | None:
    if not isinstance(view, dict):
        return None
    author, record = mapping(view.get("author")), mapping(view.get("record"))
    handle, did = string(author.get("handle")), string(author.get("did"))
    uri = string(view.get("uri"))
    url = post_web_url(uri, handle, did)
    if url is None:
        return None
    extra = {"at_uri": uri}
    if name := string(author.get("displayName")):
        extra["author_name"] = name
    if reposted_by:
        extra["reposted_by"] = reposted_by
    langs = record.get("langs")
    language = string(langs[0]) if isinstance(langs, list) and langs else ""
    return SocialPost(
        platform="bluesky",
        post_id=uri,
        url=url,
        text=" ".join(string(record.get("text")).split()),
        authors=(handle,) if handle else (),
        published_at=parse_iso(record.get("createdAt")) or parse_iso(view.get("indexedAt")),
        language=language or None,
        engagement=counts(
            [
                (ENGAGEMENT_LIKES, view.get("likeCount")),
                (ENGAGEMENT_REPOSTS, view.get("repostCount")),
                (ENGAGEMENT_REPLIES, view.get("replyCount")),
                (ENGAGEMENT_QUOTES, view.get("quoteCount")),
            ]
        ),
        extra=extra,
    )
