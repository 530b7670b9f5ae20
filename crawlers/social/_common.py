"""Pure helpers the social adapters share: JSON bodies, times, counts, Link headers,
watermarks, backlogs, window cursors, merging posts.

Nothing here does I/O. Every function that reads a response raises only
``FeedParseError`` (with the URL) for a body it cannot use.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from crawlers import FeedParseError
from crawlers.social._post import SocialPost

_ZULU = re.compile(r"[zZ]$")
# One element of an RFC 8288 Link header: <uri>; rel="name" (quotes optional).
_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")
_REL = re.compile(r"""rel\s*=\s*"?([^";,]+)"?""", re.IGNORECASE)


def load_json(content: bytes, *, url: str) -> Any:
    """Decode a JSON body; ``FeedParseError`` when it is not UTF-8 JSON."""
    try:
        return json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedParseError(f"not JSON: {exc}", url=url) from exc


def expect_object(value: object, *, url: str, what: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise FeedParseError(f"expected a JSON object for {what}", url=url)
    return value


def expect_list(value: object, *, url: str, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise FeedParseError(f"expected a JSON list for {what}", url=url)
    return value


def mapping(value: object) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else an empty one (for optional nested objects)."""
    return value if isinstance(value, dict) else {}


def string(value: object) -> str:
    """``value`` if it is a string, else the empty string (JSON nulls and numbers)."""
    return value if isinstance(value, str) else ""


def count(value: object) -> int | None:
    """A non-negative engagement count, or None when absent or not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return max(0, int(value))


def counts(pairs: Iterable[tuple[str, object]]) -> dict[str, int]:
    """Engagement counts by vocabulary name; counts the source did not give are left out."""
    found: dict[str, int] = {}
    for name, value in pairs:
        number = count(value)
        if number is not None:
            found[name] = number
    return found


def parse_iso(value: object) -> datetime | None:
    """An RFC 3339 time as aware UTC (naive taken as UTC); None when absent or unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(_ZULU.sub("+00:00", value.strip()))
    except ValueError:  # not RFC 3339: the post is kept without a time
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def from_epoch(value: object) -> datetime | None:
    """Seconds since the epoch (int or float) as aware UTC; None when absent or absurd."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def link_relations(header: str | None) -> dict[str, str]:
    """The URLs of an RFC 8288 ``Link`` header by relation name (``next``, ``prev``)."""
    found: dict[str, str] = {}
    if not header:
        return found
    for match in _LINK.finditer(header):
        target, params = match.groups()
        for rel in _REL.findall(params):
            for name in rel.split():
                found.setdefault(name.lower(), target.strip())
    return found


def with_query(base: str, params: Mapping[str, str | int | None]) -> str:
    """``base`` with the non-None ``params`` as its query string, in the given order."""
    present = {key: str(value) for key, value in params.items() if value is not None}
    return f"{base}?{urlencode(present)}" if present else base


@dataclass(frozen=True, slots=True)
class Watermark:
    """How far a time-ordered source has been read: the newest time seen, and the
    ids seen at exactly that time (so that posts sharing the boundary second are
    neither lost nor returned twice). Serialized as one string, the adapter cursor.
    """

    time: datetime
    ids: frozenset[str] = frozenset()

    def is_new(self, when: datetime | None, post_id: str) -> bool:
        """Whether a post at ``when`` has not been seen yet (undated posts count as new)."""
        if when is None or when > self.time:
            return True
        return when == self.time and post_id not in self.ids

    def is_below(self, when: datetime | None, post_id: str) -> bool:
        """Whether a post at ``when`` is not read yet when this mark is where reading
        *down* stopped: older, or at ``time`` but not among ``ids`` (undated count too)."""
        if when is None or when < self.time:
            return True
        return when == self.time and post_id not in self.ids

    def advance(self, seen: Iterable[tuple[datetime | None, str]]) -> Watermark:
        """The watermark after also seeing ``seen`` (time, id) pairs."""
        time, ids = self.time, set(self.ids)
        for when, post_id in seen:
            if when is None or when < time:
                continue
            if when > time:
                time, ids = when, set()
            ids.add(post_id)
        return Watermark(time, frozenset(ids))

    @classmethod
    def first(cls, seen: Iterable[tuple[datetime | None, str]]) -> Watermark | None:
        """The watermark of a first poll; None when nothing dated was seen."""
        dated = [(when, post_id) for when, post_id in seen if when is not None]
        if not dated:
            return None
        start = min(when for when, _ in dated)
        return cls(start).advance(dated)

    @classmethod
    def lowest(cls, seen: Iterable[tuple[datetime | None, str]]) -> Watermark | None:
        """The oldest time of ``seen`` with the ids at it; None when nothing is dated."""
        dated = [(when, post_id) for when, post_id in seen if when is not None]
        if not dated:
            return None
        end = min(when for when, _ in dated)
        return cls(end, frozenset(post_id for when, post_id in dated if when == end))

    def dump(self) -> str:
        return " ".join([self.time.isoformat(), *sorted(self.ids)])

    @classmethod
    def load(cls, cursor: str | None) -> Watermark | None:
        """The watermark saved as ``cursor``; None for no cursor or an unreadable one."""
        if not cursor:
            return None
        head, *ids = cursor.split()
        time = parse_iso(head)
        return cls(time, frozenset(ids)) if time is not None else None


def advance_cursor(cursor: str | None, seen: Iterable[tuple[datetime | None, str]]) -> str | None:
    """The cursor after seeing ``seen``; unchanged when nothing dated was seen."""
    pairs = list(seen)
    old = Watermark.load(cursor)
    new = old.advance(pairs) if old is not None else Watermark.first(pairs)
    return new.dump() if new is not None else cursor


@dataclass(frozen=True, slots=True)
class Backlog:
    """The posts a newest-first source still owes after a poll that ran out of pages
    before reaching its watermark: those newer than ``floor`` (the watermark that poll
    started from) and older than ``resume``, where reading stopped (adapter-specific:
    Bluesky's page cursor, the ``Watermark`` of the oldest Hacker News hit read).
    """

    floor: Watermark
    resume: str


@dataclass(frozen=True, slots=True)
class BacklogCursor:
    """A watermark cursor with the backlog a poll left, as one string:
    ``<watermark>\n<floor>\n<resume>`` (no watermark, page cursor or ETag holds a
    newline, so it nests in a ``WindowCursor``). A cursor without a newline (saved
    before, or with nothing owed) has no backlog.
    """

    cursor: str | None
    backlog: Backlog | None = None

    def dump(self) -> str | None:
        if self.cursor is None or self.backlog is None:
            return self.cursor
        return "\n".join([self.cursor, self.backlog.floor.dump(), self.backlog.resume])

    @classmethod
    def load(cls, saved: str | None) -> BacklogCursor:
        cursor, _, rest = (saved or "").partition("\n")
        floor, _, resume = rest.partition("\n")
        mark = Watermark.load(floor)
        backlog = Backlog(mark, resume) if mark is not None and resume else None
        return cls(cursor or None, backlog)


@dataclass(frozen=True, slots=True)
class WindowCursor:
    """An adapter cursor saved with the HTTP validators of the poll's recent-window request.

    Adapters whose server filters by the cursor (Mastodon's ``min_id``, Algolia's
    ``numericFilters``) also ask for their newest page, unfiltered, on every poll, so
    that the counts of posts already returned can be refreshed. ``SocialState``'s own
    validators belong to the filtered request; this window's travel in the cursor:
    ``<cursor>\\t<etag>\\t<last-modified>`` (neither an ETag nor an HTTP date holds a tab).
    A cursor without a tab (saved before, or by a poll that got no validators) has none.
    """

    cursor: str | None
    etag: str | None = None
    last_modified: str | None = None

    def dump(self) -> str | None:
        if self.cursor is None or (self.etag is None and self.last_modified is None):
            return self.cursor  # validators without a cursor: the next poll is a first one
        return "\t".join([self.cursor or "", self.etag or "", self.last_modified or ""])

    @classmethod
    def load(cls, saved: str | None) -> WindowCursor:
        cursor, tab, validators = (saved or "").partition("\t")
        etag, _, last_modified = validators.partition("\t")
        if not tab:
            return cls(saved or None)
        return cls(cursor or None, etag or None, last_modified or None)


def merge_posts(*groups: Iterable[SocialPost]) -> list[SocialPost]:
    """The posts of ``groups`` in order, each post (by URL) once: its first occurrence."""
    unique: dict[str, SocialPost] = {}
    for group in groups:
        for post in group:
            unique.setdefault(post.url, post)
    return list(unique.values())
