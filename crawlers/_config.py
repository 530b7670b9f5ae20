"""How the fetcher behaves: timeouts, limits, politeness and retries.

Every default carries the reason for its value. ``FetchConfig`` is immutable;
build a new one (``dataclasses.replace``) to change a value.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

# Publishers must be able to see who fetches them and reach the operator; a
# generic library User-Agent is also what anti-bot rules block first.
DEFAULT_USER_AGENT = "Clarion/0.1 (+https://github.com/clarion-media/clarion)"

# A healthy server accepts a TCP+TLS connection in well under a second; 10 s
# covers slow links without letting a black-holed host hold a slot for long.
DEFAULT_CONNECT_TIMEOUT = 10.0

# Longest silence tolerated between two reads of one response. Feeds are often
# generated on demand and can take several seconds before the first byte.
DEFAULT_READ_TIMEOUT = 30.0

# Cap on one whole attempt (connect + headers + body): a server that trickles a
# byte just before each read timeout would otherwise hold a connection forever.
DEFAULT_TOTAL_TIMEOUT = 60.0

# Body cap, counted in *decoded* bytes while streaming (so a small gzip bomb is
# stopped too). The largest real news feeds and article pages are a few MB;
# 10 MiB leaves room and bounds the memory one fetch can take.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024

# Browsers stop at 20; real article links need 1-3 hops (http→https, tracker,
# canonical), so 10 is generous and still stops loops quickly.
DEFAULT_MAX_REDIRECTS = 10

# Open connections across all hosts: enough to keep a crawl of many small feeds
# busy, small enough for one process's file descriptors and the upstream link.
DEFAULT_MAX_CONNECTIONS = 32

# Requests in flight to one host. One, as scrapy's default CONCURRENT_REQUESTS_PER_DOMAIN
# of polite crawlers suggests for a crawler that is not the site's owner.
DEFAULT_PER_HOST_CONCURRENCY = 1

# Minimum seconds between two request starts to one host. One request a second
# is the rate most robots.txt Crawl-delay values and publisher guidelines accept.
DEFAULT_PER_HOST_INTERVAL = 1.0

# Extra attempts after a transient failure. Two more attempts ride out a blip
# (a restart, a brief overload); longer outages are left to the next poll.
DEFAULT_RETRIES = 2

# Exponential backoff: base * 2**attempt seconds, capped, times a random jitter
# factor so that many clients failing together do not retry together.
DEFAULT_BACKOFF_BASE = 1.0
DEFAULT_BACKOFF_CAP = 30.0

# Longest Retry-After we wait out inside one call. A server asking for more is
# not retried now: the error (with its ``retry_after``) goes back to the caller,
# whose next poll comes later anyway, instead of holding a worker for minutes.
DEFAULT_RETRY_AFTER_CAP = 60.0

# Refuse connections to loopback, private, link-local, multicast, reserved and
# cloud-metadata addresses (server-side request forgery through user-supplied URLs),
# checked when each connection is opened (see ``crawlers/_guard.py``). Off by default
# because self-hosted users legitimately poll intranet feeds and because an injected
# test transport has no addresses; a deployment that takes URLs from untrusted users
# turns it on, and lists the ranges it does trust in ``allow_networks``.
DEFAULT_BLOCK_PRIVATE_ADDRESSES = False

# Networks (CIDRs) connected to even when ``block_private_addresses`` is on. None by
# default: every exception is a deliberate choice (tests and the demo allow 127.0.0.1/32).
DEFAULT_ALLOW_NETWORKS: tuple[str, ...] = ()

# RFC 9309 §2.4: a cached robots.txt SHOULD NOT be used for more than 24 hours.
DEFAULT_ROBOTS_TTL = 24 * 3600.0

# How long an unreachable robots.txt (5xx, network error) counts as "disallow all"
# before it is asked for again: long enough not to hammer a struggling server with
# one robots request per article, short enough that a blip costs minutes, not a day.
DEFAULT_ROBOTS_ERROR_TTL = 600.0

# Hosts whose robots.txt is kept in memory (least recently used dropped first). A
# parsed robots.txt is a few KB; 10,000 hosts is tens of MB at worst and covers the
# article hosts of thousands of feeds.
DEFAULT_ROBOTS_CACHE_SIZE = 10_000


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchConfig:
    """Settings of one ``Fetcher``; all times are in seconds."""

    user_agent: str = DEFAULT_USER_AGENT
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    total_timeout: float = DEFAULT_TOTAL_TIMEOUT
    max_bytes: int = DEFAULT_MAX_BYTES
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    per_host_concurrency: int = DEFAULT_PER_HOST_CONCURRENCY
    per_host_interval: float = DEFAULT_PER_HOST_INTERVAL
    retries: int = DEFAULT_RETRIES
    backoff_base: float = DEFAULT_BACKOFF_BASE
    backoff_cap: float = DEFAULT_BACKOFF_CAP
    retry_after_cap: float = DEFAULT_RETRY_AFTER_CAP
    block_private_addresses: bool = DEFAULT_BLOCK_PRIVATE_ADDRESSES
    allow_networks: tuple[str, ...] = DEFAULT_ALLOW_NETWORKS
    robots_ttl: float = DEFAULT_ROBOTS_TTL
    robots_error_ttl: float = DEFAULT_ROBOTS_ERROR_TTL
    robots_cache_size: int = DEFAULT_ROBOTS_CACHE_SIZE

    def __post_init__(self) -> None:
        positive = {
            "connect_timeout": self.connect_timeout,
            "read_timeout": self.read_timeout,
            "total_timeout": self.total_timeout,
            "max_bytes": self.max_bytes,
            "max_connections": self.max_connections,
            "per_host_concurrency": self.per_host_concurrency,
            "robots_cache_size": self.robots_cache_size,
        }
        for name, value in positive.items():
            if value <= 0:
                raise ValueError(f"FetchConfig.{name} must be positive, got {value!r}")
        non_negative = {
            "max_redirects": self.max_redirects,
            "per_host_interval": self.per_host_interval,
            "retries": self.retries,
            "backoff_base": self.backoff_base,
            "backoff_cap": self.backoff_cap,
            "retry_after_cap": self.retry_after_cap,
            "robots_ttl": self.robots_ttl,
            "robots_error_ttl": self.robots_error_ttl,
        }
        for name, value in non_negative.items():
            if value < 0:
                raise ValueError(f"FetchConfig.{name} must not be negative, got {value!r}")
        if isinstance(self.allow_networks, str):
            raise ValueError("FetchConfig.allow_networks is a tuple of CIDRs, not one string")
        for cidr in self.allow_networks:
            try:
                ipaddress.ip_network(cidr.strip(), strict=False)
            except ValueError as exc:
                raise ValueError(f"FetchConfig.allow_networks: {exc}") from exc
