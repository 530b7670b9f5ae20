"""Mastodon: a hashtag timeline or an account's statuses, through the public REST API.

- ``GET /api/v1/timelines/tag/:hashtag`` and ``GET /api/v1/accounts/:id/statuses``
  (both public on default instance settings) return a JSON list of statuses,
  newest first; ``content`` is HTML.
- Incremental polling: the cursor is the newest status id read without a gap. When
  more statuses arrived than the newest page shows (below), the poll asks for
  ``min_id=<cursor>`` (statuses immediately newer, so none is skipped) and follows
  the ``Link: rel="prev"`` URL the server returns, page after page, until a page
  comes back short or ``MAX_PAGES`` is reached.
- The recent window: a poll with a cursor first asks for the newest page (no
  ``min_id``, ``limit`` statuses), conditional on the window's own validators saved
  in the cursor (``WindowCursor``): a 304 means nothing new and no count moved, one
  request. When the page reaches back to the cursor (it holds the cursor's status or
  an older one, or it is short), it holds every new status: returned as they are,
  one request; the pipeline refreshes the counts of those it has stored. Otherwise
  (more new statuses than a page) the ``min_id`` pages are read as above, conditional
  on the source's validators, and the window's statuses follow them (each once, by
  URL); the cursor moves over the window's ids, and keeps the window's validators,
  only when the ``min_id`` pages reached it (else statuses in between, read by the
  next poll, would be skipped, or hidden behind the unchanged window's 304).
- A reblog is stored as the original status (its URL, author and counts), with the
  account that boosted it in ``extra["reposted_by"]``.
- Instances may close their public timelines to anonymous clients (a 401/422, which
  the fetcher raises as ``PermanentFetchError``); mastodon.social allows 300 requests
  per 5 minutes per IP and says so in ``X-RateLimit-*`` headers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from crawlers import FeedParseError, Fetcher, html_to_text
from crawlers.social._common import (
    WindowCursor,
    counts,
    expect_list,
    link_relations,
    load_json,
    mapping,
    merge_posts,
    parse_iso,
    string,
    with_query,
)
from crawlers.social._post import (
    ENGAGEMENT_LIKES,
    ENGAGEMENT_REPLIES,
    ENGAGEMENT_REPOSTS,
    SocialPollResult,
    SocialPost,
    SocialState,
    get_page,
)

# Mastodon's largest page for timelines and account statuses: fewest requests per poll.
PAGE_LIMIT = 40
# Pages followed in one incremental poll (200 statuses). A source further behind
# than that catches up over the next polls instead of holding a worker.
MAX_PAGES = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class MastodonSpec:
    """A hashtag timeline (``hashtag``) or an account's statuses (``account_id``) on ``instance``.

    ``instance`` is a base URL (``https://mastodon.social``) or a bare host name.
    ``account_id`` is the numeric id (``/api/v1/accounts/lookup?acct=`` gives it).
    """

    instance: str
    hashtag: str | None = None
    account_id: str | None = None
    limit: int = PAGE_LIMIT

    def __post_init__(self) -> None:
        if (self.hashtag is None) == (self.account_id is None):
            raise ValueError("MastodonSpec needs exactly one of hashtag or account_id")
        if not 0 < self.limit <= PAGE_LIMIT:
            raise ValueError(f"limit must be in 1..{PAGE_LIMIT}")

    @classmethod
    def parse(cls, text: str) -> MastodonSpec:
        """``#tag@instance`` (a hashtag timeline) or ``12345@instance`` (an account id)."""
        target, sep, instance = text.strip().rpartition("@")
        if not sep or not target or not instance:
            raise ValueError(f"not '#tag@instance' or 'account_id@instance': {text!r}")
        if target.startswith("#"):
            return cls(instance=instance, hashtag=target[1:])
        return cls(instance=instance, account_id=target)


def mastodon_url(spec: MastodonSpec, *, min_id: str | None = None) -> str:
    """The API URL of ``spec``'s timeline, from ``min_id`` on when given."""
    base = spec.instance.rstrip("/")
    if "://" not in base:
        base = f"https://{base}"
    if spec.hashtag is not None:
        path = f"/api/v1/timelines/tag/{quote(spec.hashtag.lstrip('#'), safe='')}"
    else:
        path = f"/api/v1/accounts/{quote(spec.account_id or '', safe='')}/statuses"
    return with_query(base + path, {"limit": spec.limit, "min_id": min_id})


def parse_statuses(content: bytes, *, url: str) -> list[SocialPost]:
    """The statuses of one timeline page, in response order; ``FeedParseError`` if not one."""
    return _page(content, url=url)[0]


def _page(content: bytes, *, url: str) -> tuple[list[SocialPost], list[str]]:
    """A page's posts, and the ids of all its statuses (what the cursor advances over)."""
    statuses = expect_list(load_json(content, url=url), url=url, what="a Mastodon timeline")
    posts = []
    for raw in statuses:
        post = _status(raw)
        if post is not None:
            posts.append(post)
    ids = [s["id"] for s in statuses if isinstance(s, dict) and isinstance(s.get("id"), str)]
    return posts, ids


def newest_id(ids: list[str]) -> str | None:
    """The newest of Mastodon ids: numeric strings (Snowflake-like) compare by length, then text."""
    return max(ids, key=_order, default=None)


async def poll_mastodon(
    fetcher: Fetcher, spec: MastodonSpec, state: SocialState | None
) -> SocialPollResult:
    """One poll: the newest page on a first poll; after, the newest page (the recent
    window) and, only when it does not reach back to the cursor, every status in
    between (see the module docstring).

    Raises ``FetchError`` subclasses (a 429's ``retry_after`` included) and
    ``FeedParseError``; the cursor in the result is the newest status id read
    without a gap, with the window's validators.
    """
    state = state or SocialState()
    saved = WindowCursor.load(state.cursor)
    if saved.cursor is None:  # the first page is the window: its validators serve both
        newer = await _read_newer(fetcher, spec, state, None)
        window = WindowCursor(newest_id(newer.ids), newer.etag, newer.last_modified)
        return newer.result(cursor=window.dump(), posts=newer.posts)
    result = await fetcher.get(
        mastodon_url(spec), etag=saved.etag, last_modified=saved.last_modified
    )
    posts: list[SocialPost] = []
    ids: list[str] = []  # a 304: nothing new, and the window's counts did not move
    if not result.not_modified:
        if not result.content.strip():
            raise FeedParseError("empty response body", url=result.url)
        posts, ids = _page(result.content, url=result.url)
    if _reaches(ids, saved.cursor, spec):  # every new status is in the window: one request
        window = WindowCursor(newest_id([*ids, saved.cursor]), result.etag, result.last_modified)
        return SocialPollResult(
            posts=posts,
            etag=state.etag,
            last_modified=state.last_modified,
            cursor=window.dump(),
            not_modified=result.not_modified,
            pages=1,
        )
    # More new statuses than a page: read them from the cursor on, oldest first.
    newer = await _read_newer(fetcher, spec, state, saved.cursor)
    frontier = newest_id([*newer.ids, saved.cursor]) or saved.cursor
    if _reaches(ids, frontier, spec):  # no gap left between what was read and the window
        frontier = newest_id([*ids, frontier]) or frontier
        window = WindowCursor(frontier, result.etag, result.last_modified)
    else:  # a gap remains: no validators, or an unchanged window's 304 would hide it
        window = WindowCursor(frontier)
    return newer.result(cursor=window.dump(), posts=merge_posts(newer.posts, posts), extra_pages=1)


def _reaches(ids: list[str], cursor: str, spec: MastodonSpec) -> bool:
    """Whether a newest page with these status ids leaves no unread status after
    ``cursor``: it holds the cursor or an older status, or it is the whole timeline."""
    return len(ids) < spec.limit or any(_order(i) <= _order(cursor) for i in ids)


@dataclass(slots=True, kw_only=True)
class _Newer:
    """What the ``min_id`` pages of one poll gave: a 304 on the first has no posts."""

    posts: list[SocialPost]
    ids: list[str]
    etag: str | None
    last_modified: str | None
    pages: int
    not_modified: bool = False

    def result(
        self, *, cursor: str | None, posts: list[SocialPost], extra_pages: int = 0
    ) -> SocialPollResult:
        return SocialPollResult(
            posts=posts,
            etag=self.etag,
            last_modified=self.last_modified,
            cursor=cursor,
            not_modified=self.not_modified and not posts,
            pages=self.pages + extra_pages,
        )


async def _read_newer(
    fetcher: Fetcher, spec: MastodonSpec, state: SocialState, cursor: str | None
) -> _Newer:
    """The statuses newer than ``cursor`` (the newest page when None), page after page."""
    url = mastodon_url(spec, min_id=cursor)
    newer = _Newer(posts=[], ids=[], etag=state.etag, last_modified=state.last_modified, pages=0)
    while newer.pages < MAX_PAGES:
        first = newer.pages == 0
        result = await get_page(fetcher, url, state, first=first)
        newer.pages += 1
        if result.not_modified:
            newer.etag, newer.last_modified = result.etag, result.last_modified
            newer.not_modified = True
            return newer
        if first:
            newer.etag, newer.last_modified = result.etag, result.last_modified
        if not result.content.strip():
            raise FeedParseError("empty response body", url=result.url)
        page_posts, page_ids = _page(result.content, url=result.url)
        newer.posts.extend(page_posts)
        newer.ids.extend(page_ids)
        prev = link_relations(result.headers.get("link")).get("prev")
        if cursor is None or len(page_ids) < spec.limit or not prev:
            break  # a first poll reads one page; a short page is the newest one
        url = prev
    return newer


def _order(status_id: str) -> tuple[int, str]:
    """Mastodon ids sort as numbers: by length, then text."""
    return len(status_id), status_id


def _status(raw: object) -> SocialPost | None:
    if not isinstance(raw, dict):
        return None
    booster: Mapping[str, Any] | None = None
    status: Mapping[str, Any] = raw
    reblog = raw.get("reblog")
    if isinstance(reblog, dict):
        booster, status = raw.get("account") or {}, reblog
    post_id = string(status.get("id"))
    url = string(status.get("url")) or string(status.get("uri"))
    if not post_id or not url.startswith(("http://", "https://")):
        return None  # a status without an id or a web address cannot become a document
    account = mapping(status.get("account"))
    warning = html_to_text(string(status.get("spoiler_text")))
    body = html_to_text(string(status.get("content")))
    extra = {}
    if display := string(account.get("display_name")):
        extra["author_name"] = display
    if booster is not None and (by := string(booster.get("acct"))):
        extra["reposted_by"] = by
    if warning:
        extra["content_warning"] = warning
    acct = string(account.get("acct"))
    return SocialPost(
        platform="mastodon",
        post_id=post_id,
        url=url,
        text=f"{warning} {body}".strip(),
        authors=(acct,) if acct else (),
        published_at=parse_iso(status.get("created_at")),
        language=string(status.get("language")) or None,
        engagement=counts(
            [
                (ENGAGEMENT_LIKES, status.get("favourites_count")),
                (ENGAGEMENT_REPOSTS, status.get("reblogs_count")),
                (ENGAGEMENT_REPLIES, status.get("replies_count")),
            ]
        ),
        extra=extra,
    )
