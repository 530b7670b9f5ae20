"""Reddit: a subreddit's newest posts, or a search, through the public feeds.

- ``format="rss"``: ``/r/<sub>/new/.rss`` and ``/search.rss?q=..&sort=new`` (Atom today,
  RSS 2.0 in older captures), parsed with ``parse_feed``; the description carries the
  self text and ``submitted by <user> ... [N comments]``, so ``comments`` is the only
  engagement count.
- ``format="json"``: the same paths with ``.json``: a ``Listing`` whose ``t3`` children
  carry ``score`` and ``num_comments``.
- A post's address is its comments page (``permalink``); a link post's target is ``link``.
- Incremental polling: conditional GET, and a ``Watermark`` on the post time: the
  newest post seen (Reddit's own ``before`` cursor returns nothing forever once its
  post is deleted, so it is not used). Every poll returns the whole page, posts
  already returned included: the page is the recent window whose counts (score,
  comments) the pipeline refreshes; it tells new posts from stored ones itself.
- Politeness: Reddit allows unauthenticated clients about 10 requests a minute and
  answers 429 beyond; give www.reddit.com a per-host interval of at least 6 s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from crawlers import FeedEntry, FeedParseError, Fetcher, html_to_text, parse_feed
from crawlers.social._common import (
    advance_cursor,
    counts,
    expect_object,
    from_epoch,
    load_json,
    string,
    with_query,
)
from crawlers.social._post import (
    ENGAGEMENT_COMMENTS,
    ENGAGEMENT_SCORE,
    SocialPollResult,
    SocialPost,
    SocialState,
)

REDDIT = "https://www.reddit.com"
# Reddit's largest listing page; the JSON and RSS endpoints both accept it.
PAGE_LIMIT = 100
_COMMENTS = re.compile(r"\[(\d+) comments?\]")
_SUBMITTED_BY = re.compile(r"submitted by\s+(\S+)")
_POST_ID = re.compile(r"/comments/([a-z0-9]+)/", re.IGNORECASE)
_BOILERPLATE = re.compile(r"\s*submitted by\s.*$", re.DOTALL)
_SUBREDDIT = re.compile(r"/r/([^/]+)/")


@dataclass(frozen=True, slots=True, kw_only=True)
class RedditSpec:
    """A subreddit's newest posts (``subreddit``), a search (``query``), or a search
    within a subreddit (both)."""

    subreddit: str | None = None
    query: str | None = None
    format: Literal["rss", "json"] = "rss"
    base_url: str = REDDIT

    def __post_init__(self) -> None:
        if self.subreddit is None and self.query is None:
            raise ValueError("RedditSpec needs a subreddit, a query or both")

    @classmethod
    def parse(cls, text: str, *, format: Literal["rss", "json"] = "rss") -> RedditSpec:
        """``r/<name>`` (or ``/r/<name>``) for a subreddit; anything else is a search."""
        text = text.strip()
        if re.fullmatch(r"/?r/\w+/?", text):
            return cls(subreddit=text.strip("/")[2:], format=format)
        return cls(query=text, format=format)


def reddit_url(spec: RedditSpec) -> str:
    base = spec.base_url.rstrip("/")
    ext = ".rss" if spec.format == "rss" else ".json"
    prefix = f"{base}/r/{spec.subreddit}" if spec.subreddit else base
    raw = {"raw_json": 1} if spec.format == "json" else {}  # JSON text without &amp; escapes
    if spec.query is None:
        return with_query(f"{prefix}/new/{ext}", {"limit": PAGE_LIMIT, **raw})
    params: dict[str, str | int | None] = {"q": spec.query, "sort": "new", "limit": PAGE_LIMIT}
    if spec.subreddit:
        params["restrict_sr"] = "on"
    return with_query(f"{prefix}/search{ext}", {**params, **raw})


def parse_reddit_feed(
    content: bytes, *, url: str, content_type: str | None = None
) -> list[SocialPost]:
    """Posts of a Reddit RSS or Atom feed; ``FeedParseError`` when it is not a feed."""
    return [
        _feed_post(entry)
        for entry in parse_feed(content, url=url, content_type=content_type).entries
    ]


def parse_reddit_listing(content: bytes, *, url: str) -> list[SocialPost]:
    """Posts (``t3`` children) of a Reddit JSON ``Listing``; ``FeedParseError`` if not one."""
    body = expect_object(load_json(content, url=url), url=url, what="a Reddit listing")
    data = body.get("data")
    children = data.get("children") if isinstance(data, dict) else None
    if body.get("kind") != "Listing" or not isinstance(children, list):
        raise FeedParseError("JSON but not a Reddit Listing", url=url)
    posts = []
    for child in children:
        if isinstance(child, dict) and child.get("kind") == "t3":
            post = _listing_post(child.get("data"))
            if post is not None:
                posts.append(post)
    return posts


async def poll_reddit(
    fetcher: Fetcher, spec: RedditSpec, state: SocialState | None
) -> SocialPollResult:
    """One conditional GET of the feed; all its posts, the cursor advanced over them.

    Raises ``FetchError`` subclasses and ``FeedParseError``.
    """
    state = state or SocialState()
    result = await fetcher.get(reddit_url(spec), etag=state.etag, last_modified=state.last_modified)
    if result.not_modified:
        return SocialPollResult(
            etag=result.etag, last_modified=result.last_modified, cursor=state.cursor,
            not_modified=True, pages=1,
        )  # fmt: skip
    if not result.content.strip():
        raise FeedParseError("empty response body", url=result.url)
    if spec.format == "json":
        posts = parse_reddit_listing(result.content, url=result.url)
    else:
        posts = parse_reddit_feed(
            result.content, url=result.url, content_type=result.headers.get("content-type")
        )
    return SocialPollResult(
        posts=posts,
        etag=result.etag,
        last_modified=result.last_modified,
        cursor=advance_cursor(state.cursor, ((p.published_at, p.post_id) for p in posts)),
        pages=1,
    )


def _feed_post(entry: FeedEntry) -> SocialPost:
    match = _POST_ID.search(entry.url)
    post_id = f"t3_{match.group(1)}" if match else (entry.guid or entry.url)
    comments = _COMMENTS.search(entry.summary)
    author = entry.authors or _submitter(entry.summary)
    subreddit = _SUBREDDIT.search(entry.url)
    return SocialPost(
        platform="reddit",
        post_id=post_id,
        url=entry.url,
        title=entry.title,
        text=_BOILERPLATE.sub("", entry.summary).strip() or entry.title,
        authors=tuple(a.removeprefix("/u/") for a in author),
        published_at=entry.published_at,
        engagement={ENGAGEMENT_COMMENTS: int(comments.group(1))} if comments else {},
        extra={"subreddit": subreddit.group(1)} if subreddit else {},
    )


def _submitter(summary: str) -> tuple[str, ...]:
    match = _SUBMITTED_BY.search(summary)
    return (match.group(1),) if match else ()


def _listing_post(data: object) -> SocialPost | None:
    if not isinstance(data, dict):
        return None
    name, permalink = string(data.get("name")), string(data.get("permalink"))
    if not name or not permalink.startswith("/"):
        return None
    url = REDDIT + permalink  # one spelling whichever host served it (old., np., ...)
    title = html_to_text(string(data.get("title")))
    target = string(data.get("url"))
    extra = {}
    if sub := string(data.get("subreddit")):
        extra["subreddit"] = sub
    author = string(data.get("author"))
    return SocialPost(
        platform="reddit",
        post_id=name,
        url=url,
        title=title,
        text=" ".join(string(data.get("selftext")).split()) or title,
        authors=(author,) if author and author != "[deleted]" else (),
        published_at=from_epoch(data.get("created_utc")),
        link=None if data.get("is_self") or not target.startswith("http") else target,
        engagement=counts(
            [(ENGAGEMENT_SCORE, data.get("score")), (ENGAGEMENT_COMMENTS, data.get("num_comments"))]
        ),
        extra=extra,
    )
