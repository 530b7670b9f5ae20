"""Hacker News: stories and comments matching a query, through the Algolia search API.

- ``GET https://hn.algolia.com/api/v1/search_by_date?query=..&tags=(story,comment)``
  returns ``{"hits": [...], "nbPages", "page", ...}``, newest first. A hit is a story
  (``title``, ``url``, ``story_text``, ``points``, ``num_comments``) or a comment
  (``comment_text``, ``story_title``, ``story_url``); texts are HTML.
- A post's address is its item page ``https://news.ycombinator.com/item?id=<objectID>``;
  the article a story links to is ``link``.
- Incremental polling: the cursor is a ``Watermark`` on ``created_at_i``; the next
  poll asks for ``numericFilters=created_at_i>=<time>`` and pages until the hits run
  out, at most ``MAX_PAGES``.
- The backlog: when the pages run out first (more than ``MAX_PAGES`` × ``limit`` new
  hits), the watermark still moves to the newest hit, and the cursor
  (``BacklogCursor``) keeps the old watermark as the floor and the ``Watermark`` of
  the oldest hit read (its time, the ids read at it) as where to resume. The next
  polls, with the pages left of ``MAX_PAGES`` after the newer hits, ask for
  ``numericFilters=created_at_i>=<floor>,created_at_i<=<resume>`` (times, which do not
  shift as page numbers do when hits arrive) and keep the hits between the two marks;
  once those run out the backlog is dropped. A poll that falls behind again while a
  backlog is open keeps its floor and resumes from its own oldest hit (the hits in
  between come twice; the pipeline knows them).
- The recent window: the filter never returns a hit older than the cursor again, so
  a poll with a cursor also asks for the newest page (no ``numericFilters``,
  ``limit`` hits) and returns its hits too, merged with the new ones (each once, by
  URL): the pipeline refreshes the points and comment counts of those it has
  stored. That request is conditional on its own validators, saved in the cursor
  (``WindowCursor``, around the ``BacklogCursor``); the filtered one keeps the
  source's. The watermark moves over the window's hits only when the window reaches
  back to hits already read.
- Algolia's HN API allows 10,000 requests an hour per IP.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from crawlers import FeedParseError, Fetcher, html_to_text
from crawlers.social._common import (
    Backlog,
    BacklogCursor,
    Watermark,
    WindowCursor,
    advance_cursor,
    count,
    counts,
    expect_object,
    from_epoch,
    load_json,
    merge_posts,
    string,
    with_query,
)
from crawlers.social._post import (
    ENGAGEMENT_COMMENTS,
    ENGAGEMENT_SCORE,
    SocialPollResult,
    SocialPost,
    SocialState,
    get_page,
    unchanged,
)

ALGOLIA_HN = "https://hn.algolia.com"
ITEM_URL = "https://news.ycombinator.com/item?id="
# Algolia's hitsPerPage ceiling for this index is 1000; 100 keeps each response
# small (comments are long) while one page covers a busy query's few minutes.
PAGE_LIMIT = 100
# Pages of filtered hits read in one poll, backlog included (the window is one
# more); a query further behind reads the rest over the next polls (the backlog).
MAX_PAGES = 5
DEFAULT_TAGS = "(story,comment)"


@dataclass(frozen=True, slots=True, kw_only=True)
class HackerNewsSpec:
    """Hits for ``query``, of the Algolia ``tags`` filter (stories and comments by default)."""

    query: str
    tags: str = DEFAULT_TAGS
    base_url: str = ALGOLIA_HN
    limit: int = PAGE_LIMIT

    def __post_init__(self) -> None:
        if not self.query.strip():
            raise ValueError("HackerNewsSpec needs a query")
        if not 0 < self.limit <= PAGE_LIMIT:
            raise ValueError(f"limit must be in 1..{PAGE_LIMIT}")


@dataclass(frozen=True, slots=True)
class HackerNewsPage:
    posts: list[SocialPost]
    page: int
    pages: int


def hackernews_url(
    spec: HackerNewsSpec, *, since: int | None = None, until: int | None = None, page: int = 0
) -> str:
    bounds = [f"created_at_i>={since}"] if since is not None else []
    bounds += [f"created_at_i<={until}"] if until is not None else []
    return with_query(
        f"{spec.base_url.rstrip('/')}/api/v1/search_by_date",
        {
            "query": spec.query,
            "tags": spec.tags,
            "hitsPerPage": spec.limit,
            "numericFilters": ",".join(bounds) or None,
            "page": page or None,
        },
    )


def parse_hackernews(content: bytes, *, url: str) -> HackerNewsPage:
    """An Algolia HN search response; ``FeedParseError`` when it is not one."""
    body = expect_object(load_json(content, url=url), url=url, what="an Algolia response")
    hits = body.get("hits")
    if not isinstance(hits, list):
        raise FeedParseError("Algolia response without a hits list", url=url)
    posts = [post for post in map(_hit, hits) if post is not None]
    return HackerNewsPage(posts, count(body.get("page")) or 0, count(body.get("nbPages")) or 0)


async def poll_hackernews(
    fetcher: Fetcher, spec: HackerNewsSpec, state: SocialState | None
) -> SocialPollResult:
    """One poll: the newest page on a first poll; after, every newer hit, the backlog's
    and the recent window (see the module docstring).

    Raises ``FetchError`` subclasses and ``FeedParseError``.
    """
    state = state or SocialState()
    saved = WindowCursor.load(state.cursor)
    read = BacklogCursor.load(saved.cursor)
    mark = Watermark.load(read.cursor)
    newer, behind = await _read_newer(fetcher, spec, state, mark)
    frontier = advance_cursor(read.cursor, ((p.published_at, p.post_id) for p in newer.posts))
    backlog = read.backlog
    if behind and mark is not None:  # the hits below the oldest read are owed down to the mark
        top = Watermark.lowest((p.published_at, p.post_id) for p in newer.posts)
        backlog = Backlog(backlog.floor if backlog else mark, top.dump()) if top else backlog
    elif backlog is not None and newer.pages < MAX_PAGES:
        owed, pages, backlog = await _read_backlog(
            fetcher, spec, backlog, budget=MAX_PAGES - newer.pages
        )
        newer = replace(
            newer,
            posts=[*newer.posts, *owed],
            pages=newer.pages + pages,
            not_modified=newer.not_modified and not owed,
        )
    if mark is None:  # the first page is the window: its validators serve both
        window = WindowCursor(frontier, newer.etag, newer.last_modified)
        return replace(newer, cursor=window.dump())
    result = await fetcher.get(
        hackernews_url(spec), etag=saved.etag, last_modified=saved.last_modified
    )
    if result.not_modified:  # the window's counts did not move
        window = WindowCursor(
            BacklogCursor(frontier, backlog).dump(), result.etag, result.last_modified
        )
        return replace(newer, cursor=window.dump(), pages=newer.pages + 1)
    page = parse_hackernews(result.content, url=result.url)
    reached = Watermark.load(frontier)
    if page.page + 1 >= page.pages or any(
        reached is not None and not reached.is_new(p.published_at, p.post_id) for p in page.posts
    ):  # no gap behind the window
        frontier = advance_cursor(frontier, ((p.published_at, p.post_id) for p in page.posts))
    window = WindowCursor(
        BacklogCursor(frontier, backlog).dump(), result.etag, result.last_modified
    )
    return replace(
        newer,
        posts=merge_posts(newer.posts, page.posts),
        cursor=window.dump(),
        not_modified=False,
        pages=newer.pages + 1,
    )


async def _read_newer(
    fetcher: Fetcher, spec: HackerNewsSpec, state: SocialState, mark: Watermark | None
) -> tuple[SocialPollResult, bool]:
    """The hits newer than ``mark`` (the newest page when None), page after page, and
    whether ``MAX_PAGES`` ran out before they did; the cursor left for the caller to
    set. A 304 on the first page has no posts."""
    since = int(mark.time.timestamp()) if mark else None
    fresh: list[SocialPost] = []
    etag, last_modified = state.etag, state.last_modified
    pages, behind = 0, False
    while pages < MAX_PAGES:
        first = pages == 0
        result = await get_page(
            fetcher, hackernews_url(spec, since=since, page=pages), state, first=first
        )
        pages += 1
        if result.not_modified:
            return unchanged(result, cursor=None, pages=pages), False
        if first:
            etag, last_modified = result.etag, result.last_modified
        page = parse_hackernews(result.content, url=result.url)
        fresh.extend(
            p for p in page.posts if mark is None or mark.is_new(p.published_at, p.post_id)
        )
        if mark is None or page.page + 1 >= page.pages or not page.posts:
            break  # a first poll reads one page; later ones read until the hits run out
        behind = pages == MAX_PAGES  # more hits, and no page left to read them
    found = SocialPollResult(posts=fresh, etag=etag, last_modified=last_modified, pages=pages)
    return found, behind


async def _read_backlog(
    fetcher: Fetcher, spec: HackerNewsSpec, backlog: Backlog, *, budget: int
) -> tuple[list[SocialPost], int, Backlog | None]:
    """The hits ``backlog`` owes, read down from where it stopped (``created_at_i``
    between its floor and its ``resume`` watermark), at most ``budget`` pages: the
    hits, the pages read, and the backlog left (None once the hits ran out)."""
    floor, top = backlog.floor, Watermark.load(backlog.resume)
    if top is None:  # not a saved backlog: nothing to resume from
        return [], 0, None
    since, until = int(floor.time.timestamp()), int(top.time.timestamp())
    owed: list[SocialPost] = []
    for number in range(budget):
        result = await fetcher.get(hackernews_url(spec, since=since, until=until, page=number))
        page = parse_hackernews(result.content, url=result.url)
        owed.extend(
            p
            for p in page.posts
            if floor.is_new(p.published_at, p.post_id) and top.is_below(p.published_at, p.post_id)
        )
        if page.page + 1 >= page.pages or not page.posts:
            return owed, number + 1, None
    lowest = Watermark.lowest((p.published_at, p.post_id) for p in owed) or top
    if lowest.time == top.time:  # still at the same second: its ids read so far add up
        lowest = Watermark(top.time, top.ids | lowest.ids)
    return owed, budget, Backlog(floor, lowest.dump())


def _hit(hit: object) -> SocialPost | None:
    if not isinstance(hit, dict):
        return None
    object_id = string(hit.get("objectID"))
    if not object_id.isdigit():
        return None  # every HN item id is a number; anything else is not an item
    tags = hit.get("_tags")
    is_comment = isinstance(tags, list) and "comment" in tags
    author = string(hit.get("author"))
    if is_comment:
        title = string(hit.get("story_title"))
        text = html_to_text(string(hit.get("comment_text")))
        link = string(hit.get("story_url")) or None
    else:
        title = html_to_text(string(hit.get("title")))
        text = html_to_text(string(hit.get("story_text"))) or title
        link = string(hit.get("url")) or None
    extra = {"kind": "comment" if is_comment else "story"}
    if story_id := count(hit.get("story_id")):
        extra["story_id"] = str(story_id)
    return SocialPost(
        platform="hackernews",
        post_id=object_id,
        url=ITEM_URL + object_id,
        text=text,
        title=title,
        authors=(author,) if author else (),
        published_at=from_epoch(hit.get("created_at_i")),
        link=link,
        engagement=counts(
            [(ENGAGEMENT_SCORE, hit.get("points")), (ENGAGEMENT_COMMENTS, hit.get("num_comments"))]
        ),
        extra=extra,
    )
