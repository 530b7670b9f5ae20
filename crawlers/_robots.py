"""robots.txt for article pages (RFC 9309), fetched once per host and cached.

``RobotsPolicy.check(url)`` returns when Clarion may fetch ``url`` and raises
``RobotsDisallowed`` otherwise. ``Fetcher.get(url, respect_robots=True)`` calls it
for the URL and for every redirect hop. Feeds and sitemaps are not checked: a
publisher who lists a feed or sitemap asks for it to be read.

What each answer for ``/robots.txt`` means (RFC 9309 §2.3.1):

- 2xx: the rules are parsed (``protego``: groups, ``*`` and ``$`` wildcards, the
  most specific rule wins) and applied to Clarion's user agent; only the first
  ``MAX_ROBOTS_BYTES`` are read.
- 4xx (other than 408/429), too many redirects, a body over the size cap:
  "unavailable", so everything is allowed. A host refused by the SSRF guard gets
  no rules either: the page's own fetch is refused by the guard.
- 5xx, 408, 429, timeouts, network errors: "unreachable", so everything is
  disallowed for ``error_ttl`` seconds: ``RobotsUnreachable``, a *transient* error,
  because the page may be fetched once robots.txt can be read.

Rules are cached per origin (scheme, host, port) for ``ttl`` seconds, at most
``max_hosts`` origins, least recently used dropped first. Concurrent checks of one
origin share a single robots.txt request. Safe on one event loop.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from protego import Protego

from crawlers._errors import (
    BlockedAddressError,
    PermanentFetchError,
    RobotsDisallowed,
    RobotsUnreachable,
    TransientFetchError,
)

if TYPE_CHECKING:
    from crawlers._fetch import FetchResult

# RFC 9309 §2.5: crawlers MUST parse at least the first 500 KiB; what follows is ignored.
MAX_ROBOTS_BYTES = 500 * 1024


class RobotsSource(Protocol):
    """What the policy needs to read a robots.txt: ``Fetcher.get`` satisfies it."""

    async def get(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult: ...


@dataclass(frozen=True, slots=True)
class _Rules:
    """One origin's robots.txt: ``parser`` None means allow all, unless ``unreachable``."""

    parser: Protego | None
    unreachable: bool
    expires: float
    note: str


class RobotsPolicy:
    """Answers "may Clarion fetch this page?" from each host's cached robots.txt.

    ``clock`` (monotonic seconds) is injectable so tests can age the cache.
    """

    def __init__(
        self,
        source: RobotsSource,
        *,
        user_agent: str,
        ttl: float,
        error_ttl: float,
        max_hosts: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._user_agent = user_agent
        self._ttl = ttl
        self._error_ttl = error_ttl
        self._max_hosts = max_hosts
        self._clock = clock
        self._cache: OrderedDict[str, _Rules] = OrderedDict()
        self._pending: dict[str, asyncio.Task[_Rules]] = {}

    async def check(self, url: str) -> None:
        """Return if ``url`` may be fetched; raise ``RobotsDisallowed`` if robots.txt
        forbids it, ``RobotsUnreachable`` if robots.txt cannot be read for now.

        URLs that are not absolute http(s) pass unchanged (the fetch refuses them).
        """
        origin = _origin(url)
        if origin is None:
            return
        rules = await self._rules(origin)
        if rules.unreachable:
            raise RobotsUnreachable(
                f"robots.txt unreachable ({rules.note}): disallowed for now",
                url=url,
                retry_after=max(0.0, rules.expires - self._clock()),
            )
        if rules.parser is not None and not rules.parser.can_fetch(url, self._user_agent):
            raise RobotsDisallowed(f"disallowed by {origin}/robots.txt", url=url)

    async def allowed(self, url: str) -> bool:
        """True when ``url`` may be fetched now (``check`` without the exception)."""
        try:
            await self.check(url)
        except (RobotsDisallowed, RobotsUnreachable):
            return False
        return True

    async def crawl_delay(self, url: str) -> float | None:
        """The ``Crawl-delay`` the host asks of Clarion, if any (informative; not enforced)."""
        origin = _origin(url)
        if origin is None:
            return None
        rules = await self._rules(origin)
        return rules.parser.crawl_delay(self._user_agent) if rules.parser else None

    async def sitemaps(self, url: str) -> list[str]:
        """The sitemaps the host's robots.txt lists (``Sitemap:`` lines), in its order.

        How a site's news sitemap is found when a user adds the site by its domain.
        """
        origin = _origin(url)
        if origin is None:
            return []
        rules = await self._rules(origin)
        return list(rules.parser.sitemaps) if rules.parser else []

    async def _rules(self, origin: str) -> _Rules:
        cached = self._cache.get(origin)
        if cached is not None and cached.expires > self._clock():
            self._cache.move_to_end(origin)
            return cached
        task = self._pending.get(origin)
        if task is None:
            task = asyncio.create_task(self._load(origin))
            self._pending[origin] = task
            task.add_done_callback(lambda _: self._pending.pop(origin, None))
        # A waiter being cancelled must not cancel the shared load.
        return await asyncio.shield(task)

    async def _load(self, origin: str) -> _Rules:
        robots_url = f"{origin}/robots.txt"
        try:
            result = await self._source.get(robots_url)
        except TransientFetchError as exc:
            rules = self._unreachable(str(exc) or type(exc).__name__)
        except BlockedAddressError as exc:
            # Not "unreachable": the page's own fetch meets the same guard and fails
            # with the permanent error it deserves, instead of being retried forever.
            rules = _Rules(None, False, self._clock() + self._error_ttl, f"blocked: {exc}")
        except PermanentFetchError as exc:
            rules = _Rules(None, False, self._clock() + self._ttl, f"unavailable: {exc}")
        else:
            text = result.content[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
            rules = _Rules(Protego.parse(text), False, self._clock() + self._ttl, "parsed")
        self._cache[origin] = rules
        self._cache.move_to_end(origin)
        while len(self._cache) > self._max_hosts:
            self._cache.popitem(last=False)
        return rules

    def _unreachable(self, note: str) -> _Rules:
        return _Rules(None, True, self._clock() + self._error_ttl, note)


def _origin(url: str) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URL, default port omitted; else None."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # an invalid port or IPv6 literal: the fetch itself refuses the URL
        return None
    hostname = parts.hostname
    if parts.scheme not in ("http", "https") or not hostname:
        return None
    host = f"[{hostname}]" if ":" in hostname else hostname
    default = 80 if parts.scheme == "http" else 443
    return (
        f"{parts.scheme}://{host}" if port in (None, default) else f"{parts.scheme}://{host}:{port}"
    )
